// The console's "Groupes de travail" panel (docs/protocol.md "Working groups"): turn a table into a
// working group that goes on after the session (end date, purpose), invite people by a link (shown
// once: the server keeps only its digest), revoke a link, close the group; and per group, what
// changed since the live session ended (cards, sheet edits, new members), as the server counts it.

import { t } from './i18n.js';
import { el, button, domId, renderIfChanged } from './dom.js';
import { announce, formatDateTime } from './ui.js';

const DAY_MS = 86_400_000;

/**
 * 23:59 on `date` (YYYY-MM-DD) in the time zone `zone`, as a Date.
 * @param {string} date
 * @param {string} zone an IANA name
 * @returns {Date}
 */
function endOfDayIn(date, zone) {
  const [y, m, d] = date.split('-').map(Number);
  const guess = Date.UTC(y, m - 1, d, 23, 59);
  let parts;
  try {
    parts = Object.fromEntries(new Intl.DateTimeFormat('en-GB', {
      timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
    }).formatToParts(new Date(guess)).map((p) => [p.type, p.value]));
  } catch {
    return new Date(guess);
  }
  // The zone's wall clock at `guess`, read as UTC: the difference is the zone's offset then.
  const wall = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute));
  return new Date(guess - (wall - guess));
}
const MAX_DAYS = 90;

/**
 * @param {object} ctx see mountControls
 * @param {{section: HTMLElement}} ctx.dom
 * @returns {{render: () => void}}
 */
export function mountConsoleGroups({ store, connection, send, announcer, dom }) {
  const list = el('div', { className: 'groups-list', dataset: { testid: 'groups-list' } });
  dom.section.append(el('p', { className: 'hint', text: t('group.consoleIntro') }), list);
  /** invitation id → the link, for the invitations made from this page (the secret is never sent again). */
  const links = new Map();
  /** message id of a `group.invite` → its table. */
  const inviting = new Map();

  connection.addEventListener('ack', (e) => {
    const { command, message } = e.detail;
    if (command?.type !== 'group.invite' || !message.result?.secret) return;
    inviting.delete(command.id);
    const w = store.workshop;
    const url = new URL(`join.html?workshop=${encodeURIComponent(w.id)}`, location.href);
    url.hash = `invitation=${encodeURIComponent(message.result.secret)}`;
    links.set(message.result.invitation, url.toString());
    announce(announcer, t('group.linkReady'));
    render();
  });

  list.addEventListener('submit', (e) => {
    const form = e.target.closest('form[data-group]');
    if (!form) return;
    e.preventDefault();
    const date = form.querySelector('input[type="date"]').value;
    const purpose = form.querySelector('textarea').value.trim();
    const error = form.querySelector('.field-error');
    // The end of the chosen day, in the workshop's time zone (the server bounds it to 90 days).
    const endsAt = /^\d{4}-\d{2}-\d{2}$/.test(date) ? endOfDayIn(date, store.workshop.timeZone || 'Europe/Paris') : null;
    const now = connection.serverNow();
    if (!endsAt || Number.isNaN(endsAt.getTime()) || endsAt.getTime() <= now || endsAt.getTime() > now + MAX_DAYS * DAY_MS) {
      error.textContent = t('group.errorDate', { n: MAX_DAYS });
      form.querySelector('input[type="date"]').setAttribute('aria-invalid', 'true');
      form.querySelector('input[type="date"]').focus();
      return;
    }
    error.textContent = '';
    send('group.open', { group: form.dataset.group, endsAt: endsAt.toISOString(), ...(purpose ? { purpose } : {}) });
    announce(announcer, t('group.openSent'));
  });

  list.addEventListener('click', (e) => {
    const target = e.target.closest('[data-action]');
    if (!target) return;
    const { action, group, invitation } = target.dataset;
    if (action === 'group-invite') inviting.set(send('group.invite', { group }), group);
    else if (action === 'group-revoke') { links.delete(invitation); send('group.revoke', { group, invitation }); }
    else if (action === 'group-close') {
      if (window.confirm(t('group.closeConfirm'))) send('group.close', { group });
    }
  });

  function describe(change) {
    const w = store.workshop;
    if (change.kind === 'card') {
      const card = store.card(change.id);
      return t('group.changeCard', { text: card?.text ?? change.id });
    }
    if (change.kind === 'sheet') {
      const sheet = store.project(change.id);
      return t('group.changeSheet', { title: sheet?.title ?? change.id });
    }
    const person = w.participants.find((p) => p.id === change.id);
    return t(person?.guestOf ? 'group.changeGuest' : 'group.changeMember', { name: person?.name ?? change.id });
  }

  function groupCard(table) {
    const w = store.workshop;
    const board = w.boards.find((b) => b.group === table.id);
    const groups = (w.workingGroups ?? []).filter((g) => g.group === table.id);
    const open = groups.find((g) => !g.ended);
    const last = groups[groups.length - 1];
    const headingId = domId(`group-${table.id}`);
    const children = [el('h3', { id: headingId, text: board?.title ?? table.title })];
    if (open) {
      children.push(el('p', { className: 'group-state', dataset: { testid: 'group-open' },
        text: t('group.openUntil', { date: formatDateTime(open.endsAt) }) }));
      if (open.purpose) children.push(el('p', { className: 'group-purpose', text: open.purpose }));
      const since = open.since ?? { cards: 0, sheetEdits: 0, members: 0, changes: [] };
      children.push(el('h4', { text: t('group.sinceHeading') }));
      children.push(el('p', { dataset: { testid: 'group-since' },
        text: t('group.sinceCounts', { cards: since.cards, sheets: since.sheetEdits, members: since.members }) }));
      if (since.changes.length) {
        children.push(el('ul', { className: 'group-changes', dataset: { testid: 'group-changes' } },
          [...since.changes].reverse().slice(0, 50).map((c) => el('li', { dataset: { kind: c.kind } },
            [el('span', { className: 'group-changes__when', text: `${formatDateTime(c.at)} · ` }), el('span', { text: describe(c) })]))));
      }
      children.push(el('h4', { text: t('group.invitationsHeading') }));
      const invitations = open.invitations ?? [];
      if (invitations.length) {
        children.push(el('ul', { className: 'group-invitations' }, invitations.map((i) => el('li', {}, [
          links.has(i.id)
            ? el('p', {}, [el('span', { text: t('group.linkLabel') }), ' ',
              el('input', { type: 'text', readOnly: true, value: links.get(i.id), className: 'group-link',
                attrs: { 'aria-label': t('group.linkLabel') }, dataset: { testid: 'group-link' } })])
            : el('p', { text: t('group.invitationMade', { date: formatDateTime(i.createdAt) }) }),
          button('group-revoke', t('group.revoke'), { className: 'btn--small', dataset: { group: table.id, invitation: i.id, testid: 'group-revoke' } }),
        ]))));
      } else children.push(el('p', { className: 'hint', text: t('group.noInvitation') }));
      children.push(el('p', { className: 'group-actions' }, [
        button('group-invite', t('group.invite'), { className: 'btn--small', dataset: { group: table.id, testid: 'group-invite' } }),
        ' ',
        button('group-close', t('group.close'), { className: 'btn--small', dataset: { group: table.id, testid: 'group-close' } }),
      ]));
    } else {
      if (last?.ended) {
        const reason = last.ended.reason === 'brought' ? t('group.endedBrought', { into: last.ended.into ?? '' })
          : last.ended.reason === 'expired' ? t('group.endedExpired') : t('group.endedClosed');
        children.push(el('p', { className: 'group-state', dataset: { testid: 'group-ended' }, text: `${reason} (${formatDateTime(last.ended.at)})` }));
      }
      const dateId = domId(`group-date-${table.id}`);
      const purposeId = domId(`group-purpose-${table.id}`);
      const errorId = domId(`group-error-${table.id}`);
      children.push(el('form', { className: 'form group-form', noValidate: true, dataset: { group: table.id, testid: 'group-form' } }, [
        el('div', { className: 'field' }, [
          el('label', { htmlFor: dateId, text: t('group.endDate') }),
          el('input', { id: dateId, type: 'date', required: true, attrs: { 'aria-describedby': errorId }, dataset: { testid: 'group-date' } }),
          el('p', { className: 'field-error', id: errorId }),
        ]),
        el('div', { className: 'field' }, [
          el('label', { htmlFor: purposeId, text: t('group.purpose') }),
          el('textarea', { id: purposeId, maxLength: 500, rows: 2, dataset: { testid: 'group-purpose' } }),
        ]),
        el('button', { type: 'submit', className: 'btn btn--small', text: t('group.open'), dataset: { testid: 'group-open-submit' } }),
      ]));
    }
    return el('section', { className: 'group-card', attrs: { 'aria-labelledby': headingId }, dataset: { testid: 'group-card', group: table.id } }, children);
  }

  function render() {
    const w = store.workshop;
    if (!w) return;
    const sig = JSON.stringify([w.closed, w.workingGroups ?? [], [...links], w.boards.map((b) => [b.id, b.title, b.group]),
      (w.workingGroups ?? []).flatMap((g) => g.since?.changes ?? []).map((c) => [c.id, store.card(c.id)?.text, store.project(c.id)?.title])]);
    renderIfChanged(list, sig, () => w.groups.map(groupCard));
  }

  return { render };
}
