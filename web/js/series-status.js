// "Où en sont nos projets": the status line of every project of the workshop's series (docs/protocol.md
// "Where our projects stand"), read with the facilitator key from
// GET /api/workshops/{id}/series/projects, drawn as a table by the console and the projector. A line
// holds no claim link, token, contact nor author: it may go on the wall.

import { language, t } from './i18n.js';
import { el } from './dom.js';
import { TIME_ZONE } from './ui.js';

/** @returns {Promise<{series: ?{id: string, title: string}, projects: object[], unread: string[]}>} */
export async function fetchSeriesStatus(workshop, key) {
  const response = await fetch(`/api/workshops/${encodeURIComponent(workshop)}/series/projects`, {
    headers: { Authorization: `Bearer ${key}` }, cache: 'no-store',
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw Object.assign(new Error(body?.error?.message ?? String(response.status)), { code: body?.error?.code });
  return body;
}

/** A day ("15/01/2027"), in the workshop's time zone and the interface's language. */
function day(iso) {
  const date = iso ? new Date(iso) : null;
  if (!date || Number.isNaN(date.getTime())) return '';
  return new Intl.DateTimeFormat(language() === 'fr' ? 'fr-FR' : 'en-GB', {
    timeZone: TIME_ZONE, day: '2-digit', month: '2-digit', year: 'numeric',
  }).format(date);
}

/** The lines as a table (caption given), or a sentence when there is none. */
export function statusTable(body, { caption, testid }) {
  if (!body.series) return el('p', { className: 'hint', text: t('status.noSeries'), dataset: { testid: `${testid}-empty` } });
  if (!body.projects.length) return el('p', { className: 'hint', text: t('status.none'), dataset: { testid: `${testid}-empty` } });
  const head = ['status.colProject', 'status.colStage', 'status.colSince', 'status.colNext', 'status.colWhere'];
  return el('div', { className: 'table-wrap' }, [
    el('table', { className: 'series-status', dataset: { testid } }, [
      el('caption', { text: caption }),
      el('thead', {}, [el('tr', {}, head.map((k) => el('th', { scope: 'col', text: t(k) })))]),
      el('tbody', {}, body.projects.map((p) => {
        const next = p.nextSteps[0];
        return el('tr', { dataset: { testid: `${testid}-line`, identity: p.identity, status: p.status } }, [
          el('th', { scope: 'row', text: p.title }),
          el('td', {}, [el('span', { className: `badge badge--status badge--stage-${p.status}`, text: t(`status.stage.${p.status}`) })]),
          el('td', { text: day(p.since) }),
          el('td', { text: next ? t('status.next', { action: next.action, owner: next.owner, due: next.due ? day(`${next.due}T12:00:00.000Z`) : t('status.noDue') }) : '' }),
          el('td', { text: t('status.where', { workshop: p.workshopTitle, table: p.table }) }),
        ]);
      })),
    ]),
  ]);
}
