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

/**
 * Shows the countdown in `node` and keeps it ticking; announces the last minute and the end.
 * @param {object} parts
 * @param {import('./store.js').Store} parts.store
 * @param {import('./socket.js').Connection} parts.connection
 * @param {HTMLElement} parts.node where the countdown goes (emptied)
 * @param {HTMLElement} parts.announcer the polite live region
 * @returns {{render: () => void}}
 */
export function mountCountdown({ store, connection, node, announcer }) {
  const label = el('span', { className: 'timer__label' });
  const time = el('span', { className: 'timer__time', dataset: { testid: 'timer-time' } });
  const state = el('span', { className: 'timer__state' });
  node.replaceChildren(
    el('span', { className: 'timer__icon', attrs: { 'aria-hidden': 'true' } }),
    label, time, state,
  );
  node.setAttribute('role', 'timer');
  let ticker = null;
  let warned = false;
  let lastLabel = '';
  let ended = false; // the time ran out: say so for a moment (ENDED_SHOWN_MS), then nothing
  let endedTimeout = null;

  function render() {
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
