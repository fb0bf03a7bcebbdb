"""Markup typed by participants shows as text and never runs, wherever it is shown."""
import pytest
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By

from .conftest import facilitator_commands
from .pages import (add_card, card, click, find, finds, join, open_console, participant_row, text_of, visible, wait,
                    wait_card)

IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "<script>alert(1)</script>"


def assert_no_alert(driver):
    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert.text  # noqa: B018 (reading it is what raises)


def assert_inert(driver, scope):
    """No element built from the payloads: no img, no script inside `scope`."""
    assert driver.execute_script(f"return document.querySelectorAll('{scope} img, {scope} script').length") == 0


def test_markup_in_cards_names_comments_and_announcements_is_only_text(live_server, workshop, browsers):
    fac, page = browsers.new(), browsers.new()
    open_console(fac, workshop)
    name = '<b onmouseover="alert(1)">Eve</b>'
    join(page, workshop, name)
    for payload in (IMG, SCRIPT):
        add_card(page, "problems", payload)
    # A comment and an announcement with markup too.
    target = card(page, IMG)
    click(target.find_element(By.CSS_SELECTOR, "summary"))
    field = target.find_element(By.CSS_SELECTOR, '[data-testid="comment-input"]')
    field.send_keys(SCRIPT)
    click(target.find_element(By.CSS_SELECTOR, '[data-testid="comment-submit"]'))
    facilitator_commands(live_server, workshop, {"type": "announce", "text": IMG})

    banner = visible(page, '[data-testid="announcement-text"]')
    assert text_of(banner) == IMG
    for payload in (IMG, SCRIPT):
        assert text_of(card(page, payload).find_element(By.CSS_SELECTOR, '[data-testid="card-text"]')) == payload
        shown = wait_card(fac, payload, scope='[data-testid="mini-boards"]')
        assert text_of(shown.find_element(By.CSS_SELECTOR, '[data-testid="card-text"]')) == payload
    comment = wait(page, lambda d: next((c for c in finds(d, '[data-testid="comment-text"]') if text_of(c) == SCRIPT), None))
    assert text_of(comment) == SCRIPT
    row = wait(fac, lambda d: participant_row(d, "Eve"))
    assert text_of(row.find_element(By.CSS_SELECTOR, "th span")) == name

    for driver, scope in ((page, "#board"), (page, "#announcement"), (fac, "#mini-boards"), (fac, "#people-rows")):
        assert_inert(driver, scope)
    for driver in (page, fac):
        assert_no_alert(driver)
        assert driver.execute_script("return document.querySelectorAll('[onerror], [onmouseover]').length") == 0
    # The page's own title and the live region carry text only as well.
    assert "<" not in find(page, "h1").get_attribute("innerHTML")
