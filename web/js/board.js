// Board rendering, shared by the participant board and the facilitator's mini boards.
// Elements are kept per column and per card and only rebuilt when what they show changes, so
// focus, drafts and scroll positions survive live updates from other people.

import { t } from './i18n.js';
import { COLORS } from './store.js';

/** Vertical spacing the seeded cards use; new and moved cards follow it. */
export const CARD_SPACING = 120;
const MAX_COORD = 10000;

/**
 * Creates an element.
 * @param {string} tag
 * @param {object} [props] `className`, `text` (textContent), `dataset`, `attrs`, other properties
 * @param {Node[]} [children]
 * @returns {HTMLElement}
 */
export function el(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  const { className, text, dataset, attrs, ...rest } = props;
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  if (dataset) Object.assign(node.dataset, dataset);
  if (attrs) for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined) node.setAttribute(k, v);
  Object.assign(node, rest);
  for (const child of children) if (child) node.append(child);
  return node;
}

/** @returns {string} a string safe inside an element id. */
export function domId(...parts) {
  return parts.join('-').replace(/[^A-Za-z0-9_-]/g, '_');
}

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
 * Who wrote a card, as shown on it.
 * @param {object} card
 * @param {import('./store.js').Store} store
 * @returns {string|null} null for authorless (seeded or anonymous) cards
 */
export function authorLabel(card, store) {
  if (!card.author) return null;
  if (card.author === store.you?.participant) return t('card.byYou');
  return store.participant(card.author)?.name ?? t('card.unknown');
}

/**
 * Renders one board (columns and cards) into a container and keeps it in sync on render().
 * Mode `full` (the participant's board) adds column tabs for phones, add-card forms and card
 * actions; mode `mini` (the facilitator's overview) shows columns, counts and cards only.
 * Interaction (clicks, drops, forms) is wired by the caller on `root` through `data-action`.
 */
export class BoardView {
  /**
   * @param {HTMLElement} root the container (emptied)
   * @param {import('./store.js').Store} store
   * @param {{mode?: 'full'|'mini', boardId?: string}} [options] boardId: fixed board (else the viewer's)
   */
  constructor(root, store, { mode = 'full', boardId = null } = {}) {
    this.root = root;
    this.store = store;
    this.mode = mode;
    this.boardId = boardId;
    /** UI state the caller may change before render(). */
    this.activeColumn = null;
    this.editing = new Map(); // card id → {text: draft, version: the version the edit started from}
    this.confirmingDelete = new Set();
    this.shape = null;
    this.columns = new Map();
    this.cards = new Map();
  }

  /** @returns {object|undefined} the board shown. */
  get board() {
    return this.boardId ? this.store.board(this.boardId) : this.store.myBoard;
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
    board.columns.forEach((column, index) => {
      const inColumn = cards.filter((c) => c.column === column.id);
      inColumn.forEach((c) => known.add(c.id));
      this.renderColumn(board, column, index, inColumn);
    });
    for (const [id, entry] of this.cards) {
      if (!known.has(id)) { entry.el.remove(); this.cards.delete(id); this.editing.delete(id); }
    }
    if (this.mode === 'full') this.renderTabs(board, cards);
    this.restoreFocus(focus);
  }

  build(board, shape) {
    this.shape = shape;
    this.root.replaceChildren();
    this.columns.clear();
    this.cards.clear();
    if (!board) return;
    const grid = el('div', { className: `columns columns--${this.mode}` });
    if (this.mode === 'full') {
      this.tabs = el('div', { className: 'column-tabs', attrs: { role: 'group', 'aria-label': t('board.columns') } });
      this.root.append(this.tabs);
    }
    for (const column of board.columns) {
      const titleId = domId('col', board.id, column.id, 'title');
      const count = el('span', { className: 'column__count' });
      const section = el('section', {
        className: 'column', id: domId('col', board.id, column.id),
        dataset: { column: column.id, kind: column.kind }, attrs: { 'aria-labelledby': titleId },
      }, [
        el('header', { className: 'column__head' }, [
          el(this.mode === 'full' ? 'h2' : 'h4', { className: 'column__title', id: titleId, text: column.title }),
          count,
        ]),
      ]);
      const formSlot = el('div', { className: 'column__form' });
      const list = el('ul', { className: 'column__cards', attrs: { 'aria-labelledby': titleId } });
      const empty = el('p', { className: 'column__empty', text: t('board.empty') });
      if (this.mode === 'full') section.append(formSlot);
      section.append(list, empty);
      grid.append(section);
      this.columns.set(column.id, { section, list, count, empty, formSlot, formSig: null, tab: null });
    }
    this.root.append(grid);
  }

  renderColumn(board, column, index, cards) {
    const entry = this.columns.get(column.id);
    entry.count.textContent = t('board.count', { n: cards.filter((c) => !c.pending).length });
    entry.empty.hidden = cards.length > 0;
    entry.empty.textContent = t('board.empty');
    const active = this.activeColumn ?? this.defaultColumn(board);
    entry.section.classList.toggle('column--active', active === column.id);
    if (this.mode === 'full') this.renderForm(board, column, entry);
    const ctx = this.cardContext(board, index);
    let previous = null;
    for (const card of cards) {
      const node = this.renderCard(card, ctx);
      const expected = previous ? previous.nextSibling : entry.list.firstChild;
      if (node !== expected) entry.list.insertBefore(node, expected);
      previous = node;
    }
  }

  /** @returns {string|undefined} the column shown first on phones: the first one open now. */
  defaultColumn(board) {
    return (board.columns.find((c) => this.store.acceptsNewCards(c)) ?? board.columns[0])?.id;
  }

  cardContext(board, index) {
    const store = this.store;
    const phase = store.phase;
    return {
      prev: board.columns[index - 1] ?? null,
      next: board.columns[index + 1] ?? null,
      frozen: store.isFrozen(board) || store.you?.role === 'observer',
      voting: Boolean(phase?.voting) && store.you?.role === 'participant',
      myVotes: store.myVotes,
      votesLeft: store.votesLeft,
      maxPerCard: store.workshop?.settings?.maxVotesPerCard ?? 1,
    };
  }

  renderCard(card, ctx) {
    const mine = card.author && card.author === this.store.you?.participant;
    const author = authorLabel(card, this.store);
    const sig = JSON.stringify([
      card.text, card.color, card.pending, card.pendingAdd, author, card.votes, ctx.prev?.title, ctx.next?.title, ctx.frozen,
      ctx.voting, ctx.myVotes[card.id] ?? 0, ctx.votesLeft, this.editing.has(card.id),
      this.confirmingDelete.has(card.id), t('card.edit'),
    ]);
    let entry = this.cards.get(card.id);
    if (entry && entry.sig === sig) return entry.el;
    const li = entry?.el ?? el('li', { dataset: { card: card.id }, tabIndex: -1 });
    li.className = `card card--${COLORS.includes(card.color) ? card.color : 'yellow'}`;
    li.classList.toggle('card--pending', Boolean(card.pending));
    li.classList.toggle('card--mine', Boolean(mine));
    li.classList.toggle('card--mini', this.mode === 'mini');
    const movable = this.mode === 'full' && !card.pendingAdd && !ctx.frozen;
    li.draggable = movable;
    li.replaceChildren(...this.cardBody(card, ctx, { mine, author, movable }));
    entry = { el: li, sig };
    this.cards.set(card.id, entry);
    return li;
  }

  cardBody(card, ctx, { mine, author, movable }) {
    const parts = [];
    if (this.editing.has(card.id)) {
      parts.push(this.editForm(card));
    } else {
      parts.push(el('p', { className: 'card__text', id: domId('text', card.id), text: card.text }));
    }
    const meta = el('p', { className: 'card__meta' });
    if (author) meta.append(el('span', { className: 'card__author', text: mine ? author : t('card.by', { name: author }) }));
    if (card.pending) meta.append(el('span', { className: 'badge badge--pending', text: t('card.pending') }));
    if (typeof card.votes === 'number') meta.append(el('span', { className: 'badge', text: t('card.votes', { n: card.votes }) }));
    if (meta.childNodes.length) parts.push(meta);
    if (this.mode !== 'full' || card.pendingAdd) return parts;

    if (ctx.voting && !ctx.frozen) parts.push(this.voteRow(card, ctx));
    if (this.confirmingDelete.has(card.id)) {
      parts.push(el('div', { className: 'card__confirm', attrs: { role: 'group', 'aria-label': t('card.deleteConfirm') } }, [
        el('p', { className: 'card__confirm-text', text: t('card.deleteConfirm') }),
        el('button', { type: 'button', className: 'btn btn--danger', text: t('card.deleteYes'), dataset: { action: 'delete-confirm', testid: 'card-delete-confirm' } }),
        el('button', { type: 'button', className: 'btn', text: t('card.cancel'), dataset: { action: 'delete-cancel', testid: 'card-delete-cancel' } }),
      ]));
      return parts;
    }
    const actions = el('div', { className: 'card__actions' });
    if (movable && ctx.prev) actions.append(this.moveButton('move-prev', t('card.arrowPrev'), ctx.prev, true));
    if (movable && ctx.next) actions.append(this.moveButton('move-next', t('card.arrowNext'), ctx.next, false));
    if (mine && !ctx.frozen && !this.editing.has(card.id)) {
      actions.append(
        el('button', { type: 'button', className: 'btn btn--small', text: t('card.edit'), dataset: { action: 'edit', testid: 'card-edit' } }),
        el('button', { type: 'button', className: 'btn btn--small btn--quiet-danger', text: t('card.delete'), dataset: { action: 'delete', testid: 'card-delete' } }),
      );
    }
    if (actions.childNodes.length) parts.push(actions);
    // Each button is read with the card's text, so "Modifier" says which card it modifies.
    for (const part of parts) {
      for (const button of part.querySelectorAll?.('button') ?? []) button.setAttribute('aria-describedby', domId('text', card.id));
    }
    return parts;
  }

  moveButton(action, arrow, column, before) {
    const arrowSpan = el('span', { className: 'arrow', text: arrow, attrs: { 'aria-hidden': 'true' } });
    const label = el('span', { text: column.title });
    const hidden = el('span', { className: 'sr-only', text: `${t('card.moveToPrefix')} ` });
    return el('button', {
      type: 'button', className: 'btn btn--small btn--move', title: t('card.moveTo', { column: column.title }),
      dataset: { action, testid: `card-${action}`, target: column.id },
    }, before ? [arrowSpan, hidden, label] : [hidden, label, arrowSpan]);
  }

  voteRow(card, ctx) {
    const mine = ctx.myVotes[card.id] ?? 0;
    const row = el('div', { className: 'card__votes' });
    const canVote = ctx.votesLeft > 0 && mine < ctx.maxPerCard;
    // aria-disabled rather than disabled: the button keeps focus after the last vote is spent.
    const vote = el('button', {
      type: 'button', className: 'btn btn--small btn--vote', text: t('card.vote'), title: t('card.voteLabel'),
      dataset: { action: 'vote', testid: 'card-vote' }, attrs: { 'aria-disabled': canVote ? null : 'true' },
    });
    row.append(vote);
    if (mine > 0) {
      row.append(
        el('span', { className: 'vote-dots', text: t('card.myVotes', { n: mine }) }),
        el('button', {
          type: 'button', className: 'btn btn--small', text: t('card.retract'),
          dataset: { action: 'retract', testid: 'card-retract' }, title: t('card.retractLabel'),
        }),
      );
    }
    return row;
  }

  editForm(card) {
    const id = domId('edit', card.id);
    const area = el('textarea', {
      id, className: 'card__editor', maxLength: 1000, rows: 3, required: true,
      value: this.editing.get(card.id)?.text ?? card.text, dataset: { testid: 'card-edit-text', draftFor: card.id },
    });
    return el('form', { className: 'card__edit', dataset: { action: 'edit-form' } }, [
      el('label', { className: 'sr-only', htmlFor: id, text: t('card.editLabel') }),
      area,
      el('div', { className: 'card__actions' }, [
        el('button', { type: 'submit', className: 'btn btn--primary btn--small', text: t('card.save'), dataset: { testid: 'card-edit-save' } }),
        el('button', { type: 'button', className: 'btn btn--small', text: t('card.cancel'), dataset: { action: 'edit-cancel', testid: 'card-edit-cancel' } }),
      ]),
    ]);
  }

  renderForm(board, column, entry) {
    const store = this.store;
    const open = store.acceptsNewCards(column) && !store.isFrozen(board) && store.you?.role !== 'observer';
    const sig = JSON.stringify([open, store.phase?.title, store.isFrozen(board), t('add.submit')]);
    if (sig === entry.formSig) return;
    entry.formSig = sig;
    const previous = entry.formSlot.querySelector('textarea')?.value ?? '';
    if (!open) {
      const why = store.isFrozen(board)
        ? t(store.workshop.closed ? 'board.closed' : 'board.locked')
        : t('add.closedColumn', { phase: store.phase?.title ?? '' });
      entry.formSlot.replaceChildren(el('p', { className: 'column__closed', text: why }));
      return;
    }
    const textId = domId('add', board.id, column.id);
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
    entry.formSlot.replaceChildren(el('form', { className: 'add-card', dataset: { action: 'add-form', addColumn: column.id, testid: 'add-card-form' }, noValidate: true }, [
      el('label', { htmlFor: textId, className: 'add-card__label', text: t('add.label', { column: column.title }) }),
      el('textarea', {
        id: textId, className: 'add-card__text', rows: 3, maxLength: 1000, value: previous,
        placeholder: t('add.placeholder'), dataset: { testid: 'add-card-text' },
        attrs: { 'aria-describedby': `${hintId} ${errorId}` },
      }),
      el('p', { className: 'field-error', id: errorId, attrs: { 'aria-live': 'polite' } }),
      el('div', { className: 'add-card__row' }, [
        colors,
        el('button', { type: 'submit', className: 'btn btn--primary', text: t('add.submit'), dataset: { testid: 'add-card-submit' } }),
      ]),
      el('p', { className: 'hint', id: hintId, text: t('add.hint') }),
    ]));
  }

  renderTabs(board, cards) {
    const active = this.activeColumn ?? this.defaultColumn(board);
    if (this.tabs.childNodes.length !== board.columns.length) {
      this.tabs.replaceChildren(...board.columns.map((c) => el('button', {
        type: 'button', className: 'column-tab',
        dataset: { action: 'show-column', tabColumn: c.id, testid: 'column-tab' },
        attrs: { 'aria-controls': domId('col', board.id, c.id) },
      })));
    }
    board.columns.forEach((c, i) => {
      const tab = this.tabs.childNodes[i];
      const n = cards.filter((card) => card.column === c.id && !card.pending).length;
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
      action: active.dataset.action ?? null,
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
    if (focus.selection && 'setSelectionRange' in target) target.setSelectionRange(...focus.selection);
  }
}
