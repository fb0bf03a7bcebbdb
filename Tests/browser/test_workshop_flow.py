"""A workshop through three browsers: two participants and the facilitator."""
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from .pages import (active, click, add_card, board_title, card, confirm, find, finds, gone, join, js_errors, open_console,
                    participant_row, person_action, phase_of, set_phase, tab_until, text_of, visible, wait, wait_card)


def test_two_participants_and_facilitator(workshop, browsers):
    fac, alice, bruno = browsers.new(), browsers.new(), browsers.new()
    open_console(fac, workshop)
    join(alice, workshop, "Alice Martin")
    join(bruno, workshop, "Bruno Petit", actor="ei")
    # The default table is the emptiest one: the facilitator seats Bruno at Alice's table.
    table = board_title(alice)
    assert board_title(bruno) != table
    row = wait(fac, lambda d: participant_row(d, "Bruno Petit"))
    Select(row.find_element(By.CSS_SELECTOR, '[data-testid="assign-select"]')).select_by_visible_text(table)
    click(row.find_element(By.CSS_SELECTOR, '[data-testid="assign-submit"]'))
    wait(bruno, lambda d: board_title(d) == table, message="Bruno's board did not change live")

    # A adds an idea; B sees it without reloading (the marker would vanish with a reload).
    bruno.execute_script("window.__sameDocument = true")
    add_card(alice, "problems", "Mutualiser un poste de chargé d'insertion")
    wait_card(bruno, "Mutualiser un poste de chargé d'insertion")
    assert bruno.execute_script("return window.__sameDocument === true")

    # B writes and then edits their own card with the keyboard only.
    add_card(bruno, "problems", "Des financements trop courts")
    wait(bruno, lambda d: "card--pending" not in card(d, "Des financements trop courts").get_attribute("class"))
    menu = tab_until(bruno, lambda e: e.get_attribute("data-testid") == "card-menu"
                     and "Des financements trop courts" in text_of(e.find_element(By.XPATH, "ancestor::li[@data-card]")))
    assert menu.get_attribute("aria-haspopup") == "menu" and menu.get_attribute("aria-expanded") == "false"
    menu.send_keys(Keys.ENTER)  # opens the menu on its first item; the arrows move down to "Modifier"
    for _ in range(6):
        if active(bruno).get_attribute("data-testid") == "card-edit":
            break
        active(bruno).send_keys(Keys.ARROW_DOWN)
    assert active(bruno).get_attribute("data-testid") == "card-edit"
    active(bruno).send_keys(Keys.ENTER)
    editor = wait(bruno, lambda d: active(d) if active(d).get_attribute("data-testid") == "card-edit-text" else None)
    editor.send_keys(Keys.CONTROL, "a")
    editor.send_keys("Des financements annuels trop courts")
    editor.send_keys(Keys.CONTROL, Keys.ENTER)
    wait_card(alice, "Des financements annuels trop courts")
    assert card(alice, "Des financements trop courts") is None

    # The facilitator changes the phase: both boards follow.
    set_phase(fac, "Du problème à l'idée")
    for d in (alice, bruno):
        wait(d, lambda d: phase_of(d) == "ideas", message="the board did not follow the phase")

    # Votes stay secret: no count anywhere until the reveal. A dot goes on someone else's idea:
    # Alice has no "Voter" on her own card, Bruno votes twice for it.
    add_card(alice, "ideas", "Groupement d'employeurs inclusif")
    wait_card(bruno, "Groupement d'employeurs inclusif")
    wait(alice, lambda d: "card--pending" not in card(d, "Groupement d'employeurs inclusif").get_attribute("class"))
    assert card(alice, "Groupement d'employeurs inclusif").find_elements(By.CSS_SELECTOR, '[data-testid="card-vote"]') == []
    for _ in range(2):
        click(card(bruno, "Groupement d'employeurs inclusif").find_element(By.CSS_SELECTOR, '[data-testid="card-vote"]'))
    wait(bruno, lambda d: text_of(card(d, "Groupement d'employeurs inclusif")
                                  .find_element(By.CSS_SELECTOR, '[data-testid="my-votes"]')).endswith("2"))
    wait_card(fac, "Groupement d'employeurs inclusif", scope='[data-testid="mini-boards"]')
    for d in (alice, bruno, fac):
        assert finds(d, '[data-testid="vote-count"]') == [], "a vote count is in the DOM before the reveal"
    click(visible(fac, '[data-testid="reveal-votes"]'))
    confirm(fac)
    for d, scope in ((alice, '[data-testid="board"]'), (bruno, '[data-testid="board"]'), (fac, '[data-testid="mini-boards"]')):
        wait(d, lambda d: [text_of(e) for e in card(d, "Groupement d'employeurs inclusif", scope)
                           .find_elements(By.CSS_SELECTOR, '[data-testid="vote-count"]')] == ["2 votes"],
             message="the revealed count is missing")

    # The facilitator removes Bruno, who is told why and stops reconnecting.
    person_action(fac, "Bruno Petit", "remove-participant")
    confirm(fac)
    reason = visible(bruno, '[data-testid="removed-reason"]')
    wait(bruno, lambda d: "retiré de l'atelier" in text_of(reason).replace("’", "'"))
    assert not find(bruno, '[data-testid="board"]').is_displayed()
    assert not find(bruno, '[data-testid="connection-state"]').is_displayed()
    wait(fac, lambda d: "Retiré" in text_of(participant_row(d, "Bruno Petit")))

    for d in (fac, alice, bruno):
        assert js_errors(d) == []
