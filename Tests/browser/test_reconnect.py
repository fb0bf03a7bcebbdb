"""The server goes away and comes back while a page is open: the page reconnects by itself and a
card typed while offline reaches the server exactly once."""
import os
import tempfile

import pytest

from .conftest import Server, create_workshop, free_port, require_binary, snapshot
from .pages import add_card, card, find, join, js_errors, text_of, wait


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
    wait(page, lambda d: connection_state(d) == "online", timeout=60, message="the page did not reconnect")
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
