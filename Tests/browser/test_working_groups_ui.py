"""Working groups between sessions in the browser (issue 14, item 2): the facilitator turns a table
into a working group from the console, the workshop is closed, an invitation link is made; an
invited person on a phone joins by it, sees the group's banner and adds a card; the console lists
what changed since the session. axe on both pages."""
import datetime
import os

from .conftest import Client, create_workshop, facilitator_commands, run
from .pages import add_card, click, find, finds, js_errors, open_console, text_of, visible, wait
from .test_pages import axe_violations, emulate, no_horizontal_scroll

PHONE = {"width": 360, "height": 740, "deviceScaleFactor": 1, "mobile": True}


def test_an_invited_person_joins_a_working_group_on_a_phone(live_server, browsers, screenshots):
    w = create_workshop(live_server, "Atelier et groupe de travail")

    async def seed():
        p = await Client.connect(live_server.ws_url)
        welcome = await p.request({"type": "join", "code": w["joinCode"], "name": "Alice Membre",
                                   "organisation": "ACI Le Pont", "actor": "aci"})
        group = welcome["you"]["group"]
        board = next(b for b in welcome["workshop"]["boards"] if b["group"] == group)
        answer = await p.request({"type": "card.add", "board": board["id"], "column": "problems", "text": "Écrit pendant la séance"})
        assert answer["type"] == "ack", answer
        await p.close()
        return group, board
    group, board = run(seed())

    fac = browsers.new(width=1440, height=900)
    open_console(fac, w)
    card = visible(fac, f'[data-testid="group-card"][data-group="{group}"]')
    # The end date: ten days from now (a date input, set as a person picking it would).
    date = (datetime.date.today() + datetime.timedelta(days=10)).isoformat()
    date_input = card.find_element("css selector", '[data-testid="group-date"]')
    fac.execute_script("arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'))", date_input, date)
    card.find_element("css selector", '[data-testid="group-purpose"]').send_keys("Monter le garage solidaire")
    click(card.find_element("css selector", '[data-testid="group-open-submit"]'))
    wait(fac, lambda d: finds(d, f'[data-testid="group-card"][data-group="{group}"] [data-testid="group-open"]'),
         message="the group never showed as open")
    # Until the end of the chosen day, in the workshop's time zone.
    shown = text_of(find(fac, f'[data-testid="group-card"][data-group="{group}"] [data-testid="group-open"]'))
    assert datetime.date.fromisoformat(date).strftime("%d/%m/%Y") + " 23:59" in shown, shown
    facilitator_commands(live_server, w, {"type": "workshop.close"})
    click(visible(fac, f'[data-testid="group-card"][data-group="{group}"] [data-testid="group-invite"]'))
    link = wait(fac, lambda d: (finds(d, '[data-testid="group-link"]') or [None])[0], message="no invitation link shown")
    url = link.get_attribute("value")
    assert "#invitation=" in url and "?workshop=" in url

    phone = browsers.new(width=360, height=740)
    emulate(phone, PHONE)
    phone.get(url)
    visible(phone, '[data-testid="join-name"]').send_keys("Dana Invitée")
    # The secret left the address bar once read.
    assert "invitation=" not in phone.current_url
    assert text_of(find(phone, "#join-title")) == "Rejoindre le groupe de travail"
    click(find(phone, '[data-testid="join-submit"]'))
    wait(phone, lambda d: text_of(find(d, '[data-testid="board-title"]')).strip() == board["title"], message="the board never showed")
    banner = visible(phone, '[data-testid="board-banner"]')
    assert banner.get_attribute("data-state") == "group"
    assert "Groupe de travail — ouvert jusqu’au" in text_of(banner) and "Monter le garage solidaire" in text_of(banner)
    # On a phone one column shows at a time: the ideas' tab, then the card.
    tab = [b for b in finds(phone, '[data-testid="column-tab"][data-tab-column="ideas"]') if b.is_displayed()]
    if tab:
        click(tab[0])
    add_card(phone, "ideas", "Une idée venue après la séance")
    assert no_horizontal_scroll(phone)
    phone.save_screenshot(os.path.join(screenshots, "working-group-phone.png"))
    problems = axe_violations(phone, "working group board on a phone")

    # The console: the group's changes since the session (the invited person, their card).
    since = f'[data-testid="group-card"][data-group="{group}"] [data-testid="group-since"]'
    wait(fac, lambda d: "1 carte(s)" in text_of(find(d, since)) and "1 nouveau(x) membre(s)" in text_of(find(d, since)),
         message="the console never counted the group's changes")
    changes = text_of(find(fac, f'[data-testid="group-card"][data-group="{group}"] [data-testid="group-changes"]'))
    assert "Une idée venue après la séance" in changes and "Dana Invitée" in changes
    assert "Écrit pendant la séance" not in changes
    fac.save_screenshot(os.path.join(screenshots, "working-group-console.png"))
    problems += axe_violations(fac, "console with a working group")
    assert not problems, "\n".join(problems)
    assert not js_errors(phone) and not js_errors(fac)
