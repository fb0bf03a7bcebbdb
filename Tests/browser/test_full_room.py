"""The room at full size (issue 12): five tables of twelve cards on a 1920 × 1080 wall, a console
for 36 people on a 1440 × 900 laptop, the board on a 360 × 740 phone, and nothing stale."""
import asyncio
import os
import threading
import uuid

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from .conftest import Client, facilitator_commands, run, snapshot
from .pages import (BOARD, active, card, click, confirm, find, finds, gone, join, js_errors, open_console, open_projector,
                    participant_row, person_action, projector_url, set_phase, text_of, visible, wait)
from .test_pages import axe_violations, emulate

WALL = {"width": 1920, "height": 1080, "deviceScaleFactor": 1, "mobile": False}

# Card texts of every length a room writes, some with long words.
TEXTS = [
    "Mutualiser un poste de chargé de développement entre trois SIAE du bassin",
    "Trésorerie tendue",
    "Des dialogues de gestion trop centrés sur les chiffres, pas assez sur les parcours des salariés en insertion",
    "Accompagnement socioprofessionnel",
    "Un annuaire partagé des SIAE du département, tenu à jour par les têtes de réseau",
    "Clauses d'insertion dans les marchés publics : mieux informer les entreprises",
    "Visites croisées",
    "Intercommunalités, départementalisation, contractualisation : tout se complexifie",
    "Un fonds d'avance mutualisé pour les subventions versées en retard",
    "Former les encadrants techniques ensemble",
    "Des parcours complexes à mieux coordonner pour éviter « l'usager en miettes »",
    "Recruter",
]

# Every element the page lays out must be inside the window: visually hidden ones (1 px: the
# live regions, .sr-only) and the skip link (off-screen until focused, by design) aside.
OUTSIDE = """
const out = [];
for (const e of document.body.querySelectorAll('*')) {
  if (!e.checkVisibility({ visibilityProperty: true })) continue;
  if (e.closest('.skip-link')) continue;
  const r = e.getBoundingClientRect();
  if (r.width <= 1 || r.height <= 1) continue;
  if (r.left < -0.5 || r.top < -0.5 || r.right > innerWidth + 0.5 || r.bottom > innerHeight + 0.5) {
    out.push(`${e.tagName.toLowerCase()}.${[...e.classList].join('.')} ${JSON.stringify([r.left, r.top, r.right, r.bottom].map(Math.round))}`);
  }
}
return out.slice(0, 20);
"""

# Cards shown but cut by their list (a list that does not fit must give way, not clip).
CLIPPED = """
const out = [];
for (const li of document.querySelectorAll('[data-testid=projector-card], [data-testid=projector-rank-item], [data-testid=projector-sheet]')) {
  if (!li.checkVisibility()) continue;
  const list = li.closest('ul, ol');
  const a = li.getBoundingClientRect(), b = list.getBoundingClientRect();
  if (a.bottom > b.bottom + 1 || a.right > b.right + 1) out.push(li.textContent.slice(0, 40));
}
return out;
"""

# Card texts and the other large type: their computed size, and how words may break.
TYPE = """
const small = [], breaks = [];
for (const e of document.querySelectorAll(arguments[0])) {
  if (!e.checkVisibility()) continue;
  const s = getComputedStyle(e);
  if (parseFloat(s.fontSize) < 24) small.push(`${e.className} ${s.fontSize} ${e.textContent.slice(0, 30)}`);
  if (s.wordBreak === 'break-all' || s.overflowWrap === 'anywhere') breaks.push(`${e.className} ${s.wordBreak} ${s.overflowWrap}`);
}
return [small, breaks];
"""

LARGE_TYPE = ('[data-testid=projector-card-text], .proj-col__title, [data-testid=projector-votes], '
              '[data-testid=projector-rank-text], [data-testid=projector-rank-votes]')


def settle(driver):
    driver.execute_script("return new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")


def assert_wall_fits(wall, what):
    settle(wall)
    assert wall.execute_script(OUTSIDE) == [], f"{what}: elements outside the 1920 × 1080 wall"
    assert wall.execute_script(CLIPPED) == [], f"{what}: cards cut by their list"
    small, breaks = wall.execute_script(TYPE, LARGE_TYPE)
    assert small == [], f"{what}: text under 24 px"
    assert breaks == [], f"{what}: words broken anywhere"


def shown_cards(wall, board=None):
    scope = f'[data-board="{board}"] ' if board else ""
    return [e for e in finds(wall, f'{BOARD} {scope}[data-testid="projector-card"]') if e.is_displayed()]


def full_room(live_server, workshop):
    """Twelve cards on each of the five boards (two of them in the ideas column)."""
    boards = [b["id"] for b in snapshot(live_server, workshop)["boards"]]
    assert len(boards) == 5
    facilitator_commands(live_server, workshop, *[
        {"type": "card.add", "board": board, "column": "ideas" if n >= 10 else "problems",
         "color": ["yellow", "blue", "green", "pink", "orange", "purple"][n % 6], "text": f"{TEXTS[n]} (table {i + 1})"}
        for i, board in enumerate(boards) for n in range(12)])
    return boards


def vote(live_server, workshop, board, cards_and_votes):
    """A participant seated at `board`'s table votes (the phase must allow votes)."""
    group = next(b["group"] for b in snapshot(live_server, workshop)["boards"] if b["id"] == board)

    async def go():
        c = await Client.connect(live_server.ws_url)
        prefix = uuid.uuid4().hex[:8]
        welcome = await c.request({"id": f"{prefix}-j", "type": "join", "code": workshop["joinCode"], "name": "Votante",
                                   "organisation": "AI", "actor": "ai", "group": group})
        assert welcome["type"] == "welcome", welcome
        n = 0
        for card, times in cards_and_votes:
            for _ in range(times):
                n += 1
                answer = await c.request({"id": f"{prefix}-{n}", "type": "vote.cast", "card": card})
                assert answer["type"] == "ack", answer
        await c.close()
    run(go())


def test_projector_fits_five_tables_of_twelve_cards_in_every_mode(live_server, workshop, browsers, screenshots):
    boards = full_room(live_server, workshop)
    facilitator_commands(live_server, workshop, {"type": "timer.start", "seconds": 600, "label": "Écriture en table"},
                         {"type": "announce", "text": "Reprise à 14 h : chaque table choisit ses trois idées."})
    wall = browsers.new(width=1920, height=1080)
    emulate(wall, WALL)
    open_projector(wall, workshop)
    total = len(snapshot(live_server, workshop)["cards"])
    assert total >= 60  # and the plan's seeded findings
    wait(wall, lambda d: len(finds(d, f'{BOARD} [data-testid="projector-card"]')) == total)
    visible(wall, '[data-testid="projector-announcement"]')
    wait(wall, lambda d: d.execute_script("return document.querySelector('[data-testid=projector-qr]').naturalWidth > 0"))

    # All tables: five boards side by side, the open column's newest cards, "+N autres cartes".
    assert len(finds(wall, f'{BOARD} [data-testid="projector-board"]')) == 5
    settle(wall)
    wall.save_screenshot(os.path.join(screenshots, "projector-full-room.png"))
    assert_wall_fits(wall, "all tables")
    cards = snapshot(live_server, workshop)["cards"]
    for board in boards:
        shown = shown_cards(wall, board)
        assert len(shown) >= 3, f"{board}: only {len(shown)} cards readable"
        more = [e for e in finds(wall, f'[data-board="{board}"] [data-testid="projector-more"]') if e.is_displayed()]
        assert more and "autres cartes" in text_of(more[0]), f"{board}: the cards left out are not counted"
        hidden = len([c for c in cards if c["board"] == board and c["column"] == "problems"]) - len([e for e in shown if e.find_element(By.XPATH, "ancestor::section[@data-column]").get_attribute("data-column") == "problems"])
        assert text_of(more[0]).startswith(f"+{hidden} "), (text_of(more[0]), hidden)
    # The newest card of each table is on the wall; the ideas column, not open yet, is folded.
    assert any("Recruter" in text_of(e) for e in shown_cards(wall, boards[0])) is False
    assert any(TEXTS[9] in text_of(e) for e in shown_cards(wall, boards[0]))

    # The ideas phase: its column gets the space.
    facilitator_commands(live_server, workshop, {"type": "phase.set", "phase": "ideas"})
    wait(wall, lambda d: find(d, '[data-testid="phase"]').get_attribute("data-phase") == "ideas")
    wait(wall, lambda d: any("Recruter" in text_of(e) for e in shown_cards(d, boards[0])))
    assert_wall_fits(wall, "all tables, ideas phase")
    ideas = find(wall, f'[data-board="{boards[0]}"] section[data-column="ideas"]')
    problems = find(wall, f'[data-board="{boards[0]}"] section[data-column="problems"]')
    assert ideas.size["height"] > 2 * problems.size["height"], "the open column is not the large one"

    # The toolbar, by keyboard: one table at a time, next table with the arrow.
    toggle = find(wall, '[data-testid="projector-tools-toggle"]')
    assert toggle.get_attribute("aria-expanded") == "false"
    assert not find(wall, '[data-testid="projector-toolbar"]').is_displayed()
    toggle.send_keys(Keys.ENTER)
    visible(wall, '[data-testid="projector-toolbar"]')
    find(wall, '[data-testid="mode-rotation"]').click()
    wait(wall, lambda d: [b.get_attribute("data-board") for b in finds(d, f'{BOARD} [data-testid="projector-board"]')] == [boards[0]])
    assert find(wall, '[data-testid="mode-rotation"]').get_attribute("aria-pressed") == "true"
    assert "mode=rotation" in wall.current_url and workshop["facilitatorKey"] not in wall.current_url
    wall.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)
    wait(wall, lambda d: not find(d, '[data-testid="projector-toolbar"]').is_displayed())
    assert_wall_fits(wall, "one table")
    assert "Table 1 sur 5" in text_of(find(wall, '[data-testid="projector-view-title"]'))
    wall.find_element(By.TAG_NAME, "body").send_keys(Keys.ARROW_RIGHT)
    wait(wall, lambda d: [b.get_attribute("data-board") for b in finds(d, f'{BOARD} [data-testid="projector-board"]')] == [boards[1]])
    large = [e for e in finds(wall, '[data-testid="projector-card-text"]') if e.is_displayed()]
    assert large and all(float(e.value_of_css_property("font-size")[:-2]) >= 28 for e in large)
    wall.save_screenshot(os.path.join(screenshots, "projector-one-table.png"))

    # Ranked results after the reveal (the shortcut "3"): most votes first, ties share a rank.
    cards = [c for c in snapshot(live_server, workshop)["cards"] if c["board"] == boards[2] and c["column"] == "ideas"]
    # (Dots go on ideas in the ideas phase: a third idea, at another table, ties for second place.)
    other = [c for c in snapshot(live_server, workshop)["cards"] if c["board"] == boards[3] and c["column"] == "ideas"]
    vote(live_server, workshop, boards[2], [(cards[1]["id"], 3), (cards[0]["id"], 1)])
    vote(live_server, workshop, boards[3], [(other[0]["id"], 1)])
    wall.find_element(By.TAG_NAME, "body").send_keys("3")
    wait(wall, lambda d: find(d, '[data-testid="projector-results"]').is_displayed())
    assert "révélés" in text_of(visible(wall, '[data-testid="projector-results-empty"]'))
    facilitator_commands(live_server, workshop, {"type": "votes.reveal"})
    wait(wall, lambda d: len(finds(d, '[data-testid="projector-rank-item"]')) == 3)
    items = finds(wall, '[data-testid="projector-rank-item"]')
    assert [i.get_attribute("data-votes") for i in items] == ["3", "1", "1"]
    assert cards[1]["text"] == text_of(items[0].find_element(By.CSS_SELECTOR, '[data-testid="projector-rank-text"]'))
    assert [text_of(i.find_element(By.CSS_SELECTOR, ".proj-rank__pos")) for i in items] == ["1er", "2e", "2e"]
    assert_wall_fits(wall, "results")

    # Project sheets, from the address (a bookmarked wall comes back in its mode).
    facilitator_commands(live_server, workshop, *[
        {"type": "project.create", "board": board, "title": f"Projet de la table {i + 1} : un groupement d'employeurs"}
        for i, board in enumerate(boards)])
    wall.get(projector_url(workshop) + "&mode=projects")
    wait(wall, lambda d: len([e for e in finds(d, '[data-testid="projector-sheet"]') if e.is_displayed()]) == 5)
    assert find(wall, '[data-testid="mode-projects"]').get_attribute("aria-pressed") == "true"
    assert_wall_fits(wall, "project sheets")

    problems = axe_violations(wall, "projector (project sheets)")
    wall.get(projector_url(workshop) + "&mode=all")
    wait(wall, lambda d: len(shown_cards(d)) >= 10)
    click(find(wall, '[data-testid="projector-tools-toggle"]'))
    visible(wall, '[data-testid="projector-toolbar"]')
    problems += axe_violations(wall, "projector (all tables, toolbar open)")
    assert problems == [], "\n".join(problems)
    assert js_errors(wall) == []


PHONE = {"width": 360, "height": 740, "deviceScaleFactor": 1, "mobile": True}

IN_VIEW = """
const r = arguments[0].getBoundingClientRect();
const header = document.querySelector('.topbar').getBoundingClientRect();
return r.top >= header.bottom - 1 && r.bottom <= innerHeight + 1;
"""


def test_phone_board_is_light_and_shows_the_new_card(live_server, workshop, browsers, screenshots):
    phone = browsers.new(width=360, height=740)
    emulate(phone, PHONE)
    phone.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 5})
    join(phone, workshop, "Sébastien Morel")
    me = next(p for p in snapshot(live_server, workshop)["participants"] if p["name"] == "Sébastien Morel")
    board = next(b for b in snapshot(live_server, workshop)["boards"] if b["group"] == me["group"])
    facilitator_commands(live_server, workshop, *[
        {"type": "card.add", "board": board["id"], "column": "ideas", "text": TEXTS[n]} for n in range(8)])
    wait(phone, lambda d: card(d, TEXTS[7]) is not None)
    # (Others' cards are announced in one sentence once they stop coming: let it be said first.)
    wait(phone, lambda d: "8 nouvelles cartes" in text_of(find(d, '[data-testid="announcer"]')))

    # The sticky header takes at most 15 % of the screen (with a countdown and the votes left);
    # no keyboard hint on a touch screen.
    facilitator_commands(live_server, workshop, {"type": "timer.start", "seconds": 900, "label": "Écriture individuelle"},
                         {"type": "phase.set", "phase": "ideas"})
    visible(phone, '[data-testid="timer"]')
    visible(phone, '[data-testid="votes-left"]')
    height = phone.execute_script("return document.querySelector('.topbar').getBoundingClientRect().height")
    assert height <= 0.15 * 740, f"the header is {height} px high"
    form = visible(phone, 'section[data-column="ideas"] [data-testid="add-card-form"]')
    assert "Ctrl" not in form.text
    # One menu button per card (and "Voter" while the phase votes), not a row of buttons.
    li = card(phone, TEXTS[0])
    shown = [b.get_attribute("data-testid") for b in li.find_elements(By.CSS_SELECTOR, "button") if b.is_displayed()]
    assert shown == ["card-vote", "card-menu"], shown

    # "Ajouter la carte": the new card, at the bottom of the column, is scrolled into view and marked.
    phone.execute_script("window.scrollTo(0, 0)")
    area = find(phone, 'section[data-column="ideas"] [data-testid="add-card-text"]')
    area.send_keys("Une plateforme commune de recrutement")
    click(find(phone, 'section[data-column="ideas"] [data-testid="add-card-submit"]'))
    new = wait(phone, lambda d: (lambda li: li if li is not None and "card--pending" not in li.get_attribute("class") else None)(
        card(d, "Une plateforme commune de recrutement")))
    wait(phone, lambda d: d.execute_script(IN_VIEW, card(d, "Une plateforme commune de recrutement")),
         message="the new card is not in view")
    assert "card--new" in new.get_attribute("class")
    wait(phone, lambda d: "Carte ajoutée" in text_of(find(d, '[data-testid="announcer"]')))

    # The card's menu by keyboard: Enter opens on the first item, ↓ moves, Escape closes and
    # gives the focus back; Enter on "Modifier" opens the editor.
    button = new.find_element(By.CSS_SELECTOR, '[data-testid="card-menu"]')
    phone.execute_script("arguments[0].focus()", button)
    button.send_keys(Keys.ENTER)
    wait(phone, lambda d: active(d).get_attribute("role") == "menuitem")
    assert button.get_attribute("aria-expanded") == "true"
    first = active(phone)
    phone.save_screenshot(os.path.join(screenshots, "board-phone-menu.png"))
    first.send_keys(Keys.ARROW_DOWN)
    assert active(phone) != first and active(phone).get_attribute("role") == "menuitem"
    problems = axe_violations(phone, "phone board with a card's menu open")
    active(phone).send_keys(Keys.ESCAPE)
    wait(phone, lambda d: button.get_attribute("aria-expanded") == "false" and active(d) == button)
    assert not finds(phone, '[role="menu"]:not([hidden])')
    button.send_keys(Keys.ARROW_DOWN)
    for _ in range(6):
        if active(phone).get_attribute("data-testid") == "card-edit":
            break
        active(phone).send_keys(Keys.ARROW_DOWN)
    active(phone).send_keys(Keys.ENTER)
    wait(phone, lambda d: active(d).get_attribute("data-testid") == "card-edit-text")
    active(phone).send_keys(Keys.ESCAPE)

    # Plain words: who wrote a card, and removing one's vote (not a person).
    assert "Par l’animation" in text_of(card(phone, TEXTS[0]))
    click(card(phone, TEXTS[0]).find_element(By.CSS_SELECTOR, '[data-testid="card-vote"]'))
    retract = wait(phone, lambda d: card(d, TEXTS[0]).find_element(By.CSS_SELECTOR, '[data-testid="card-retract"]'))
    assert text_of(retract) == "Retirer mon vote"
    # A greyed "Voter" says why (three votes at most on one card).
    for n in (2, 3):
        click(card(phone, TEXTS[0]).find_element(By.CSS_SELECTOR, '[data-testid="card-vote"]'))
        wait(phone, lambda d: f": {n}" in text_of(card(d, TEXTS[0]).find_element(By.CSS_SELECTOR, '[data-testid="my-votes"]')))
    why = wait(phone, lambda d: card(d, TEXTS[0]).find_element(By.CSS_SELECTOR, '[data-testid="vote-why"]'))
    assert text_of(why) == "3 votes au plus par carte."
    assert card(phone, TEXTS[0]).find_element(By.CSS_SELECTOR, '[data-testid="card-vote"]').get_attribute("aria-disabled") == "true"
    problems += axe_violations(phone, "phone board")
    assert problems == [], "\n".join(problems)
    assert js_errors(phone) == []


LAPTOP = {"width": 1440, "height": 900, "deviceScaleFactor": 1, "mobile": False}
FIRST_NAMES = ["Camille", "Dominique", "Élise", "Farid", "Gaëlle", "Hugo", "Inès", "Jules", "Karim", "Léa", "Malik", "Nadia"]
ORGANISATIONS = ["ACI Le Pont", "AI Solidarité Bresse", "EI Recyclerie du Creusot", "ETTI Chalon Intérim", "Département", "Pôle emploi"]

IN_FIRST_SCREEN = """
const r = arguments[0].getBoundingClientRect();
return r.width > 0 && r.top >= 0 && r.bottom <= innerHeight && r.left >= 0 && r.right <= innerWidth;
"""


class Crowd:
    """`n` participants over the WebSocket, spread over the tables by the server; every other one
    stays connected (online) in a thread of its own until close()."""

    def __init__(self, live_server, workshop, n):
        self.ready = threading.Event()
        self.error = None
        self.loop = asyncio.new_event_loop()
        self.stop = None
        self.thread = threading.Thread(target=self.loop.run_until_complete, args=(self.run(live_server, workshop, n),), daemon=True)
        self.thread.start()
        assert self.ready.wait(60), "the crowd did not join"
        assert self.error is None, self.error

    async def run(self, live_server, workshop, n):
        self.stop = asyncio.Event()
        online = []
        try:
            for i in range(n):
                c = await Client.connect(live_server.ws_url)
                welcome = await c.request({"id": f"crowd-{i}", "type": "join", "code": workshop["joinCode"],
                                           "name": f"{FIRST_NAMES[i % 12]} Participant{i:02d}", "actor": ["aci", "ai", "ei", "etti"][i % 4],
                                           "organisation": ORGANISATIONS[i % 6]})
                assert welcome["type"] == "welcome", welcome
                if i % 2:
                    await c.close()
                else:
                    online.append(c)
        except Exception as e:  # reported by __init__
            self.error = repr(e)
        self.ready.set()
        await self.stop.wait()
        for c in online:
            await c.close()

    def close(self):
        self.loop.call_soon_threadsafe(self.stop.set)
        self.thread.join(30)


def test_console_runs_36_people_at_5_tables_on_one_laptop_screen(live_server, workshop, browsers, screenshots):
    full_room(live_server, workshop)
    people = Crowd(live_server, workshop, 36)
    try:
        fac = browsers.new(width=1440, height=900)
        emulate(fac, LAPTOP)
        open_console(fac, workshop)
        wait(fac, lambda d: len(finds(d, '[data-testid="participant-row"]')) == 36)
        fac.execute_script("window.scrollTo(0, 0)")
        settle(fac)
        fac.save_screenshot(os.path.join(screenshots, "console-full-room.png"))

        # Without scrolling: every table's line (people online, cards, last activity) and the phases.
        rows = finds(fac, '[data-testid="overview-row"]')
        assert len(rows) == 5
        for row in rows:
            assert fac.execute_script(IN_FIRST_SCREEN, row), f"{text_of(row)} is below the first screen"
            assert text_of(row.find_element(By.CSS_SELECTOR, '[data-testid="overview-cards"]')) in {"12", "13", "14"}
            assert " sur " in text_of(row.find_element(By.CSS_SELECTOR, '[data-testid="overview-online"]'))
        assert sum(int(text_of(r.find_element(By.CSS_SELECTOR, '[data-testid="overview-online"]')).split(" sur ")[1]) for r in rows) == 36
        for button in finds(fac, '[data-testid="phase-button"]'):
            assert fac.execute_script(IN_FIRST_SCREEN, button), f"the phase button {text_of(button)} is below the first screen"
        assert fac.execute_script(IN_FIRST_SCREEN, find(fac, '[data-testid="workshop-pause"]'))
        assert fac.execute_script(IN_FIRST_SCREEN, find(fac, '[data-testid="nav-projects"]')), "project sheets are not one click away"
        # Activity shows in Paris time once something happens on a table.
        first_board = rows[0].get_attribute("data-board")
        facilitator_commands(live_server, workshop, {"type": "card.add", "board": first_board, "column": "problems", "text": "Encore une carte"})
        wait(fac, lambda d: ":" in text_of(find(d, f'[data-testid="overview-row"][data-board="{first_board}"] [data-testid="overview-activity"]')))

        # One line per person; the search box and the table filter narrow the list.
        heights = fac.execute_script("return [...document.querySelectorAll('[data-testid=participant-row]')].map((r) => r.getBoundingClientRect().height)")
        assert max(heights) <= 52, f"people rows up to {max(heights)} px high"
        search = find(fac, '[data-testid="people-search"]')
        click(search)
        search.send_keys("gaelle")  # accents and case do not matter
        wait(fac, lambda d: len([r for r in finds(d, '[data-testid="participant-row"]') if r.is_displayed()]) == 3)
        assert all("Gaëlle" in text_of(r) for r in finds(fac, '[data-testid="participant-row"]') if r.is_displayed())
        assert "3 personnes affichées sur 36" in text_of(find(fac, '[data-testid="people-shown"]'))
        search.clear()
        search.send_keys(" ")
        wait(fac, lambda d: len([r for r in finds(d, '[data-testid="participant-row"]') if r.is_displayed()]) == 36)
        from selenium.webdriver.support.ui import Select
        group = snapshot(live_server, workshop)["groups"][1]
        Select(find(fac, '[data-testid="people-table"]')).select_by_visible_text(group["title"])
        at_table = [p for p in snapshot(live_server, workshop)["participants"] if p.get("group") == group["id"]]
        wait(fac, lambda d: len([r for r in finds(d, '[data-testid="participant-row"]') if r.is_displayed()]) == len(at_table))
        Select(find(fac, '[data-testid="people-table"]')).select_by_visible_text("Toutes les tables")

        # A destructive action is behind the person's menu and asks first: cancelling changes nothing.
        row = participant_row(fac, "Hugo Participant05")
        assert [b.get_attribute("data-testid") for b in row.find_elements(By.CSS_SELECTOR, "button") if b.is_displayed()] == \
            ["assign-submit", "person-menu"]
        person_action(fac, "Hugo Participant05", "erase-participant")
        dialog = visible(fac, "dialog[open]")
        assert "Hugo Participant05" in text_of(dialog)
        click(find(fac, 'dialog[open] [data-testid="dialog-cancel"]'))
        gone(fac, "dialog[open]")
        assert participant_row(fac, "Hugo Participant05") is not None
        person_action(fac, "Hugo Participant05", "remove-participant")
        assert "Retirer Hugo Participant05 de l’atelier" in text_of(visible(fac, "dialog[open]"))
        confirm(fac)
        wait(fac, lambda d: "Retiré" in text_of(participant_row(d, "Hugo Participant05")))

        # Plain words for the exports and the submission.
        assert text_of(find(fac, '[data-testid="export-md"]')) == "Synthèse (texte)"
        assert "webhook" not in text_of(find(fac, '[data-testid="submit-webhook"]')).lower()

        # A phase change says how many people it moves, and waits for the answer.
        for b in finds(fac, '[data-testid="phase-button"]'):
            if "Du problème à l'idée" in text_of(b).replace("’", "'"):
                click(b)
        dialog = visible(fac, "dialog[open]")
        assert "Passer 35 personnes à la phase « Du problème à l'idée » ?" in text_of(dialog).replace("’", "'")
        problems = axe_violations(fac, "console (phase change dialog)")
        click(find(fac, 'dialog[open] [data-testid="dialog-cancel"]'))
        gone(fac, "dialog[open]")
        assert snapshot(live_server, workshop)["phase"] == "problems"
        set_phase(fac, "Du problème à l'idée")
        wait(fac, lambda d: find(d, '[data-testid="phase"]').get_attribute("data-phase") == "ideas")
        problems += axe_violations(fac, "console with 36 people")
        person_action(fac, "Camille Participant00", "make-host")
        problems += axe_violations(fac, "console, a person's menu")
        assert problems == [], "\n".join(problems)
        assert js_errors(fac) == []
    finally:
        people.close()


def test_nothing_stale_timer_and_messages(live_server, workshop, browsers):
    phone = browsers.new(width=360, height=740)
    emulate(phone, PHONE)
    join(phone, workshop, "Sébastien Morel")
    fac = browsers.new()
    open_console(fac, workshop)
    wall = browsers.new(width=1920, height=1080)
    open_projector(wall, workshop)
    timers = ((phone, '[data-testid="timer"]'), (fac, '[data-testid="console-timer"]'), (wall, '[data-testid="projector-timer"]'))

    # A countdown that ends says so on every screen, then the next phase starts without it.
    facilitator_commands(live_server, workshop, {"type": "timer.start", "seconds": 2, "label": "Écriture individuelle"})
    for driver, css in timers:
        wait(driver, lambda d: "temps écoulé" in text_of(find(d, css)) and find(d, css).is_displayed(),
             message=f"{css}: the end is not shown")
    facilitator_commands(live_server, workshop, {"type": "phase.set", "phase": "ideas"})
    for driver, css in timers:
        # Gone with the phase it belonged to (in the same render), not 10 s later.
        wait(driver, lambda d: find(d, '[data-testid="phase"]').get_attribute("data-phase") == "ideas")
        assert not find(driver, css).is_displayed(), f"{css}: an ended countdown follows the room into the next phase"
        assert "temps écoulé" not in driver.find_element(By.TAG_NAME, "body").text
    # Without a phase change it goes by itself after a moment.
    facilitator_commands(live_server, workshop, {"type": "timer.start", "seconds": 1})
    wait(phone, lambda d: "temps écoulé" in text_of(find(d, '[data-testid="timer"]')))
    gone(phone, '[data-testid="timer"]')

    # A message read ("J'ai lu") stays read, after a reload too; the projector's, hidden, too.
    facilitator_commands(live_server, workshop, {"type": "announce", "text": "Pause café jusqu'à 10 h 45"})
    click(visible(phone, '[data-testid="announcement-dismiss"]'))
    gone(phone, '[data-testid="announcement"]')
    click(visible(wall, '[data-testid="announcement-hide"]'))
    for driver in (phone, wall):
        driver.refresh()
        wait(driver, lambda d: find(d, '[data-testid="connection-state"]').get_attribute("data-state") == "online")
    wait(phone, lambda d: text_of(find(d, '[data-testid="board-title"]')).strip())
    assert not find(phone, '[data-testid="announcement"]').is_displayed()
    assert not find(wall, '[data-testid="projector-announcement"]').is_displayed()
    # A new message shows again.
    facilitator_commands(live_server, workshop, {"type": "announce", "text": "Reprise"})
    visible(phone, '[data-testid="announcement"]')
    visible(wall, '[data-testid="projector-announcement"]')
    for driver in (phone, fac, wall):
        assert js_errors(driver) == []
