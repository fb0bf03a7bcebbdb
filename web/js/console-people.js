// The participants table: one line per person (name, structure, kind, table, online), with a
// search box and a filter by table; moving someone to a table stays on the line, the rest of what
// the facilitator can do about a person (host of their table's board, remove, erase personal data)
// is behind the line's menu, and what cannot be undone asks first.

import { t } from './i18n.js';
import { el, domId } from './dom.js';
import { confirmDialog } from './dialog.js';
import { menuButton, menuItem } from './menu.js';
import { announce } from './ui.js';

const ALL = '*';
const NONE = '-';

/**
 * @param {object} ctx see mountControls
 * @param {{rows: HTMLElement, summary: HTMLElement, empty: HTMLElement, search: HTMLInputElement,
 *          table: HTMLSelectElement, shown: HTMLElement, filter: HTMLFormElement}} ctx.dom
 * @returns {{render: () => void}}
 */
export function mountPeople({ store, send, announcer, dom }) {
  const rows = new Map(); // participant id → {tr, sig}
  let tablesSig = null;

  function render() {
    const w = store.workshop;
    const people = w.participants.filter((p) => p.role !== 'facilitator');
    const active = people.filter((p) => !p.removed);
    dom.summary.textContent = t('fac.onlineCount', { n: active.filter((p) => p.online).length, total: active.length });
    dom.empty.hidden = people.length > 0;
    renderTableFilter();
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
    applyFilter();
  }

  /**
   * The tables as people find them now: each board with the group sitting at it (after a rotation a
   * group works at another board, which keeps its own title). Choosing one sends that group.
   * @returns {{group: string, title: string}[]}
   */
  function tables() {
    return store.workshop.boards.filter((b) => b.group).map((b) => ({ group: b.group, title: b.title }));
  }

  function renderTableFilter() {
    const sig = JSON.stringify([tables(), t('fac.filterAll')]);
    if (sig === tablesSig) return;
    tablesSig = sig;
    const chosen = dom.table.value || ALL;
    dom.table.replaceChildren(
      el('option', { value: ALL, text: t('fac.filterAll') }),
      ...tables().map((x) => el('option', { value: x.group, text: x.title })),
      el('option', { value: NONE, text: t('fac.noTableOption') }),
    );
    dom.table.value = [...dom.table.options].some((o) => o.value === chosen) ? chosen : ALL;
  }

  /** Hides the lines that do not match the search and the table chosen. */
  function applyFilter() {
    const words = normalise(dom.search.value).split(/\s+/).filter(Boolean);
    const table = dom.table.value || ALL;
    let shown = 0;
    let total = 0;
    for (const [id, { tr }] of rows) {
      const p = store.participant(id);
      if (!p) continue;
      total += 1;
      const haystack = normalise([p.name, p.organisation, p.actor ? t(`actor.${p.actor}`) : ''].filter(Boolean).join(' '));
      const inTable = table === ALL || (table === NONE ? !p.group : p.group === table);
      const match = inTable && words.every((word) => haystack.includes(word));
      tr.hidden = !match;
      if (match) shown += 1;
    }
    const filtering = words.length > 0 || table !== ALL;
    dom.shown.textContent = filtering ? t('fac.shownCount', { n: shown, total }) : '';
  }

  function row(p) {
    const w = store.workshop;
    const board = w.boards.find((b) => b.group === p.group);
    const isHost = Boolean(board && board.host === p.id);
    const sig = JSON.stringify([p, isHost, tables(), w.closed, t('fac.assign')]);
    let entry = rows.get(p.id);
    if (entry?.sig === sig) return entry.tr;
    const tr = entry?.tr ?? el('tr', { dataset: { participant: p.id, testid: 'participant-row' } });
    const name = p.name ?? t('fac.erasedName');
    const nameId = domId('name', p.id);
    const selectId = domId('assign', p.id);
    const cells = [
      el('th', { scope: 'row', className: p.name ? '' : 'erased' }, [
        el('span', { text: name, id: nameId }),
        isHost ? el('span', { className: 'badge badge--host', text: t('fac.hostShort') }) : null,
      ]),
      el('td', { className: 'people__org', text: p.organisation ?? '', title: p.organisation ?? '' }),
      el('td', { className: 'people__actor' }, p.actor ? [el('abbr', { text: t(`actor.short.${p.actor}`), title: t(`actor.${p.actor}`) })] : []),
    ];
    if (p.removed) {
      cells.push(el('td', { text: t('fac.removedState') }), el('td', { text: '' }));
    } else {
      cells.push(
        el('td', {}, [el('form', { className: 'assign-form', dataset: { action: 'assign-form' }, noValidate: true }, [
          el('label', { className: 'sr-only', htmlFor: selectId, text: t('fac.assignLabel', { name }) }),
          el('select', { id: selectId, dataset: { testid: 'assign-select' } }, [
            el('option', { value: '', text: t('fac.noTableOption'), selected: !p.group }),
            ...tables().map((x) => el('option', { value: x.group, text: x.title, selected: x.group === p.group })),
          ]),
          el('button', { type: 'submit', className: 'btn btn--small', text: t('fac.assign'), dataset: { testid: 'assign-submit' }, disabled: w.closed, attrs: { 'aria-describedby': nameId } }),
        ])]),
        el('td', {}, [el('span', { className: `presence presence--${p.online ? 'on' : 'off'}`, text: t(p.online ? 'fac.online' : 'fac.offline') })]),
      );
    }
    const items = [
      !p.removed && board && !isHost && !w.closed ? menuItem('make-host', t('fac.makeHost'), { testid: 'make-host' }) : null,
      !p.removed && !w.closed ? menuItem('remove', t('fac.remove'), { testid: 'remove-participant', danger: true }) : null,
      p.name || p.organisation ? menuItem('erase', t('fac.erase'), { testid: 'erase-participant', danger: true }) : null,
    ].filter(Boolean);
    cells.push(el('td', { className: 'people__actions' }, items.length ? [menuButton({
      key: `person:${p.id}`, label: t('fac.personMenu'), describedBy: nameId, testid: 'person-menu', items,
    })] : []));
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
    announce(announcer, t('fac.assigned', { name: store.participant(participant)?.name ?? '', table: store.boardOfGroup(group)?.title ?? t('fac.noTableOption') }));
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

  dom.search.addEventListener('input', applyFilter);
  dom.table.addEventListener('change', applyFilter);
  dom.filter.addEventListener('submit', (e) => e.preventDefault());

  return { render };
}

/** Lower case without accents: "Sébastien" is found with "sebastien". */
function normalise(text) {
  return String(text ?? '').normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
}
