// "Follow me": when the facilitator points everyone at a board, a participant whose table owns it
// is brought to their own board; the others see that board read-only above theirs, until the
// facilitator stops or they go back to their own board.

import { t } from './i18n.js';
import { el, button } from './dom.js';
import { BoardView } from './board.js';
import { announce } from './ui.js';

/**
 * @param {object} parts
 * @param {import('./store.js').Store} parts.store
 * @param {{section: HTMLElement, board: HTMLElement, title: HTMLElement, announcer: HTMLElement}} parts.dom
 * @returns {{render: () => void}}
 */
export function mountFollow({ store, dom }) {
  let dismissed = null; // the focus the person chose to leave
  let view = null;
  const heading = el('h2', { id: 'follow-title', className: 'follow__title', tabIndex: -1 });
  const hint = el('p', { className: 'hint', text: '' });
  const container = el('div', { className: 'board board--readonly', dataset: { testid: 'follow-board' } });
  const back = button('follow-back', t('follow.back'), { dataset: { testid: 'follow-back' } });
  dom.section.replaceChildren(heading, hint, container, back);
  dom.section.setAttribute('aria-labelledby', 'follow-title');

  function target() {
    const focus = store.workshop?.focus;
    if (!focus || focus === dismissed || focus === store.myBoard?.id) return null;
    return store.board(focus) ?? null;
  }

  function render() {
    const board = target();
    dom.section.hidden = !board;
    if (!board) { view = null; container.replaceChildren(); return; }
    if (!view || view.boardId !== board.id) {
      view = new BoardView(container, store, { mode: 'full', boardId: board.id, readOnly: true });
    }
    heading.textContent = t('follow.heading', { title: board.title });
    hint.textContent = t('follow.hint');
    back.textContent = t('follow.back');
    view.render();
  }

  back.addEventListener('click', () => {
    dismissed = store.workshop?.focus ?? null;
    render();
    dom.title.focus();
    dom.board.scrollIntoView({ block: 'start' });
  });

  // The tabs of the read-only board still switch columns on phones.
  container.addEventListener('click', (e) => {
    const tab = e.target.closest('[data-action="show-column"]');
    if (tab && view) { view.activeColumn = tab.dataset.tabColumn; view.render(); }
  });

  store.addEventListener('focus', (e) => {
    const { board } = e.detail;
    dismissed = null;
    render();
    if (!board) { announce(dom.announcer, t('follow.ended')); return; }
    if (board === store.myBoard?.id) {
      dom.title.focus();
      dom.board.scrollIntoView({ block: 'start' });
      announce(dom.announcer, t('follow.yours'));
    } else {
      heading.focus();
      dom.section.scrollIntoView({ block: 'start' });
      announce(dom.announcer, t('follow.other', { title: store.board(board)?.title ?? '' }));
    }
  });

  return { render };
}
