"""The facilitator's latest message reaches whoever arrives or reloads soon after, until dismissed."""
from .conftest import facilitator_commands
from .pages import click, find, join, visible, wait


def announcement_text(driver):
    box = find(driver, '[data-testid="announcement"]')
    if box is None or not box.is_displayed():
        return None
    return box.find_element("css selector", '[data-testid="announcement-text"]').text


def test_late_joiner_sees_the_message_and_a_dismissed_one_stays_dismissed(live_server, workshop, browsers):
    text = "Pause café : reprise à 10 h 45 en salle Bourgogne."
    facilitator_commands(live_server, workshop, {"type": "announce", "text": text})

    late = browsers.new()
    join(late, workshop, "Léa Tardive")
    wait(late, lambda d: announcement_text(d) == text, message="a late joiner did not get the message")

    click(find(late, '[data-action="dismiss-announcement"]'))
    wait(late, lambda d: announcement_text(d) is None)
    late.refresh()
    visible(late, '[data-testid="board"]')
    wait(late, lambda d: d.execute_script("return document.querySelector('[data-testid=connection-state]')?.dataset.state") == "online")
    assert announcement_text(late) is None, "a dismissed message came back after a reload"

    # A newer message is shown even though the previous one was dismissed.
    facilitator_commands(live_server, workshop, {"type": "announce", "text": "On reprend !"})
    wait(late, lambda d: announcement_text(d) == "On reprend !")
