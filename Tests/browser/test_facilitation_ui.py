"""One table through the facilitation features: clusters (drag and keyboard), comments, the shared
countdown, an announcement and private writing, in two participants' browsers and the console."""
import re

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
    regroup = card(bruno, third).find_element(By.CSS_SELECTOR, '[data-testid="card-regroup"]')
    regroup.send_keys(Keys.ENTER)
    choice = visible(bruno, 'dialog[open] [data-testid="dialog-with"]')
    Select(choice).select_by_visible_text("le regroupement « Financement »")
    find(bruno, 'dialog[open] [data-testid="dialog-ok"]').send_keys(Keys.ENTER)
    for d in (alice, bruno):
        wait(d, lambda d: cluster_cards(d, "Financement") == sorted([first, second, third]))

    # Comments: Bruno comments, Alice reads it (collapsed until opened), Bruno deletes his own.
    target = card(bruno, first)
    click(target.find_element(By.CSS_SELECTOR, '[data-testid="comments"] summary'))
    target.find_element(By.CSS_SELECTOR, '[data-testid="comment-input"]').send_keys("Voir avec la Banque des territoires", Keys.ENTER)
    seen = wait(alice, lambda d: card(d, first).find_element(By.CSS_SELECTOR, '[data-testid="comments"]'))
    wait(alice, lambda d: "(1)" in text_of(seen.find_element(By.CSS_SELECTOR, "summary")))
    click(seen.find_element(By.CSS_SELECTOR, "summary"))
    comment = visible(alice, '[data-testid="board"] [data-testid="comment"]')
    assert "Voir avec la Banque des territoires" in text_of(comment)
    assert comment.find_elements(By.CSS_SELECTOR, '[data-testid="comment-delete"]') == [], "Alice may not delete Bruno's comment"
    click(visible(bruno, '[data-testid="board"] [data-testid="comment-delete"]'))
    wait(alice, lambda d: finds(d, '[data-testid="board"] [data-testid="comment"]') == [])

    # Timer: the facilitator starts it from the console; both boards count down.
    find(fac, '[data-testid="timer-minutes"]').clear()
    find(fac, '[data-testid="timer-minutes"]').send_keys("2")
    find(fac, '[data-testid="timer-label"]').send_keys("Écriture individuelle")
    click(find(fac, '[data-testid="timer-start"]'))
    for d in (alice, bruno):
        shown = visible(d, '[data-testid="timer"]')
        assert "Écriture individuelle" in text_of(shown)
        first_value = text_of(shown.find_element(By.CSS_SELECTOR, '[data-testid="timer-time"]'))
        assert re.fullmatch(r"[12]:[0-5]\d", first_value), first_value
        wait(d, lambda d: text_of(find(d, '[data-testid="timer-time"]')) != first_value, message="the countdown does not tick")
    click(visible(fac, '[data-testid="timer-pause"]'))
    wait(alice, lambda d: "pause" in text_of(find(d, '[data-testid="timer"]')))
    click(visible(fac, '[data-testid="timer-stop"]'))
    gone(alice, '[data-testid="timer"]')

    # Announcement: a banner for everyone, dismissible, also read by screen readers.
    find(fac, '[data-testid="announce-text"]').send_keys("Pause café à 10 h 30")
    click(find(fac, '[data-testid="announce-send"]'))
    for d in (alice, bruno):
        banner = visible(d, '[data-testid="announcement"]')
        assert text_of(banner.find_element(By.CSS_SELECTOR, '[data-testid="announcement-text"]')) == "Pause café à 10 h 30"
        wait(d, lambda d: "Pause café à 10 h 30" in text_of(find(d, '[data-testid="announcer"]')))
    click(find(alice, '[data-testid="announcement-dismiss"]'))
    gone(alice, '[data-testid="announcement"]')

    # Private writing: Alice's new card is hers (and the facilitator's) until the reveal.
    click(find(fac, '[data-testid="setting-privateWriting"]'))
    click(find(fac, '[data-testid="settings-save"]'))
    visible(alice, '[data-testid="private-hint"]')
    secret = "Idée encore secrète"
    mine = add_card(alice, "problems", secret)
    wait(alice, lambda d: text_of(card(d, secret).find_element(By.CSS_SELECTOR, '[data-testid="private-marker"]'))
         == "Visible par vous seul·e et l’animateur")
    wait_card(fac, secret, scope='[data-testid="mini-boards"]')
    assert card(bruno, secret) is None
    click(visible(fac, '[data-testid="reveal-cards"]'))
    confirm(fac)
    wait_card(bruno, secret)
    wait(alice, lambda d: card(d, secret).find_elements(By.CSS_SELECTOR, '[data-testid="private-marker"]') == [])
    assert mine is not None

    # Moderation: a hidden card leaves the boards, stays greyed in the console, comes back.
    fac_card = card(fac, secret, scope='[data-testid="mini-boards"]')
    click(fac_card.find_element(By.CSS_SELECTOR, '[data-testid="card-tools"] summary'))
    click(fac_card.find_element(By.CSS_SELECTOR, '[data-testid="card-hide"]'))
    wait_no_card(bruno, secret)
    wait_no_card(alice, secret)
    wait(fac, lambda d: card(d, secret, '[data-testid="mini-boards"]').find_elements(By.CSS_SELECTOR, '[data-testid="hidden-marker"]'))
    click(card(fac, secret, '[data-testid="mini-boards"]').find_element(By.CSS_SELECTOR, '[data-testid="card-restore"]'))
    wait_card(bruno, secret)

    # Anonymous mode (private writing off): nobody's name on new cards, except "your card".
    click(find(fac, '[data-testid="setting-privateWriting"]'))
    click(find(fac, '[data-testid="setting-anonymous"]'))
    click(find(fac, '[data-testid="settings-save"]'))
    wait(alice, lambda d: not finds(d, '[data-testid="private-hint"]'))
    add_card(alice, "problems", "Carte sans nom")
    shown = wait_card(bruno, "Carte sans nom")
    assert shown.find_elements(By.CSS_SELECTOR, ".card__author") == []
    assert "Alice" not in text_of(shown)
    wait(alice, lambda d: "Votre carte" in text_of(card(d, "Carte sans nom")))

    for d in (fac, alice, bruno):
        assert js_errors(d) == []
