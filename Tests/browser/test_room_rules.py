"""The room's newer rules, on the real pages: tables named by their board after rotations (and the
console's assignment menu sending people where it says), votes only where they may go, the vote's
progress and its close, the join code checked on the home page, "+1 min" and a withdrawn message,
the phase's instructions on the phone, and exports named by the server."""
import os
import re

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from .conftest import facilitator_commands, snapshot
from .pages import (add_card, board_title, card, click, confirm, find, finds, gone, join, js_errors, open_console,
                    open_projector, participant_row, phase_of, text_of, visible, wait, wait_card)
from .test_pages import PHONE, axe_violations, emulate


def phone(browsers):
    driver = browsers.new(width=360, height=740)
    emulate(driver, PHONE)
    return driver


def person(live_server, workshop, name):
    return next(p for p in snapshot(live_server, workshop)["participants"] if p["name"] == name)


def board_of(live_server, workshop, name):
    """The board the person's group sits at now."""
    w = snapshot(live_server, workshop)
    group = next(p["group"] for p in w["participants"] if p["name"] == name)
    return next(b for b in w["boards"] if b["group"] == group)


def theme(driver):
    return text_of(find(driver, '[data-testid="board-theme"]')).strip()


def test_tables_after_rotations_are_named_by_their_board(live_server, workshop, browsers):
    fac, alice, bruno = browsers.new(), phone(browsers), phone(browsers)
    open_console(fac, workshop)
    join(alice, workshop, "Alice Martin")
    join(bruno, workshop, "Bruno Petit", actor="ei")
    groups = {g["id"]: g for g in snapshot(live_server, workshop)["groups"]}
    first = {name: board_of(live_server, workshop, name) for name in ("Alice Martin", "Bruno Petit")}

    # Two rotations (the second from the console, confirmed): each group now works at another
    # board, and each phone shows that board's title and theme, never its group's first table.
    facilitator_commands(live_server, workshop, {"type": "rotation.advance"})
    click(visible(fac, '[data-testid="rotation-advance"]'))
    confirm(fac)
    wait(fac, lambda d: snapshot(live_server, workshop)["boards"][0]["group"] != "g_consolider"
         and len({b["group"] for b in snapshot(live_server, workshop)["boards"]}) == 5)
    for name, driver in (("Alice Martin", alice), ("Bruno Petit", bruno)):
        board = board_of(live_server, workshop, name)
        assert board["id"] != first[name]["id"], "the rotation did not move the group"
        group = groups[person(live_server, workshop, name)["group"]]
        assert group["title"] != board["title"]
        wait(driver, lambda d: board_title(d) == board["title"] and theme(d) == board["theme"],
             message=f"{name}'s phone does not show the board's title and theme")
        # Told once, politely (the title and the theme), and shown until read.
        wait(driver, lambda d: all(x in text_of(find(d, '[data-testid="announcer"]'))
                                   for x in ("Vous avez changé de table", board["title"], board["theme"])),
             message="the table change was not said")
        notice = visible(driver, '[data-testid="moved-notice"]')
        assert "Vous avez changé de table" in text_of(notice) and board["title"] in text_of(notice)
        assert group["title"] not in text_of(find(driver, "#board-view"))
    problems = axe_violations(alice, "phone after a rotation (table change shown)")
    click(find(alice, '[data-testid="moved-dismiss"]'))
    gone(alice, '[data-testid="moved-notice"]')

    # The console names tables by the board each group sits at now; choosing Bruno's board seats
    # Alice at the board the menu named (her group becomes the one sitting there).
    target = board_of(live_server, workshop, "Bruno Petit")
    row = wait(fac, lambda d: participant_row(d, "Alice Martin"))
    select = Select(row.find_element(By.CSS_SELECTOR, '[data-testid="assign-select"]'))
    boards = snapshot(live_server, workshop)["boards"]
    assert [o.text for o in select.options][1:] == [b["title"] for b in boards]
    assert select.first_selected_option.text == board_of(live_server, workshop, "Alice Martin")["title"]
    select.select_by_visible_text(target["title"])
    click(row.find_element(By.CSS_SELECTOR, '[data-testid="assign-submit"]'))
    wait(alice, lambda d: board_title(d) == target["title"] and theme(d) == target["theme"],
         message="Alice is not at the board the menu named")
    assert board_of(live_server, workshop, "Alice Martin")["id"] == target["id"]
    wait(alice, lambda d: target["title"] in text_of(find(d, '[data-testid="moved-notice"]')))
    # Mini-boards are titled by their board.
    for b in boards:
        mini = find(fac, f'[data-testid="mini-board"][data-board="{b["id"]}"]')
        assert text_of(mini.find_element(By.CSS_SELECTOR, "h3")) == b["title"]
        people = text_of(mini.find_element(By.CSS_SELECTOR, ".mini-board__people"))
        assert not any(g["title"] in people for g in groups.values())
    problems += axe_violations(fac, "console after rotations")
    assert problems == [], "\n".join(problems)
    for d in (fac, alice, bruno):
        assert js_errors(d) == []


def vote_buttons(driver, text):
    return card(driver, text).find_elements(By.CSS_SELECTOR, '[data-testid="card-vote"]')


def test_votes_only_where_allowed_progress_and_close(live_server, workshop, browsers):
    fac, alice, bruno = browsers.new(), phone(browsers), phone(browsers)
    open_console(fac, workshop)
    join(alice, workshop, "Alice Martin")
    join(bruno, workshop, "Bruno Petit", actor="ei")
    facilitator_commands(live_server, workshop, {"type": "participant.assign", "participant": person(live_server, workshop, "Bruno Petit")["id"],
                                                 "group": person(live_server, workshop, "Alice Martin")["group"]})
    wait(bruno, lambda d: board_title(d) == board_title(alice))
    board = board_of(live_server, workshop, "Alice Martin")
    problem = "Des financements trop courts pour investir"
    facilitator_commands(live_server, workshop,
                         {"type": "card.add", "board": board["id"], "column": "problems", "text": problem},
                         {"type": "card.add", "board": board["id"], "column": "ideas", "text": "Un fonds d'avance mutualisé"},
                         {"type": "phase.set", "phase": "ideas"})
    for d in (alice, bruno):
        wait(d, lambda d: phase_of(d) == "ideas")
    add_card(alice, "ideas", "Un groupement d'employeurs")
    wait(alice, lambda d: "card--pending" not in card(d, "Un groupement d'employeurs").get_attribute("class"))
    wait_card(bruno, "Un groupement d'employeurs")

    # "Voter" on others' ideas only: never on a problem in the ideas phase, nor on one's own card.
    assert vote_buttons(alice, "Un fonds d'avance mutualisé") and vote_buttons(bruno, "Un groupement d'employeurs")
    assert vote_buttons(alice, "Un groupement d'employeurs") == [], "a vote button on one's own card"
    for d in (alice, bruno):
        assert vote_buttons(d, problem) == [], "a vote button on a problem in the ideas phase"
    assert "Personne n’a encore voté" in text_of(visible(alice, '[data-testid="vote-status"]'))

    # Two people vote: everyone is told how many (never where), the console's overview too.
    click(vote_buttons(alice, "Un fonds d'avance mutualisé")[0])
    click(vote_buttons(bruno, "Un groupement d'employeurs")[0])
    wait(fac, lambda d: "2 personnes ont voté" in text_of(find(d, '[data-testid="overview-voters"]')),
         message="the console does not say how many people voted")
    for d in (alice, bruno):
        wait(d, lambda d: "2 personnes ont voté" in text_of(find(d, '[data-testid="vote-status"]')))
    assert "2 personnes ont voté" in text_of(find(fac, '[data-testid="votes-voters"]'))

    # "Clore le vote", confirmed: the phones say "Vote clos" and offer no vote button any more.
    click(visible(fac, '[data-testid="close-votes"]'))
    dialog = visible(fac, "dialog[open]")
    assert "2 personnes ont voté" in text_of(dialog)
    confirm(fac)
    for d in (alice, bruno):
        wait(d, lambda d: "Vote clos" in text_of(find(d, '[data-testid="vote-status"]')), message="the phone does not say the vote is closed")
        wait(d, lambda d: finds(d, '[data-testid="card-vote"]') == [] and finds(d, '[data-testid="card-retract"]') == [])
        assert not find(d, '[data-testid="votes-left"]').is_displayed()
    assert text_of(card(alice, "Un fonds d'avance mutualisé").find_element(By.CSS_SELECTOR, '[data-testid="my-votes"]')).endswith("1")
    gone(fac, '[data-testid="close-votes"]')
    assert "(Vote clos)" in text_of(find(fac, '[data-testid="overview-voters"]'))
    problems = axe_violations(alice, "phone, vote closed") + axe_violations(fac, "console, vote closed")

    # After the reveal, the results are on the cards.
    click(visible(fac, '[data-testid="reveal-votes"]'))
    confirm(fac)
    wait(alice, lambda d: [text_of(e) for e in card(d, "Un fonds d'avance mutualisé").find_elements(By.CSS_SELECTOR, '[data-testid="vote-count"]')] == ["1 vote"])
    assert "révélés" in text_of(find(alice, '[data-testid="vote-status"]'))
    # …and the table's most voted cards under "Vote clos".
    wait(alice, lambda d: sorted(text_of(e) for e in finds(d, '[data-testid="vote-result"]'))
         == ["Un fonds d'avance mutualisé — 1 vote", "Un groupement d'employeurs — 1 vote"])
    problems += axe_violations(alice, "phone, votes revealed")
    assert problems == [], "\n".join(problems)
    for d in (fac, alice, bruno):
        assert js_errors(d) == []


# Installed before the page's scripts: while window.__holdVotes is true, `vote.cast` messages are
# kept back (the page believes them sent); window.__releaseVotes() sends them.
HOLD_VOTES = """
(() => {
  const original = WebSocket.prototype.send;
  const held = [];
  window.__holdVotes = false;
  window.__releaseVotes = () => { for (const [ws, data] of held.splice(0)) original.call(ws, data); };
  WebSocket.prototype.send = function (data) {
    if (window.__holdVotes && String(data).includes('"vote.cast"')) { held.push([this, data]); return; }
    return original.call(this, data);
  };
})();
"""


def test_a_refused_vote_shows_the_servers_reason(live_server, workshop, browsers):
    """A vote on its way when the facilitator closed the vote: the server's French reason is shown."""
    alice = phone(browsers)
    alice.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": HOLD_VOTES})
    join(alice, workshop, "Alice Martin")
    board = board_of(live_server, workshop, "Alice Martin")
    facilitator_commands(live_server, workshop,
                         {"type": "card.add", "board": board["id"], "column": "ideas", "text": "Une idée de l'animation"},
                         {"type": "phase.set", "phase": "ideas"})
    button = wait(alice, lambda d: vote_buttons(d, "Une idée de l'animation")[0])
    alice.execute_script("window.__holdVotes = true")
    click(button)
    facilitator_commands(live_server, workshop, {"type": "votes.close"})
    wait(alice, lambda d: "Vote clos" in text_of(find(d, '[data-testid="vote-status"]')))
    alice.execute_script("window.__holdVotes = false; window.__releaseVotes()")
    errors = find(alice, '[data-testid="errors"]')
    wait(alice, lambda d: "Le vote est clos" in text_of(errors), message="the server's reason is not shown")
    assert errors.get_attribute("role") == "alert"
    wait(alice, lambda d: finds(d, '[data-testid="my-votes"]') == [], message="the refused vote still shows as placed")


def test_home_checks_the_code_before_the_name(live_server, workshop, browsers):
    driver = browsers.new(width=360, height=740)
    emulate(driver, PHONE)
    driver.get(live_server.url + "/")
    field = visible(driver, '[data-testid="code-input"]')
    field.send_keys("ZZZZ-9999")
    click(find(driver, '[data-testid="code-submit"]'))
    error = find(driver, '[data-testid="code-error"]')
    wait(driver, lambda d: "Aucun atelier ouvert avec ce code" in text_of(error), message="a wrong code was not refused")
    assert field.get_attribute("aria-invalid") == "true"
    assert "code-error" in field.get_attribute("aria-describedby").split()
    assert "join.html" not in driver.current_url and not finds(driver, '[data-testid="join-name"]')
    problems = axe_violations(driver, "home, wrong code")

    field.clear()
    field.send_keys(workshop["joinCode"].lower())
    click(find(driver, '[data-testid="code-submit"]'))
    visible(driver, '[data-testid="join-name"]')
    title = snapshot(live_server, workshop)["title"]
    wait(driver, lambda d: title in text_of(find(d, '[data-testid="join-workshop"]')), message="the workshop's title is not on the form")
    assert visible(driver, '[data-testid="join-workshop"]').is_displayed()
    problems += axe_violations(driver, "join form with the workshop's title")
    assert problems == [], "\n".join(problems)
    assert js_errors(driver) == []


def seconds_shown(driver):
    parts = [int(x) for x in text_of(find(driver, '[data-testid="timer"] [data-testid="timer-time"]')).split(":")]
    return sum(v * 60 ** i for i, v in enumerate(reversed(parts)))


def test_one_more_minute_and_a_withdrawn_message_and_the_instructions(live_server, workshop, browsers):
    fac, alice, wall = browsers.new(), phone(browsers), browsers.new(width=1920, height=1080)
    open_console(fac, workshop)
    join(alice, workshop, "Alice Martin")
    open_projector(wall, workshop)
    phases = {p["id"]: p for p in snapshot(live_server, workshop)["phases"]}

    # The phase's instructions, at the top of the phone's board (one line, unfolded on demand),
    # and in the console's phase panel; the header stays within 15 % of the screen.
    text = visible(alice, '[data-testid="instructions-text"]')
    assert text_of(text) == phases["problems"]["instructions"]
    assert "Consigne" in text_of(find(alice, '[data-testid="instructions"]'))
    assert phases["problems"]["instructions"] in text_of(find(fac, '[data-testid="phase-instructions"]'))
    assert text_of(find(wall, '[data-testid="projector-instructions"]')) == phases["problems"]["instructions"]
    facilitator_commands(live_server, workshop, {"type": "phase.set", "phase": "ideas"})
    wait(alice, lambda d: text_of(find(d, '[data-testid="instructions-text"]')) == phases["ideas"]["instructions"],
         message="the instructions did not follow the phase")
    toggle = visible(alice, '[data-testid="instructions-toggle"]')
    assert toggle.get_attribute("aria-expanded") == "false"
    click(toggle)
    wait(alice, lambda d: find(d, '[data-testid="instructions-toggle"]').get_attribute("aria-expanded") == "true")

    # "+1 min" lengthens the countdown on the phone.
    facilitator_commands(live_server, workshop, {"type": "timer.start", "seconds": 120, "label": "Idées"})
    wait(alice, lambda d: 0 < seconds_shown(d) <= 120)
    height = alice.execute_script("return document.querySelector('.topbar').getBoundingClientRect().height")
    assert height <= 0.15 * 740, f"the header is {height} px high"
    click(visible(fac, '[data-testid="timer-add"]'))
    wait(alice, lambda d: seconds_shown(d) > 125, message="+1 min did not lengthen the phone's countdown")

    # "Retirer le message" takes the message off the phone.
    facilitator_commands(live_server, workshop, {"type": "announce", "text": "Pause café à 10 h 30"})
    visible(wall, '[data-testid="projector-announcement"]')
    box = visible(alice, '[data-testid="announcement"]')
    assert text_of(box.find_element(By.CSS_SELECTOR, '[data-testid="announcement-text"]')) == "Pause café à 10 h 30"
    wait(fac, lambda d: text_of(find(d, '[data-testid="announce-current-text"]')) == "Pause café à 10 h 30")
    problems = axe_violations(alice, "phone with instructions, timer and message") + axe_violations(fac, "console with the message")
    click(find(fac, '[data-testid="announcement-withdraw"]'))
    gone(alice, '[data-testid="announcement"]')
    gone(wall, '[data-testid="projector-announcement"]')
    gone(fac, '[data-testid="announcement-withdraw"]')
    # A reload does not bring it back.
    alice.refresh()
    visible(alice, '[data-testid="board"]')
    wait(alice, lambda d: find(d, '[data-testid="connection-state"]').get_attribute("data-state") == "online")
    assert not find(alice, '[data-testid="announcement"]').is_displayed()
    assert problems == [], "\n".join(problems)
    for d in (fac, alice, wall):
        assert js_errors(d) == []


def test_exports_are_named_by_the_server(live_server, workshop, browsers, tmp_path):
    fac = browsers.new()
    open_console(fac, workshop)
    click(visible(fac, '[data-testid="export-csv"]'))
    wait(fac, lambda d: find(d, '[data-testid="export-status"]').get_attribute("data-done") == "csv")
    wait(fac, lambda d: any(n.endswith(".csv") for n in os.listdir(tmp_path)), message="nothing was downloaded")
    [name] = [n for n in os.listdir(tmp_path) if n.endswith(".csv")]
    assert re.fullmatch(r"atelier-structurer-et-developper-l-insertion[a-z-]*-\d{4}-\d{2}-\d{2}\.csv", name), name
    # The workbook too, as bytes (a binary download through the same path).
    click(visible(fac, '[data-testid="export-xlsx"]'))
    wait(fac, lambda d: find(d, '[data-testid="export-status"]').get_attribute("data-done") == "xlsx")
    wait(fac, lambda d: any(n.endswith(".xlsx") for n in os.listdir(tmp_path)), message="no workbook was downloaded")
    [book] = [n for n in os.listdir(tmp_path) if n.endswith(".xlsx")]
    assert re.fullmatch(r"atelier-structurer-et-developper-l-insertion[a-z-]*-\d{4}-\d{2}-\d{2}\.xlsx", book), book
    with open(os.path.join(tmp_path, book), "rb") as f:
        assert f.read(4) == b"PK\x03\x04"
