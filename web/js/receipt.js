// A submission's receipt as one line (the participant's sheets, the console's list).

import { t } from './i18n.js';
import { el } from './dom.js';
import { formatDateTime } from './ui.js';

/**
 * A receipt as a line, with the Démarches Simplifiées link when there is one.
 * @param {{channel: string, reference: string, url?: string, number?: number, at: string, dossier?: {state: string, submittedAt?: string, processedAt?: string}}} receipt
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
  const d = receipt.dossier;
  if (d?.state) {
    // Where the dossier is on the platform (followed by the server), with its dates.
    const dates = [d.submittedAt ? t('receipt.filedOn', { when: formatDateTime(d.submittedAt) }) : '',
      d.processedAt ? t('receipt.decidedOn', { when: formatDateTime(d.processedAt) }) : ''].filter(Boolean).join(' ');
    parts.push(' ', el('span', {
      className: `badge badge--dossier badge--dossier-${d.state}`, text: t(`receipt.dossier.${d.state}`), dataset: { testid: 'dossier-state', state: d.state },
    }), dates ? ` ${dates}` : '');
  }
  return el('p', { className: 'receipt', dataset: { testid: 'receipt' } }, parts);
}
