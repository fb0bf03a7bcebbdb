"""The projector view: the join code and its QR code, the phase, the countdown, the facilitator's
message and every table's board, following the room live; what participants may not see (hidden
and private cards, votes before the reveal) stays off the wall; and the page changes nothing."""
import uuid

from selenium.webdriver.common.by import By

from .conftest import Client, facilitator_commands, run, snapshot
from .pages import (BOARD, click, find, finds, gone, js_errors, open_console, open_projector, text_of, visible, wait,
                    wall_cards)


class Participant:
    """A participant over the protocol: each call resumes with the token and sends its commands."""

    def __init__(self, server, workshop, name):
        self.server = server
        self.prefix = uuid.uuid4().hex[:10]
        self.n = 0

        async def join():
            c = await Client.connect(server.ws_url)
            welcome = await c.request({"id": f"{self.prefix}-join", "type": "join", "code": workshop["joinCode"],
                                       "name": name, "organisation": "ACI Le Pont", "actor": "aci"})
            await c.close()
            return welcome
        welcome = run(join())
        assert welcome["type"] == "welcome", welcome
        self.token = welcome["you"]["token"]
        self.board = next(b for b in welcome["workshop"]["boards"] if b["group"] == welcome["you"]["group"])

    def send(self, *commands):
        async def go():
            c = await Client.connect(self.server.ws_url)
            self.n += 1
            welcome = await c.request({"id": f"{self.prefix}-resume-{self.n}", "type": "join", "token": self.token})
            assert welcome["type"] == "welcome", welcome
            answers = []
            for command in commands:
                self.n += 1
                answer = await c.request({"id": f"{self.prefix}-{self.n}", **command}, timeout=10)
                assert answer["type"] == "ack", (command, answer)
                answers.append(answer)
            await c.close()
            return answers
        return run(go())


def test_projector_follows_the_room_and_changes_nothing(live_server, workshop, browsers):
    facilitator_commands(live_server, workshop, {"type": "timer.start", "seconds": 900, "label": "Écriture en table"})
    wall = browsers.new(width=1920, height=1080)
    open_projector(wall, workshop)

    # Joining: the code, the address and a QR code that really loads; the key left the address bar.
    code = workshop["joinCode"]
    assert text_of(find(wall, '[data-testid="projector-code"]')).replace("-", "") == code.replace("-", "").upper()
    assert text_of(find(wall, '[data-testid="projector-url"]')) in live_server.url
    qr = visible(wall, '[data-testid="projector-qr"]')
    wait(wall, lambda d: d.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", qr),
         message="the QR code image did not load")
    assert code.replace("-", "").upper() in qr.get_attribute("alt").replace("-", "").upper()
    assert workshop["facilitatorKey"] not in wall.current_url

    # Every table's board, the phase and the countdown, counting down.
    assert len(finds(wall, f'{BOARD} [data-testid="projector-board"]')) == 5
    assert find(wall, '[data-testid="phase"]').get_attribute("data-phase") == "problems"
    timer = visible(wall, '[data-testid="projector-timer"]')
    assert "Écriture en table" in text_of(timer)
    first = text_of(timer.find_element(By.CSS_SELECTOR, '[data-testid="timer-time"]'))
    wait(wall, lambda d: text_of(find(d, '[data-testid="projector-timer"] [data-testid="timer-time"]')) != first,
         timeout=5, message="the countdown does not tick")
    wall.execute_script("window.__sameProjectorPage = true")

    # A participant writes: the card appears without a reload, then follows edits, moves and deletion.
    alice = Participant(live_server, workshop, "Alice Martin")
    board = alice.board["id"]
    [added] = alice.send({"type": "card.add", "board": board, "column": "problems", "text": "Trop de dossiers de financement différents"})
    card_id = added["result"]["card"]
    wait(wall, lambda d: wall_cards(d).get("Trop de dossiers de financement différents") == [board, "problems", None],
         message="the new card never reached the projector")
    alice.send({"type": "card.edit", "card": card_id, "text": "Trop de dossiers de financement, tous différents", "version": 1})
    wait(wall, lambda d: "Trop de dossiers de financement, tous différents" in wall_cards(d))
    assert "Trop de dossiers de financement différents" not in wall_cards(wall)
    alice.send({"type": "card.move", "card": card_id, "x": 0, "y": 50, "column": "ideas"})
    wait(wall, lambda d: wall_cards(d).get("Trop de dossiers de financement, tous différents", [None, None])[1] == "ideas")
    [doomed] = alice.send({"type": "card.add", "board": board, "column": "problems", "text": "Carte à supprimer"})
    wait(wall, lambda d: "Carte à supprimer" in wall_cards(d))
    alice.send({"type": "card.delete", "card": doomed["result"]["card"]})
    wait(wall, lambda d: "Carte à supprimer" not in wall_cards(d))

    # Moderation: a hidden card leaves the wall (the console still shows it greyed), a restored one comes back.
    [rude] = alice.send({"type": "card.add", "board": board, "column": "problems", "text": "Carte à masquer"})
    wait(wall, lambda d: "Carte à masquer" in wall_cards(d))
    facilitator_commands(live_server, workshop, {"type": "card.hide", "card": rude["result"]["card"]})
    wait(wall, lambda d: "Carte à masquer" not in wall_cards(d), message="a hidden card stays on the wall")
    facilitator_commands(live_server, workshop, {"type": "card.restore", "card": rude["result"]["card"]})
    wait(wall, lambda d: "Carte à masquer" in wall_cards(d))

    # Private writing: cards being written alone stay off the wall until they are revealed.
    facilitator_commands(live_server, workshop, {"type": "settings.update", "privateWriting": True})
    alice.send({"type": "card.add", "board": board, "column": "problems", "text": "Idée encore privée"})
    wait(wall, lambda d: "1" in text_of(find(d, '[data-testid="projector-note"]')))
    assert "Idée encore privée" not in wall_cards(wall)
    facilitator_commands(live_server, workshop, {"type": "cards.reveal"}, {"type": "settings.update", "privateWriting": False})
    wait(wall, lambda d: "Idée encore privée" in wall_cards(d), message="a revealed card never showed")

    # A phase with votes: no count on the wall until the facilitator reveals them.
    facilitator_commands(live_server, workshop, {"type": "phase.set", "phase": "ideas"})
    wait(wall, lambda d: find(d, '[data-testid="phase"]').get_attribute("data-phase") == "ideas")
    assert "Du problème à l'idée" in text_of(find(wall, '[data-testid="phase"]')).replace("’", "'")
    # (A dot goes on someone else's idea: Bruno votes for Alice's card, now in the ideas column.)
    bruno = Participant(live_server, workshop, "Bruno Petit")
    bruno.send({"type": "vote.cast", "card": card_id}, {"type": "vote.cast", "card": card_id})
    wait(wall, lambda d: "Vote en cours" in text_of(find(d, '[data-testid="projector-note"]')))
    assert finds(wall, '[data-testid="projector-votes"]') == [], "votes shown before they were revealed"
    assert wall_cards(wall)["Trop de dossiers de financement, tous différents"][2] is None
    facilitator_commands(live_server, workshop, {"type": "votes.reveal"})
    wait(wall, lambda d: wall_cards(d)["Trop de dossiers de financement, tous différents"][2] == "2 votes",
         message="revealed votes not shown")

    # The facilitator's message, and "follow me": one board alone, then all of them again.
    facilitator_commands(live_server, workshop, {"type": "announce", "text": "Pause café à 10 h 30"})
    box = visible(wall, '[data-testid="projector-announcement"]')
    assert text_of(box.find_element(By.CSS_SELECTOR, '[data-testid="announcement-text"]')) == "Pause café à 10 h 30"
    facilitator_commands(live_server, workshop, {"type": "view.focus", "board": board})
    wait(wall, lambda d: [b.get_attribute("data-board") for b in finds(d, f'{BOARD} [data-testid="projector-board"]')] == [board])
    assert alice.board["title"] in text_of(find(wall, '[data-testid="projector-note"]'))
    facilitator_commands(live_server, workshop, {"type": "view.focus", "board": None})
    wait(wall, lambda d: len(finds(d, f'{BOARD} [data-testid="projector-board"]')) == 5)

    # This screen's own controls (behind its "Affichage" button) change nothing on the server.
    click(find(wall, '[data-testid="projector-tools-toggle"]'))
    visible(wall, '[data-testid="projector-toolbar"]')
    click(find(wall, '[data-testid="toggle-join"]'))
    gone(wall, '[data-testid="projector-join"]')
    click(find(wall, '[data-testid="toggle-join"]'))
    visible(wall, '[data-testid="projector-join"]')
    click(find(wall, '[data-testid="projector-tools-toggle"]'))
    gone(wall, '[data-testid="projector-toolbar"]')
    click(find(wall, '[data-testid="announcement-hide"]'))
    gone(wall, '[data-testid="projector-announcement"]')

    # English through the switch, without a reload (and still without sending anything).
    click(find(wall, '[data-testid="projector-tools-toggle"]'))
    click(visible(wall, '[data-testid="lang-switch"]'))
    wait(wall, lambda d: text_of(find(d, "#proj-join-title")) == "Join the workshop")
    assert text_of(find(wall, '[data-testid="phase"]')).startswith("Step 2 of 3")
    assert "Votes revealed" in text_of(find(wall, '[data-testid="projector-note"]'))
    assert text_of(find(wall, '[data-testid="toggle-join"]')) == "Hide the join code"
    assert wall_cards(wall)["Trop de dossiers de financement, tous différents"][2] == "2 votes"
    assert text_of(find(wall, 'footer [data-testid="a11y-link"]')) == "Accessibility: not compliant"

    assert wall.execute_script("return window.__sameProjectorPage") is True, "the projector reloaded"
    sent = wall.execute_script("return window.__atelierSent")
    assert "join" in sent
    assert set(sent) <= {"join", "ping"}, f"the projector sent {sorted(set(sent))}"
    assert js_errors(wall) == []


def test_console_opens_the_projector_in_a_new_tab(live_server, workshop, browsers):
    console = browsers.new()
    open_console(console, workshop)
    link = visible(console, '[data-testid="open-projector"]')
    assert link.get_attribute("target") == "_blank"
    assert "Ouvrir la vue projecteur" in text_of(link)
    click(link)
    wait(console, lambda d: len(d.window_handles) == 2, message="no new tab")
    console.switch_to.window(console.window_handles[1])
    wait(console, lambda d: text_of(find(d, '[data-testid="projector-code"]')).replace("-", "") == workshop["joinCode"].replace("-", "").upper())
    assert workshop["facilitatorKey"] not in console.current_url
    # Reloading the wall keeps working: the key stays in this tab's session storage.
    console.refresh()
    wait(console, lambda d: find(d, '[data-testid="connection-state"]').get_attribute("data-state") == "online")
    assert len(finds(console, f'{BOARD} [data-testid="projector-board"]')) == 5


def test_a_new_card_is_marked_unless_less_motion_is_asked(live_server, workshop, browsers):
    """(Five full tables on the wall: test_full_room.py.)"""
    boards = [b["id"] for b in snapshot(live_server, workshop)["boards"]]
    wall = browsers.new(width=1920, height=1080)
    wall.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": 1920, "height": 1080, "deviceScaleFactor": 1, "mobile": False})
    open_projector(wall, workshop)

    # A new card is marked by a short animation, unless the person asked for less motion.
    def animation_of(text):
        facilitator_commands(live_server, workshop, {"type": "card.add", "board": boards[0], "column": "problems", "text": text})
        wait(wall, lambda d: text in wall_cards(d))
        return wall.execute_script("""
            const li = [...document.querySelectorAll('[data-testid="projector-card"]')].find((c) => c.textContent.includes(arguments[0]));
            return getComputedStyle(li).animationName;""", text)
    assert animation_of("Carte animée") == "proj-arrive"
    wall.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-reduced-motion", "value": "reduce"}]})
    assert animation_of("Carte sans animation") == "none"
    assert js_errors(wall) == []
