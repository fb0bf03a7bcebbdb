"""The optional end-of-timer signal on phones: off by default, turned on per device, a vibration
and two beeps at the end for whoever turned it on only. The device's vibrator and speaker are
replaced by recorders in the page (headless Chromium has neither); what is tested is the page's
behaviour: which calls it makes, when, and for whom."""
from .conftest import facilitator_commands
from .pages import click, find, join, visible, wait

RECORDERS = """
window.__vibrations = [];
Object.defineProperty(navigator, 'vibrate', { configurable: true, value: (p) => { window.__vibrations.push(p); return true; } });
window.__beeps = 0;
window.AudioContext = class {
  constructor() { this.currentTime = 0; this.destination = {}; }
  resume() { return Promise.resolve(); }
  createOscillator() { return { frequency: {}, connect: (g) => g, start() { window.__beeps += 1; }, stop() {} }; }
  createGain() { return { gain: {}, connect: (d) => d }; }
};
"""


def signal_button(driver):
    return find(driver, '[data-testid="timer-signal"]')


def test_the_end_signal_rings_only_where_it_was_turned_on_and_is_remembered(live_server, workshop, browsers):
    on = browsers.new(360, 740)  # a phone
    off = browsers.new()
    join(on, workshop, "Inès Vibreur")
    join(off, workshop, "Oscar Silence")
    for d in (on, off):
        d.execute_script(RECORDERS)

    facilitator_commands(live_server, workshop, {"type": "timer.start", "seconds": 600, "label": "Écriture"})
    for d in (on, off):
        wait(d, lambda d: signal_button(d) is not None and signal_button(d).is_displayed(), message="no end-signal button on the countdown")
        assert signal_button(d).get_attribute("aria-pressed") == "false", "the signal must be off by default"
    click(signal_button(on))
    wait(on, lambda d: signal_button(d).get_attribute("aria-pressed") == "true")
    assert "oui" in signal_button(on).get_attribute("aria-label")

    # Nothing rings before the end, then the end rings once on the device that asked for it.
    assert on.execute_script("return window.__vibrations.length") == 0
    facilitator_commands(live_server, workshop, {"type": "timer.stop"})
    facilitator_commands(live_server, workshop, {"type": "timer.start", "seconds": 1, "label": "Fin"})
    wait(on, lambda d: d.execute_script("return window.__vibrations.length") == 1, timeout=20,
         message="the end did not vibrate on the device with the signal on")
    wait(on, lambda d: d.execute_script("return window.__beeps") == 2, message="the end did not beep twice")
    wait(off, lambda d: "écoulé" in (find(d, '[data-testid="timer-time"]').find_element("xpath", "..").text or ""), timeout=20)
    assert off.execute_script("return window.__vibrations.length + window.__beeps") == 0, "a device with the signal off rang"

    # Remembered on this device after a reload.
    on.refresh()
    visible(on, '[data-testid="board"]')
    facilitator_commands(live_server, workshop, {"type": "timer.start", "seconds": 600})
    wait(on, lambda d: signal_button(d) is not None and signal_button(d).get_attribute("aria-pressed") == "true",
         message="the choice was not remembered after a reload")
