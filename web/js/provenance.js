// "Comment ce projet est né": a project sheet's provenance (docs/protocol.md "Replay"), fetched
// from the server with the viewer's credentials and drawn in a disclosure. Used by the replay
// page (each moment can be replayed from there) and by the console's list of sheets.

import { t } from './i18n.js';
import { el } from './dom.js';
import { errorText, formatDateTime } from './ui.js';

/**
 * Reads a sheet's provenance.
 * @param {{workshop: string, secret: string}} who the workshop and the facilitator key or resume token
 * @param {string} project
 * @returns {Promise<object>}
 */
export async function fetchProvenance(who, project) {
  const response = await fetch(`/api/workshops/${encodeURIComponent(who.workshop)}/projects/${encodeURIComponent(project)}/provenance`, {
    headers: { Authorization: `Bearer ${who.secret}` }, cache: 'no-store',
  });
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const error = new Error(body?.error?.message ?? t('error.generic'));
    error.code = body?.error?.code ?? 'internal';
    throw error;
  }
  return body;
}

function momentLine(m) {
  if (!m) return '';
  const table = m.tableTitle ? ` · ${t('provenance.table', { table: m.tableTitle })}` : '';
  return `${formatDateTime(m.at)} · ${t('provenance.phase', { phase: m.phaseTitle ?? m.phase })}${table}`;
}

/**
 * The disclosure's content for an answer of fetchProvenance.
 * @param {object} p
 * @param {{jump?: boolean}} [options] jump: a "Revoir ce moment" button (data-seq) after each moment
 * @returns {HTMLElement[]}
 */
export function provenanceBody(p, { jump = false } = {}) {
  const jumpButton = (m) => (jump && m ? el('button', {
    type: 'button', className: 'btn btn--small', dataset: { seq: String(m.seq), testid: 'provenance-jump' }, text: t('provenance.jump', { seq: m.seq }),
  }) : null);
  const cards = p.cards.map((c) => el('li', { dataset: { card: c.card, testid: 'provenance-card' } }, [
    el('span', { text: `${t(`provenance.role.${c.role}`)} « ${c.text} » — ${t('provenance.written')} ${momentLine(c.written)} ` }),
    jumpButton(c.written),
  ]));
  const steps = p.steps.map((s) => el('li', { dataset: { testid: 'provenance-step', kind: s.kind } }, [
    el('span', { text: `${t(`provenance.step.${s.kind}`, {
      fields: (s.fields ?? []).map((f) => t(`provenance.field.${f}`)).join(', '),
      status: s.status ? t(`project.status.${s.status}`) : '',
    })} — ${momentLine(s.moment)} ` }),
    jumpButton(s.moment),
  ]));
  // Across the series: the workshops the sheet went through before this one, oldest first.
  const earlier = (p.earlier ?? []).map((s) => el('li', { dataset: { testid: 'provenance-stage', workshop: s.workshop, entry: s.entry } }, [
    el('span', { text: t(s.entry === 'created' ? 'provenance.stageCreated' : 'provenance.stageCarried', {
      workshop: s.workshopTitle, when: formatDateTime(s.at), table: s.table,
    }) + (s.entry === 'created' ? ` ${t('provenance.stageCards', { problems: s.problems.length, ideas: s.ideas.length })}` : '')
      + (s.cluster ? ` ${t('provenance.stageCluster', { title: s.cluster })}` : '')
      + ` ${t('provenance.stageLeft', { status: t(`project.status.${s.status}`) })}` }),
  ]));
  return [
    earlier.length ? el('h4', { text: t('provenance.earlier') }) : null,
    earlier.length ? el('ol', { dataset: { testid: 'provenance-earlier' } }, earlier) : null,
    p.carriedFrom ? el('p', { dataset: { testid: 'provenance-carried' }, text: t('provenance.carriedHere', { when: formatDateTime(p.carriedFrom.at), table: p.carriedFrom.table }) }) : null,
    el('h4', { text: t('provenance.cards') }),
    cards.length ? el('ul', {}, cards) : el('p', { text: t('provenance.noCards') }),
    p.cardsNotShown ? el('p', { className: 'hint', text: t('provenance.notShown', { n: p.cardsNotShown }) }) : null,
    p.cluster ? el('p', { dataset: { testid: 'provenance-cluster' }, text: t('provenance.cluster', { title: p.cluster.title, when: momentLine(p.cluster.made) }) }) : null,
    el('h4', { text: t('provenance.steps') }),
    el('ol', {}, steps),
    el('p', { dataset: { testid: 'provenance-tables' }, text: t('provenance.tables', { tables: p.tables.map((g) => g.title ?? g.id).join(', ') }) }),
  ].filter(Boolean);
}

/**
 * A closed disclosure "Comment ce projet est né" that loads the provenance when opened (again at
 * every opening: the sheet may have moved on).
 * @param {{workshop: string, secret: string}} who
 * @param {string} project
 * @param {{jump?: boolean, open?: boolean, onToggle?: (open: boolean) => void}} [options]
 * @returns {HTMLDetailsElement}
 */
export function provenanceDisclosure(who, project, { jump = false, open = false, onToggle = null } = {}) {
  const body = el('div', { className: 'provenance__body', dataset: { testid: 'provenance-body' } });
  const details = el('details', { className: 'provenance', dataset: { testid: 'provenance' } }, [
    el('summary', { text: t('provenance.summary') }), body,
  ]);
  async function load() {
    body.textContent = t('provenance.loading');
    try {
      body.replaceChildren(...provenanceBody(await fetchProvenance(who, project), { jump }));
    } catch (error) {
      body.textContent = errorText(error.code ?? 'internal', error.message);
    }
  }
  details.addEventListener('toggle', () => {
    onToggle?.(details.open);
    if (details.open) load();
  });
  details.open = open;
  return details;
}
