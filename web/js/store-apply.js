// How each workshop event changes the client's copy of the workshop (docs/protocol.md). One
// function per concern, called by Store.applyEvent in seq order. Store events (`emit`) tell views
// about things worth announcing; everything else is picked up by the next `change` render.

/**
 * Applies one event to `store.workshop`.
 * @param {import('./store.js').Store} store
 * @param {object} event a server event (type, seq, at, by, …)
 * @param {boolean} live whether it happened just now (rather than caught up on resume)
 */
export function applyEvent(store, event, live) {
  const w = store.workshop;
  if (w.workingGroups?.length && store.isFacilitator) trackGroupChange(store, event);
  const card = typeof event.card === 'string' ? store.card(event.card) : null;
  switch (event.type) {
    case 'participant.joined':
      store.upsert(w.participants, event.participant);
      break;
    case 'participant.assigned':
      store.assign(event.participant, event.group, live);
      break;
    case 'rotation.advanced': {
      // Groups move to other boards (and hosts to other groups): say so if the viewer's board changed.
      const before = store.myBoard?.id;
      for (const b of event.boards ?? []) { const board = store.board(b.board); if (board) board.group = b.group; }
      for (const p of event.participants ?? []) store.assign(p.participant, p.group, false);
      if (live && store.myBoard?.id !== before) store.emit('moved', { group: store.you?.group });
      if (live) store.emit('rotated', {});
      break;
    }
    case 'participant.removed': {
      const p = store.participant(event.participant);
      if (p) { p.removed = true; p.online = false; }
      for (const b of w.boards) if (b.host === event.participant) b.host = null;
      if (event.participant === store.you?.participant) store.emit('removed', {});
      break;
    }
    case 'participant.erased': {
      const p = store.participant(event.participant);
      if (p) { p.name = null; p.organisation = null; }
      break;
    }
    case 'host.assigned': {
      const board = store.board(event.board);
      if (board) board.host = event.participant;
      break;
    }
    case 'phase.changed':
      w.phase = event.phase;
      if (live) store.emit('phasechanged', { phase: event.phase });
      break;
    case 'workshop.closed':
      w.closed = true;
      // What a working group did during the session is the session's: "since" starts now.
      for (const g of w.workingGroups ?? []) if (!g.ended && g.since) g.since = { cards: 0, sheetEdits: 0, members: 0, changes: [] };
      break;
    // Working groups: a table open after the session, how it ended, its invitations (the facilitator's).
    case 'group.opened': {
      w.workingGroups ??= [];
      const existing = w.workingGroups.find((g) => g.group === event.group.group && !g.ended);
      if (existing) Object.assign(existing, event.group);
      else {
        w.workingGroups = w.workingGroups.filter((g) => g.group !== event.group.group);
        w.workingGroups.push({ ...event.group, openedAt: event.at, ended: null,
          ...(store.isFacilitator ? { invitations: [], since: { cards: 0, sheetEdits: 0, members: 0, changes: [] } } : {}) });
      }
      break;
    }
    case 'group.ended': {
      const g = (w.workingGroups ?? []).find((x) => x.group === event.group && !x.ended);
      if (g) { g.ended = { reason: event.reason, into: event.into, at: event.at }; if (g.invitations) g.invitations = []; }
      if (live) store.emit('groupended', { group: event.group });
      break;
    }
    case 'group.invited': {
      const g = (w.workingGroups ?? []).find((x) => x.group === event.group && !x.ended);
      if (g) (g.invitations ??= []).push(event.invitation);
      break;
    }
    case 'group.invitation.revoked': {
      const g = (w.workingGroups ?? []).find((x) => x.group === event.group);
      if (g?.invitations) g.invitations = g.invitations.filter((i) => i.id !== event.invitation);
      break;
    }
    case 'workshop.paused': w.paused = true; break;
    case 'workshop.resumed': w.paused = false; break;
    case 'announcement.made':
      w.announcement = { text: event.text, at: event.at, seq: event.seq };
      if (live) {
        store.announcementSeq = event.seq;
        store.emit('announcement', { text: event.text, at: event.at, seq: event.seq, live: true });
      }
      break;
    case 'announcement.withdrawn':
      w.announcement = null;
      store.emit('announcementwithdrawn', { live });
      break;
    case 'view.focused':
      w.focus = event.board ?? null;
      if (live) store.emit('focus', { board: w.focus });
      break;
    case 'projector.shown':
      // What the room's projector shows, chosen from the console (the projector page follows it).
      w.projector = { mode: event.mode, every: event.every ?? null };
      break;
    case 'settings.updated':
      w.settings = { ...w.settings, ...event.settings };
      break;
    case 'board.locked':
    case 'board.unlocked': {
      const board = store.board(event.board);
      if (board) board.locked = event.type === 'board.locked';
      break;
    }
    default:
      applyTimer(store, event, live) || applyCard(store, event, card, live)
        || applyGrouping(store, event, card, live) || applyProject(store, event, live);
  }
}

function applyTimer(store, event, live) {
  const w = store.workshop;
  switch (event.type) {
    case 'timer.started': w.timer = { ...event.timer }; break;
    case 'timer.paused': if (w.timer) Object.assign(w.timer, { endsAt: null, remaining: event.remaining, running: false }); break;
    case 'timer.resumed': if (w.timer) Object.assign(w.timer, { endsAt: event.endsAt, remaining: null, running: true }); break;
    case 'timer.stopped': w.timer = null; break;
    case 'timer.ended': w.timer = null; break;
    default: return false;
  }
  if (live) store.emit('timer', { kind: event.type.slice('timer.'.length) });
  return true;
}

function applyCard(store, event, card, live) {
  const w = store.workshop;
  const facilitator = store.you?.role === 'facilitator';
  switch (event.type) {
    case 'card.added':
      store.upsert(w.cards, event.card);
      store.emit('cardadded', { card: event.card, by: event.by, live });
      break;
    case 'card.restored': {
      // The event carries no count: keep the one known (the facilitator still had the card).
      const known = store.card(event.card?.id);
      const votes = w.settings?.votesRevealed ? (event.card.votes ?? known?.votes ?? 0) : null;
      store.upsert(w.cards, { ...event.card, hidden: false, votes });
      break;
    }
    case 'cards.revealed':
      for (const c of event.cards ?? []) {
        const known = store.card(c.id);
        // Keep what this client already knows (votes) and drop the private mark.
        store.upsert(w.cards, { ...(known ?? {}), ...c, private: false });
        if (!known) store.emit('cardadded', { card: c, by: null, live });
      }
      break;
    case 'card.edited':
      if (card) { card.text = event.text; card.version = event.version; }
      break;
    case 'card.moved':
      if (card) Object.assign(card, { x: event.x, y: event.y, column: event.column, board: event.board });
      break;
    case 'card.hidden':
      // The facilitator keeps hidden cards (greyed); for everyone else they are gone.
      // Its comments and the viewer's votes are kept for when it is restored.
      if (facilitator && card) card.hidden = true;
      else w.cards = w.cards.filter((c) => c.id !== event.card);
      break;
    case 'card.deleted':
      store.dropCard(event.card);
      break;
    case 'vote.cast':
    case 'vote.retracted': {
      const mine = w.myVotes[event.card] ?? 0;
      // Before the reveal only the voter gets these (with `by` hidden when anonymous).
      const revealed = typeof event.votes === 'number';
      if (event.by === store.you?.participant || (event.by == null && !revealed)) {
        const next = mine + (event.type === 'vote.cast' ? 1 : -1);
        if (next > 0) w.myVotes[event.card] = next; else delete w.myVotes[event.card];
      }
      if (card && revealed) card.votes = event.votes;
      break;
    }
    case 'votes.closed':
      w.votesClosed = true;
      if (live) store.emit('votesclosed', {});
      break;
    case 'votes.revealed':
      w.settings.votesRevealed = true;
      w.votesClosed = true; // the reveal ends the vote too
      for (const c of w.cards) c.votes = event.votes?.[c.id] ?? 0;
      if (live) store.emit('votesrevealed', {});
      break;
    default:
      return false;
  }
  return true;
}

function applyGrouping(store, event, card, live) {
  const w = store.workshop;
  w.clusters ??= [];
  w.comments ??= [];
  switch (event.type) {
    case 'cluster.created':
      store.upsert(w.clusters, event.cluster);
      break;
    case 'cluster.renamed': {
      const cluster = w.clusters.find((k) => k.id === event.cluster);
      if (cluster) cluster.title = event.title;
      break;
    }
    case 'card.clustered':
      if (card) card.cluster = event.cluster ?? null;
      break;
    case 'comment.added':
      store.upsert(w.comments, event.comment);
      if (live) store.emit('commentadded', { comment: event.comment, by: event.by });
      break;
    case 'comment.deleted':
      w.comments = w.comments.filter((c) => c.id !== event.comment);
      break;
    default:
      return false;
  }
  return true;
}

/** Keys of a sheet that are not form values: a change never carries them. */
const SHEET_IDENTITY = new Set(['id', 'board', 'cluster', 'status', 'version', 'phase', 'supporters', 'supportCount', 'receipts']);

/** Dossier states where the project lead has filed the application ("déposé"). */
const FILED = ['en_construction', 'en_instruction', 'accepte', 'refuse', 'sans_suite'];

function applyProject(store, event, live) {
  const w = store.workshop;
  w.projects ??= [];
  const project = typeof event.project === 'string' ? w.projects.find((p) => p.id === event.project) : null;
  switch (event.type) {
    case 'project.created':
      store.upsert(w.projects, event.project);
      store.lastEdits.set(event.project.id, { by: event.by, at: event.at, fields: ['title'] });
      break;
    case 'project.updated':
      if (project) {
        // The workshop's form decides which values a sheet has (docs/plans.md): every field changed.
        for (const [key, value] of Object.entries(event.fields ?? {})) if (!SHEET_IDENTITY.has(key)) project[key] = value;
        project.version = event.version;
        store.lastEdits.set(project.id, { by: event.by, at: event.at, fields: Object.keys(event.fields ?? {}) });
        store.emit('projectupdated', { project: project.id, by: event.by, fields: Object.keys(event.fields ?? {}), live });
      }
      break;
    case 'project.status.changed':
      if (project) { project.status = event.status; project.version = event.version; }
      break;
    case 'project.supported':
      if (project) {
        // Anonymous workshops hide who the other supporters are: the server gives the count.
        if (event.supporter) {
          const supporters = new Set(project.supporters ?? []);
          if (event.support) supporters.add(event.supporter); else supporters.delete(event.supporter);
          project.supporters = [...supporters];
        }
        if (typeof event.supportCount === 'number') project.supportCount = event.supportCount;
        else project.supportCount = (project.supporters ?? []).length;
      }
      break;
    case 'project.submitted':
      if (project) {
        project.receipts = [...(project.receipts ?? []), event.receipt];
        // A Démarches Simplifiées dossier is only prepared until the project lead files it.
        const filed = event.receipt.channel === 'webhook' || !event.receipt.dossier || FILED.includes(event.receipt.dossier.state);
        if (filed || project.status !== 'submitted') project.status = filed ? 'submitted' : 'prepared';
        if (live) store.emit('projectsubmitted', { project: project.id, receipt: event.receipt });
      }
      break;
    case 'dossier.followed':
      if (project) {
        const receipt = [...(project.receipts ?? [])].reverse().find((r) => r.channel === 'demarches' && r.reference === event.reference);
        if (receipt) receipt.dossier = event.dossier;
        if (FILED.includes(event.dossier?.state)) project.status = 'submitted';
        project.receipts = [...(project.receipts ?? [])];
      }
      break;
    // Work carried from an earlier workshop of the series: which ids came from where (the items
    // themselves follow as their own events).
    case 'workshop.carried':
      w.carried = { ...(w.carried ?? {}), ...(event.carry?.items ?? {}) };
      break;
    // The webhook outbox (the facilitator's only).
    case 'webhook.queued':
      w.outbox = [...(w.outbox ?? []).filter((d) => d.id !== event.delivery.id), event.delivery];
      break;
    case 'webhook.attempted':
    case 'webhook.redelivered':
      w.outbox = (w.outbox ?? []).map((d) => {
        if (d.id !== event.delivery) return d;
        if (event.type === 'webhook.redelivered') return { ...d, state: 'pending', nextAt: event.at };
        const a = event.attempt;
        const delivered = typeof a.status === 'number' && a.status >= 200 && a.status < 300;
        return {
          ...d, attempts: [...(d.attempts ?? []), a].slice(-50), attemptCount: (d.attemptCount ?? 0) + 1, nextAt: a.nextAt,
          state: delivered ? 'delivered' : a.nextAt ? 'pending' : 'abandoned',
        };
      });
      break;
    default:
      return false;
  }
  return true;
}

/**
 * The facilitator's "since the session" of each working group (docs/protocol.md "Working
 * groups"): the cards, sheet edits and new members on an open group's table, counted from the
 * later of its opening and the workshop's close, as the server counts them in the snapshot.
 */
function trackGroupChange(store, event) {
  const w = store.workshop;
  let board = null;
  let kind = null;
  let id = null;
  if (event.type === 'card.added') { board = event.card?.board; kind = 'card'; id = event.card?.id; }
  else if (event.type === 'project.updated') { board = store.project(event.project)?.board; kind = 'sheet'; id = event.project; }
  else if (event.type === 'participant.joined') {
    board = w.boards.find((b) => b.group === event.participant?.group)?.id; kind = 'member'; id = event.participant?.id;
  } else return;
  const g = w.workingGroups.find((x) => x.board === board && !x.ended);
  if (!g?.since) return;
  const key = { card: 'cards', sheet: 'sheetEdits', member: 'members' }[kind];
  g.since[key] += 1;
  g.since.changes.push({ kind, id, seq: event.seq, at: event.at, by: event.by ?? null });
  if (g.since.changes.length > 200) g.since.changes.splice(0, g.since.changes.length - 200);
}
