// The participant's project sheets: the table's sheets (create, open, support) during the phase
// that opens project columns, and the other tables' sheets to read and support.

import { t } from './i18n.js';
import { el, button, renderIfChanged } from './dom.js';
import { askDialog } from './dialog.js';
import { ProjectEditor, lastEditLine } from './project-editor.js';
import { announce, formatDateTime } from './ui.js';

/**
 * A receipt as a line, with the Démarches Simplifiées link when there is one.
 * @param {{channel: string, reference: string, url?: string, number?: number, at: string}} receipt
 * @returns {HTMLElement}
 */
export function receiptLine(receipt) {
  const when = formatDateTime(receipt.at);
  const parts = [el('span', { text: t(`receipt.${receipt.channel}`, { reference: receipt.reference, number: receipt.number ?? '', when }) })];
  if (receipt.url && /^https?:\/\//.test(receipt.url)) {
    parts.push(' ', el('a', {
      href: receipt.url, target: '_blank', rel: 'noopener noreferrer', text: t('receipt.open', { number: receipt.number ?? '' }),
      dataset: { testid: 'receipt-link' },
    }));
  }
  return el('p', { className: 'receipt', dataset: { testid: 'receipt' } }, parts);
}

/**
 * @param {object} parts
 * @param {import('./store.js').Store} parts.store
 * @param {import('./socket.js').Connection} parts.connection
 * @param {{section: HTMLElement, announcer: HTMLElement}} parts.dom
 * @returns {{render: () => void, createFrom: (clusterId: string|null) => Promise<void>}}
 */
export function mountProjects({ store, connection, dom }) {
  const intro = el('p', { className: 'hint' });
  const actions = el('div', { className: 'projects__actions' });
  const list = el('ul', { className: 'projects__list', dataset: { testid: 'projects' } });
  const editorSlot = el('div', { className: 'projects__editor', hidden: true });
  const others = el('details', { className: 'projects__others' });
  const othersList = el('ul', { className: 'projects__list' });
  const othersSummary = el('summary');
  others.append(othersSummary, othersList);
  const heading = el('h2', { id: 'projects-title', text: t('project.heading') });
  dom.section.replaceChildren(heading, intro, actions, list, editorSlot, others);
  dom.section.setAttribute('aria-labelledby', 'projects-title');
  let editor = null;

  const send = (type, args) => connection.send(type, args);
  const board = () => store.myBoard;
  const canWrite = () => Boolean(board()) && store.projectPhase && !store.isFrozen(board()) && store.you?.role === 'participant';

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

  function open(projectId) {
    editor?.close({ focus: false });
    editor = new ProjectEditor({
      store, connection, projectId, container: editorSlot, announcer: dom.announcer,
      onClose: ({ focus }) => {
        editor = null;
        render();
        if (focus) list.querySelector(`[data-project="${CSS.escape(projectId)}"] [data-action="project-open"]`)?.focus();
      },
    });
    render();
  }

  function item(p, mine) {
    const supported = (p.supporters ?? []).includes(store.you?.participant);
    const isOpen = editor?.projectId === p.id;
    const line = lastEditLine(store, connection, p.id);
    const tableTitle = store.board(p.board)?.title ?? ''; // named by its board, whoever sits there now
    return el('li', { className: `project-item project-item--${p.status}`, dataset: { project: p.id, testid: 'project-item' } }, [
      el('h3', { className: 'project-item__title', text: p.title }),
      el('p', { className: 'project-item__meta' }, [
        el('span', { className: `badge badge--status badge--${p.status}`, text: t(`project.status.${p.status}`), dataset: { testid: 'project-status' } }),
        mine ? null : el('span', { text: ` ${tableTitle}` }),
        el('span', { text: ` · ${t('project.supporters', { n: p.supportCount ?? (p.supporters ?? []).length })}` }),
        line ? el('span', { text: ` · ${line}` }) : null,
      ]),
      !mine && p.summary ? el('p', { className: 'project-item__summary', text: p.summary }) : null,
      ...(p.receipts ?? []).map(receiptLine),
      el('div', { className: 'project-item__actions' }, [
        mine ? button('project-open', isOpen ? t('project.closeSheet') : t('project.openSheet'), {
          className: 'btn--small', dataset: { testid: 'project-open' }, attrs: { 'aria-expanded': String(isOpen) },
        }) : null,
        store.you?.role === 'participant' && !store.workshop.closed ? button('project-support', supported ? t('project.unsupport') : t('project.supportIt'), {
          className: 'btn--small', dataset: { testid: 'project-support' }, attrs: { 'aria-pressed': String(supported) },
        }) : null,
      ]),
    ]);
  }

  function render() {
    if (!store.ready) return;
    const b = board();
    const mine = b ? store.projectsOf(b.id) : [];
    const rest = (store.workshop.projects ?? []).filter((p) => p.board !== b?.id);
    dom.section.hidden = !(store.projectPhase || mine.length || rest.length);
    if (editor && !store.project(editor.projectId)) editor.close({ focus: false });
    heading.textContent = t('project.heading');
    intro.textContent = store.projectPhase ? t('project.intro') : t('project.introClosed');
    renderIfChanged(actions, JSON.stringify([canWrite(), t('project.new')]), () => (canWrite()
      ? [button('project-new', t('project.new'), { className: 'btn--primary', dataset: { testid: 'project-new' } })] : []));
    const sig = (ps, m) => JSON.stringify([ps.map((p) => [p.id, p.title, p.status, p.summary, p.supporters, p.supportCount, p.receipts, lastEditLine(store, connection, p.id)]),
      editor?.projectId, m, store.workshop.closed, t('project.openSheet')]);
    renderIfChanged(list, sig(mine, true), () => (mine.length ? mine.map((p) => item(p, true))
      : [el('li', { className: 'hint', text: t('project.noneYet') })]));
    others.hidden = rest.length === 0;
    othersSummary.textContent = t('project.others', { n: rest.length });
    renderIfChanged(othersList, sig(rest, false), () => rest.map((p) => item(p, false)));
    editor?.render();
  }

  dom.section.addEventListener('click', (e) => {
    const b = e.target.closest('button[data-action]');
    if (!b) return;
    const projectId = b.closest('[data-project]')?.dataset.project;
    switch (b.dataset.action) {
      case 'project-new': createFrom(null); break;
      case 'project-open':
        if (editor?.projectId === projectId) editor.close(); else open(projectId);
        break;
      case 'project-support': {
        const supported = (store.project(projectId)?.supporters ?? []).includes(store.you?.participant);
        send('project.support', { project: projectId, support: !supported });
        announce(dom.announcer, t(supported ? 'project.unsupported' : 'project.supportedDone'));
        break;
      }
      default: break;
    }
  });

  // A sheet this person just created opens at once.
  connection.addEventListener('ack', (e) => {
    const { command, message } = e.detail;
    if (command?.type === 'project.create' && message.result?.project) queueMicrotask(() => open(message.result.project));
  });
  store.addEventListener('change', render);
  setInterval(render, 30000); // "il y a 3 min" moves on
  render();
  return { render, createFrom };
}
