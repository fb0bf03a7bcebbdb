// The room's boards on the projector: every table's board side by side (or only the one the
// facilitator shows to everyone with "follow me"), text only, as large as the screen allows.
//
// Only what every participant may see goes on the wall, although the projector is connected as the
// facilitator: no hidden cards, no private cards still being written, no authors (anonymous
// workshops stay anonymous), and vote counts only once the facilitator has revealed them.
// Nothing here sends anything.

import { t } from './i18n.js';
import { el, domId } from './dom.js';
import { COLORS } from './store.js';

/** The densest layout the fitting tries before letting the boards scroll (see projector.css). */
const MAX_DENSITY = 5;
/** The wall layout of projector.css: the page is exactly the window and the boards must fit. */
const WALL = matchMedia('(min-width: 60em) and (min-height: 30em)');

/**
 * @param {object} parts
 * @param {import('./store.js').Store} parts.store
 * @param {{stage: HTMLElement, grid: HTMLElement, note: HTMLElement}} parts.dom
 *   stage: the scrolling area whose height the boards must fit; grid: where the boards go;
 *   note: a line under the heading (voting, private writing, the board shown to everyone)
 * @returns {{render: () => void, fit: () => void}}
 */
export function mountProjectorBoards({ store, dom }) {
  const sections = new Map(); // board id → {el, sig}
  const seen = new Map(); // card id → text last shown (to mark new and edited cards once)
  let first = true;
  let fitQueued = false;
  let shown = []; // the boards on screen, in the workshop's order
  let laneTotal = 1; // how many lanes they are spread over now

  /** @returns {object[]} the cards of a board everyone may see, in board order. */
  function visibleCards(boardId) {
    return store.cardsOf(boardId).filter((c) => !c.hidden && !c.private && !c.pendingAdd);
  }

  function render() {
    const w = store.workshop;
    if (!w) return;
    const focused = w.focus ? store.board(w.focus) : null;
    shown = focused ? [focused] : w.boards;
    dom.grid.classList.toggle('proj-grid--focus', Boolean(focused));
    dom.grid.dataset.focus = focused?.id ?? '';

    const wanted = new Set(shown.map((b) => b.id));
    for (const [id, entry] of sections) {
      if (!wanted.has(id)) { entry.el.remove(); sections.delete(id); }
    }
    for (const board of shown) {
      let entry = sections.get(board.id);
      if (!entry) {
        entry = { el: el('section', { className: 'proj-board', dataset: { board: board.id, testid: 'projector-board' } }), sig: null };
        sections.set(board.id, entry);
      }
      const cards = visibleCards(board.id);
      const sig = signature(board, cards);
      if (sig !== entry.sig) {
        entry.sig = sig;
        fill(entry.el, board, cards);
      }
    }
    arrange();
    renderNote(focused);
    first = false;
    scheduleFit();
  }

  /**
   * How many lanes the boards may be spread over, best first: one per board up to three, then
   * whichever of 3, 4 or 2 lanes lets the type stay larger (fit() tries them in this order).
   */
  function laneOptions() {
    const n = shown.length;
    if (!WALL.matches || n <= 1) return [1];
    if (n <= 3) return [n];
    if (n === 4) return [2, 4];
    return [3, 4, 2];
  }

  /**
   * Spreads the boards over the lanes, each board going to the lane that is the shortest so far
   * (boards have very different heights: rows would leave holes). A lane reads top to bottom,
   * and the lanes left to right, in the boards' order as far as heights allow.
   */
  function arrange(count = laneTotal) {
    const options = laneOptions();
    laneTotal = options.includes(count) ? count : options[0];
    while (dom.grid.childElementCount > laneTotal) dom.grid.lastElementChild.remove();
    while (dom.grid.childElementCount < laneTotal) dom.grid.append(el('div', { className: 'proj-lane' }));
    const lanes = [...dom.grid.children];
    // Every board must be in the page to be measured; all lanes have the same width.
    for (const board of shown) {
      const section = sections.get(board.id).el;
      if (!lanes.includes(section.parentElement)) lanes[0].append(section);
    }
    const heights = lanes.map(() => 0);
    const plan = lanes.map(() => []);
    for (const board of shown) {
      const section = sections.get(board.id).el;
      const lane = heights.indexOf(Math.min(...heights));
      plan[lane].push(section);
      heights[lane] += section.offsetHeight;
    }
    plan.forEach((sectionsOfLane, i) => {
      sectionsOfLane.forEach((section, j) => {
        if (lanes[i].children[j] !== section) lanes[i].insertBefore(section, lanes[i].children[j] ?? null);
      });
    });
  }

  function signature(board, cards) {
    const w = store.workshop;
    return JSON.stringify([
      board.title, board.locked, store.group(board.group)?.title ?? '', board.columns.map((c) => [c.id, c.title, c.kind]),
      store.phase?.open ?? [], Boolean(w.settings?.votesRevealed), w.focus === board.id,
      cards.map((c) => [c.id, c.text, c.color, c.column, c.cluster, c.votes]),
      store.clustersOf(board.id).map((k) => [k.id, k.title]), t('board.empty'),
    ]);
  }

  function fill(section, board, cards) {
    const w = store.workshop;
    const titleId = domId('proj', board.id, 'title');
    const open = new Set(store.phase?.open ?? []);
    const group = store.group(board.group);
    const meta = [
      group && group.title !== board.title ? group.title : '',
      t('board.count', { n: cards.length }),
      board.locked ? t('fac.lockedBadge') : '',
    ].filter(Boolean).join(' · ');
    section.setAttribute('aria-labelledby', titleId);
    section.classList.toggle('proj-board--focus', w.focus === board.id);
    // An empty column the phase does not open (e.g. "Projets" while the room finds problems) is
    // left out: the wall's width goes to the columns that have something to read.
    const columns = board.columns.filter((column) => open.has(column.kind) || cards.some((c) => c.column === column.id)).map((column) => {
      const inColumn = cards.filter((c) => c.column === column.id);
      const colTitleId = domId('proj', board.id, column.id);
      const isOpen = open.has(column.kind);
      return el('section', {
        className: `proj-col${isOpen ? ' proj-col--open' : ''}`,
        // A column's share of the board's width follows how many cards it holds.
        dataset: { column: column.id, kind: column.kind, weight: String(Math.min(4, Math.max(1, inColumn.length))) },
        attrs: { 'aria-labelledby': colTitleId },
      }, [
        el('h4', { className: 'proj-col__title', id: colTitleId }, [
          el('span', { text: column.title }),
          el('span', { className: 'proj-col__count', text: t('board.count', { n: inColumn.length }) }),
          isOpen ? el('span', { className: 'proj-col__open', text: t('proj.openColumn') }) : null,
        ]),
        inColumn.length
          ? el('ul', { className: 'proj-cards', attrs: { 'aria-labelledby': colTitleId } }, slots(inColumn).map(renderSlot))
          : el('p', { className: 'proj-col__empty', text: t('board.empty') }),
      ]);
    });
    section.replaceChildren(
      el('header', { className: 'proj-board__head' }, [
        el('h3', { className: 'proj-board__title', id: titleId, text: board.title }),
        el('p', { className: 'proj-board__meta', text: meta }),
      ]),
      el('div', { className: 'proj-cols' }, columns),
    );
    for (const c of cards) seen.set(c.id, c.text);
  }

  /** Lone cards and clusters, in the order of their first card (as on the participants' boards). */
  function slots(cards) {
    const list = [];
    const byCluster = new Map();
    for (const card of cards) {
      const cluster = card.cluster ? store.cluster(card.cluster) : null;
      if (!cluster) { list.push({ card }); continue; }
      if (!byCluster.has(cluster.id)) { const slot = { cluster, cards: [] }; byCluster.set(cluster.id, slot); list.push(slot); }
      byCluster.get(cluster.id).cards.push(card);
    }
    return list;
  }

  function renderSlot(slot) {
    if (slot.card) return renderCard(slot.card);
    return el('li', { className: 'proj-cluster', dataset: { cluster: slot.cluster.id, testid: 'projector-cluster' } }, [
      el('p', { className: 'proj-cluster__title', dataset: { testid: 'projector-cluster-title' } }, [
        el('span', { text: slot.cluster.title }),
        el('span', { className: 'proj-cluster__count', text: t('board.count', { n: slot.cards.length }) }),
      ]),
      el('ul', { className: 'proj-cluster__cards' }, slot.cards.map(renderCard)),
    ]);
  }

  function renderCard(card) {
    const fresh = !first && seen.get(card.id) !== card.text;
    const color = COLORS.includes(card.color) ? card.color : 'yellow';
    const revealed = Boolean(store.workshop.settings?.votesRevealed) && typeof card.votes === 'number';
    return el('li', {
      className: `proj-card proj-card--${color}${fresh ? ' proj-card--new' : ''}${revealed && card.votes > 0 ? ' proj-card--voted' : ''}`,
      dataset: { card: card.id, testid: 'projector-card' },
    }, [
      el('p', { className: 'proj-card__text', text: card.text, dataset: { testid: 'projector-card-text' } }),
      revealed ? el('p', { className: 'proj-card__votes', text: t('card.votes', { n: card.votes }), dataset: { testid: 'projector-votes' } }) : null,
    ]);
  }

  function renderNote(focused) {
    const w = store.workshop;
    const privateCount = w.cards.filter((c) => c.private && !c.hidden).length;
    const parts = [
      focused ? t('proj.focus', { title: focused.title }) : '',
      store.phase?.voting && !w.settings?.votesRevealed ? t('proj.votesHidden') : '',
      w.settings?.votesRevealed ? t('proj.votesShown') : '',
      privateCount ? t('proj.private', { n: privateCount }) : '',
    ].filter(Boolean);
    dom.note.textContent = parts.join(' ');
    dom.note.hidden = parts.length === 0;
  }

  function scheduleFit() {
    if (fitQueued) return;
    fitQueued = true;
    requestAnimationFrame(() => { fitQueued = false; fit(); });
  }

  /**
   * Picks the largest type that keeps every board on the screen; past the smallest one the boards
   * scroll. Only on screens wide enough for the projector layout (projector.css).
   */
  function fit() {
    const stage = dom.stage;
    if (!WALL.matches) {
      stage.dataset.density = '0';
      stage.dataset.overflow = 'false';
      stage.removeAttribute('tabindex');
      arrange();
      return;
    }
    stage.dataset.overflow = 'false';
    for (let density = 0; density <= MAX_DENSITY; density += 1) {
      stage.dataset.density = String(density);
      for (const count of laneOptions()) {
        arrange(count);
        if (stage.scrollHeight <= stage.clientHeight + 1) {
          stage.removeAttribute('tabindex');
          return;
        }
      }
    }
    arrange(laneOptions()[0]);
    // Still too much at the smallest size: the boards scroll, and the keyboard can scroll them.
    stage.dataset.overflow = 'true';
    stage.tabIndex = 0;
  }

  window.addEventListener('resize', scheduleFit);
  // A marked card is marked once: moving it to another lane must not replay the mark.
  dom.grid.addEventListener('animationend', (e) => e.target.classList?.remove('proj-card--new'));
  return { render, fit: scheduleFit };
}
