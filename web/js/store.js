// The workshop as this client sees it: the welcome's snapshot plus every event after it, in seq
// order (store-apply.js says how each event changes it). Views never change it; they render from
// it when it says `change`. Commands not yet acknowledged (the connection's outbox) are laid over
// the confirmed state so the user sees their own work at once, marked as pending.

import { applyEvent } from './store-apply.js';
import { setTimeZone } from './ui.js';

/** A facilitator's message made before a page connected is shown if at most this old. */
export const ANNOUNCEMENT_FRESH_MS = 15 * 60 * 1000;

/** Card colours the server accepts. */
export const COLORS = ['yellow', 'blue', 'green', 'pink', 'orange', 'purple'];

/**
 * Events (CustomEvent):
 * - `change`: something changed (coalesced: at most once per task)
 * - `cardadded` `{card, by, live}`: a card appeared through an event (not a snapshot)
 * - `phasechanged` `{phase}`; `announcement` `{text, at, seq, live}` (live false: made before this
 *   page saw it, from the welcome); `focus` `{board}` ("follow me")
 * - `timer` `{kind}`: started, paused, resumed, stopped or ended
 * - `moved` `{group}`: the viewer was assigned to another table (rotation included); `rotated`
 * - `removed`: the facilitator removed the viewer
 * - `announcementwithdrawn`: the facilitator withdrew the message (it leaves every screen)
 * - `votesclosed`: the facilitator ended the vote (before the reveal)
 * - `commentadded` `{comment, by}`; `votesrevealed`; `projectupdated` `{project, by, fields, live}`;
 *   `projectsubmitted` `{project, receipt}`
 * - `editing`: someone started or stopped editing a project field (live presence)
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
    /** project id → {by, at, fields}: the last change seen, for "modifié par … il y a …". */
    this.lastEdits = new Map();
    /** participant id → {project, field, since}: who edits which project field right now. */
    this.editing = new Map();
    /** The seq of the last announcement this page was told about. */
    this.announcementSeq = 0;
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
    for (const key of ['clusters', 'comments', 'projects', 'orientations']) this.workshop[key] ??= [];
    this.workshop.myVotes ??= {};
    setTimeZone(this.workshop.timeZone); // offline too, times in the workshop's zone
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
      for (const key of ['clusters', 'comments', 'projects', 'orientations']) this.workshop[key] ??= [];
      this.workshop.myVotes ??= {};
      setTimeZone(this.workshop.timeZone); // times on every page in the workshop's zone
      this.seq = welcome.seq;
    }
    for (const event of welcome.events ?? []) this.applyEvent(event, { live: false });
    this.seq = Math.max(this.seq, welcome.seq ?? 0);
    // A resume has no snapshot: the welcome says how many have voted now (never journaled).
    if (this.workshop && typeof welcome.voters === 'number') this.workshop.voters = welcome.voters;
    // The facilitator's latest message, if this page has not shown it yet (a late join, a reload,
    // a reconnection): the page decides whether it is still recent enough to show.
    const latest = this.workshop?.announcement;
    if (latest && latest.seq > this.announcementSeq) {
      this.announcementSeq = latest.seq;
      this.emit('announcement', { ...latest, live: false });
    }
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
    applyEvent(this, event, live);
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
   * Records who edits which project field (live presence, never journaled).
   * @param {string} participant
   * @param {{project: string, field: string}|null} editing
   */
  setEditing(participant, editing) {
    if (editing?.project) this.editing.set(participant, { ...editing, since: Date.now() });
    else this.editing.delete(participant);
    this.emit('editing', {});
    this.changed();
  }

  /**
   * The number of people who have placed a dot in the phase (live `votes.progress`, no seq).
   * @param {number} voters
   */
  setVoters(voters) {
    if (!this.workshop || this.workshop.voters === voters) return;
    this.workshop.voters = voters;
    this.changed();
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
    // A working group after the session: its table writes in every column, whatever the last phase.
    if (this.groupSession) return true;
    return Boolean(this.phase?.open?.includes(column.kind));
  }

  /**
   * The working group open on a board (docs/protocol.md "Working groups"), if any.
   * @param {string|undefined} boardId
   * @returns {object|undefined} `{group, board, purpose, endsAt, openedAt, ended}`
   */
  workingGroup(boardId) {
    return (this.workshop?.workingGroups ?? []).find((g) => g.board === boardId && !g.ended);
  }

  /** @returns {boolean} whether the workshop is closed and the viewer's table goes on as a working group. */
  get groupSession() {
    return Boolean(this.workshop?.closed && !this.isFacilitator && this.workingGroup(this.myBoard?.id));
  }

  /** @returns {boolean} whether the viewer runs the workshop. */
  get isFacilitator() {
    return this.you?.role === 'facilitator';
  }

  /**
   * Whether the board refuses the viewer's changes: closed workshop; for participants also a
   * locked board or a paused workshop.
   * @returns {boolean}
   */
  isFrozen(board) {
    const w = this.workshop;
    if (w?.closed) return !this.workingGroup(board?.id);
    if (this.isFacilitator) return false;
    return Boolean(board?.locked || w?.paused);
  }

  /** @param {string} id @returns {object|undefined} */
  cluster(id) {
    return this.workshop?.clusters?.find((k) => k.id === id);
  }

  /** @param {string} boardId @returns {object[]} the board's clusters, oldest first */
  clustersOf(boardId) {
    return (this.workshop?.clusters ?? []).filter((k) => k.board === boardId);
  }

  /**
   * The comments on a card, pending ones included (marked `pending`).
   * @param {string} cardId
   * @returns {object[]}
   */
  commentsOf(cardId) {
    const list = (this.workshop?.comments ?? []).filter((c) => c.card === cardId);
    const deleting = new Set(this.pending.filter((c) => c.type === 'comment.delete').map((c) => c.comment));
    const shown = list.filter((c) => !deleting.has(c.id));
    for (const cmd of this.pending) {
      if (cmd.type === 'comment.add' && cmd.card === cardId) {
        shown.push({ id: `pending:${cmd.id}`, card: cardId, text: cmd.text, author: this.you?.participant ?? null, pending: true });
      }
    }
    return shown;
  }

  /** @param {string} id @returns {object|undefined} a project sheet */
  project(id) {
    return this.workshop?.projects?.find((p) => p.id === id);
  }

  /** @param {string} boardId @returns {object[]} the board's project sheets */
  projectsOf(boardId) {
    return (this.workshop?.projects ?? []).filter((p) => p.board === boardId);
  }

  /** @returns {boolean} whether the current phase opens project sheets. */
  get projectPhase() {
    if (this.groupSession) return true;
    return Boolean(this.phase?.open?.includes('project'));
  }

  /**
   * A display name for a participant id ("facilitator", null and erased people included).
   * @param {string|null} id
   * @returns {string|null}
   */
  nameOf(id) {
    if (!id) return null;
    if (id === 'facilitator') return 'facilitator';
    return this.participant(id)?.name ?? null;
  }

  /** @returns {boolean} whether the current phase votes and its vote is still open. */
  get votingOpen() {
    const w = this.workshop;
    return Boolean(this.phase?.voting && !w?.votesClosed && !w?.settings?.votesRevealed && !w?.closed);
  }

  /** @returns {boolean} whether the current phase votes but its vote is over (closed or revealed). */
  get votingOver() {
    const w = this.workshop;
    return Boolean(this.phase?.voting && (w?.votesClosed || w?.settings?.votesRevealed));
  }

  /** @returns {string[]} the column kinds the current phase votes on (by default the kinds it opens). */
  get voteKinds() {
    const phase = this.phase;
    return phase?.voteOn ?? phase?.open ?? [];
  }

  /**
   * Whether the viewer may put a dot on a card now: the phase votes and its vote is open, the
   * card's column is one the phase votes on, and it is not the viewer's own card (unless the
   * workshop allows it). The server decides in the end; this only keeps "Voter" off where it would
   * be refused.
   * @param {object} card a card as shown
   * @returns {boolean}
   */
  mayVoteOn(card) {
    if (!this.votingOpen || this.you?.role !== 'participant' || card.pendingAdd) return false;
    const column = this.board(card.board)?.columns.find((c) => c.id === card.column);
    if (!column || !this.voteKinds.includes(column.kind)) return false;
    const own = Boolean(card.author && card.author === this.you?.participant);
    return !own || Boolean(this.workshop.settings?.voteOwnCards);
  }

  /**
   * The board a group sits at now (after rotations, not the one it started at).
   * @param {string|null} groupId
   * @returns {object|undefined}
   */
  boardOfGroup(groupId) {
    return groupId ? this.workshop?.boards.find((b) => b.group === groupId) : undefined;
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
    const facilitator = this.isFacilitator;
    for (const c of this.workshop?.cards ?? []) {
      if (c.board === boardId && (facilitator || !c.hidden)) cards.set(c.id, { ...c });
    }
    for (const cmd of this.pending) {
      const c = cards.get(cmd.card);
      switch (cmd.type) {
        case 'card.add':
          if (cmd.board === boardId) {
            const id = `pending:${cmd.id}`;
            cards.set(id, {
              id, board: cmd.board, column: cmd.column, text: cmd.text, color: cmd.color ?? 'yellow',
              x: cmd.x ?? 0, y: cmd.y ?? Number.MAX_SAFE_INTEGER, author: this.you?.participant ?? null,
              version: 0, votes: null, cluster: null, pending: true, pendingAdd: true,
              private: Boolean(this.workshop?.settings?.privateWriting),
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
        case 'card.cluster':
          if (c) Object.assign(c, { cluster: cmd.cluster ?? null, pending: true });
          break;
        default:
          break;
      }
    }
    return [...cards.values()].sort((a, b) => a.y - b.y); // stable: ties keep creation order
  }

  // --- Internals -----------------------------------------------------------------------------

  assign(participantId, group, live = false) {
    const p = this.participant(participantId);
    if (p) p.group = group;
    if (this.you && participantId === this.you.participant && this.you.group !== group) {
      this.you.group = group;
      if (live) this.emit('moved', { group });
    }
  }

  dropCard(id) {
    const w = this.workshop;
    w.cards = w.cards.filter((c) => c.id !== id);
    w.comments = (w.comments ?? []).filter((c) => c.card !== id);
    delete w.myVotes[id];
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
