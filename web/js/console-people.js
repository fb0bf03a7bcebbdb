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
  const selected = new Set(); // participant ids ticked for a bulk move
  const bulk = mountBulk();

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
    for (const id of selected) if (!store.participant(id) || store.participant(id).removed) selected.delete(id);
    applyFilter();
    bulk.render();
  }

  /**
   * Moving several people at once: tick them in the list, choose the table (named by the board the
   * group sits at, as on each line), and one `participant.assign` goes per person.
   */
  function mountBulk() {
    const allId = 'people-select-all-box';
    const all = el('input', { type: 'checkbox', id: allId, dataset: { testid: 'select-all' } });
    dom.selectAll?.replaceChildren(all, el('label', { className: 'sr-only', htmlFor: allId, text: t('fac.selectAll') }));
    const count = el('p', { className: 'people-bulk__count', id: 'people-bulk-count', dataset: { testid: 'bulk-count' }, attrs: { 'aria-live': 'polite' } });
    const target = el('select', { id: 'people-bulk-table', dataset: { testid: 'bulk-table' } });
    const move = el('button', { type: 'submit', className: 'btn btn--small btn--primary', text: t('fac.bulkMove'), dataset: { testid: 'bulk-move' }, attrs: { 'aria-describedby': 'people-bulk-count' } });
    const clear = el('button', { type: 'button', className: 'btn btn--small', text: t('fac.bulkClear'), dataset: { testid: 'bulk-clear' } });
    const form = el('form', { className: 'people-bulk__form', noValidate: true, dataset: { testid: 'people-bulk' }, attrs: { 'aria-label': t('fac.bulkHeading') } }, [
      count,
      el('div', { className: 'field' }, [el('label', { htmlFor: target.id, text: t('fac.bulkTable') }), target]),
      move, clear,
    ]);
    dom.bulk?.replaceChildren(form);
    let targetSig = null;

    all.addEventListener('change', () => {
      for (const [id, { tr }] of rows) {
        const box = tr.querySelector('[data-select]');
        if (!box || tr.hidden) continue;
        box.checked = all.checked;
        if (all.checked) selected.add(id); else selected.delete(id);
      }
      render();
    });
    clear.addEventListener('click', () => {
      selected.clear();
      for (const { tr } of rows.values()) { const box = tr.querySelector('[data-select]'); if (box) box.checked = false; }
      render();
    });
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const group = target.value || null;
      const ids = [...selected].filter((id) => store.participant(id) && !store.participant(id).removed);
      if (!ids.length) return;
      for (const participant of ids) {
        if ((store.participant(participant)?.group ?? null) !== group) send('participant.assign', { participant, group });
      }
      announce(announcer, t('fac.bulkDone', { n: ids.length, table: store.boardOfGroup(group)?.title ?? t('fac.noTableOption') }));
      selected.clear();
      for (const { tr } of rows.values()) { const box = tr.querySelector('[data-select]'); if (box) box.checked = false; }
      render();
    });

    function render() {
      const n = selected.size;
      count.textContent = n ? t('fac.bulkCount', { n }) : t('fac.bulkNone');
      const closed = Boolean(store.workshop?.closed);
      move.disabled = n === 0 || closed;
      clear.disabled = n === 0;
      form.classList.toggle('people-bulk__form--active', n > 0);
      const visibleBoxes = [...rows.values()].filter(({ tr }) => !tr.hidden).map(({ tr }) => tr.querySelector('[data-select]')).filter(Boolean);
      all.checked = visibleBoxes.length > 0 && visibleBoxes.every((b) => b.checked);
      all.indeterminate = !all.checked && visibleBoxes.some((b) => b.checked);
      const sig = JSON.stringify([tables(), t('fac.noTableOption')]);
      if (sig !== targetSig) {
        const chosen = targetSig === null ? null : target.value; // at first, the first table
        targetSig = sig;
        target.replaceChildren(
          ...tables().map((x) => el('option', { value: x.group, text: x.title })),
          el('option', { value: '', text: t('fac.noTableOption') }),
        );
        if ([...target.options].some((o) => o.value === chosen)) target.value = chosen;
      }
    }
    return { render };
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
    const boxId = domId('select', p.id);
    const cells = [
      el('td', { className: 'people__select' }, p.removed ? [] : [
        el('input', { type: 'checkbox', id: boxId, checked: selected.has(p.id), dataset: { select: p.id, testid: 'select-person' } }),
        el('label', { className: 'sr-only', htmlFor: boxId, text: t('fac.select', { name }) }),
      ]),
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

  dom.rows.addEventListener('change', (e) => {
    const box = e.target.closest('[data-select]');
    if (!box) return;
    if (box.checked) selected.add(box.dataset.select); else selected.delete(box.dataset.select);
    bulk.render();
  });
  dom.search.addEventListener('input', () => { applyFilter(); bulk.render(); });
  dom.table.addEventListener('change', () => { applyFilter(); bulk.render(); });
  dom.filter.addEventListener('submit', (e) => e.preventDefault());

  return { render };
}

/** Lower case without accents: "Sébastien" is found with "sebastien". */
function normalise(text) {
  return String(text ?? '').normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
}
