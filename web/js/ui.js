// Small interface pieces shared by the pages: connection state, live announcements, error list.

import { language, t } from './i18n.js';
import { el } from './dom.js';

/** Connection states as tests and styles see them (`data-state`). */
const SHOWN_STATE = { connecting: 'reconnecting', online: 'online', reconnecting: 'reconnecting', offline: 'offline', stopped: 'offline' };

/**
 * Shows the connection state (and how many changes wait to be sent).
 * @param {HTMLElement} node the `[data-testid=connection-state]` element
 * @param {string} state the Connection's state
 * @param {number} pending commands not yet acknowledged
 */
export function showConnectionState(node, state, pending = 0) {
  const shown = SHOWN_STATE[state] ?? 'offline';
  node.dataset.state = shown;
  node.hidden = false;
  const key = state === 'connecting' ? 'conn.connecting' : `conn.${shown}`;
  const parts = [el('span', { className: 'conn__dot', attrs: { 'aria-hidden': 'true' } }), el('span', { className: 'conn__text', text: t(key) })];
  if (pending > 0) parts.push(el('span', { className: 'conn__pending', text: t('conn.pending', { n: pending }) }));
  node.replaceChildren(...parts);
}

/**
 * Speaks a message to screen readers through an `aria-live="polite"` region.
 * @param {HTMLElement} region
 * @param {string} message
 */
export function announce(region, message) {
  // Emptying first makes a repeated identical message be read again.
  region.textContent = '';
  setTimeout(() => { region.textContent = message; }, 50);
}

/**
 * The sentence to show for a server error: the server's own (French) message in French,
 * the catalogue's translation of its code otherwise.
 * @param {string} code
 * @param {string} message
 * @returns {string}
 */
export function errorText(code, message) {
  if (language() === 'fr' && message) return message;
  const key = `error.${code}`;
  const translated = t(key);
  return translated === key ? (message || t('error.generic')) : translated;
}

/**
 * How many people have voted (public: never who, nor where their dots are).
 * @param {number} n
 * @returns {string}
 */
export function votersText(n) {
  return n > 0 ? t('board.voters', { n }) : t('board.votersNone');
}

/**
 * Adds a dismissible message to an alert list (a `role="alert"` container); keeps the last three.
 * @param {HTMLElement} list
 * @param {string} message
 * @param {string} [quoted] user text to give back (e.g. a card the server refused)
 * @param {'error'|'info'} [kind] info: a message from the facilitator rather than a failure
 */
export function showError(list, message, quoted = '', kind = 'error') {
  const item = el('div', { className: `alert__item alert__item--${kind}` }, [el('p', { className: 'alert__text', text: message })]);
  if (quoted) item.append(el('blockquote', { className: 'alert__quote', text: quoted }));
  const close = el('button', { type: 'button', className: 'btn btn--small alert__close', text: t('board.dismissSymbol'), attrs: { 'aria-label': t('board.dismiss') } });
  close.addEventListener('click', () => item.remove());
  item.append(close);
  list.append(item);
  while (list.childElementCount > 3) list.firstElementChild.remove();
}

/**
 * Reads a JSON value from localStorage, or null.
 * @param {string} key
 * @returns {any}
 */
export function loadJSON(key) {
  try {
    return JSON.parse(localStorage.getItem(key) ?? 'null');
  } catch {
    return null;
  }
}

/**
 * Writes a JSON value to localStorage (null removes it); storage errors are ignored.
 * @param {string} key
 * @param {any} value
 */
export function saveJSON(key, value) {
  try {
    if (value === null) localStorage.removeItem(key);
    else localStorage.setItem(key, JSON.stringify(value));
  } catch { /* storage full or disabled */ }
}

/** Where a workshop happens unless its plan says otherwise (docs/protocol.md, `timeZone`). */
export const DEFAULT_TIME_ZONE = 'Europe/Paris';
/** Times are shown in the workshop's time zone (the snapshot's `timeZone`), whatever the device's. */
export let TIME_ZONE = DEFAULT_TIME_ZONE;

/**
 * Sets the zone times are shown in: the workshop's (an IANA name), else Paris time.
 * @param {string|null|undefined} zone
 */
export function setTimeZone(zone) {
  if (typeof zone !== 'string' || !zone) { TIME_ZONE = DEFAULT_TIME_ZONE; return; }
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: zone }); // throws RangeError on an unknown zone
    TIME_ZONE = zone;
  } catch {
    TIME_ZONE = DEFAULT_TIME_ZONE;
  }
}

/**
 * A time of day (e.g. "14:05"), in the workshop's time zone and the interface's language.
 * @param {string|number|Date} when an ISO date, a timestamp or a Date
 * @returns {string}
 */
export function formatTime(when) {
  const date = when instanceof Date ? when : new Date(when);
  if (Number.isNaN(date.getTime())) return '';
  return new Intl.DateTimeFormat(language() === 'fr' ? 'fr-FR' : 'en-GB', { timeZone: TIME_ZONE, hour: '2-digit', minute: '2-digit' }).format(date);
}

/**
 * A date and time (e.g. "28/11/2026 14:05"), in the workshop's time zone.
 * @param {string|number|Date} when
 * @returns {string}
 */
export function formatDateTime(when) {
  const date = when instanceof Date ? when : new Date(when);
  if (Number.isNaN(date.getTime())) return '';
  return new Intl.DateTimeFormat(language() === 'fr' ? 'fr-FR' : 'en-GB', {
    timeZone: TIME_ZONE, day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit',
  }).format(date);
}

/**
 * Normalises a join code: upper case, letters and digits only, `XXXX-XXXX` when 8 long.
 * @param {string} raw
 * @returns {string}
 */
export function normaliseCode(raw) {
  const compact = String(raw ?? '').toUpperCase().replace(/[^A-Z0-9]/g, '');
  return compact.length === 8 ? `${compact.slice(0, 4)}-${compact.slice(4)}` : compact;
}

/**
 * Registers the service worker that keeps the participant pages available offline.
 * Browsers without it, or pages on plain http other than localhost, simply go without.
 */
export function registerOfflineShell() {
  if (!('serviceWorker' in navigator) || !window.isSecureContext) return;
  navigator.serviceWorker.register('sw.js').catch(() => { /* optional */ });
}
