// The console's "Où en sont nos projets": every project of the workshop's series with where it
// stands (series-status.js), refreshed on demand and when a dossier moves, and shown on the room's
// projector with one button (`projector.show` mode `status`). Hidden for a workshop outside any series.

import { t } from './i18n.js';
import { el, button } from './dom.js';
import { announce, errorText } from './ui.js';
import { fetchSeriesStatus, statusTable } from './series-status.js';

/**
 * @param {object} ctx see mountControls, plus `credentials` {workshop, key}
 * @param {{section: HTMLElement}} ctx.dom
 * @returns {{render: () => void}}
 */
export function mountSeriesStatus({ store, send, announcer, credentials, dom }) {
  const body = el('div', { className: 'series-status__body', dataset: { testid: 'series-status-body' } });
  const error = el('div', { className: 'alert', attrs: { role: 'alert' }, dataset: { testid: 'series-status-error' } });
  const refresh = button('refresh', t('status.refresh'), { className: 'btn--small', dataset: { testid: 'series-status-refresh' } });
  const show = button('show', t('status.showOnProjector'), { className: 'btn--small', dataset: { testid: 'series-status-project' } });
  dom.section.append(
    el('p', { className: 'hint', text: t('status.hint') }),
    el('div', { className: 'button-row' }, [refresh, show]),
    error, body,
  );
  let followed = null; // the sheets' statuses and dossier states last seen: a change refreshes the lines

  async function load(say) {
    try {
      const answer = await fetchSeriesStatus(credentials.workshop, credentials.key);
      error.textContent = '';
      dom.section.hidden = !answer.series;
      body.replaceChildren(statusTable(answer, { caption: t('status.caption', { series: answer.series?.title ?? '' }), testid: 'series-status' }));
      if (say) announce(announcer, t('status.refreshed', { n: answer.projects.length }));
    } catch (e) {
      error.textContent = errorText(e.code, e.message);
    }
  }

  refresh.addEventListener('click', () => load(true));
  show.addEventListener('click', () => {
    send('projector.show', { mode: 'status' });
    announce(announcer, t('fac.projectorSent', { mode: t('proj.mode.status') }));
  });
  load(false);

  return {
    render() {
      const sig = JSON.stringify((store.workshop?.projects ?? []).map((p) => [p.id, p.status, (p.receipts ?? []).map((r) => r.dossier?.state ?? '')]));
      if (sig !== followed) {
        if (followed !== null) load(false);
        followed = sig;
      }
    },
  };
}
