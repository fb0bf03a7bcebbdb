// Board rendering, shared by the participant board, the board another table is shown ("follow
// me") and the facilitator's mini boards. Elements are kept per column, per cluster and per card
// and only rebuilt when what they show changes, so focus, drafts and scroll positions survive live
// updates from other people. Cards of a cluster are shown together, under the cluster's title, at
// the place of the cluster's first card. A project column holds the table's project sheets
// (sheet-view.js), with the sheet being edited opened right under its item; cards left there
// before sheets took the column are shown below them, read-only.

import { t } from './i18n.js';
import { COLORS } from './store.js';
import { el, domId, button, renderIfChanged } from './dom.js';
import { cardBody, cardSignature, authorLabel } from './card-view.js';
import { holdsSheets, sheetBody, sheetContext, sheetSignature } from './sheet-view.js';

export { el, domId, authorLabel, holdsSheets };

/** Vertical spacing the seeded cards use; new and moved cards follow it. */
export const CARD_SPACING = 120;
const MAX_COORD = 10000;
/** Touch screens have no Ctrl key to speak of: the keyboard hint is for the others. */
const COARSE = matchMedia('(pointer: coarse)');

/**
 * The `y` that puts a card at the end of a column.
 * @param {object[]} cards the column's cards
 * @returns {number}
 */
export function endOfColumn(cards) {
  const last = cards.filter((c) => !c.pending).reduce((max, c) => Math.max(max, c.y), -CARD_SPACING);
  return Math.min(MAX_COORD, last + CARD_SPACING);
}

/**
 * Renders one board (columns, clusters and cards) into a container and keeps it in sync on
 * render(). Mode `full` adds column tabs for phones, add-card forms and card actions; mode `mini`
 * (the facilitator's overview) is compact, with moderation actions when `moderation` is set.
 * Interaction is wired by the caller on `root` through `data-action`.
 */
export class BoardView {
  /**
   * @param {HTMLElement} root the container (emptied)
   * @param {import('./store.js').Store} store
   * @param {{mode?: 'full'|'mini', boardId?: string|null, readOnly?: boolean, moderation?: boolean,
   *   sheetLine?: (sheet: object) => string}} [options]
   *   boardId: a fixed board (else the viewer's table's); readOnly: another table's board, shown only;
   *   sheetLine: who changed a sheet last, as a line (empty when not given)
   */
  constructor(root, store, { mode = 'full', boardId = null, readOnly = false, moderation = false, sheetLine = null } = {}) {
    this.root = root;
    this.store = store;
    this.mode = mode;
    this.boardId = boardId;
    this.readOnly = readOnly;
    this.moderation = moderation;
    this.sheetLine = sheetLine;
    /** UI state the caller may change before render(). */
    this.activeColumn = null;
    this.editing = new Map(); // card id → {text: draft, version: the version the edit started from}
    this.confirmingDelete = new Set();
    this.openComments = new Set();
    this.openTools = new Set();
    this.commentDrafts = new Map();
    /** The sheet whose editor is open, and the element holding that editor (placed under its item). */
    this.openSheet = null;
    this.sheetEditor = null;
    this.shape = null;
    this.columns = new Map();
    this.cards = new Map();
    this.clusters = new Map(); // `${column}|${cluster}` → {el, list, head}
    this.sheets = new Map(); // `${column}|${sheet}` → {el, head}
  }

  /** @returns {object|undefined} the board shown. */
  get board() {
    return this.boardId ? this.store.board(this.boardId) : this.store.myBoard;
  }

  /** @returns {string} a prefix that keeps element ids unique when several boards are on a page. */
  get key() {
    return `${this.mode}${this.readOnly ? 'ro' : ''}-${this.board?.id ?? 'none'}`;
  }

  /** Brings the DOM in line with the store, keeping focus where it was. */
  render() {
    const board = this.board;
    const focus = this.rememberFocus();
    const shape = board ? JSON.stringify([board.id, board.columns.map((c) => [c.id, c.title]), t('board.columns')]) : '';
    if (shape !== this.shape) this.build(board, shape);
    if (!board) return;
    const cards = this.store.cardsOf(board.id);
    const known = new Set();
    const usedClusters = new Set();
    const usedSheets = new Set();
    this.editorPlaced = false;
    board.columns.forEach((column, index) => {
      const inColumn = cards.filter((c) => c.column === column.id);
      inColumn.forEach((c) => known.add(c.id));
      this.renderColumn(board, column, index, inColumn, usedClusters, usedSheets);
    });
    for (const [id, entry] of this.cards) {
      if (!known.has(id)) { entry.el.remove(); this.cards.delete(id); this.editing.delete(id); }
    }
    for (const [key, entry] of this.clusters) {
      if (!usedClusters.has(key)) { entry.el.remove(); this.clusters.delete(key); }
    }
    for (const [key, entry] of this.sheets) {
      if (!usedSheets.has(key)) { entry.el.remove(); this.sheets.delete(key); }
    }
    if (!this.editorPlaced) this.sheetEditor?.remove();
    this.grid?.classList.toggle('columns--editing', this.editorPlaced);
    if (this.mode === 'full') this.renderTabs(board, cards);
    this.restoreFocus(focus);
  }

  build(board, shape) {
    this.shape = shape;
    this.root.replaceChildren();
    this.columns.clear();
    this.cards.clear();
    this.clusters.clear();
    this.sheets.clear();
    this.grid = null;
    if (!board) return;
    const grid = el('div', { className: `columns columns--${this.mode}` });
    this.grid = grid;
    if (this.mode === 'full') {
      this.tabs = el('div', { className: 'column-tabs', attrs: { role: 'group', 'aria-label': t('board.columns') } });
      this.root.append(this.tabs);
    }
    for (const column of board.columns) {
      const titleId = domId('col', this.key, column.id, 'title');
      const count = el('span', { className: 'column__count' });
      const section = el('section', {
        className: 'column', id: domId('col', this.key, column.id),
        dataset: { column: column.id, kind: column.kind }, attrs: { 'aria-labelledby': titleId },
      }, [
        el('header', { className: 'column__head' }, [
          el(this.mode === 'full' ? 'h2' : 'h4', { className: 'column__title', id: titleId, text: column.title }),
          count,
        ]),
      ]);
      const formSlot = el('div', { className: 'column__form' });
      const empty = el('p', { className: 'column__empty', text: t('board.empty') });
      if (this.mode === 'full') section.append(formSlot);
      let sheets = null;
      let legacy = null;
      let listLabel = titleId;
      if (holdsSheets(column)) {
        // The table's sheets first; the cards an older journal left in the column after them.
        sheets = el('ul', { className: 'column__sheets', dataset: { testid: 'column-sheets' }, attrs: { 'aria-labelledby': titleId } });
        listLabel = domId('col', this.key, column.id, 'legacy');
        legacy = el('p', { className: 'column__legacy', id: listLabel, hidden: true, dataset: { testid: 'legacy-cards' } });
        section.append(sheets, empty, legacy);
      }
      const list = el('ul', { className: 'column__cards', attrs: { 'aria-labelledby': listLabel } });
      section.append(list);
      if (!sheets) section.append(empty);
      grid.append(section);
      this.columns.set(column.id, { section, list, count, empty, formSlot, formSig: null, sheets, legacy });
    }
    this.root.append(grid);
  }

  renderColumn(board, column, index, cards, usedClusters, usedSheets) {
    const entry = this.columns.get(column.id);
    const active = this.activeColumn ?? this.defaultColumn(board);
    entry.section.classList.toggle('column--active', active === column.id);
    let ctx = this.cardContext(board, index);
    if (entry.sheets) {
      const sheets = this.store.projectsOf(board.id);
      entry.count.textContent = t('sheets.count', { n: sheets.length });
      entry.empty.hidden = sheets.length > 0;
      entry.empty.textContent = t('sheets.empty');
      entry.legacy.hidden = cards.length === 0;
      entry.legacy.textContent = t('sheets.legacy');
      if (this.mode === 'full') this.renderSheetForm(board, column, entry);
      this.renderSheets(board, column, entry, sheets, usedSheets);
      ctx = this.legacyContext(ctx);
    } else {
      entry.count.textContent = t('board.count', { n: cards.filter((c) => !c.pending).length });
      entry.empty.hidden = cards.length > 0;
      entry.empty.textContent = t('board.empty');
      if (this.mode === 'full') this.renderForm(board, column, entry);
    }
    // Slots in the order of their first card: a lone card, or a cluster with its cards.
    const slots = [];
    const byCluster = new Map();
    for (const card of cards) {
      const cluster = card.cluster ? this.store.cluster(card.cluster) : null;
      if (!cluster) { slots.push({ card }); continue; }
      if (!byCluster.has(cluster.id)) { const slot = { cluster, cards: [] }; byCluster.set(cluster.id, slot); slots.push(slot); }
      byCluster.get(cluster.id).cards.push(card);
    }
    const nodes = slots.map((slot) => {
      if (slot.card) return this.renderCard(slot.card, ctx);
      const key = `${column.id}|${slot.cluster.id}`;
      usedClusters.add(key);
      const group = this.renderCluster(key, slot.cluster, slot.cards.length, ctx);
      placeInOrder(group.list, slot.cards.map((c) => this.renderCard(c, ctx)));
      return group.el;
    });
    placeInOrder(entry.list, nodes);
  }

  renderCluster(key, cluster, count, ctx) {
    let entry = this.clusters.get(key);
    if (!entry) {
      const list = el('ul', { className: 'cluster__cards' });
      const head = el('div', { className: 'cluster__head' });
      entry = { el: el('li', { className: 'cluster', dataset: { cluster: cluster.id, testid: 'cluster' } }, [head, list]), list, head, sig: null };
      this.clusters.set(key, entry);
    }
    const full = this.mode === 'full';
    const canEdit = full && ctx.writer && !ctx.frozen;
    const canProject = canEdit && this.store.projectPhase;
    const sig = JSON.stringify([cluster.title, count, canEdit, canProject, t('cluster.rename')]);
    if (sig !== entry.sig) {
      entry.sig = sig;
      const titleId = domId('cluster', this.key, key);
      entry.el.setAttribute('aria-labelledby', titleId);
      entry.head.replaceChildren(...[
        el(full ? 'h3' : 'h5', { className: 'cluster__title', id: titleId, text: cluster.title, dataset: { testid: 'cluster-title' } }),
        el('span', { className: 'cluster__count', text: t('board.count', { n: count }) }),
        canEdit && button('cluster-rename', t('cluster.rename'), { className: 'btn--small', dataset: { testid: 'cluster-rename' }, attrs: { 'aria-describedby': titleId } }),
        canProject && button('cluster-project', t('project.fromCluster'), { className: 'btn--small', dataset: { testid: 'cluster-project' }, attrs: { 'aria-describedby': titleId } }),
      ].filter(Boolean));
    }
    return entry;
  }

  /**
   * The table's sheets in a project column, each item kept and rebuilt only when what it shows
   * changes; the open sheet's editor goes right under its item.
   */
  renderSheets(board, column, entry, sheets, usedSheets) {
    const ctx = sheetContext(this, board);
    let editingHere = false;
    const nodes = sheets.map((p) => {
      const key = `${column.id}|${p.id}`;
      usedSheets.add(key);
      let item = this.sheets.get(key);
      if (!item) {
        const head = el('div', { className: 'sheet-item__head' });
        item = { el: el('li', { dataset: { project: p.id, testid: this.mode === 'full' ? 'project-item' : 'mini-sheet' } }, [head]), head };
        this.sheets.set(key, item);
      }
      item.el.className = `sheet-item sheet-item--${p.status} sheet-item--${this.mode}`;
      renderIfChanged(item.head, sheetSignature(this, p, ctx), () => sheetBody(this, p, ctx));
      const editing = this.openSheet === p.id && this.sheetEditor && !this.editorPlaced;
      item.el.classList.toggle('sheet-item--open', Boolean(editing));
      if (editing) {
        // Moved only when elsewhere: moving the editor would take the focus out of it.
        if (this.sheetEditor.parentNode !== item.el) item.el.append(this.sheetEditor);
        this.editorPlaced = true;
        editingHere = true;
      }
      return item.el;
    });
    entry.section.classList.toggle('column--editing', editingHere);
    placeInOrder(entry.sheets, nodes);
  }

  /** Cards left in a project column: shown as they are, changed by nobody but the facilitator. */
  legacyContext(ctx) {
    return ctx.moderation
      ? { ...ctx, prev: null, next: null, voting: false }
      : { ...ctx, prev: null, next: null, voting: false, writer: false, frozen: true };
  }

  /**
   * "Nouvelle fiche projet" in a project column, for the table during the phase that opens it;
   * else why the column only reads.
   */
  renderSheetForm(board, column, entry) {
    const store = this.store;
    const w = store.workshop;
    const frozen = store.isFrozen(board);
    const mine = store.you?.role === 'participant' && board.group === store.you?.group;
    const open = !this.readOnly && mine && store.acceptsNewCards(column) && !frozen;
    const writing = w.phases.find((p) => p.open?.includes(column.kind));
    const sig = JSON.stringify(['sheets', open, this.readOnly, mine, frozen, w.closed, board.locked, w.paused,
      writing?.title, t('project.new')]);
    if (sig === entry.formSig) return;
    entry.formSig = sig;
    if (this.readOnly) { entry.formSlot.replaceChildren(); return; }
    const focused = entry.formSlot.contains(document.activeElement);
    if (open) {
      entry.formSlot.replaceChildren(el('div', { className: 'sheet-new' }, [
        button('project-new', t('project.new'), { className: 'btn--primary btn--wide', dataset: { testid: 'project-new' } }),
        el('p', { className: 'hint', text: t('project.intro') }),
      ]));
      if (focused) entry.formSlot.querySelector('button')?.focus();
      return;
    }
    const why = frozen
      ? t(w.closed ? 'board.closed' : board.locked ? 'board.locked' : 'board.paused')
      : writing && !store.acceptsNewCards(column) ? t('sheets.closed', { phase: writing.title }) : t('sheets.readOnly');
    entry.formSlot.replaceChildren(el('p', { className: 'column__closed', text: why, dataset: { testid: 'sheets-closed' } }));
  }

  /** @returns {string|undefined} the column shown first on phones: the first one open now. */
  defaultColumn(board) {
    return (board.columns.find((c) => this.store.acceptsNewCards(c)) ?? board.columns[0])?.id;
  }

  cardContext(board, index) {
    const store = this.store;
    const phase = store.phase;
    const role = store.you?.role;
    // A card moves to the nearest column that takes cards: a project column holds sheets only.
    return {
      prev: board.columns.slice(0, index).reverse().find((c) => !holdsSheets(c)) ?? null,
      next: board.columns.slice(index + 1).find((c) => !holdsSheets(c)) ?? null,
      frozen: store.isFrozen(board) || role === 'observer' || this.readOnly,
      // Participants write on their table's board; the facilitator writes anywhere.
      writer: !this.readOnly && (store.isFacilitator || (role === 'participant' && board.group === store.you?.group)),
      moderation: this.moderation && store.isFacilitator,
      voting: Boolean(phase?.voting) && role === 'participant' && !this.readOnly,
      votingOpen: store.votingOpen,
      myVotes: store.myVotes,
      votesLeft: store.votesLeft,
      maxPerCard: store.workshop?.settings?.maxVotesPerCard ?? 1,
    };
  }

  renderCard(card, ctx) {
    const sig = cardSignature(this, card, ctx);
    let entry = this.cards.get(card.id);
    if (entry && entry.sig === sig) return entry.el;
    const li = entry?.el ?? el('li', { dataset: { card: card.id, testid: 'card' }, tabIndex: -1 });
    li.className = `card card--${COLORS.includes(card.color) ? card.color : 'yellow'}`;
    li.classList.toggle('card--pending', Boolean(card.pending));
    li.classList.toggle('card--mine', Boolean(card.author && card.author === this.store.you?.participant));
    li.classList.toggle('card--mini', this.mode === 'mini');
    li.classList.toggle('card--private', Boolean(card.private));
    li.classList.toggle('card--hidden', Boolean(card.hidden));
    li.draggable = this.mode === 'full' && !card.pendingAdd && !ctx.frozen && ctx.writer;
    li.replaceChildren(...cardBody(this, card, ctx));
    entry = { el: li, sig };
    this.cards.set(card.id, entry);
    return li;
  }

  renderForm(board, column, entry) {
    const store = this.store;
    const frozen = store.isFrozen(board);
    const open = !this.readOnly && store.acceptsNewCards(column) && !frozen && store.you?.role !== 'observer';
    const sig = JSON.stringify([open, this.readOnly, store.phase?.title, frozen, store.workshop.paused, store.workshop.settings?.privateWriting, COARSE.matches, t('add.submit')]);
    if (sig === entry.formSig) return;
    entry.formSig = sig;
    if (this.readOnly) { entry.formSlot.replaceChildren(); return; }
    const previous = entry.formSlot.querySelector('textarea')?.value ?? '';
    if (!open) {
      const w = store.workshop;
      const why = frozen
        ? t(w.closed ? 'board.closed' : board.locked ? 'board.locked' : 'board.paused')
        : t('add.closedColumn', { phase: store.phase?.title ?? '' });
      entry.formSlot.replaceChildren(el('p', { className: 'column__closed', text: why }));
      return;
    }
    const textId = domId('add', this.key, column.id);
    const hintId = `${textId}-hint`;
    const errorId = `${textId}-error`;
    const colors = el('fieldset', { className: 'swatches' }, [el('legend', { className: 'swatches__legend', text: t('add.color') })]);
    COLORS.forEach((color, i) => {
      const radioId = `${textId}-${color}`;
      colors.append(
        el('input', { type: 'radio', name: `${textId}-color`, value: color, id: radioId, className: 'swatch__input', checked: i === 0 }),
        el('label', { htmlFor: radioId, className: `swatch swatch--${color}`, title: t(`color.${color}`) }, [
          el('span', { className: 'sr-only', text: t(`color.${color}`) }),
        ]),
      );
    });
    const privateNote = store.workshop.settings?.privateWriting && !store.isFacilitator
      ? el('p', { className: 'hint hint--private', text: t('add.privateHint'), dataset: { testid: 'private-hint' } }) : null;
    entry.formSlot.replaceChildren(el('form', { className: 'add-card', dataset: { action: 'add-form', addColumn: column.id, testid: 'add-card-form' }, noValidate: true }, [
      el('label', { htmlFor: textId, className: 'add-card__label', text: t('add.label', { column: column.title }) }),
      el('textarea', {
        id: textId, className: 'add-card__text', rows: 3, maxLength: 1000, value: previous,
        placeholder: t('add.placeholder'), dataset: { testid: 'add-card-text' },
        attrs: { 'aria-describedby': COARSE.matches ? errorId : `${hintId} ${errorId}` },
      }),
      el('p', { className: 'field-error', id: errorId, attrs: { 'aria-live': 'polite' } }),
      el('div', { className: 'add-card__row' }, [
        colors,
        el('button', { type: 'submit', className: 'btn btn--primary', text: t('add.submit'), dataset: { testid: 'add-card-submit' } }),
      ]),
      COARSE.matches ? null : el('p', { className: 'hint add-card__hint', id: hintId, text: t('add.hint') }),
      privateNote,
    ]));
  }

  renderTabs(board, cards) {
    const active = this.activeColumn ?? this.defaultColumn(board);
    if (this.tabs.childNodes.length !== board.columns.length) {
      this.tabs.replaceChildren(...board.columns.map((c) => el('button', {
        type: 'button', className: 'column-tab',
        dataset: { action: 'show-column', tabColumn: c.id, testid: 'column-tab' },
        attrs: { 'aria-controls': domId('col', this.key, c.id) },
      })));
    }
    board.columns.forEach((c, i) => {
      const tab = this.tabs.childNodes[i];
      const n = holdsSheets(c) ? this.store.projectsOf(board.id).length : cards.filter((card) => card.column === c.id && !card.pending).length;
      tab.textContent = '';
      tab.append(el('span', { className: 'column-tab__title', text: c.title }), el('span', { className: 'column-tab__count', text: String(n) }));
      tab.setAttribute('aria-pressed', String(c.id === active));
      tab.classList.toggle('column-tab--open', this.store.acceptsNewCards(c));
    });
  }

  rememberFocus() {
    const active = document.activeElement;
    if (!active || !this.root.contains(active)) return null;
    const card = active.closest('[data-card]');
    return {
      el: active,
      card: card?.dataset.card ?? null,
      testid: active.dataset.testid ?? null,
      selection: 'selectionStart' in active ? [active.selectionStart, active.selectionEnd] : null,
    };
  }

  restoreFocus(focus) {
    if (!focus || (document.activeElement && document.activeElement !== document.body && this.root.contains(document.activeElement))) return;
    if (focus.el.isConnected && focus.el.offsetParent !== null) { focus.el.focus(); return; }
    if (!focus.card) return;
    const card = this.cards.get(focus.card)?.el;
    if (!card || !card.isConnected) return;
    const target = (focus.testid && card.querySelector(`[data-testid="${focus.testid}"]`))
      ?? card.querySelector('[data-action^="move"]') ?? card;
    target.focus();
    if (focus.selection && 'setSelectionRange' in target) {
      try { target.setSelectionRange(...focus.selection); } catch { /* not a text field */ }
    }
  }
}

/** Puts `nodes` as the children of `list`, in order, moving only what is out of place. */
function placeInOrder(list, nodes) {
  let previous = null;
  for (const node of nodes) {
    const expected = previous ? previous.nextSibling : list.firstChild;
    if (node !== expected) list.insertBefore(node, expected);
    previous = node;
  }
  // Anything after the last placed node that is not ours anymore (e.g. a card that joined a cluster).
  let extra = previous ? previous.nextSibling : list.firstChild;
  while (extra) {
    const next = extra.nextSibling;
    if (!nodes.includes(extra)) extra.remove();
    extra = next;
  }
}
