// One project sheet as an item of a board's project column: a project column holds the table's
// sheets, not cards (docs/protocol.md, `card.add`). On the participant's board the item is compact
// (title, status, supporters, who changed it last) and opens the sheet's editor right under it;
// on the facilitator's mini boards it is the title and the status.

import { t } from './i18n.js';
import { el, domId, button } from './dom.js';
import { receiptLine } from './receipt.js';

/**
 * Whether a column holds project sheets rather than cards.
 * @param {{kind: string}} column
 * @returns {boolean}
 */
export function holdsSheets(column) {
  return column?.kind === 'project';
}

/** @returns {number} how many people support a sheet. */
export function supportCount(p) {
  return p.supportCount ?? (p.supporters ?? []).length;
}

/**
 * What the viewer may do with the sheets of a board.
 * @param {import('./board.js').BoardView} view
 * @param {object} board
 * @returns {{open: boolean, support: boolean}}
 */
export function sheetContext(view, board) {
  const store = view.store;
  const role = store.you?.role;
  const mine = !view.readOnly && role === 'participant' && board.group === store.you?.group;
  return {
    open: view.mode === 'full' && mine,
    support: view.mode === 'full' && !view.readOnly && role === 'participant' && !store.workshop.closed,
  };
}

/**
 * Everything that decides how a sheet's item looks, so it is rebuilt only when one of them changes.
 * @returns {string}
 */
export function sheetSignature(view, p, ctx) {
  const store = view.store;
  return JSON.stringify([
    view.mode, p.title, p.status, p.supporters, supportCount(p), p.receipts, view.sheetLine?.(p) ?? '',
    view.openSheet === p.id, ctx.open, ctx.support, (p.supporters ?? []).includes(store.you?.participant),
    t('project.openSheet'),
  ]);
}

/**
 * The nodes of a sheet's item (the editor, when open, is placed after them by the BoardView).
 * @param {import('./board.js').BoardView} view
 * @param {object} p the sheet
 * @param {{open: boolean, support: boolean}} ctx see sheetContext
 * @returns {Node[]}
 */
export function sheetBody(view, p, ctx) {
  const status = el('span', {
    className: `badge badge--status badge--${p.status}`, text: t(`project.status.${p.status}`), dataset: { testid: 'project-status' },
  });
  if (view.mode !== 'full') {
    return [el('p', { className: 'sheet-item__title', dataset: { testid: 'sheet-title' } }, [
      el('span', { text: p.title }), ' ', status,
    ])];
  }
  const titleId = domId('sheet', view.key, p.id);
  const line = view.sheetLine?.(p) ?? '';
  const isOpen = view.openSheet === p.id;
  const supported = (p.supporters ?? []).includes(view.store.you?.participant);
  const actions = [
    ctx.open ? button('project-open', isOpen ? t('project.closeSheet') : t('project.openSheet'), {
      className: `btn--small${isOpen ? '' : ' btn--primary'}`, dataset: { testid: 'project-open' },
      attrs: { 'aria-expanded': String(isOpen), 'aria-describedby': titleId },
    }) : null,
    ctx.support ? button('project-support', supported ? t('project.unsupport') : t('project.supportIt'), {
      className: 'btn--small', dataset: { testid: 'project-support' },
      attrs: { 'aria-pressed': String(supported), 'aria-describedby': titleId },
    }) : null,
  ].filter(Boolean);
  return [
    el('h3', { className: 'sheet-item__title', id: titleId, text: p.title, dataset: { testid: 'sheet-title' } }),
    el('p', { className: 'sheet-item__meta' }, [
      status,
      el('span', { text: ` · ${t('project.supporters', { n: supportCount(p) })}` }),
      line ? el('span', { text: ` · ${line}` }) : null,
    ]),
    ...(p.receipts ?? []).map(receiptLine),
    actions.length ? el('div', { className: 'sheet-item__actions' }, actions) : null,
  ].filter(Boolean);
}
