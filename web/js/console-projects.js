// The console's project panel: every sheet with its status, "mark ready" (with what is missing)
// and "reopen", the pipeline's receipts, the exports (downloaded with the facilitator key) and
// the submission of ready projects, with its live progress.

import { language, t } from './i18n.js';
import { el, button, renderIfChanged } from './dom.js';
import { confirmDialog } from './dialog.js';
import { ProjectEditor, lastEditLine } from './project-editor.js';
import { receiptLine } from './receipt.js';
import { fieldOfPhrase } from './project-form.js';
import { TIME_ZONE, announce, errorText, formatDateTime } from './ui.js';
import { provenanceDisclosure } from './provenance.js';

const FORMATS = ['json', 'csv', 'xlsx', 'md', 'html'];
const CHANNELS = ['webhook', 'demarches'];

/**
 * @param {object} ctx see mountControls, plus `credentials` {workshop, key}
 * @param {{section: HTMLElement}} ctx.dom
 * @returns {{render: () => void}}
 */
export function mountConsoleProjects({ store, connection, send, announcer, credentials, dom }) {
  const missing = new Map(); // project id → {message, missing: [...]}
  const progress = new Map(); // project id → latest submission.progress
  const provenanceOpen = new Set(); // project ids whose provenance is unfolded
  let editor = null;

  const list = el('ul', { className: 'projects__list', dataset: { testid: 'console-project-list' } });
  const editorSlot = el('div', { className: 'projects__editor', hidden: true });
  const exportStatus = el('p', { className: 'export__status', attrs: { role: 'status' }, dataset: { testid: 'export-status' } });
  const exportBar = el('progress', { className: 'export__bar', hidden: true, max: 1, value: 0, attrs: { 'aria-label': t('export.progress') } });
  const exportError = el('div', { className: 'alert', attrs: { role: 'alert' }, dataset: { testid: 'export-error' } });
  const submitError = el('div', { className: 'alert', attrs: { role: 'alert' }, dataset: { testid: 'submit-error' } });
  const log = el('ul', { className: 'submission-log', attrs: { 'aria-live': 'polite' }, dataset: { testid: 'submission-log' } });
  const outboxList = el('ul', { className: 'outbox__list', dataset: { testid: 'outbox' } });
  dom.section.append(
    el('p', { className: 'hint', text: t('project.consoleIntro') }),
    list, editorSlot,
    el('div', { className: 'fac-export' }, [
      el('h3', { text: t('export.heading') }),
      el('p', { className: 'hint', text: t('export.hint') }),
      el('div', { className: 'button-row' }, FORMATS.map((f) => button('export', t(`export.${f}`), { dataset: { format: f, testid: `export-${f}` } }))),
      exportBar, exportStatus, exportError,
    ]),
    el('div', { className: 'fac-submit' }, [
      el('h3', { text: t('submit.heading') }),
      el('p', { className: 'hint', text: t('submit.hint') }),
      el('div', { className: 'button-row' }, [
        ...CHANNELS.map((c) => button('submit', t(`submit.${c}`), { dataset: { channel: c, testid: `submit-${c}` } })),
        button('follow', t('submit.follow'), { dataset: { testid: 'follow-dossiers' } }),
      ]),
      submitError, log,
      el('h3', { text: t('outbox.heading') }),
      outboxList,
    ]),
  );

  /** The webhook outbox: each delivery, its attempts (time, HTTP status or error, next try) and "Relancer". */
  function outboxItem(d) {
    const title = store.project(d.project)?.title ?? d.project;
    const attempts = (d.attempts ?? []).slice(-5).map((a) => el('li', {
      text: t('outbox.attempt', {
        when: formatDateTime(a.at),
        result: typeof a.status === 'number' ? t('outbox.http', { status: a.status }) + (a.error ? ` (${a.error.slice(0, 120)})` : '')
          : t('outbox.noAnswer', { error: a.error ?? '' }),
      }),
    }));
    return el('li', { className: 'outbox__item', dataset: { delivery: d.id, state: d.state, testid: 'outbox-delivery' } }, [
      el('p', { text: t('outbox.line', { title, state: t(`outbox.state.${d.state}`), n: d.attemptCount ?? 0 }) }),
      el('p', { className: 'hint', text: d.id }),
      attempts.length ? el('ul', { className: 'outbox__attempts' }, attempts) : null,
      d.state === 'pending' && d.nextAt ? el('p', { text: t('outbox.next', { when: formatDateTime(d.nextAt) }) }) : null,
      d.state !== 'pending' ? button('redeliver', t('outbox.retry'), { className: 'btn--small', dataset: { delivery: d.id, testid: 'outbox-retry' } }) : null,
    ]);
  }

  function item(p) {
    const board = store.board(p.board);
    const table = board?.title ?? ''; // a sheet belongs to its board, named by the board
    const why = missing.get(p.id);
    const last = progress.get(p.id);
    const isOpen = editor?.projectId === p.id;
    return el('li', { className: `project-item project-item--${p.status}`, dataset: { project: p.id, testid: 'console-project' } }, [
      el('h3', { className: 'project-item__title', text: p.title }),
      el('p', { className: 'project-item__meta' }, [
        el('span', { className: `badge badge--status badge--${p.status}`, text: t(`project.status.${p.status}`), dataset: { testid: 'project-status' } }),
        el('span', { text: ` ${table} · ${t('project.supporters', { n: p.supportCount ?? (p.supporters ?? []).length })}` }),
        lastEditLine(store, connection, p.id) ? el('span', { text: ` · ${lastEditLine(store, connection, p.id)}` }) : null,
      ]),
      why ? el('div', { className: 'missing', dataset: { testid: 'project-missing' } }, [
        el('p', { className: 'missing__title', text: t('project.missingTitle') }),
        why.missing.length ? el('ul', {}, why.missing.map((m) => el('li', { text: missingLine(m) }))) : el('p', { text: why.message }),
      ]) : null,
      ...(p.receipts ?? []).map(receiptLine),
      // "Comment ce projet est né" (provenance.js): stays open across re-renders.
      provenanceDisclosure({ workshop: credentials.workshop, secret: credentials.key }, p.id, {
        open: provenanceOpen.has(p.id), onToggle: (open) => (open ? provenanceOpen.add(p.id) : provenanceOpen.delete(p.id)),
      }),
      last ? el('p', { className: `progress-line progress-line--${last.state}`, text: t('submit.line', { state: t(`submit.state.${last.state}`), message: last.message ?? '' }) }) : null,
      el('div', { className: 'project-item__actions' }, [
        button('project-open', isOpen ? t('project.closeSheet') : t('project.openSheet'), { className: 'btn--small', dataset: { testid: 'project-open' }, attrs: { 'aria-expanded': String(isOpen) } }),
        p.status === 'draft' && !store.workshop.closed ? button('project-ready', t('project.markReady'), { className: 'btn--small btn--primary', dataset: { testid: 'project-ready' } }) : null,
        p.status === 'ready' && !store.workshop.closed ? button('project-reopen', t('project.reopen'), { className: 'btn--small', dataset: { testid: 'project-reopen' } }) : null,
        lastDossier(p)?.dossier?.state === 'expired' ? button('prepare-again', t('submit.again'), { className: 'btn--small', dataset: { testid: 'prepare-again' } }) : null,
      ]),
    ]);
  }

  function lastDossier(p) {
    return [...(p.receipts ?? [])].reverse().find((r) => r.channel === 'demarches');
  }

  function render() {
    const outbox = store.workshop.outbox ?? [];
    renderIfChanged(outboxList, JSON.stringify([outbox, (store.workshop.projects ?? []).map((p) => p.title), t('outbox.retry')]),
      () => (outbox.length ? [...outbox].reverse().map(outboxItem) : [el('li', { className: 'hint', text: t('outbox.none') })]));
    const projects = store.workshop.projects ?? [];
    const sig = JSON.stringify([projects.map((p) => [p.id, p.title, p.status, p.version, p.supporters, p.supportCount, p.receipts, lastEditLine(store, connection, p.id)]),
      [...missing], [...progress], editor?.projectId, store.workshop.closed, t('project.markReady')]);
    renderIfChanged(list, sig, () => (projects.length ? projects.map(item) : [el('li', { className: 'hint', text: t('project.noneConsole') })]));
    if (editor && !store.project(editor.projectId)) editor.close({ focus: false });
    editor?.render();
  }

  function open(projectId) {
    editor?.close({ focus: false });
    editor = new ProjectEditor({
      store, connection, projectId, container: editorSlot, announcer,
      onClose: ({ focus }) => {
        editor = null;
        render();
        if (focus) list.querySelector(`[data-project="${CSS.escape(projectId)}"] [data-action="project-open"]`)?.focus();
      },
    });
    render();
  }

  dom.section.addEventListener('click', async (e) => {
    const b = e.target.closest('button[data-action]');
    if (!b) return;
    const projectId = b.closest('[data-project]')?.dataset.project;
    switch (b.dataset.action) {
      case 'project-open': if (editor?.projectId === projectId) editor.close(); else open(projectId); break;
      case 'project-ready': send('project.ready', { project: projectId }); break;
      case 'project-reopen': send('project.reopen', { project: projectId }); break;
      case 'export': download(b.dataset.format, b); break;
      case 'follow': submitError.replaceChildren(); send('projects.follow', {}); break;
      case 'redeliver': send('webhook.redeliver', { delivery: b.dataset.delivery }); break;
      case 'prepare-again': {
        const title = store.project(projectId)?.title ?? projectId;
        if (await confirmDialog(t('submit.againTitle'), t('submit.againConfirm', { title }), t('submit.againYes'))) {
          submitError.replaceChildren();
          send('projects.submit', { channel: 'demarches', projects: [projectId], again: true });
        }
        break;
      }
      case 'submit': {
        const channel = b.dataset.channel;
        const ready = (store.workshop.projects ?? []).filter((p) => p.status === 'ready').length;
        if (await confirmDialog(t('submit.confirmTitle'), t('submit.confirm', { n: ready, channel: t(`submit.channel.${channel}`) }), t('submit.confirmYes'))) {
          submitError.replaceChildren();
          send('projects.submit', { channel });
        }
        break;
      }
      default: break;
    }
  });

  connection.addEventListener('ack', (e) => {
    const { command, message } = e.detail;
    if (command?.type === 'project.ready') {
      missing.delete(command.project);
      if (editor?.projectId === command.project) editor.clearFieldErrors();
      render();
    }
    if (command?.type === 'projects.follow') {
      const n = Number(message.result?.changed ?? 0);
      announce(announcer, t('submit.followed', { n }));
      log.prepend(el('li', { text: t('submit.followed', { n }), dataset: { testid: 'follow-result' } }));
    }
    if (command?.type === 'projects.submit') {
      announce(announcer, t('submit.started', { n: Number(message.result?.submissions ?? 0) }));
      log.prepend(el('li', { text: t('submit.started', { n: Number(message.result?.submissions ?? 0) }) }));
    }
  });
  connection.addEventListener('rejected', (e) => {
    const { command, code, message, error } = e.detail;
    if (command?.type === 'project.ready') {
      const list = Array.isArray(error?.missing) ? error.missing : [];
      missing.set(command.project, { message: errorText(code, message), missing: list });
      render();
      // The sheet opens with each missing field marked, and the focus on the first one.
      if (code === 'invalid' && store.project(command.project)) {
        if (editor?.projectId !== command.project) open(command.project);
        editor?.showMissing(list, errorText(code, message), Array.isArray(error?.missingFields) ? error.missingFields : null);
      }
      announce(announcer, t('project.notReady'));
    }
    if (command?.type === 'projects.submit' || command?.type === 'projects.follow' || command?.type === 'webhook.redeliver') {
      // The server's own sentence (e.g. no pipeline configured) says what to do.
      submitError.replaceChildren(el('p', { className: 'alert__item', text: message || errorText(code, message), dataset: { testid: 'submit-error-text' } }));
    }
  });
  connection.addEventListener('progress', (e) => {
    const m = e.detail.message;
    progress.set(m.project, m);
    const title = store.project(m.project)?.title ?? m.project;
    log.prepend(el('li', {
      className: `progress-line progress-line--${m.state}`, dataset: { testid: 'submission-progress', state: m.state },
      text: t('submit.logLine', { title, channel: t(`submit.channel.${m.channel}`), state: t(`submit.state.${m.state}`), message: m.message ?? '' }),
    }));
    while (log.childElementCount > 30) log.lastElementChild.remove();
    render();
  });

  /** Downloads one export with the facilitator key, showing progress and the server's errors. */
  async function download(format, trigger) {
    const name = t(`export.${format}`);
    trigger.disabled = true;
    exportError.replaceChildren();
    exportStatus.textContent = t('export.running', { format: name });
    exportBar.hidden = false;
    exportBar.removeAttribute('value');
    try {
      const response = await fetch(`/api/workshops/${encodeURIComponent(credentials.workshop)}/export?format=${format}`, {
        headers: { Authorization: `Bearer ${credentials.key}` }, cache: 'no-store',
      });
      if (!response.ok) {
        const body = await response.json().catch(() => null);
        throw new Error(body?.error?.message ?? t('export.httpError', { status: response.status }));
      }
      const blob = await readWithProgress(response);
      const url = URL.createObjectURL(blob);
      // The server names the file (atelier-<title>-<the workshop's day>.<ext>); else, our own guess.
      const fileName = fileNameFrom(response.headers.get('content-disposition')) ?? exportFileName(store.workshop?.title, format);
      const link = el('a', { href: url, download: fileName, className: 'sr-only', text: name, dataset: { testid: 'export-link' } });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60000);
      exportStatus.textContent = t('export.done', { format: name, size: Math.max(1, Math.round(blob.size / 1024)) });
      exportStatus.dataset.done = format;
    } catch (error) {
      exportStatus.textContent = '';
      exportError.replaceChildren(el('p', { className: 'alert__item', text: t('export.failed', { format: name, message: error.message }), dataset: { testid: 'export-error-text' } }));
    } finally {
      trigger.disabled = false;
      exportBar.hidden = true;
    }
  }

  async function readWithProgress(response) {
    const total = Number(response.headers.get('content-length') ?? 0);
    if (!response.body || !total) return response.blob();
    const reader = response.body.getReader();
    const chunks = [];
    let received = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      received += value.length;
      exportBar.max = total;
      exportBar.value = received;
    }
    return new Blob(chunks, { type: response.headers.get('content-type') ?? 'application/octet-stream' });
  }

  store.addEventListener('projectsubmitted', (e) => {
    const title = store.project(e.detail.project)?.title ?? '';
    announce(announcer, t('submit.receipt', { title }));
  });
  setInterval(render, 30000);
  return { render };
}

/** One of the server's "missing" sentences (French), in the interface's language. */
function missingLine(phrase) {
  const hit = language() === 'fr' ? null : fieldOfPhrase(phrase);
  const key = hit ? `project.checklist.${hit.field}` : null;
  return key && t(key) !== key ? t(key) : phrase;
}

/**
 * The file name a `Content-Disposition` header gives (`filename*=UTF-8''…` first, then
 * `filename="…"`), without any path; null when there is none.
 * @param {string|null} header
 * @returns {string|null}
 */
export function fileNameFrom(header) {
  if (!header) return null;
  let name = null;
  const extended = header.match(/filename\*\s*=\s*([^']*)'[^']*'([^;]+)/i);
  if (extended) {
    try { name = decodeURIComponent(extended[2].trim().replace(/^"|"$/g, '')); } catch { name = null; }
  }
  if (!name) {
    const plain = header.match(/filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]+))/i);
    if (plain) name = (plain[1] ?? plain[2]).replace(/\\(.)/g, '$1');
  }
  name = name?.split(/[\\/]/).pop()?.trim();
  return name || null;
}

/**
 * A downloaded file's name: the workshop's title as a slug and today's date (in the workshop's time zone), e.g.
 * `structurer-et-developper-l-insertion-2026-11-28.csv`, rather than the workshop's id.
 * @param {string|undefined} title
 * @param {string} format
 * @returns {string}
 */
export function exportFileName(title, format) {
  const slug = String(title ?? '').normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase()
    .replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60).replace(/-+$/, '') || 'atelier';
  // en-CA writes dates as YYYY-MM-DD.
  const date = new Intl.DateTimeFormat('en-CA', { timeZone: TIME_ZONE, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
  return `${slug}-${date}.${format}`;
}
