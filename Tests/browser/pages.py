"""What a person does on Atelier's pages, in Selenium terms. Every wait is on a DOM condition,
with a generous timeout: the suite must not depend on how fast the machine is."""
import re

from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

TIMEOUT = 30


def wait(driver, condition, timeout=TIMEOUT, message=""):
    """Waits until `condition(driver)` is truthy (stale elements count as "not yet")."""
    def check(d):
        try:
            return condition(d)
        except (NoSuchElementException, StaleElementReferenceException):
            return False
    return WebDriverWait(driver, timeout, poll_frequency=0.1).until(check, message)


def find(driver, css):
    return driver.find_element(By.CSS_SELECTOR, css)


def finds(driver, css):
    return driver.find_elements(By.CSS_SELECTOR, css)


def visible(driver, css, timeout=TIMEOUT):
    return wait(driver, lambda d: next((e for e in finds(d, css) if e.is_displayed()), None), timeout, f"{css} never became visible")


def gone(driver, css, timeout=TIMEOUT):
    wait(driver, lambda d: not any(e.is_displayed() for e in finds(d, css)), timeout, f"{css} is still visible")


def click(element):
    """Scrolls the element to the middle of the screen (clear of the sticky top bar), then clicks."""
    element.parent.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    element.click()


def text_of(element):
    """textContent (what the DOM holds), not the rendered text."""
    return element.get_attribute("textContent")


# --- Participant ---------------------------------------------------------------------------------

def join(driver, workshop, name, actor="aci", organisation="ACI Le Pont"):
    """Joins by the join link and waits for the board."""
    driver.get(workshop["joinUrl"])
    visible(driver, '[data-testid="join-name"]').send_keys(name)
    find(driver, '[data-testid="join-organisation"]').send_keys(organisation)
    Select(find(driver, '[data-testid="join-actor"]')).select_by_value(actor)
    click(find(driver, '[data-testid="join-submit"]'))
    wait(driver, lambda d: text_of(find(d, '[data-testid="board-title"]')).strip(), message="the board never showed")
    wait(driver, lambda d: find(d, '[data-testid="connection-state"]').get_attribute("data-state") == "online")


def board_title(driver):
    return text_of(find(driver, '[data-testid="board-title"]')).strip()


def card(driver, text, scope='[data-testid="board"]'):
    """The card (li) whose text is exactly `text`, or None."""
    for li in finds(driver, f'{scope} [data-testid="card"]'):
        texts = li.find_elements(By.CSS_SELECTOR, '[data-testid="card-text"]')
        if texts and text_of(texts[0]) == text:
            return li
    return None


def wait_card(driver, text, scope='[data-testid="board"]', timeout=TIMEOUT):
    return wait(driver, lambda d: card(d, text, scope), timeout, f"no card {text!r} in {scope}")


def wait_no_card(driver, text, scope='[data-testid="board"]'):
    wait(driver, lambda d: card(d, text, scope) is None, message=f"card {text!r} still in {scope}")


def add_card(driver, column, text):
    """Types a card in a column's form and sends it with Ctrl+Enter."""
    area = visible(driver, f'section[data-column="{column}"] [data-testid="add-card-text"]')
    area.send_keys(text)
    area.send_keys(Keys.CONTROL, Keys.ENTER)
    return wait_card(driver, text)


def card_action(driver, li, testid):
    """Chooses an action in a card's menu (the "⋯" button), with the mouse."""
    click(li.find_element(By.CSS_SELECTOR, '[data-testid="card-menu"]'))
    item = li.find_element(By.CSS_SELECTOR, f'[data-testid="{testid}"]')
    wait(driver, lambda d: item.is_displayed(), message=f"{testid} not in the open menu")
    click(item)


def phase_of(driver):
    return find(driver, '[data-testid="phase"]').get_attribute("data-phase")


def confirm(driver):
    """Accepts the open confirmation dialog."""
    click(visible(driver, 'dialog[open] [data-testid="dialog-ok"]'))
    gone(driver, "dialog[open]")


def active(driver):
    return driver.switch_to.active_element


def tab_until(driver, predicate, limit=80, shift=False):
    """Presses Tab until the focused element matches `predicate` (keyboard only)."""
    for _ in range(limit):
        if predicate(active(driver)):
            return active(driver)
        keys = (Keys.SHIFT, Keys.TAB) if shift else (Keys.TAB,)
        active(driver).send_keys(*keys)
    raise AssertionError("the focus never reached the expected control with Tab")


def js_errors(driver):
    """Uncaught errors the page logged (network errors excluded: tests provoke some)."""
    entries = driver.get_log("browser")
    return [e["message"] for e in entries
            if e["level"] == "SEVERE" and not re.search(r"WebSocket|Failed to load resource|net::|favicon", e["message"])]


# --- Facilitator ---------------------------------------------------------------------------------

def open_console(driver, workshop):
    driver.get(workshop["facilitatorUrl"])
    visible(driver, "#fac-console")
    wait(driver, lambda d: find(d, '[data-testid="connection-state"]').get_attribute("data-state") == "online")


def participant_row(driver, name):
    for row in finds(driver, '[data-testid="participant-row"]'):
        if name in text_of(row.find_element(By.CSS_SELECTOR, "th")):
            return row
    return None


def person_action(driver, name, testid):
    """Chooses an action in a person's menu in the console's people list."""
    row = wait(driver, lambda d: participant_row(d, name), message=f"no row for {name}")
    click(row.find_element(By.CSS_SELECTOR, '[data-testid="person-menu"]'))
    item = row.find_element(By.CSS_SELECTOR, f'[data-testid="{testid}"]')
    wait(driver, lambda d: item.is_displayed(), message=f"{testid} not in the open menu")
    click(item)


def set_phase(driver, phase_title):
    """Clicks the phase's button and confirms (the console says how many people it moves)."""
    for b in finds(driver, '[data-testid="phase-button"]'):
        if phase_title in text_of(b):
            click(b)
            confirm(driver)
            return
    raise AssertionError(f"no phase button {phase_title!r}")


# --- Projector -----------------------------------------------------------------------------------

# Installed before the page's own scripts: records the type of every message the page sends.
RECORD_SENT = """
(() => {
  const sent = [];
  Object.defineProperty(window, '__atelierSent', { value: sent });
  const original = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    try { sent.push(JSON.parse(data).type); } catch { sent.push('(not JSON)'); }
    return original.call(this, data);
  };
})();
"""
BOARD = '[data-testid="projector-boards"]'


def projector_url(workshop):
    """The console's link, pointed at the projector page (the same fragment: workshop, key, code)."""
    return workshop["facilitatorUrl"].replace("/facilitator.html#", "/projector.html#")


def open_projector(driver, workshop):
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_SENT})
    driver.get(projector_url(workshop))
    wait(driver, lambda d: len(finds(d, f'{BOARD} [data-testid="projector-board"]')) > 0, message="no board on the projector")
    wait(driver, lambda d: find(d, '[data-testid="connection-state"]').get_attribute("data-state") == "online")


def wall_cards(driver):
    """{card text: (board id, column id, vote text or None)} of the cards on the projector."""
    return driver.execute_script("""
        const out = {};
        for (const li of document.querySelectorAll('[data-testid="projector-boards"] [data-testid="projector-card"]')) {
          const votes = li.querySelector('[data-testid="projector-votes"]');
          out[li.querySelector('[data-testid="projector-card-text"]').textContent] = [
            li.closest('[data-board]').dataset.board, li.closest('[data-column]').dataset.column, votes ? votes.textContent : null];
        }
        return out;
    """)
