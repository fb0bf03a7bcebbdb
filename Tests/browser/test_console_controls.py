"""The console's controls as participants live them: host, lock, "follow me", rotation, pause,
erasing personal data and closing the workshop."""
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from .pages import (board_title, click, confirm, find, finds, gone, join, js_errors, open_console, participant_row,
                    person_action, text_of, visible, wait)


def mini_board(driver, title):
    for section in finds(driver, '[data-testid="mini-board"]'):
        if text_of(section.find_element(By.CSS_SELECTOR, "h3")) == title:
            return section
    raise AssertionError(f"no mini board {title!r}")


def can_write(driver):
    return any(e.is_displayed() for e in finds(driver, '[data-testid="add-card-text"]'))


def test_host_lock_follow_rotation_pause_erase_close(workshop, browsers):
    fac, alice, bruno = browsers.new(), browsers.new(), browsers.new()
    open_console(fac, workshop)
    join(alice, workshop, "Alice Martin")
    join(bruno, workshop, "Bruno Petit")
    a_table, b_table = board_title(alice), board_title(bruno)

    # Alice hosts her table.
    person_action(fac, "Alice Martin", "make-host")
    wait(fac, lambda d: "Hôte : Alice Martin" in text_of(mini_board(d, a_table)))

    # Lock: Alice can no longer write and is told why; unlock gives the form back.
    click(mini_board(fac, a_table).find_element(By.CSS_SELECTOR, '[data-testid="board-lock"]'))
    wait(alice, lambda d: "verrouillé" in text_of(find(d, '[data-testid="board-banner"]')) and not can_write(d))
    click(wait(fac, lambda d: mini_board(d, a_table).find_element(By.CSS_SELECTOR, '[data-testid="board-unlock"]')))
    wait(alice, can_write)

    # Follow me: Alice is shown Bruno's board read-only, then goes back to hers.
    Select(find(fac, '[data-testid="follow-select"]')).select_by_visible_text(b_table)
    click(find(fac, '[data-testid="follow-start"]'))
    follow = visible(alice, '[data-testid="follow"]')
    assert b_table in text_of(follow)
    assert follow.find_elements(By.CSS_SELECTOR, "textarea, [data-testid=card-edit], [data-testid=card-regroup]") == []
    assert not finds(bruno, '[data-testid="follow"]') or not find(bruno, '[data-testid="follow"]').is_displayed()
    click(find(alice, '[data-testid="follow-back"]'))
    gone(alice, '[data-testid="follow"]')
    click(visible(fac, '[data-testid="follow-stop"]'))
    wait(fac, lambda d: "Aucun tableau" in text_of(find(d, '[data-testid="follow-status"]')))

    # Rotation: Bruno's group moves on to the next board; Alice, the host, stays with hers.
    click(find(fac, '[data-testid="rotation-advance"]'))
    confirm(fac)
    wait(bruno, lambda d: board_title(d) != b_table, message="Bruno did not rotate")
    wait(bruno, lambda d: "Vous avez changé de table" in text_of(find(d, '[data-testid="announcer"]')))
    assert board_title(alice) == a_table

    # Pause: nobody writes, everybody is told; resume.
    click(find(fac, '[data-testid="workshop-pause"]'))
    confirm(fac)
    for d in (alice, bruno):
        wait(d, lambda d: "en pause" in text_of(find(d, '[data-testid="board-banner"]')) and not can_write(d))
    click(visible(fac, '[data-testid="workshop-resume"]'))
    wait(alice, can_write)

    # Erasing Bruno's personal data (GDPR) leaves a row without his name.
    person_action(fac, "Bruno Petit", "erase-participant")
    confirm(fac)
    wait(fac, lambda d: participant_row(d, "Bruno Petit") is None and participant_row(d, "Données effacées") is not None)

    # Closing: read-only for everyone, said on every screen.
    click(find(fac, '[data-testid="workshop-close"]'))
    confirm(fac)
    wait(alice, lambda d: "terminé" in text_of(find(d, '[data-testid="board-banner"]')) and not can_write(d))
    wait(fac, lambda d: "clos" in text_of(find(d, '[data-testid="workshop-state"]')))
    assert finds(fac, '[data-testid="workshop-close"]') == []

    for d in (fac, alice, bruno):
        assert js_errors(d) == []
