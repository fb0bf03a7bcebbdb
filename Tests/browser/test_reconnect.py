"""The server goes away and comes back while a page is open: the page reconnects by itself and a
card typed while offline reaches the server exactly once; the projector view picks up the room again."""
import os
import socket
import tempfile

import pytest

from .conftest import Server, create_workshop, facilitator_commands, free_port, require_binary, snapshot
from .pages import add_card, card, find, join, js_errors, open_projector, text_of, wait, wall_cards


@pytest.fixture
def own_server():
    require_binary()
    with tempfile.TemporaryDirectory(prefix="atelier-browser-restart-") as data_dir:
        s = Server(data_dir, free_port(), admin_token="restart-admin").start()
        try:
            yield s
        finally:
            s.stop()


def connection_state(driver):
    return find(driver, '[data-testid="connection-state"]').get_attribute("data-state")


def wait_online(driver, server, message, timeout=60):
    """Waits for the page to be online again; on a timeout, says what the page and the server saw
    (see docs/reliability.md: a page once stayed "reconnecting" for good; an attempt not welcomed is
    now given up, `test_an_attempt_that_is_never_answered_is_given_up`)."""
    from selenium.common.exceptions import TimeoutException
    try:
        wait(driver, lambda d: connection_state(d) == "online", timeout=timeout, message=message)
    except TimeoutException:
        log = open(os.path.join(server.data_dir, "server.log")).read()[-3000:]
        console = "\n".join(str(e.get("message")) for e in driver.get_log("browser")[-30:])
        raise AssertionError(f"{message}: state {connection_state(driver)!r}, port {server.port}, "
                             f"server running: {server.proc.poll() is None}\n--- server log ---\n{log}\n"
                             f"--- page console ---\n{console}") from None


def test_page_reconnects_and_sends_offline_card_once(own_server, browsers):
    workshop = create_workshop(own_server)
    page = browsers.new(width=360, height=740)
    join(page, workshop, "Chloé Durand")
    page.execute_script("window.__sameDocument = true")

    own_server.stop()
    wait(page, lambda d: connection_state(d) in ("reconnecting", "offline"), message="the page did not notice")
    text = "Carte écrite hors ligne"
    add_card(page, "problems", text)
    shown = card(page, text)
    assert "card--pending" in shown.get_attribute("class")
    wait(page, lambda d: "1" in text_of(find(d, '[data-testid="connection-state"]')))

    own_server.start()  # same data directory, same port
    wait_online(page, own_server, "the page did not reconnect")
    wait(page, lambda d: card(d, text) is not None and "card--pending" not in card(d, text).get_attribute("class"),
         timeout=60, message="the card stayed pending")
    assert page.execute_script("return window.__sameDocument === true"), "the page reloaded instead of reconnecting"

    cards = [c for c in snapshot(own_server, workshop)["cards"] if c["text"] == text]
    assert len(cards) == 1, cards
    # Once more after the reconnection settled: no second copy arrives late.
    page.refresh()
    wait(page, lambda d: connection_state(d) == "online")
    assert len([c for c in snapshot(own_server, workshop)["cards"] if c["text"] == text]) == 1
    assert len([li for li in page.find_elements("css selector", '[data-testid="card-text"]') if text_of(li) == text]) == 1
    assert js_errors(page) == []


def test_an_attempt_that_is_never_answered_is_given_up(own_server, browsers):
    """A connection the network (or a stopping server) takes but never answers must not hold the
    page "reconnecting" for good: here, while the server is down, something on its port accepts the
    page's next attempt and never answers; the page gives that attempt up and reaches the server
    once it is back."""
    workshop = create_workshop(own_server)
    page = browsers.new(width=360, height=740)
    join(page, workshop, "Chloé Durand")
    own_server.stop()
    tarpit = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tarpit.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tarpit.bind(("127.0.0.1", own_server.port))
    tarpit.listen(16)
    tarpit.settimeout(30)
    try:
        held, _ = tarpit.accept()  # the page's next attempt: accepted, never answered
    finally:
        tarpit.close()
    try:
        own_server.start()  # same port, the held attempt still open
        # The attempt is given up after 15 s, doubled per failure before it (up to 60 s).
        wait_online(page, own_server, "the page waited for an attempt that was never answered", timeout=120)
        assert js_errors(page) == []
    finally:
        held.close()


def test_projector_reconnects_by_itself(own_server, browsers):
    workshop = create_workshop(own_server)
    wall = browsers.new(width=1920, height=1080)
    open_projector(wall, workshop)
    wall.execute_script("window.__sameDocument = true")
    assert not find(wall, '[data-testid="connection-state"]').is_displayed(), "the wall shows the state while online"

    own_server.stop()
    wait(wall, lambda d: connection_state(d) in ("reconnecting", "offline"), message="the projector did not notice")
    wait(wall, lambda d: find(d, '[data-testid="connection-state"]').is_displayed())

    own_server.start()
    wait_online(wall, own_server, "the projector did not reconnect")
    board = snapshot(own_server, workshop)["boards"][0]["id"]
    facilitator_commands(own_server, workshop, {"type": "card.add", "board": board, "column": "problems", "text": "Après la coupure"})
    wait(wall, lambda d: "Après la coupure" in wall_cards(d), message="the projector no longer follows the room")
    assert wall.execute_script("return window.__sameDocument === true"), "the projector reloaded instead of reconnecting"
    assert js_errors(wall) == []
