// Clusters: cards grouped under a title. Dropping a card on another card joins that card's cluster,
// or starts a new one (its title is asked); "Regrouper…" on a card does the same from the keyboard.

import { t } from './i18n.js';
import { askDialog } from './dialog.js';
import { announce } from './ui.js';

const PREVIEW = 50;

/** @returns {string} a card's text cut for a list of choices. */
function preview(text) {
  return text.length > PREVIEW ? `${text.slice(0, PREVIEW)}…` : text;
}

/**
 * Cluster commands for one board view.
 * @param {object} parts
 * @param {import('./store.js').Store} parts.store
 * @param {(type: string, args: object) => string} parts.send
 * @param {() => object|undefined} parts.board the board shown
 * @param {HTMLElement} parts.announcer
 */
export function clusterActions({ store, send, board, announcer }) {
  /** Asks a title and creates a cluster with these cards. */
  async function create(cards, suggestion = '') {
    const answer = await askDialog({
      title: t('cluster.createTitle'),
      fields: [{ name: 'title', label: t('cluster.titleLabel'), value: suggestion, required: true, maxLength: 120 }],
      submit: t('cluster.create'),
    });
    if (!answer) return;
    send('cluster.create', { board: board().id, title: answer.title, cards });
    announce(announcer, t('cluster.created', { title: answer.title }));
  }

  /** Puts a card in a cluster (or takes it out with null). */
  function join(cardId, clusterId) {
    send('card.cluster', { card: cardId, cluster: clusterId });
    const title = clusterId ? store.cluster(clusterId)?.title ?? '' : '';
    announce(announcer, clusterId ? t('cluster.joined', { title }) : t('cluster.left'));
  }

  return {
    join,

    /**
     * A card was dropped on another card.
     * @param {string} dragged
     * @param {string} target
     */
    dropOnCard(dragged, target) {
      if (dragged === target) return;
      const targetCard = store.card(target);
      if (!targetCard) return;
      if (targetCard.cluster && store.cluster(targetCard.cluster)) join(dragged, targetCard.cluster);
      else create([target, dragged]);
    },

    /** The keyboard way: choose a cluster or a card to group with. */
    async regroup(cardId) {
      const card = store.card(cardId);
      if (!card) return;
      const b = board();
      const options = [{ value: '', label: t('cluster.choose') }];
      for (const k of store.clustersOf(b.id)) {
        if (k.id !== card.cluster) options.push({ value: `k:${k.id}`, label: t('cluster.optionCluster', { title: k.title }) });
      }
      for (const c of store.cardsOf(b.id)) {
        if (c.id !== cardId && !c.pendingAdd && !(c.cluster && store.cluster(c.cluster))) {
          options.push({ value: `c:${c.id}`, label: t('cluster.optionCard', { text: preview(c.text) }) });
        }
      }
      if (card.cluster) options.push({ value: 'none', label: t('cluster.optionLeave') });
      const answer = await askDialog({
        title: t('cluster.regroupTitle'),
        message: t('cluster.regroupCard', { text: preview(card.text) }),
        fields: [
          { name: 'with', label: t('cluster.with'), type: 'select', options },
          { name: 'title', label: t('cluster.titleLabel'), hint: t('cluster.titleHint'), maxLength: 120 },
        ],
        submit: t('cluster.regroupOk'),
        validate: (v) => (!v.with ? t('cluster.chooseError') : v.with.startsWith('c:') && !v.title ? t('cluster.titleError') : ''),
      });
      if (!answer) return;
      if (answer.with === 'none') join(cardId, null);
      else if (answer.with.startsWith('k:')) join(cardId, answer.with.slice(2));
      else {
        send('cluster.create', { board: b.id, title: answer.title, cards: [answer.with.slice(2), cardId] });
        announce(announcer, t('cluster.created', { title: answer.title }));
      }
    },

    /** Gives a cluster another title. */
    async rename(clusterId) {
      const cluster = store.cluster(clusterId);
      if (!cluster) return;
      const answer = await askDialog({
        title: t('cluster.renameTitle'),
        fields: [{ name: 'title', label: t('cluster.titleLabel'), value: cluster.title, required: true, maxLength: 120 }],
        submit: t('cluster.renameOk'),
      });
      if (answer && answer.title !== cluster.title) send('cluster.rename', { cluster: clusterId, title: answer.title });
    },
  };
}
