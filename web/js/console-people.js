// The participants table: table and online state per person, and what the facilitator can do
// about each: move to a table, make host of their table's board, remove, erase personal data.

import { t } from './i18n.js';
import { el, domId, button } from './dom.js';
import { confirmDialog } from './dialog.js';
import { announce } from './ui.js';

/**
 * @param {object} ctx see mountControls
 * @param {{rows: HTMLElement, summary: HTMLElement, empty: HTMLElement}} ctx.dom
 * @returns {{render: () => void}}
 */
export function mountPeople({ store, send, announcer, dom }) {
  const rows = new Map(); // participant id → {tr, sig}

  function render() {
    const w = store.workshop;
    const people = w.participants.filter((p) => p.role !== 'facilitator');
    const active = people.filter((p) => !p.removed);
    dom.summary.textContent = t('fac.onlineCount', { n: active.filter((p) => p.online).length, total: active.length });
    dom.empty.hidden = people.length > 0;
    const seen = new Set();
    let previous = null;
    for (const p of people) {
      seen.add(p.id);
      const tr = row(p);
      const expected = previous ? previous.nextSibling : dom.rows.firstChild;
      if (tr !== expected) dom.rows.insertBefore(tr, expected);
      previous = tr;
    }
    for (const [id, entry] of rows) if (!seen.has(id)) { entry.tr.remove(); rows.delete(id); }
  }

  function row(p) {
    const w = store.workshop;
    const board = w.boards.find((b) => b.group === p.group);
    const isHost = Boolean(board && board.host === p.id);
    const sig = JSON.stringify([p, isHost, w.groups.map((g) => [g.id, g.title]), w.closed, t('fac.assign')]);
    let entry = rows.get(p.id);
    if (entry?.sig === sig) return entry.tr;
    const tr = entry?.tr ?? el('tr', { dataset: { participant: p.id, testid: 'participant-row' } });
    const name = p.name ?? t('fac.erasedName');
    const selectId = domId('assign', p.id);
    const cells = [
      el('th', { scope: 'row', className: p.name ? '' : 'erased' }, [
        el('span', { text: name, id: domId('name', p.id) }),
        isHost ? el('span', { className: 'badge badge--host', text: t('fac.hostShort') }) : null,
      ]),
      el('td', { text: p.organisation ?? '' }),
      el('td', { text: p.actor ? t(`actor.${p.actor}`) : '' }),
    ];
    if (p.removed) {
      cells.push(el('td', { text: t('fac.removedState') }), el('td', { text: '' }));
    } else {
      cells.push(
        el('td', {}, [el('form', { className: 'assign-form', dataset: { action: 'assign-form' }, noValidate: true }, [
          el('label', { className: 'sr-only', htmlFor: selectId, text: t('fac.assignLabel', { name }) }),
          el('select', { id: selectId, dataset: { testid: 'assign-select' } }, [
            el('option', { value: '', text: t('fac.noTableOption'), selected: !p.group }),
            ...w.groups.map((g) => el('option', { value: g.id, text: g.title, selected: g.id === p.group })),
          ]),
          el('button', { type: 'submit', className: 'btn btn--small', text: t('fac.assign'), dataset: { testid: 'assign-submit' }, disabled: w.closed, attrs: { 'aria-describedby': domId('name', p.id) } }),
        ])]),
        el('td', {}, [el('span', { className: `presence presence--${p.online ? 'on' : 'off'}`, text: t(p.online ? 'fac.online' : 'fac.offline') })]),
      );
    }
    const describe = { 'aria-describedby': domId('name', p.id) };
    cells.push(el('td', { className: 'people__actions' }, [
      !p.removed && board && !isHost && !w.closed
        ? button('make-host', t('fac.makeHost'), { className: 'btn--small', dataset: { testid: 'make-host' }, attrs: describe }) : null,
      !p.removed && !w.closed ? button('remove', t('fac.remove'), { className: 'btn--small btn--quiet-danger', dataset: { testid: 'remove-participant' }, attrs: describe }) : null,
      p.name || p.organisation ? button('erase', t('fac.erase'), { className: 'btn--small btn--quiet-danger', dataset: { testid: 'erase-participant' }, attrs: describe }) : null,
    ]));
    tr.replaceChildren(...cells);
    rows.set(p.id, { tr, sig });
    return tr;
  }

  dom.rows.addEventListener('submit', (e) => {
    e.preventDefault();
    const participant = e.target.closest('[data-participant]')?.dataset.participant;
    const group = e.target.querySelector('select').value || null;
    if (!participant || group === (store.participant(participant)?.group ?? null)) return;
    send('participant.assign', { participant, group });
    announce(announcer, t('fac.assigned', { name: store.participant(participant)?.name ?? '', table: store.group(group)?.title ?? t('fac.noTableOption') }));
  });

  dom.rows.addEventListener('click', async (e) => {
    const b = e.target.closest('button[data-action]');
    if (!b) return;
    const id = b.closest('[data-participant]').dataset.participant;
    const p = store.participant(id);
    const name = p?.name ?? t('fac.erasedName');
    switch (b.dataset.action) {
      case 'make-host': {
        const board = store.workshop.boards.find((x) => x.group === p.group);
        if (board) send('host.assign', { board: board.id, participant: id });
        announce(announcer, t('fac.hostDone', { name }));
        break;
      }
      case 'remove':
        if (await confirmDialog(t('fac.removeTitle', { name }), t('fac.removeConfirm', { name }), t('fac.removeYes'))) {
          send('participant.remove', { participant: id });
          announce(announcer, t('fac.removed', { name }));
        }
        break;
      case 'erase':
        if (await confirmDialog(t('fac.eraseTitle', { name }), t('fac.eraseConfirm', { name }), t('fac.eraseYes'))) {
          send('participant.erase', { participant: id });
          announce(announcer, t('fac.erased'));
        }
        break;
      default: break;
    }
  });

  return { render };
}
