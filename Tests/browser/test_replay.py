"""Replay in the browser (replay.html): a recorded workshop played back and stopped on chosen
moments, the boards as they were then for a participant (their own private card, never someone
else's; no vote count before the reveal) and for the facilitator; a sheet's provenance; axe."""
import json

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from .conftest import Client, create_workshop, facilitator_commands, run
from .pages import click, find, finds, join, js_errors, text_of, visible, wait
from .test_pages import axe_violations


def record(server, workshop, token):
    """Plays a workshop through the protocol: A (the browser's participant, by its token) and B
    write private problems, revealed; A's idea gets B's vote, revealed; a cluster and a sheet of
    A's cards; closed. Returns the seqs of the chosen moments."""
    async def go():
        f = await Client.connect(server.ws_url)
        assert (await f.request({"type": "join", "workshop": workshop["id"], "facilitatorKey": workshop["facilitatorKey"]}))["type"] == "welcome"
        a = await Client.connect(server.ws_url)
        wa = await a.request({"type": "join", "token": token})
        assert wa["type"] == "welcome", wa
        b = await Client.connect(server.ws_url)
        wb = await b.request({"type": "join", "code": workshop["joinCode"], "name": "Bruno Revue", "organisation": "", "actor": "aci"})
        assert wb["type"] == "welcome", wb
        board = lambda w: next(x["id"] for x in w["workshop"]["boards"] if x["group"] == w["you"]["group"])
        board_a, board_b = board(wa), board(wb)
        await f.request({"type": "settings.update", "privateWriting": True})
        problem = (await a.request({"type": "card.add", "board": board_a, "column": "problems", "text": "Carte privée d'Alice"}))["result"]["card"]
        private_seq = (await b.request({"type": "card.add", "board": board_b, "column": "problems", "text": "Secret de Bruno"}))["seq"]
        await f.request({"type": "cards.reveal"})
        await f.request({"type": "settings.update", "privateWriting": False})
        await f.request({"type": "phase.set", "phase": "ideas"})
        idea = (await a.request({"type": "card.add", "board": board_a, "column": "ideas", "text": "Idée d'Alice"}))["result"]["card"]
        vote = await b.request({"type": "vote.cast", "card": idea})
        assert vote["type"] == "ack", vote
        reveal = (await f.request({"type": "votes.reveal"}))["seq"]
        cluster = (await f.request({"type": "cluster.create", "board": board_a, "title": "Mobilité", "cards": [problem, idea]}))["result"]["cluster"]
        await f.request({"type": "phase.set", "phase": "projects"})
        created = await a.request({"type": "project.create", "board": board_a, "title": "Garage solidaire", "cluster": cluster, "cards": [problem, idea]})
        assert created["type"] == "ack", created
        last = (await f.request({"type": "workshop.close"}))["seq"]
        for c in (a, b, f):
            await c.close()
        return {"private": private_seq, "vote": vote["seq"], "reveal": reveal, "last": last}
    return run(go())


def boards_text(driver):
    return text_of(find(driver, '[data-testid="replay-boards"]'))


def at(driver, seq):
    wait(driver, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-seq") == str(seq), message=f"never at seq {seq}")


def seek(driver, seq):
    """Stops the slider on `seq` (as dragging it there and letting go does)."""
    driver.execute_script("const s = document.getElementById('replay-seq'); s.value = String(arguments[0]);"
                          "s.dispatchEvent(new Event('change', {bubbles: true}));", seq)
    at(driver, seq)


def test_replay_shows_each_viewer_the_boards_as_they_were(live_server, browsers):
    workshop = create_workshop(live_server)
    alice = browsers.new()
    join(alice, workshop, "Alice Revue")
    token = alice.execute_script(f"return JSON.parse(localStorage.getItem('atelier.session.{workshop['joinCode']}')).token")
    moments = record(live_server, workshop, token)

    # The closed workshop offers its replay on Alice's board.
    link = visible(alice, '[data-testid="replay-link"]')
    click(link)
    visible(alice, '[data-testid="replay-slider"]')
    at(alice, moments["last"])
    assert "comme vous le voyiez" in text_of(find(alice, '[data-testid="replay-who"]'))

    # Played back from the start at ×600, it reaches the end by itself.
    seek(alice, 1)
    click(find(alice, '[data-testid="replay-play"]'))
    at(alice, moments["last"])
    wait(alice, lambda d: find(d, '[data-testid="replay-play"]').get_attribute("aria-pressed") == "false")

    # Before the reveal of cards: her private card, not Bruno's.
    seek(alice, moments["private"])
    text = boards_text(alice)
    assert "Carte privée d'Alice" in text and "Secret de Bruno" not in text
    assert "Secret de Bruno" not in alice.page_source

    # The votes' reveal, from its marker: the count is there; one event back (arrow key), it is not.
    marker = next(b for b in finds(alice, '[data-testid="replay-marker"]') if b.get_attribute("data-kind") == "votes.revealed")
    click(marker)
    at(alice, moments["reveal"])
    wait(alice, lambda d: any(text_of(e).strip() for e in finds(d, '[data-testid="replay-boards"] [data-testid="vote-count"]')))
    slider = find(alice, '[data-testid="replay-slider"]')
    slider.send_keys(Keys.ARROW_LEFT)
    at(alice, moments["reveal"] - 1)
    assert moments["reveal"] - 1 == moments["vote"]
    assert finds(alice, '[data-testid="replay-boards"] [data-testid="vote-count"]') == []
    assert "Idée d'Alice" in boards_text(alice)

    problems = axe_violations(alice, "replay (participant)")

    # The sheet's provenance: its two cards, their moments, the sheet's creation.
    seek(alice, moments["last"])
    summary = visible(alice, '[data-testid="provenance"] summary')
    click(summary)
    wait(alice, lambda d: len(finds(d, '[data-testid="provenance-card"]')) == 2, message="the provenance never listed the cards")
    cards = [text_of(li) for li in finds(alice, '[data-testid="provenance-card"]')]
    assert "Carte privée d'Alice" in cards[0] and "Idée d'Alice" in cards[1]
    assert all("phase" in c for c in cards)
    steps = [li.get_attribute("data-kind") for li in finds(alice, '[data-testid="provenance-step"]')]
    assert steps == ["created"]
    assert "Mobilité" in text_of(find(alice, '[data-testid="provenance-cluster"]'))
    problems += axe_violations(alice, "replay with a sheet's provenance open")
    # A moment of the provenance takes the replay there.
    click(finds(alice, '[data-testid="provenance-jump"]')[0])
    wait(alice, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-seq") != str(moments["last"]))

    # The facilitator, from the console's link: at the same moment, both private cards.
    fac = browsers.new()
    fac.get(f"{live_server.url}/replay.html#workshop={workshop['id']}&key={workshop['facilitatorKey']}")
    visible(fac, '[data-testid="replay-slider"]')
    at(fac, moments["last"])
    assert workshop["facilitatorKey"] not in fac.current_url  # moved out of the address bar
    seek(fac, moments["private"])
    text = boards_text(fac)
    assert "Carte privée d'Alice" in text and "Secret de Bruno" in text
    seek(fac, moments["vote"])
    assert finds(fac, '[data-testid="replay-boards"] [data-testid="vote-count"]') == []
    problems += axe_violations(fac, "replay (facilitator)")
    assert problems == [], "\n".join(problems)
    assert js_errors(alice) == [] and js_errors(fac) == []


def test_the_console_links_to_the_replay_and_unfolds_a_sheets_provenance(live_server, browsers):
    workshop = create_workshop(live_server)
    card = facilitator_commands(live_server, workshop, {"type": "card.add", "board": "b_consolider", "column": "problems",
                                                        "text": "Un constat d'origine"})[0]["result"]["card"]
    facilitator_commands(live_server, workshop, {"type": "project.create", "board": "b_consolider", "title": "Fiche suivie", "cards": [card]})
    fac = browsers.new()
    fac.get(workshop["facilitatorUrl"])
    link = visible(fac, '[data-testid="open-replay"]')
    href = link.get_attribute("href")
    assert "replay.html#" in href and f"workshop={workshop['id']}" in href
    # The console's sheet: "Comment ce projet est né" lists its card and its moments.
    click(visible(fac, '[data-testid="console-project"] [data-testid="provenance"] summary'))
    wait(fac, lambda d: len(finds(d, '[data-testid="console-project"] [data-testid="provenance-card"]')) == 1)
    line = text_of(find(fac, '[data-testid="console-project"] [data-testid="provenance-card"]'))
    assert "Un constat d'origine" in line and "phase" in line
    assert [li.get_attribute("data-kind") for li in finds(fac, '[data-testid="console-project"] [data-testid="provenance-step"]')] == ["created"]
    assert axe_violations(fac, "console with a sheet's provenance open") == []


def test_without_credentials_the_page_says_where_to_open_it(live_server, browsers):
    driver = browsers.new()
    driver.get(f"{live_server.url}/replay.html")
    wait(driver, lambda d: "console d’animation" in text_of(find(d, '[data-testid="errors"]')))
    assert axe_violations(driver, "replay without credentials") == []
