"""One table through the facilitation features: clusters (drag and keyboard), comments, the shared
countdown, an announcement and private writing, in two participants' browsers and the console.

Three browsers react to the same events at their own pace, and a card re-renders its insides
(buttons, comments) whenever it changes: so every step waits for the state it needs in the browser
it is about to use, and finds an element again right before acting on it (`act`)."""
import re

from selenium.common.exceptions import (ElementClickInterceptedException, ElementNotInteractableException,
                                        StaleElementReferenceException)
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from .conftest import facilitator_commands, snapshot
from .pages import (add_card, card, click, confirm, find, finds, gone, join, js_errors, open_console, text_of, visible,
                    wait, wait_card, wait_no_card)

DRAG = """
const [from, to] = arguments;
const data = new DataTransfer();
const rect = to.getBoundingClientRect();
const at = { bubbles: true, cancelable: true, dataTransfer: data, clientX: rect.left + rect.width / 2, clientY: rect.top + rect.height / 2 };
from.dispatchEvent(new DragEvent('dragstart', at));
to.dispatchEvent(new DragEvent('dragover', at));
to.dispatchEvent(new DragEvent('drop', at));
from.dispatchEvent(new DragEvent('dragend', at));
"""


def act(driver, locate, do=click, message=""):
    """Finds an element with `locate(driver)` and does `do(element)`, again until it goes through:
    an element re-rendered between finding and acting (stale), or not displayed, enabled or
    clickable yet, counts as "not yet". `locate` must find it afresh each time."""
    def attempt(d):
        element = locate(d)
        if element is None or not element.is_displayed() or not element.is_enabled():
            return False
        try:
            do(element)
        except (StaleElementReferenceException, ElementNotInteractableException, ElementClickInterceptedException):
            return False
        return True
    wait(driver, attempt, message=message or "the control never became usable")


def in_card(text, css, scope='[data-testid="board"]'):
    """A locator for the element `css` inside the card whose text is `text` (found afresh each time)."""
    def locate(d):
        li = card(d, text, scope)
        return li.find_element(By.CSS_SELECTOR, css) if li else None
    return locate


def cluster_cards(driver, title):
    """Texts of the cards under the cluster titled `title`, or None."""
    for group in finds(driver, '[data-testid="board"] [data-testid="cluster"]'):
        if text_of(group.find_element(By.CSS_SELECTOR, '[data-testid="cluster-title"]')) == title:
            return sorted(text_of(t) for t in group.find_elements(By.CSS_SELECTOR, '[data-testid="card-text"]'))
    return None


def test_clusters_comments_timer_announcement_private_writing(live_server, workshop, browsers):
    fac, alice, bruno = browsers.new(), browsers.new(), browsers.new()
    open_console(fac, workshop)
    join(alice, workshop, "Alice Martin")
    join(bruno, workshop, "Bruno Petit")
    people = {p["name"]: p for p in snapshot(live_server, workshop)["participants"]}
    facilitator_commands(live_server, workshop, {"type": "participant.assign", "participant": people["Bruno Petit"]["id"],
                                                 "group": people["Alice Martin"]["group"]})
    wait(bruno, lambda d: text_of(find(d, '[data-testid="board-title"]')) == text_of(find(alice, '[data-testid="board-title"]')))

    # Clusters: Alice drags a card onto another and names the new cluster.
    first, second, third = "Trésorerie tendue", "Avances de subventions tardives", "Fonds propres trop faibles"
    for text in (first, second, third):
        add_card(alice, "problems", text)
    wait(alice, lambda d: not finds(d, '[data-testid="board"] .card--pending'))
    alice.execute_script(DRAG, card(alice, second), card(alice, first))
    title = visible(alice, 'dialog[open] [data-testid="dialog-title"]')
    title.send_keys("Financement")
    confirm(alice)
    for d in (alice, bruno):
        wait(d, lambda d: cluster_cards(d, "Financement") == sorted([first, second]), message="cluster not shown")
    # Bruno adds the third card with the keyboard alternative.
    wait_card(bruno, third)
    act(bruno, in_card(third, '[data-testid="card-menu"]'), lambda e: e.send_keys(Keys.ENTER))
    act(bruno, in_card(third, '[data-testid="card-regroup"]'), lambda e: e.send_keys(Keys.ENTER))
    choice = visible(bruno, 'dialog[open] [data-testid="dialog-with"]')
    wait(bruno, lambda d: "le regroupement « Financement »" in [o.text for o in Select(choice).options])
    Select(choice).select_by_visible_text("le regroupement « Financement »")
    find(bruno, 'dialog[open] [data-testid="dialog-ok"]').send_keys(Keys.ENTER)
    gone(bruno, "dialog[open]")
    for d in (alice, bruno):
        wait(d, lambda d: cluster_cards(d, "Financement") == sorted([first, second, third]))

    # Comments: Bruno comments, Alice reads it (collapsed until opened), Bruno deletes his own.
    # (The comments' summary and list are rebuilt when a comment arrives: found afresh each time.)
    act(bruno, in_card(first, '[data-testid="comments"] summary'))
    act(bruno, in_card(first, '[data-testid="comment-input"]'),
        lambda e: e.send_keys("Voir avec la Banque des territoires", Keys.ENTER))
    summary = in_card(first, '[data-testid="comments"] summary')
    wait(alice, lambda d: "(1)" in text_of(summary(d)), message="Alice never saw the comment count")
    act(alice, summary)
    comment = '[data-testid="board"] [data-testid="comment"]'
    wait(alice, lambda d: any(e.is_displayed() and "Voir avec la Banque des territoires" in text_of(e) for e in finds(d, comment)),
         message="the comment is not shown to Alice")
    assert finds(alice, f'{comment} [data-testid="comment-delete"]') == [], "Alice may not delete Bruno's comment"
    # Bruno may delete his own once the server has it (no delete button while it is pending).
    act(bruno, lambda d: find(d, '[data-testid="board"] [data-testid="comment-delete"]'))
    wait(alice, lambda d: finds(d, comment) == [])

    # Timer: the facilitator starts it from the console; both boards count down.
    find(fac, '[data-testid="timer-minutes"]').clear()
    find(fac, '[data-testid="timer-minutes"]').send_keys("2")
    find(fac, '[data-testid="timer-label"]').send_keys("Écriture individuelle")
    click(find(fac, '[data-testid="timer-start"]'))
    for d in (alice, bruno):
        shown = visible(d, '[data-testid="timer"]')
        wait(d, lambda d: "Écriture individuelle" in text_of(shown), message="the timer's label is missing")
        first_value = text_of(shown.find_element(By.CSS_SELECTOR, '[data-testid="timer-time"]'))
        assert re.fullmatch(r"[12]:[0-5]\d", first_value), first_value
        wait(d, lambda d: text_of(find(d, '[data-testid="timer-time"]')) != first_value, message="the countdown does not tick")
    # The console's buttons are rebuilt on each timer event (pause becomes resume): click one only
    # once the console shows the state it belongs to.
    act(fac, lambda d: find(d, '[data-testid="timer-pause"]'))
    visible(fac, '[data-testid="timer-resume"]')
    wait(alice, lambda d: "pause" in text_of(find(d, '[data-testid="timer"]')))
    act(fac, lambda d: find(d, '[data-testid="timer-stop"]'))
    gone(fac, '[data-testid="timer-stop"]')
    gone(alice, '[data-testid="timer"]')

    # Announcement: a banner for everyone, dismissible, also read by screen readers.
    find(fac, '[data-testid="announce-text"]').send_keys("Pause café à 10 h 30")
    click(find(fac, '[data-testid="announce-send"]'))
    for d in (alice, bruno):
        visible(d, '[data-testid="announcement"]')
        wait(d, lambda d: text_of(find(d, '[data-testid="announcement-text"]')) == "Pause café à 10 h 30")
        wait(d, lambda d: "Pause café à 10 h 30" in text_of(find(d, '[data-testid="announcer"]')))
    act(alice, lambda d: find(d, '[data-testid="announcement-dismiss"]'))
    gone(alice, '[data-testid="announcement"]')

    # Private writing: Alice's new card is hers (and the facilitator's) until the reveal.
    assert not find(fac, '[data-testid="setting-privateWriting"]').is_selected()
    click(find(fac, '[data-testid="setting-privateWriting"]'))
    click(find(fac, '[data-testid="settings-save"]'))
    visible(alice, '[data-testid="private-hint"]')
    visible(bruno, '[data-testid="private-hint"]')
    secret = "Idée encore secrète"
    mine = add_card(alice, "problems", secret)
    wait(alice, lambda d: text_of(card(d, secret).find_element(By.CSS_SELECTOR, '[data-testid="private-marker"]'))
         == "Visible par vous seul·e et l’animateur")
    mini = '[data-testid="mini-boards"]'
    wait_card(fac, secret, scope=mini)
    assert card(bruno, secret) is None
    act(fac, lambda d: find(d, '[data-testid="reveal-cards"]'))
    confirm(fac)
    wait_card(bruno, secret)
    wait(alice, lambda d: card(d, secret).find_elements(By.CSS_SELECTOR, '[data-testid="private-marker"]') == [])
    assert mine is not None

    # Moderation: a hidden card leaves the boards, stays greyed in the console, comes back.
    # The console rebuilds the card's tools when the reveal reaches it: wait for that first.
    wait(fac, lambda d: card(d, secret, mini).find_elements(By.CSS_SELECTOR, '[data-testid="private-marker"]') == [],
         message="the reveal never reached the console")
    act(fac, in_card(secret, '[data-testid="card-tools"] summary', mini))
    act(fac, in_card(secret, '[data-testid="card-hide"]', mini))
    wait_no_card(bruno, secret)
    wait_no_card(alice, secret)
    wait(fac, lambda d: card(d, secret, mini).find_elements(By.CSS_SELECTOR, '[data-testid="hidden-marker"]'))
    act(fac, in_card(secret, '[data-testid="card-restore"]', mini))
    wait_card(bruno, secret)
    wait_card(alice, secret)
    wait(fac, lambda d: card(d, secret, mini).find_elements(By.CSS_SELECTOR, '[data-testid="hidden-marker"]') == [])

    # Anonymous mode (private writing off): nobody's name on new cards, except "your card".
    # The form shows the settings as the console knows them: private writing on, anonymous off.
    wait(fac, lambda d: find(d, '[data-testid="setting-privateWriting"]').is_selected()
         and not find(d, '[data-testid="setting-anonymous"]').is_selected())
    click(find(fac, '[data-testid="setting-privateWriting"]'))
    click(find(fac, '[data-testid="setting-anonymous"]'))
    click(find(fac, '[data-testid="settings-save"]'))
    for d in (alice, bruno):
        wait(d, lambda d: not finds(d, '[data-testid="private-hint"]'), message="private writing is still on")
    add_card(alice, "problems", "Carte sans nom")
    shown = wait_card(bruno, "Carte sans nom")
    assert shown.find_elements(By.CSS_SELECTOR, ".card__author") == []
    assert "Alice" not in text_of(shown)
    wait(alice, lambda d: "Votre carte" in text_of(card(d, "Carte sans nom")))

    for d in (fac, alice, bruno):
        assert js_errors(d) == []
