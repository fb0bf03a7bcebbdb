// One card's content: text (or its editor), who wrote it, marks (private, hidden, pending, votes),
// the vote row, the actions and the comments. Returned as nodes; BoardView places them.

import { t } from './i18n.js';
import { el, domId, button } from './dom.js';
import { menuButton, menuItem } from './menu.js';

/**
 * Who wrote a card (or a comment), as shown on it.
 * @param {{author: string|null}} item
 * @param {import('./store.js').Store} store
 * @returns {string|null} null for authorless (seeded or anonymous) items
 */
export function authorLabel(item, store) {
  // Carried from an earlier workshop of the series: its people are not this one's.
  const carried = !item.author && item.id ? store.workshop?.carried?.[item.id] : null;
  if (carried) return carried.table ? t('card.carriedFrom', { table: carried.table }) : t('card.carried');
  if (!item.author) return null;
  if (item.author === store.you?.participant) return t('card.byYou');
  if (item.author === 'facilitator') return t('card.facilitator');
  return store.participant(item.author)?.name ?? t('card.unknown');
}

/**
 * Everything that decides how a card looks, so it is rebuilt only when one of them changes.
 * @returns {string}
 */
export function cardSignature(view, card, ctx) {
  const store = view.store;
  return JSON.stringify([
    card.text, card.color, card.pending, card.pendingAdd, authorLabel(card, store), card.votes, card.private,
    card.hidden, card.cluster, ctx.prev?.title, ctx.next?.title, ctx.frozen, ctx.writer, ctx.moderation, ctx.voting,
    ctx.votingOpen, ctx.voting && store.mayVoteOn(card),
    ctx.votesLeft, ctx.maxPerCard, ctx.myVotes[card.id] ?? 0, view.editing.has(card.id), view.confirmingDelete.has(card.id),
    view.openComments.has(card.id), view.openTools.has(card.id), store.commentsOf(card.id).map((c) => [c.id, c.text, c.pending, authorLabel(c, store)]),
    t('card.edit'),
  ]);
}

/**
 * The nodes inside a card's `<li>`.
 * @param {import('./board.js').BoardView} view
 * @param {object} card the card as shown (pending changes applied)
 * @param {object} ctx see BoardView.cardContext
 * @returns {Node[]}
 */
export function cardBody(view, card, ctx) {
  const store = view.store;
  const mine = Boolean(card.author && card.author === store.you?.participant);
  const full = view.mode === 'full';
  const parts = [];
  parts.push(view.editing.has(card.id)
    ? editForm(view, card)
    : el('p', { className: 'card__text', id: domId('text', view.key, card.id), text: card.text, dataset: { testid: 'card-text' } }));
  parts.push(meta(view, card, mine));
  if (card.pendingAdd) return parts.filter(Boolean);

  if (full && ctx.voting && !ctx.frozen) parts.push(voteRow(card, ctx, store.mayVoteOn(card)));
  if (view.confirmingDelete.has(card.id)) {
    parts.push(el('div', { className: 'card__confirm', attrs: { role: 'group', 'aria-label': t('card.deleteConfirm') } }, [
      el('p', { className: 'card__confirm-text', text: t('card.deleteConfirm') }),
      button('delete-confirm', t('card.deleteYes'), { className: 'btn--small btn--danger', dataset: { testid: 'card-delete-confirm' } }),
      button('delete-cancel', t('card.cancel'), { className: 'btn--small', dataset: { testid: 'card-delete-cancel' } }),
    ]));
  } else if (full) {
    // On the board, a card's actions are behind one menu button: the card stays compact.
    const items = [];
    const movable = !ctx.frozen && ctx.writer;
    if (movable && ctx.prev) items.push(moveItem('move-prev', t('card.arrowPrev'), ctx.prev, true));
    if (movable && ctx.next) items.push(moveItem('move-next', t('card.arrowNext'), ctx.next, false));
    const editable = !ctx.frozen && (mine ? ctx.writer || ctx.moderation : ctx.moderation);
    if (editable && !view.editing.has(card.id)) {
      items.push(
        menuItem('edit', t('card.edit'), { testid: 'card-edit' }),
        menuItem('delete', t('card.delete'), { testid: 'card-delete', danger: true }),
      );
    }
    if (ctx.writer && !ctx.frozen) items.push(menuItem('regroup', t('cluster.regroup'), { testid: 'card-regroup' }));
    if (ctx.moderation) {
      items.push(card.hidden
        ? menuItem('restore', t('mod.restore'), { testid: 'card-restore' })
        : menuItem('hide', t('mod.hide'), { testid: 'card-hide' }));
    }
    if (items.length) {
      parts.push(el('div', { className: 'card__menu' }, [menuButton({
        key: `card:${view.key}:${card.id}`, label: t('card.menu'), ariaLabel: t('card.menuLabel'),
        describedBy: domId('text', view.key, card.id), testid: 'card-menu', items,
      })]));
    }
  } else {
    const actions = el('div', { className: 'card__actions' });
    const editable = !ctx.frozen && (mine ? ctx.writer || ctx.moderation : ctx.moderation);
    if (editable && !view.editing.has(card.id)) {
      actions.append(
        button('edit', t('card.edit'), { className: 'btn--small', dataset: { testid: 'card-edit' } }),
        button('delete', t('card.delete'), { className: 'btn--small btn--quiet-danger', dataset: { testid: 'card-delete' } }),
      );
    }
    if (ctx.moderation) {
      actions.append(card.hidden
        ? button('restore', t('mod.restore'), { className: 'btn--small', dataset: { testid: 'card-restore' } })
        : button('hide', t('mod.hide'), { className: 'btn--small', dataset: { testid: 'card-hide' } }));
    }
    if (actions.childNodes.length) {
      // The overview stays compact: the facilitator's tools fold under one button per card.
      const tools = el('details', { className: 'card__tools', open: view.openTools.has(card.id), dataset: { testid: 'card-tools' } }, [
        el('summary', { className: 'card__tools-summary', text: t('mod.tools') }), actions,
      ]);
      tools.addEventListener('toggle', () => {
        if (tools.open) view.openTools.add(card.id); else view.openTools.delete(card.id);
      });
      parts.push(tools);
    }
  }
  parts.push(comments(view, card, ctx));
  // Each button is read with the card's text, so "Modifier" says which card it modifies.
  for (const part of parts) {
    for (const b of part?.querySelectorAll?.('.card__actions button, .card__votes button, .card__confirm button, .card__tools-summary') ?? []) {
      b.setAttribute('aria-describedby', [domId('text', view.key, card.id), b.dataset.describedExtra].filter(Boolean).join(' '));
    }
  }
  return parts.filter(Boolean);
}

function meta(view, card, mine) {
  const author = authorLabel(card, view.store);
  const node = el('p', { className: 'card__meta' });
  const by = card.author === 'facilitator' ? t('card.byFacilitator') : t('card.by', { name: author });
  if (author) node.append(el('span', { className: 'card__author', text: mine ? author : by }));
  if (card.private) {
    node.append(el('span', {
      className: 'badge badge--private', dataset: { testid: 'private-marker' },
      text: view.store.isFacilitator ? t('card.privateFacilitator') : t('card.private'),
    }));
  }
  if (card.hidden) node.append(el('span', { className: 'badge badge--hidden', text: t('mod.hiddenBadge'), dataset: { testid: 'hidden-marker' } }));
  if (card.pending) node.append(el('span', { className: 'badge badge--pending', text: t('card.pending') }));
  if (typeof card.votes === 'number') {
    node.append(el('span', { className: 'badge badge--votes', text: t('card.votes', { n: card.votes }), dataset: { testid: 'vote-count' } }));
  }
  return node.childNodes.length ? node : null;
}

function moveItem(action, arrow, column, before) {
  const arrowSpan = el('span', { className: 'arrow', text: arrow, attrs: { 'aria-hidden': 'true' } });
  const label = el('span', { text: t('card.moveTo', { column: column.title }) });
  return menuItem(action, before ? [arrowSpan, label] : [label, arrowSpan], { testid: `card-${action}`, dataset: { target: column.id } });
}

/**
 * "Voter" where a dot may go (a column the phase votes on, not one's own card unless allowed, while
 * the vote is open), one's dots and "Retirer mon vote" while it is open; once it is closed, only
 * one's dots.
 */
function voteRow(card, ctx, votable) {
  const mine = ctx.myVotes[card.id] ?? 0;
  const dots = mine > 0 ? el('span', { className: 'vote-dots', text: t('card.myVotes', { n: mine }), dataset: { testid: 'my-votes' } }) : null;
  if (!ctx.votingOpen) return dots ? el('div', { className: 'card__votes' }, [dots]) : null;
  if (!votable && !mine) return null;
  const row = el('div', { className: 'card__votes' });
  if (votable) {
    const canVote = ctx.votesLeft > 0 && mine < ctx.maxPerCard;
    // aria-disabled rather than disabled: the button keeps focus after the last vote is spent.
    row.append(el('button', {
      type: 'button', className: 'btn btn--small btn--vote', text: t('card.vote'), title: t('card.voteLabel'),
      dataset: { action: 'vote', testid: 'card-vote' }, attrs: { 'aria-disabled': canVote ? null : 'true' },
    }));
    if (!canVote) {
      // A greyed button says why.
      const whyId = domId('vote-why', card.id);
      row.firstChild.dataset.describedExtra = whyId;
      row.append(el('span', { className: 'vote-why', id: whyId, text: ctx.votesLeft <= 0 ? t('card.voteNoneLeft') : t('card.voteMaxed', { n: ctx.maxPerCard }), dataset: { testid: 'vote-why' } }));
    }
  }
  if (dots) {
    row.append(dots, el('button', {
      type: 'button', className: 'btn btn--small', text: t('card.retract'),
      dataset: { action: 'retract', testid: 'card-retract' }, title: t('card.retractLabel'),
    }));
  }
  return row;
}

function editForm(view, card) {
  const id = domId('edit', view.key, card.id);
  const area = el('textarea', {
    id, className: 'card__editor', maxLength: 1000, rows: 3, required: true,
    value: view.editing.get(card.id)?.text ?? card.text, dataset: { testid: 'card-edit-text', draftFor: card.id },
  });
  return el('form', { className: 'card__edit', dataset: { action: 'edit-form' } }, [
    el('label', { className: 'sr-only', htmlFor: id, text: t('card.editLabel') }),
    area,
    el('div', { className: 'card__actions' }, [
      el('button', { type: 'submit', className: 'btn btn--primary btn--small', text: t('card.save'), dataset: { testid: 'card-edit-save' } }),
      button('edit-cancel', t('card.cancel'), { className: 'btn--small', dataset: { testid: 'card-edit-cancel' } }),
    ]),
  ]);
}

function comments(view, card, ctx) {
  const store = view.store;
  const list = store.commentsOf(card.id);
  const canWrite = !ctx.frozen && !view.readOnly && (ctx.writer || ctx.moderation);
  // The overview only shows comments that exist; writing them happens on the boards.
  if (!list.length && (!canWrite || view.mode !== 'full')) return null;
  const details = el('details', { className: 'comments', dataset: { testid: 'comments' }, open: view.openComments.has(card.id) });
  details.addEventListener('toggle', () => {
    if (details.open) view.openComments.add(card.id); else view.openComments.delete(card.id);
  });
  details.append(el('summary', { className: 'comments__summary', text: t('comment.summary', { n: list.length }) }));
  const ul = el('ul', { className: 'comments__list' });
  for (const c of list) {
    const who = authorLabel(c, store);
    const own = c.author && c.author === store.you?.participant;
    const li = el('li', { className: `comment${c.pending ? ' comment--pending' : ''}`, dataset: { comment: c.id, testid: 'comment' } }, [
      who ? el('span', { className: 'comment__author', text: `${who} : ` }) : null,
      el('span', { className: 'comment__text', text: c.text, dataset: { testid: 'comment-text' } }),
    ]);
    if (!c.pending && !ctx.frozen && (own || store.isFacilitator)) {
      li.append(button('comment-delete', t('comment.delete'), {
        className: 'btn--small btn--link comment__delete', dataset: { testid: 'comment-delete' },
        attrs: { 'aria-label': t('comment.deleteLabel', { text: c.text.slice(0, 60) }) },
      }));
    }
    ul.append(li);
  }
  details.append(ul);
  if (canWrite) {
    const inputId = domId('comment', view.key, card.id);
    details.append(el('form', { className: 'comments__form', dataset: { action: 'comment-form' } }, [
      el('label', { className: 'sr-only', htmlFor: inputId, text: t('comment.label') }),
      el('input', {
        type: 'text', id: inputId, maxLength: 500, value: view.commentDrafts.get(card.id) ?? '',
        placeholder: t('comment.placeholder'), dataset: { testid: 'comment-input', commentDraft: card.id },
      }),
      el('button', { type: 'submit', className: 'btn btn--small', text: t('comment.add'), dataset: { testid: 'comment-submit' } }),
    ]));
  }
  return details;
}
