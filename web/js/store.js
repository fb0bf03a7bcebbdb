// The workshop as this client sees it: the welcome's snapshot plus every event after it, in seq
// order. Views never change it; they render from it when it says `change`. Commands not yet
// acknowledged (the connection's outbox) are laid over the confirmed state so the user sees their
// own work at once, marked as pending.

/** Card colours the server accepts. */
export const COLORS = ['yellow', 'blue', 'green', 'pink', 'orange', 'purple'];

/**
 * Events (CustomEvent):
 * - `change`: something changed (coalesced: at most once per task)
 * - `cardadded` `{card, by, live}`: a card appeared through an event (not a snapshot)
 * - `phasechanged` `{phase}`
 * - `announcement` `{text}`: the facilitator broadcast a message
 */
export class Store extends EventTarget {
  constructor() {
    super();
    /** @type {object|null} the snapshot shape of docs/protocol.md, kept up to date */
    this.workshop = null;
    /** @type {{participant: string, role: string, group: string|null}|null} */
    this.you = null;
    /** The last event seq applied: the `since` of a resume. */
    this.seq = 0;
    /** @type {object[]} unacknowledged commands, oldest first */
    this.pending = [];
    this.changeQueued = false;
  }

  /** @returns {boolean} whether a snapshot has been loaded. */
  get ready() {
    return this.workshop !== null;
  }

  /**
   * Restores a state saved with toJSON() (shown while the first connection is being made).
   * @param {{seq: number, you: object, workshop: object}} saved
   */
  restore(saved) {
    if (!saved || !saved.workshop || typeof saved.seq !== 'number') return;
    this.workshop = saved.workshop;
    this.you = saved.you;
    this.seq = saved.seq;
    this.changed();
  }

  /** @returns {{seq: number, you: object, workshop: object}} what restore() takes back. */
  toJSON() {
    return { seq: this.seq, you: this.you, workshop: this.workshop };
  }

  /**
   * Applies a `welcome`: a full snapshot replaces the state; then its events, in order.
   * @param {object} welcome the server's welcome message
   */
  applyWelcome(welcome) {
    this.you = { ...welcome.you };
    delete this.you.token; // never kept with the cached state
    if (welcome.workshop) {
      this.workshop = welcome.workshop;
      this.workshop.myVotes ??= {};
      this.seq = welcome.seq;
    }
    for (const event of welcome.events ?? []) this.applyEvent(event, { live: false });
    this.seq = Math.max(this.seq, welcome.seq ?? 0);
    this.changed();
  }

  /**
   * Applies one event; events at or below the last seq seen are ignored.
   * @param {object} event
   * @param {{live?: boolean}} [options] live: arrived as it happened (announce it)
   */
  applyEvent(event, { live = true } = {}) {
    if (!this.workshop || typeof event.seq !== 'number' || event.seq <= this.seq) return;
    this.seq = event.seq;
    const w = this.workshop;
    const card = typeof event.card === 'string' ? this.card(event.card) : null;
    switch (event.type) {
      case 'participant.joined':
        this.upsert(w.participants, event.participant);
        break;
      case 'participant.assigned':
        this.assign(event.participant, event.group);
        break;
      case 'rotation.advanced':
        for (const b of event.boards ?? []) { const board = this.board(b.board); if (board) board.group = b.group; }
        for (const p of event.participants ?? []) this.assign(p.participant, p.group);
        break;
      case 'participant.removed':
        w.participants = w.participants.filter((p) => p.id !== event.participant);
        break;
      case 'card.added':
      case 'card.restored':
        this.upsert(w.cards, event.card);
        this.emit('cardadded', { card: event.card, by: event.by, live });
        break;
      case 'cards.revealed':
        for (const c of event.cards ?? []) this.upsert(w.cards, c);
        break;
      case 'card.edited':
        if (card) { card.text = event.text; card.version = event.version; }
        break;
      case 'card.moved':
        if (card) Object.assign(card, { x: event.x, y: event.y, column: event.column, board: event.board });
        break;
      case 'card.deleted':
      case 'card.hidden':
        w.cards = w.cards.filter((c) => c.id !== event.card);
        delete w.myVotes[event.card];
        break;
      case 'vote.cast':
      case 'vote.retracted': {
        const mine = w.myVotes[event.card] ?? 0;
        // Before the reveal only the voter gets these (with `by` hidden when anonymous).
        const revealed = typeof event.votes === 'number';
        if (event.by === this.you?.participant || (event.by == null && !revealed)) {
          const next = mine + (event.type === 'vote.cast' ? 1 : -1);
          if (next > 0) w.myVotes[event.card] = next; else delete w.myVotes[event.card];
        }
        if (card && revealed) card.votes = event.votes;
        break;
      }
      case 'votes.revealed':
        w.settings.votesRevealed = true;
        for (const c of w.cards) c.votes = event.votes?.[c.id] ?? 0;
        break;
      case 'settings.updated':
        w.settings = { ...w.settings, ...event.settings };
        break;
      case 'phase.changed':
        w.phase = event.phase;
        if (live) this.emit('phasechanged', { phase: event.phase });
        break;
      case 'board.locked':
      case 'board.unlocked': {
        const board = this.board(event.board);
        if (board) board.locked = event.type === 'board.locked';
        break;
      }
      case 'workshop.closed': w.closed = true; break;
      case 'workshop.paused': w.paused = true; break;
      case 'workshop.resumed': w.paused = false; break;
      case 'announcement.made':
        if (live) this.emit('announcement', { text: event.text });
        break;
      default:
        break; // clusters, comments, timers…: not shown by this client yet, but the seq counts
    }
    this.changed();
  }

  /**
   * Marks a participant online or offline (presence is live only, never an event).
   * @param {string} participant
   * @param {boolean} online
   */
  setPresence(participant, online) {
    const p = this.participant(participant);
    if (p) { p.online = online; this.changed(); }
  }

  /**
   * Replaces the overlay of unacknowledged commands.
   * @param {object[]} commands the connection's outbox
   */
  setPending(commands) {
    this.pending = commands;
    this.changed();
  }

  // --- Queries -------------------------------------------------------------------------------

  /** @returns {object|undefined} the current phase ({id, title, open, voting}). */
  get phase() {
    return this.workshop?.phases.find((p) => p.id === this.workshop.phase);
  }

  /** @returns {number} the current phase's position, from 0. */
  get phaseIndex() {
    return this.workshop ? this.workshop.phases.findIndex((p) => p.id === this.workshop.phase) : -1;
  }

  /** @returns {object|undefined} the board of the viewer's table. */
  get myBoard() {
    return this.workshop?.boards.find((b) => b.group === this.you?.group);
  }

  /** @param {string} id @returns {object|undefined} */
  board(id) {
    return this.workshop?.boards.find((b) => b.id === id);
  }

  /** @param {string} id @returns {object|undefined} the confirmed card */
  card(id) {
    return this.workshop?.cards.find((c) => c.id === id);
  }

  /** @param {string} id @returns {object|undefined} */
  participant(id) {
    return this.workshop?.participants.find((p) => p.id === id);
  }

  /** @param {string} id @returns {object|undefined} */
  group(id) {
    return this.workshop?.groups.find((g) => g.id === id);
  }

  /**
   * Whether participants may add cards to a column now.
   * @param {{kind: string}} column
   * @returns {boolean}
   */
  acceptsNewCards(column) {
    return Boolean(this.phase?.open?.includes(column.kind));
  }

  /** @returns {boolean} whether the board refuses participants' changes. */
  isFrozen(board) {
    return Boolean(this.workshop?.closed || board?.locked);
  }

  /**
   * The viewer's votes per card, pending votes included.
   * @returns {Object<string, number>}
   */
  get myVotes() {
    const votes = { ...(this.workshop?.myVotes ?? {}) };
    for (const c of this.pending) {
      if (c.type === 'vote.cast') votes[c.card] = (votes[c.card] ?? 0) + 1;
      if (c.type === 'vote.retract') votes[c.card] = Math.max(0, (votes[c.card] ?? 0) - 1);
    }
    return votes;
  }

  /** @returns {number} dots the viewer may still place. */
  get votesLeft() {
    const used = Object.values(this.myVotes).reduce((sum, n) => sum + n, 0);
    return Math.max(0, (this.workshop?.settings?.voteBudget ?? 0) - used);
  }

  /**
   * The cards of a board as the viewer should see them: confirmed state plus pending commands,
   * ordered by `y`. Pending ones carry `pending: true`; cards not yet created also carry
   * `pendingAdd: true` and a `pending:<message id>` id.
   * @param {string} boardId
   * @returns {object[]}
   */
  cardsOf(boardId) {
    const cards = new Map();
    for (const c of this.workshop?.cards ?? []) if (c.board === boardId) cards.set(c.id, { ...c });
    for (const cmd of this.pending) {
      const c = cards.get(cmd.card);
      switch (cmd.type) {
        case 'card.add':
          if (cmd.board === boardId) {
            const id = `pending:${cmd.id}`;
            cards.set(id, {
              id, board: cmd.board, column: cmd.column, text: cmd.text, color: cmd.color ?? 'yellow',
              x: cmd.x ?? 0, y: cmd.y ?? Number.MAX_SAFE_INTEGER, author: this.you?.participant ?? null,
              version: 0, votes: null, pending: true, pendingAdd: true,
            });
          }
          break;
        case 'card.edit':
          if (c) Object.assign(c, { text: cmd.text, version: cmd.version + 1, pending: true });
          break;
        case 'card.move':
          if (c && cmd.board && cmd.board !== boardId) cards.delete(cmd.card);
          else if (c) Object.assign(c, { column: cmd.column ?? c.column, x: cmd.x, y: cmd.y, pending: true });
          break;
        case 'card.delete':
          cards.delete(cmd.card);
          break;
        default:
          break;
      }
    }
    return [...cards.values()].sort((a, b) => a.y - b.y); // stable: ties keep creation order
  }

  // --- Internals -----------------------------------------------------------------------------

  assign(participantId, group) {
    const p = this.participant(participantId);
    if (p) p.group = group;
    if (this.you && participantId === this.you.participant) this.you.group = group;
  }

  upsert(list, item) {
    if (!item) return;
    const i = list.findIndex((x) => x.id === item.id);
    if (i >= 0) list[i] = item; else list.push(item);
  }

  changed() {
    if (this.changeQueued) return;
    this.changeQueued = true;
    queueMicrotask(() => {
      this.changeQueued = false;
      this.emit('change', {});
    });
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
