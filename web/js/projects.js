// The participant's project sheets. The table's own sheets are the board's project column
// (board.js, sheet-view.js): "Nouvelle fiche projet" there, and each sheet's editor opens right
// under its item. Below the board, the other tables' sheets, to read and to support.

import { t, languageEvents } from './i18n.js';
import { el, button, renderIfChanged } from './dom.js';
import { askDialog } from './dialog.js';
import { ProjectEditor, lastEditLine } from './project-editor.js';
import { receiptLine } from './receipt.js';
import { holdsSheets, supportCount } from './sheet-view.js';
import { announce } from './ui.js';

export { receiptLine };

/**
 * @param {object} parts
 * @param {import('./store.js').Store} parts.store
 * @param {import('./socket.js').Connection} parts.connection
 * @param {import('./board.js').BoardView} parts.view the participant's board (its project column shows the sheets)
 * @param {{section: HTMLElement, announcer: HTMLElement}} parts.dom `section`: the other tables' sheets
 * @returns {{render: () => void, createFrom: (clusterId: string|null) => Promise<void>,
 *            act: (action: string, projectId: string) => boolean}}
 */
export function mountProjects({ store, connection, view, dom }) {
  const heading = el('h2', { id: 'projects-title', text: t('project.othersHeading') });
  const hint = el('p', { className: 'hint' });
  const others = el('details', { className: 'projects__others' });
  const othersSummary = el('summary');
  const othersList = el('ul', { className: 'projects__list', dataset: { testid: 'other-projects' } });
  others.append(othersSummary, othersList);
  dom.section.replaceChildren(heading, hint, others);
  dom.section.setAttribute('aria-labelledby', 'projects-title');
  // Holds the open sheet's editor; the board places it right under the sheet's item.
  const editorSlot = el('div', { className: 'projects__editor sheet-item__editor', hidden: true });
  view.sheetEditor = editorSlot;
  view.sheetLine = (p) => lastEditLine(store, connection, p.id);
  let editor = null;

  const send = (type, args) => connection.send(type, args);
  const board = () => store.myBoard;

  async function createFrom(clusterId) {
    const b = board();
    if (!b) return;
    const cluster = clusterId ? store.cluster(clusterId) : null;
    const answer = await askDialog({
      title: cluster ? t('project.fromClusterTitle', { title: cluster.title }) : t('project.newTitle'),
      fields: [{ name: 'title', label: t('project.title'), value: cluster?.title ?? '', required: true, maxLength: 120 }],
      submit: t('project.create'),
    });
    if (!answer) return;
    send('project.create', { board: b.id, title: answer.title, ...(cluster ? { cluster: cluster.id } : {}) });
    announce(dom.announcer, t('project.created', { title: answer.title }));
  }

  /** The open button of a sheet in the board's column. */
  const openButton = (projectId) => view.root.querySelector(`[data-project="${CSS.escape(projectId)}"] [data-action="project-open"]`);

  function open(projectId) {
    const sheet = store.project(projectId);
    if (!sheet || sheet.board !== board()?.id) return;
    editor?.close({ focus: false });
    // On phones, the project column comes to the front: the sheet opens where it is listed.
    const column = board().columns.find(holdsSheets);
    if (column) view.activeColumn = column.id;
    view.openSheet = projectId;
    view.render(); // the editor's place, under the sheet's item, before the editor takes the focus
    editor = new ProjectEditor({
      store, connection, projectId, container: editorSlot, announcer: dom.announcer, headingLevel: 4,
      onClose: ({ focus }) => {
        editor = null;
        view.openSheet = null;
        view.render();
        if (focus) openButton(projectId)?.focus();
      },
    });
  }

  /**
   * A sheet's button on the board or in the other tables' list.
   * @returns {boolean} whether the action was a sheet's
   */
  function act(action, projectId) {
    if (action !== 'project-new' && !projectId) return false;
    switch (action) {
      case 'project-new': createFrom(null); return true;
      case 'project-open':
        if (editor?.projectId === projectId) editor.close(); else open(projectId);
        return true;
      case 'project-support': {
        const supported = (store.project(projectId)?.supporters ?? []).includes(store.you?.participant);
        send('project.support', { project: projectId, support: !supported });
        announce(dom.announcer, t(supported ? 'project.unsupported' : 'project.supportedDone'));
        return true;
      }
      default: return false;
    }
  }

  function item(p) {
    const supported = (p.supporters ?? []).includes(store.you?.participant);
    const tableTitle = store.board(p.board)?.title ?? ''; // named by its board, whoever sits there now
    const titleId = `other-${p.id}`.replace(/[^A-Za-z0-9_-]/g, '_');
    return el('li', { className: `project-item project-item--${p.status}`, dataset: { project: p.id, testid: 'other-project' } }, [
      el('h3', { className: 'project-item__title', id: titleId, text: p.title }),
      el('p', { className: 'project-item__meta' }, [
        el('span', { className: `badge badge--status badge--${p.status}`, text: t(`project.status.${p.status}`), dataset: { testid: 'project-status' } }),
        el('span', { text: ` ${tableTitle} · ${t('project.supporters', { n: supportCount(p) })}` }),
      ]),
      p.summary ? el('p', { className: 'project-item__summary', text: p.summary }) : null,
      ...(p.receipts ?? []).map(receiptLine),
      store.you?.role === 'participant' && !store.workshop.closed ? el('div', { className: 'project-item__actions' }, [
        button('project-support', supported ? t('project.unsupport') : t('project.supportIt'), {
          className: 'btn--small', dataset: { testid: 'project-support' }, attrs: { 'aria-pressed': String(supported), 'aria-describedby': titleId },
        }),
      ]) : null,
    ]);
  }

  function render() {
    if (!store.ready) return;
    const b = board();
    const rest = (store.workshop.projects ?? []).filter((p) => p.board !== b?.id);
    dom.section.hidden = rest.length === 0;
    // The open sheet left this table (a rotation) or the workshop: its editor goes too.
    if (editor && store.project(editor.projectId)?.board !== b?.id) editor.close({ focus: false });
    heading.textContent = t('project.othersHeading');
    hint.textContent = t('project.othersHint');
    othersSummary.textContent = t('project.othersShow', { n: rest.length });
    renderIfChanged(othersList, JSON.stringify([rest.map((p) => [p.id, p.title, p.status, p.summary, p.supporters, p.supportCount, p.receipts, store.board(p.board)?.title]),
      store.workshop.closed, store.you?.role, t('project.supportIt')]), () => rest.map(item));
    editor?.render();
  }

  dom.section.addEventListener('click', (e) => {
    const b = e.target.closest('button[data-action]');
    const projectId = b?.closest('[data-project]')?.dataset.project;
    if (projectId) act(b.dataset.action, projectId);
  });

  // A sheet this person just created opens at once.
  connection.addEventListener('ack', (e) => {
    const { command, message } = e.detail;
    if (command?.type === 'project.create' && message.result?.project) queueMicrotask(() => open(message.result.project));
  });
  store.addEventListener('change', render);
  languageEvents.addEventListener('change', render);
  // "il y a 3 min" moves on, in the board's items too.
  setInterval(() => { if (store.ready) { render(); view.render(); } }, 30000);
  render();
  return { render, createFrom, act };
}
