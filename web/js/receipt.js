// A submission's receipt as one line (the participant's sheets, the console's list).

import { t } from './i18n.js';
import { el } from './dom.js';
import { formatDateTime } from './ui.js';

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
