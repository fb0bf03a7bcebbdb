// The connection to the server: join first, then commands; reconnects by itself and never drops
// a command the user made. Unacknowledged commands sit in an outbox (kept in localStorage when a
// storage key is given) and are re-sent with the SAME id after every (re)join: the server answers
// a repeated id again without applying it twice.

const SUBPROTOCOL = 'atelier.v1';
const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 10000;
/**
 * An attempt not welcomed within this long (doubled after each failure, up to four times) is given
 * up and another made: a handshake the network swallowed, or a connection a stopping server had
 * taken but never answered, would otherwise hold the page "reconnecting" for good.
 */
const WELCOME_TIMEOUT_MS = 15000;
/** Failed attempts in a row after which the state says "offline" rather than "reconnecting". */
const OFFLINE_AFTER_FAILURES = 3;
const HEARTBEAT_EVERY_MS = 25000;
/** A ping left unanswered this long means the link is dead even if the socket looks open. */
const HEARTBEAT_TIMEOUT_MS = 10000;
/** Codes worth retrying later with the same id: the server did not apply (or record) them. */
const RETRY_CODES = new Set(['rate_limited', 'internal']);
const RETRY_DELAY_MS = 2000;
const MAX_RETRIES = 5;

/**
 * The server's application close codes (docs/protocol.md, "Closing"). Only the code matters: the
 * reason text is for people reading logs, never shown.
 */
export const CLOSE_CODES = Object.freeze({
  /** The facilitator removed this participant: do not reconnect. */
  REMOVED: 4000,
  /** This client read too slowly and its queue was dropped: reconnect, resume with `since`. */
  TOO_SLOW: 4001,
  /** Too many messages: reconnect after a pause. */
  TOO_MANY_MESSAGES: 4002,
  /** Too many connections from this address: try again later. */
  TOO_MANY_CONNECTIONS: 4003,
});
/** After 4002 or 4003 the next attempt waits at least about this long (a flood or a crowded address). */
const PAUSE_AFTER_LIMIT_MS = 5000;

/** @returns {string} a random prefix so message ids stay unique across page loads. */
function randomPrefix() {
  const bytes = new Uint8Array(6);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(36).padStart(2, '0')).join('');
}

/**
 * The WebSocket link to the server.
 *
 * Events (all `CustomEvent`, payload in `detail`):
 * - `state` `{state}`: `connecting` | `online` | `reconnecting` | `offline` | `stopped`
 * - `welcome` `{message}`: a join succeeded
 * - `joinfailed` `{code, message}`: the join was refused; the connection stops
 * - `event` `{event}`: one workshop event, in seq order
 * - `presence` `{participant, online}`; `editing` `{participant, editing}`: who edits which project field
 * - `progress` `{message}`: a live, never journaled `submission.progress` (facilitator)
 * - `votesprogress` `{voters}`: a live, never journaled `votes.progress` (how many people voted)
 * - `ack` `{command, message}` / `rejected` `{command, code, message, error}`: a command's answer
 *   (`error` is the server's whole message: `current` on a project conflict, `missing` on `invalid`)
 * - `outbox` `{pending}`: the unacknowledged commands changed
 * - `serverclose` `{code, reason}`: the server closed the socket with an application code (4000–4999,
 *   see CLOSE_CODES). The connection tries again, with the usual backoff (and a pause after 4002 or
 *   4003), except after 4000.
 * - `removed` `{}`: the server closed with 4000 (the facilitator removed this participant). The
 *   connection has stopped for good before this event.
 */
export class Connection extends EventTarget {
  /**
   * @param {object} options
   * @param {() => object} options.join builds the join message (without id) for each attempt
   * @param {string|null} [options.storageKey] localStorage key for the outbox (null: memory only)
   * @param {string} [options.url] the WebSocket URL (default: this host's /ws)
   * @param {() => (string|null)} [options.workshop] the workshop's id when known, named in the URL
   *   of each attempt (`/ws?workshop=…`): a load balancer in front of several servers hashes on it
   */
  constructor({ join, storageKey = null, url = null, workshop = () => null }) {
    super();
    this.makeJoin = join;
    this.storageKey = storageKey;
    this.url = url ?? `${location.protocol === 'https:' ? 'wss://' : 'ws://'}${location.host}/ws`;
    this.workshop = workshop;
    this.prefix = randomPrefix();
    this.counter = 0;
    this.state = 'stopped';
    this.ws = null;
    this.joined = false;
    this.joinId = null;
    this.failures = 0;
    this.retryTimer = null;
    this.welcomeTimer = null;
    /** No reconnecting before this time (ms since 1970): after a 4002 or 4003 close. */
    this.notBefore = 0;
    this.heartbeatTimer = null;
    this.pongTimer = null;
    this.retries = new Map();
    this.memoryOutbox = [];
    /** Server clock minus local clock, in ms (from `welcome.at` and `pong.at`). */
    this.clockOffset = 0;
    this.pingSentAt = 0;
    /** Ids of live-only messages: their answers concern nobody. */
    this.volatileIds = new Set();
    this.onBrowserOnline = () => this.reconnectNow();
    this.onVisible = () => { if (document.visibilityState === 'visible') this.reconnectNow(); };
  }

  /** Opens the connection (and keeps it open until stop()). */
  start() {
    if (this.state !== 'stopped') return;
    window.addEventListener('online', this.onBrowserOnline);
    document.addEventListener('visibilitychange', this.onVisible);
    this.setState('connecting');
    this.open();
  }

  /** Closes the connection for good; the outbox stays stored. */
  stop() {
    window.removeEventListener('online', this.onBrowserOnline);
    document.removeEventListener('visibilitychange', this.onVisible);
    clearTimeout(this.retryTimer);
    clearTimeout(this.welcomeTimer);
    this.stopHeartbeat();
    this.setState('stopped');
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      ws.close(1000);
    }
  }

  /** @returns {string} a message id unique for this participant, across reloads. */
  nextId() {
    this.counter += 1;
    return `${this.prefix}-${this.counter}`;
  }

  /**
   * Queues a command and sends it now if joined. It stays in the outbox until answered.
   * @param {string} type the command, e.g. `card.add`
   * @param {object} args its arguments
   * @returns {string} the message id
   */
  send(type, args = {}) {
    const command = { ...args, id: this.nextId(), type };
    this.updateOutbox((list) => [...list, command]);
    if (this.joined) this.transmit(command);
    return command.id;
  }

  /**
   * Sends a live-only message (never queued, never re-sent): presence while editing.
   * @param {string} type
   * @param {object} args
   */
  sendVolatile(type, args = {}) {
    if (!this.joined) return;
    const id = this.nextId();
    this.volatileIds.add(id);
    if (this.volatileIds.size > 100) this.volatileIds.delete(this.volatileIds.values().next().value);
    this.transmit({ ...args, id, type });
  }

  /** @returns {number} the server's clock now, in ms since 1970 (local clock corrected). */
  serverNow() {
    return Date.now() + this.clockOffset;
  }

  /** @returns {object[]} the commands not yet acknowledged, oldest first. */
  get pending() {
    if (!this.storageKey) return this.memoryOutbox;
    try {
      const stored = JSON.parse(localStorage.getItem(this.storageKey) ?? '[]');
      return Array.isArray(stored) ? stored : [];
    } catch {
      return this.memoryOutbox;
    }
  }

  /** Forgets every queued command (used when leaving the workshop). */
  clearOutbox() {
    this.updateOutbox(() => []);
  }

  // Read-modify-write on every change, so two tabs of the same session do not overwrite each other.
  updateOutbox(change) {
    const next = change(this.pending);
    this.memoryOutbox = next;
    if (this.storageKey) {
      try {
        if (next.length) localStorage.setItem(this.storageKey, JSON.stringify(next));
        else localStorage.removeItem(this.storageKey);
      } catch { /* storage full or disabled: the memory copy still holds the commands */ }
    }
    this.emit('outbox', { pending: next });
  }

  /** The URL of one attempt: with `?workshop=` once the workshop is known. */
  urlForAttempt() {
    const workshop = this.workshop();
    if (!workshop) return this.url;
    return `${this.url}${this.url.includes('?') ? '&' : '?'}workshop=${encodeURIComponent(workshop)}`;
  }

  open() {
    let ws;
    try {
      ws = new WebSocket(this.urlForAttempt(), SUBPROTOCOL);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    this.joined = false;
    clearTimeout(this.welcomeTimer);
    this.welcomeTimer = setTimeout(() => {
      if (ws !== this.ws || this.joined) return;
      this.lost();
      try { ws.close(); } catch { /* closing a socket still connecting may throw in old browsers */ }
    }, WELCOME_TIMEOUT_MS * 2 ** Math.min(this.failures, 2));
    ws.addEventListener('open', () => {
      if (ws !== this.ws) return;
      this.joinId = this.nextId();
      ws.send(JSON.stringify({ ...this.makeJoin(), id: this.joinId, type: 'join' }));
    });
    ws.addEventListener('message', (e) => { if (ws === this.ws) this.receive(e.data); });
    ws.addEventListener('close', (e) => {
      if (ws !== this.ws) return;
      if (e.code >= 4000 && e.code <= 4999) this.emit('serverclose', { code: e.code, reason: e.reason });
      if (e.code === CLOSE_CODES.REMOVED) {
        // Removed by the facilitator: the token no longer works, another attempt would be refused.
        this.ws = null;
        this.joined = false;
        this.stop();
        this.emit('removed', {});
        return;
      }
      const limited = e.code === CLOSE_CODES.TOO_MANY_MESSAGES || e.code === CLOSE_CODES.TOO_MANY_CONNECTIONS;
      this.lost(limited ? PAUSE_AFTER_LIMIT_MS : 0);
    });
    ws.addEventListener('error', () => { /* a close event follows */ });
  }

  /** @param {number} [atLeastMs] the next attempt's ceiling is at least this (see scheduleReconnect) */
  lost(atLeastMs = 0) {
    clearTimeout(this.welcomeTimer);
    this.ws = null;
    this.joined = false;
    this.stopHeartbeat();
    if (this.state === 'stopped') return;
    this.failures += 1;
    this.scheduleReconnect(atLeastMs);
  }

  /** @param {number} [atLeastMs] a floor for the backoff ceiling (the wait is half to all of it) */
  scheduleReconnect(atLeastMs = 0) {
    const offline = this.failures >= OFFLINE_AFTER_FAILURES || navigator.onLine === false;
    this.setState(offline ? 'offline' : 'reconnecting');
    const backoff = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** Math.max(0, this.failures - 1));
    const ceiling = Math.max(backoff, atLeastMs);
    // "Equal jitter": half fixed, half random, so a restarted server is not hit by everyone at once.
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    // A pause the server asked for holds even if the tab becomes visible meanwhile.
    this.notBefore = atLeastMs ? Date.now() + delay : 0;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.open(), delay);
  }

  /** Skips the backoff wait (the browser says the network is back, or the tab became visible). */
  reconnectNow() {
    if (this.state === 'stopped' || this.ws || Date.now() < this.notBefore) return;
    clearTimeout(this.retryTimer);
    this.open();
  }

  receive(data) {
    let parsed;
    try {
      parsed = JSON.parse(data);
    } catch {
      return;
    }
    clearTimeout(this.pongTimer);
    this.pongTimer = null;
    for (const message of Array.isArray(parsed) ? parsed : [parsed]) {
      if (message && typeof message === 'object') this.handle(message);
    }
  }

  handle(message) {
    switch (message.type) {
      case 'welcome':
        if (message.re !== this.joinId) return;
        this.joined = true;
        clearTimeout(this.welcomeTimer);
        this.failures = 0;
        this.learnClock(message.at, 0);
        this.setState('online');
        this.emit('welcome', { message });
        this.startHeartbeat();
        for (const command of this.pending) this.transmit(command);
        return;
      case 'ack':
        if (this.volatileIds.delete(message.re)) return;
        this.settle(message.re, (command) => this.emit('ack', { command, message }));
        return;
      case 'error':
        this.handleError(message);
        return;
      case 'pong':
        // Half the round trip is the best guess of when the server read its clock.
        if (this.pingSentAt) this.learnClock(message.at, (Date.now() - this.pingSentAt) / 2);
        this.pingSentAt = 0;
        return;
      case 'presence':
        if ('editing' in message) this.emit('editing', { participant: message.participant, editing: message.editing });
        else this.emit('presence', { participant: message.participant, online: message.online });
        return;
      case 'votes.progress':
        // Live, never journaled (no seq): how many people have placed a dot in this phase.
        if (typeof message.voters === 'number') this.emit('votesprogress', { voters: message.voters });
        return;
      case 'submission.progress':
        this.emit('progress', { message });
        return;
      default:
        if (typeof message.seq === 'number') this.emit('event', { event: message });
    }
  }

  handleError(message) {
    if (this.volatileIds.delete(message.re)) return;
    if (message.re != null && message.re === this.joinId && !this.joined) {
      this.stop();
      this.emit('joinfailed', { code: message.code, message: message.message });
      return;
    }
    if (RETRY_CODES.has(message.code)) {
      const command = this.pending.find((c) => c.id === message.re);
      const tries = (this.retries.get(message.re) ?? 0) + 1;
      this.retries.set(message.re, tries);
      if (command && tries <= MAX_RETRIES) {
        setTimeout(() => { if (this.joined) this.transmit(command); }, RETRY_DELAY_MS);
        this.emit('rejected', { command, code: message.code, message: message.message, retrying: true });
        return;
      }
    }
    const known = this.pending.some((c) => c.id === message.re);
    if (!known) {
      this.emit('rejected', { command: null, code: message.code, message: message.message, error: message });
      return;
    }
    this.settle(message.re, (command) =>
      this.emit('rejected', { command, code: message.code, message: message.message, error: message }));
  }

  settle(id, notify) {
    this.retries.delete(id);
    const command = this.pending.find((c) => c.id === id);
    if (!command) return;
    this.updateOutbox((list) => list.filter((c) => c.id !== id));
    notify(command);
  }

  transmit(command) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(command));
  }

  startHeartbeat() {
    this.stopHeartbeat();
    this.heartbeatTimer = setInterval(() => this.ping(), HEARTBEAT_EVERY_MS);
    this.ping(); // at once too: its pong sets the clock offset for countdowns
  }

  ping() {
    if (!this.ws || !this.joined || this.pongTimer) return;
    this.pingSentAt = Date.now();
    this.transmit({ id: this.nextId(), type: 'ping' });
    this.pongTimer = setTimeout(() => {
      // Nothing came back: the socket is a zombie (phone changed network, woke from sleep…).
      this.pongTimer = null;
      const ws = this.ws;
      if (!ws) return;
      this.lost();
      ws.close();
    }, HEARTBEAT_TIMEOUT_MS);
  }

  stopHeartbeat() {
    clearInterval(this.heartbeatTimer);
    clearTimeout(this.pongTimer);
    this.heartbeatTimer = null;
    this.pongTimer = null;
  }

  /**
   * Updates the clock offset from a server timestamp.
   * @param {string|undefined} at the server's ISO time
   * @param {number} latency ms between the server reading its clock and now
   */
  learnClock(at, latency) {
    const server = Date.parse(at ?? '');
    if (Number.isFinite(server)) this.clockOffset = server + latency - Date.now();
  }

  setState(state) {
    if (this.state === state) return;
    this.state = state;
    this.emit('state', { state });
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
