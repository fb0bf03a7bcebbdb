// The shared countdown. The server sends `endsAt` in its own clock; the connection knows the
// offset between that clock and this one (from `welcome.at` and `pong.at`), so every screen shows
// the same time left even when a phone's clock is off by minutes.

import { t } from './i18n.js';
import { el } from './dom.js';
import { announce } from './ui.js';

const TICK_MS = 250;
const WARN_AT_S = 60;
/** How long "temps écoulé" stays after the end: then the countdown goes (at once on a phase change). */
export const ENDED_SHOWN_MS = 10000;

/**
 * @param {number} seconds
 * @returns {string} `m:ss`, or `h:mm:ss` from an hour
 */
export function formatDuration(seconds) {
  const s = Math.max(0, Math.ceil(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/**
 * Seconds left on the workshop's timer, or null when there is none.
 * @param {object|null} timer the snapshot's `timer`
 * @param {number} serverNow the server's clock now (ms)
 * @returns {number|null}
 */
export function secondsLeft(timer, serverNow) {
  if (!timer) return null;
  if (timer.endsAt) return Math.max(0, (Date.parse(timer.endsAt) - serverNow) / 1000);
  return Math.max(0, Number(timer.remaining ?? timer.seconds ?? 0));
}

const SIGNAL_KEY = 'atelier.timerSignal';

/** A bell (stroke only, the current colour); a slash over it shows while the signal is off (CSS). */
function bellIcon() {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  for (const [d, cls] of [['M6 16V11a6 6 0 0 1 12 0v5l1.5 2h-15z', ''], ['M10 20.5a2 2 0 0 0 4 0', ''], ['M4 4l16 16', 'timer__signal-off']]) {
    const path = document.createElementNS(ns, 'path');
    path.setAttribute('d', d);
    if (cls) path.setAttribute('class', cls);
    svg.append(path);
  }
  return svg;
}

/**
 * The optional end signal on phones and laptops: a short vibration where the device has one and
 * two beeps, only for a person who turned it on (a button on the countdown; remembered on this
 * device). Sound needs a gesture first: the AudioContext is made when the person presses the
 * button, or at their next touch after a reload.
 */
export class EndSignal {
  constructor() {
    this.on = localStorage.getItem(SIGNAL_KEY) === '1';
    this.audio = null;
    if (this.on) {
      const unlock = () => { this.unlockAudio(); };
      document.addEventListener('pointerdown', unlock, { once: true, capture: true });
      document.addEventListener('keydown', unlock, { once: true, capture: true });
    }
  }

  unlockAudio() {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!this.audio && Context) {
      try { this.audio = new Context(); } catch { this.audio = null; }
    }
    this.audio?.resume?.();
  }

  toggle() {
    this.on = !this.on;
    localStorage.setItem(SIGNAL_KEY, this.on ? '1' : '0');
    if (this.on) this.unlockAudio();
    return this.on;
  }

  play() {
    if (!this.on) return;
    navigator.vibrate?.([300, 150, 300]);
    const ctx = this.audio;
    if (!ctx) return;
    for (const start of [0, 0.45]) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = 'sine';
      osc.frequency.value = 880;
      gain.gain.value = 0.2;
      osc.connect(gain).connect(ctx.destination);
      osc.start(ctx.currentTime + start);
      osc.stop(ctx.currentTime + start + 0.3);
    }
  }
}

/**
 * Shows the countdown in `node` and keeps it ticking; announces the last minute and the end.
 * @param {object} parts
 * @param {import('./store.js').Store} parts.store
 * @param {import('./socket.js').Connection} parts.connection
 * @param {HTMLElement} parts.node where the countdown goes (emptied)
 * @param {HTMLElement} parts.announcer the polite live region
 * @param {EndSignal} [parts.signal] participants' pages: the optional sound and vibration at the end
 * @returns {{render: () => void}}
 */
export function mountCountdown({ store, connection, node, announcer, signal = null }) {
  const label = el('span', { className: 'timer__label' });
  const time = el('span', { className: 'timer__time', dataset: { testid: 'timer-time' } });
  const state = el('span', { className: 'timer__state' });
  const signalButton = signal ? el('button', {
    type: 'button', className: 'timer__signal',
    dataset: { testid: 'timer-signal' },
  }, [bellIcon()]) : null;
  // On participants' pages the bell takes the place of the countdown's round icon (the header of
  // a phone has no room for both).
  node.replaceChildren(
    signalButton ?? el('span', { className: 'timer__icon', attrs: { 'aria-hidden': 'true' } }),
    label, time, state,
  );
  function renderSignal() {
    if (!signalButton) return;
    // An icon, so that the countdown keeps to one line in a phone's header: the name is said.
    signalButton.setAttribute('aria-label', t(signal.on ? 'timer.signalOn' : 'timer.signalOff'));
    signalButton.setAttribute('aria-pressed', String(signal.on));
    signalButton.title = `${t(signal.on ? 'timer.signalOn' : 'timer.signalOff')} — ${t('timer.signalHelp')}`;
  }
  signalButton?.addEventListener('click', () => {
    const on = signal.toggle();
    renderSignal();
    announce(announcer, t(on ? 'timer.signalOnAnnounce' : 'timer.signalOffAnnounce'));
  });
  node.setAttribute('role', 'timer');
  let ticker = null;
  let warned = false;
  let lastLabel = '';
  let ended = false; // the time ran out: say so for a moment (ENDED_SHOWN_MS), then nothing
  let endedTimeout = null;

  function render() {
    renderSignal();
    const timer = store.workshop?.timer ?? null;
    node.hidden = !timer && !ended;
    node.classList.toggle('timer--ended', !timer && ended);
    if (!timer) {
      stop();
      if (ended) {
        label.textContent = lastLabel || t('timer.default');
        time.textContent = formatDuration(0);
        state.textContent = t('timer.endedShort');
        node.setAttribute('aria-label', t('timer.ended'));
      }
      return;
    }
    lastLabel = timer.label || '';
    const left = secondsLeft(timer, connection.serverNow());
    label.textContent = timer.label || t('timer.default');
    time.textContent = formatDuration(left);
    const running = Boolean(timer.endsAt);
    state.textContent = running ? '' : t('timer.paused');
    node.classList.toggle('timer--paused', !running);
    node.classList.toggle('timer--low', running && left <= WARN_AT_S);
    node.setAttribute('aria-label', t('timer.aria', { label: label.textContent, time: time.textContent }));
    if (running && left <= WARN_AT_S && left > 0 && !warned && timer.seconds > WARN_AT_S) {
      warned = true;
      announce(announcer, t('timer.lastMinute'));
    }
    if (running && !ticker) ticker = setInterval(render, TICK_MS);
    if (!running) stop();
  }

  function stop() {
    clearInterval(ticker);
    ticker = null;
  }

  store.addEventListener('timer', (e) => {
    const { kind } = e.detail;
    if (kind === 'started') warned = false;
    ended = kind === 'ended';
    clearTimeout(endedTimeout);
    if (ended) {
      announce(announcer, t('timer.ended'));
      signal?.play();
      endedTimeout = setTimeout(() => { ended = false; render(); }, ENDED_SHOWN_MS);
    }
    render();
  });
  // A new phase starts clean: an ended countdown does not follow the room into it.
  store.addEventListener('phasechanged', () => {
    if (!ended) return;
    ended = false;
    clearTimeout(endedTimeout);
    render();
  });
  store.addEventListener('change', render);
  render();
  return { render };
}
