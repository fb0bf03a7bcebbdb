// What the projector shows in its main area, in one of four modes chosen on the projector itself:
// - `all`: every table's board side by side, each showing the column the phase opens (the other
//   columns folded to their title and count); on a wall, the oldest cards of a column that does
//   not fit give way to a "+N autres cartes" line, so the newest stay in view;
// - `rotation`: one table at a time, large, the next one every N seconds (or on ← →);
// - `results`: after the facilitator reveals the votes, the cards ranked by votes;
// - `projects`: the project sheets, drawn from the workshop's form (the plan's `call:`): its
//   fields in its order with their labels in the page's language, the first few answered ones.
// - `status`: where the series' projects stand (series-status.js, read over HTTP with the key).
// A board the facilitator shows to everyone ("follow me") replaces whatever the mode shows.
// A board's project column shows the table's project sheets (title and status), not cards.
//
// Only what every participant may see goes on the wall, although the projector is connected as the
// facilitator: no hidden cards, no private cards still being written, no authors (anonymous
// workshops stay anonymous), and vote counts only once the facilitator has revealed them.
// Nothing here sends anything.

import { t } from './i18n.js';
import { el, domId } from './dom.js';
import { COLORS } from './store.js';
import { holdsSheets } from './sheet-view.js';
import { formModel, tr } from './project-form.js';
import { statusTable } from './series-status.js';

export const MODES = ['all', 'rotation', 'results', 'projects', 'status'];
/** The wall layout of projector.css: the page is exactly the window and what it shows must fit. */
const WALL = matchMedia('(min-width: 60em) and (min-height: 30em)');
/** How many answered fields a sheet shows on the wall (the form's first ones); the rest is counted. */
const WALL_FIELDS = 5;
/** Contact details stay off the room's wall, whatever the form calls them. */
const OFF_WALL = new Set(['email', 'phone']);

/**
 * @param {object} parts
 * @param {import('./store.js').Store} parts.store
 * @param {{stage: HTMLElement, grid: HTMLElement, note: HTMLElement, viewTitle: HTMLElement,
 *          ranking: HTMLElement, sheets: HTMLElement}} parts.dom
 * @returns {{render: () => void, fit: () => void, setMode: (mode: string) => void, mode: () => string,
 *            step: (delta: number) => void, setEvery: (seconds: number) => void, setPaused: (paused: boolean) => void}}
 */
export function mountProjectorBoards({ store, dom, loadStatus }) {
  const sections = new Map(); // board id → {el, sig}
  const seen = new Map(); // card id → text last shown (to mark new and edited cards once)
  let first = true;
  let fitQueued = false;
  let mode = 'all';
  let rotationIndex = 0;
  let every = 20;
  let paused = false;
  let ticker = null;
  let shown = []; // the boards on screen
  let large = false; // one board on the whole area (rotation, "follow me")

  /** @returns {object[]} the cards of a board everyone may see, in board order. */
  function visibleCards(boardId) {
    return store.cardsOf(boardId).filter((c) => !c.hidden && !c.private && !c.pendingAdd);
  }

  function render() {
    const w = store.workshop;
    if (!w) return;
    const focused = w.focus ? store.board(w.focus) : null;
    const view = focused ? 'focus' : mode;
    dom.stage.dataset.view = view;
    const showBoards = view === 'all' || view === 'rotation' || view === 'focus';
    dom.grid.hidden = !showBoards;
    dom.ranking.hidden = view !== 'results';
    dom.sheets.hidden = view !== 'projects';
    dom.status.hidden = view !== 'status';
    if (rotationIndex >= w.boards.length) rotationIndex = 0;
    shown = view === 'focus' ? [focused] : view === 'rotation' ? w.boards.slice(rotationIndex, rotationIndex + 1) : view === 'all' ? w.boards : [];
    large = view === 'focus' || view === 'rotation';
    dom.grid.classList.toggle('proj-grid--focus', view === 'focus');
    dom.grid.classList.toggle('proj-grid--large', large);
    dom.grid.dataset.focus = focused?.id ?? '';
    // One row of boards up to five, two rows beyond (projector.css).
    dom.grid.dataset.cols = String(shown.length <= 5 ? Math.max(1, shown.length) : Math.min(5, Math.ceil(shown.length / 2)));
    renderViewTitle(view);
    renderBoards();
    if (view === 'results') renderResults();
    if (view === 'projects') renderSheets();
    if (view === 'status') renderStatus();
    renderNote(focused);
    first = false;
    scheduleFit();
  }

  function renderViewTitle(view) {
    const w = store.workshop;
    const text = view === 'rotation' && w.boards.length
      ? t('proj.rotationTitle', { n: rotationIndex + 1, total: w.boards.length }) + (paused ? ` ${t('proj.rotationPaused')}` : '')
      : view === 'results' ? t('proj.resultsTitle')
        : view === 'projects' ? t('proj.projectsTitle')
          : view === 'status' ? t('status.heading') : '';
    dom.viewTitle.textContent = text;
    dom.viewTitle.hidden = !text;
  }

  function renderBoards() {
    const wanted = new Set(shown.map((b) => b.id));
    for (const [id, entry] of sections) {
      if (!wanted.has(id)) { entry.el.remove(); sections.delete(id); }
    }
    shown.forEach((board, i) => {
      let entry = sections.get(board.id);
      if (!entry) {
        entry = { el: el('section', { className: 'proj-board', dataset: { board: board.id, testid: 'projector-board' } }), sig: null };
        sections.set(board.id, entry);
      }
      const cards = visibleCards(board.id);
      const sig = signature(board, cards, store.projectsOf(board.id));
      if (sig !== entry.sig) {
        entry.sig = sig;
        fill(entry.el, board, cards);
      }
      if (dom.grid.children[i] !== entry.el) dom.grid.insertBefore(entry.el, dom.grid.children[i] ?? null);
    });
  }

  function signature(board, cards, sheets) {
    const w = store.workshop;
    return JSON.stringify([
      sheets.map((p) => [p.id, p.title, p.status]), t('sheets.count', { n: sheets.length }),
      board.title, board.locked, board.columns.map((c) => [c.id, c.title, c.kind]),
      store.phase?.open ?? [], Boolean(w.settings?.votesRevealed), w.focus === board.id, large,
      cards.map((c) => [c.id, c.text, c.color, c.column, c.cluster, c.votes]),
      store.clustersOf(board.id).map((k) => [k.id, k.title]), t('board.empty'),
    ]);
  }

  /** Whether a column has something to show: cards, or (a project column) sheets. */
  function filled(board, column, cards) {
    return cards.some((c) => c.column === column.id) || (holdsSheets(column) && store.projectsOf(board.id).length > 0);
  }

  /** The columns the phase opens: they get the space. With none open, every column with cards. */
  function openColumns(board, cards) {
    const open = new Set(store.phase?.open ?? []);
    const opened = board.columns.filter((c) => open.has(c.kind));
    return new Set((opened.length ? opened : board.columns.filter((c) => filled(board, c, cards))).map((c) => c.id));
  }

  function fill(section, board, cards) {
    const w = store.workshop;
    const titleId = domId('proj', board.id, 'title');
    const expanded = openColumns(board, cards);
    const meta = [
      t('board.count', { n: cards.length }),
      board.locked ? t('fac.lockedBadge') : '',
    ].filter(Boolean).join(' · ');
    section.setAttribute('aria-labelledby', titleId);
    section.classList.toggle('proj-board--focus', w.focus === board.id);
    // An empty column the phase does not open (e.g. "Projets" while the room finds problems) is
    // left out; a column with cards the phase does not open is folded to its title and count (on
    // one large board, it keeps a narrow strip of its cards).
    const columns = board.columns.filter((column) => expanded.has(column.id) || filled(board, column, cards)).map((column) => {
      const inColumn = cards.filter((c) => c.column === column.id);
      const colTitleId = domId('proj', board.id, column.id);
      const isOpen = expanded.has(column.id);
      const folded = !isOpen && !large;
      if (holdsSheets(column)) return sheetColumn(board, column, inColumn, { colTitleId, isOpen, folded });
      return el('section', {
        className: `proj-col${isOpen ? ' proj-col--open' : ''}${folded ? ' proj-col--folded' : ''}`,
        dataset: { column: column.id, kind: column.kind },
        attrs: { 'aria-labelledby': colTitleId },
      }, [
        el('h4', { className: 'proj-col__title', id: colTitleId }, [
          el('span', { className: 'proj-col__name', text: column.title }),
          el('span', { className: 'proj-col__count', text: t('board.count', { n: inColumn.length }) }),
        ]),
        el('p', { className: 'proj-col__more', hidden: true, dataset: { testid: 'projector-more' } }),
        inColumn.length
          ? el('ul', { className: 'proj-cards', hidden: folded, attrs: { 'aria-labelledby': colTitleId } }, slots(inColumn).map(renderSlot))
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

  /**
   * A project column: the table's sheets (title and status), then any card an older journal left
   * there.
   */
  function sheetColumn(board, column, inColumn, { colTitleId, isOpen, folded }) {
    const sheets = store.projectsOf(board.id);
    const items = [
      ...sheets.map((p) => el('li', { className: `proj-card proj-card--sheet proj-card--${p.status}`, dataset: { project: p.id, testid: 'projector-column-sheet' } }, [
        el('p', { className: 'proj-card__text', text: p.title, dataset: { testid: 'projector-sheet-title' } }),
        el('p', { className: 'proj-card__status' }, [
          el('span', { className: `badge badge--status badge--${p.status}`, text: t(`project.status.${p.status}`), dataset: { testid: 'projector-sheet-status' } }),
        ]),
      ])),
      ...slots(inColumn).map(renderSlot),
    ];
    return el('section', {
      className: `proj-col proj-col--sheets${isOpen ? ' proj-col--open' : ''}${folded ? ' proj-col--folded' : ''}`,
      dataset: { column: column.id, kind: column.kind },
      attrs: { 'aria-labelledby': colTitleId },
    }, [
      el('h4', { className: 'proj-col__title', id: colTitleId }, [
        el('span', { className: 'proj-col__name', text: column.title }),
        el('span', { className: 'proj-col__count', text: t('sheets.count', { n: sheets.length }) }),
      ]),
      el('p', { className: 'proj-col__more', hidden: true, dataset: { testid: 'projector-more' } }),
      items.length
        ? el('ul', { className: 'proj-cards', hidden: folded, attrs: { 'aria-labelledby': colTitleId } }, items)
        : el('p', { className: 'proj-col__empty', text: t('sheets.empty') }),
    ]);
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

  function votesRevealed() {
    return Boolean(store.workshop.settings?.votesRevealed);
  }

  function renderCard(card) {
    const fresh = !first && seen.get(card.id) !== card.text;
    const color = COLORS.includes(card.color) ? card.color : 'yellow';
    const revealed = votesRevealed() && typeof card.votes === 'number';
    return el('li', {
      className: `proj-card proj-card--${color}${fresh ? ' proj-card--new' : ''}${revealed && card.votes > 0 ? ' proj-card--voted' : ''}`,
      dataset: { card: card.id, testid: 'projector-card' },
    }, [
      el('p', { className: 'proj-card__text', text: card.text, dataset: { testid: 'projector-card-text' } }),
      revealed ? el('p', { className: 'proj-card__votes', text: t('card.votes', { n: card.votes }), dataset: { testid: 'projector-votes' } }) : null,
    ]);
  }

  // --- Results: the cards ranked by votes -------------------------------------------------------

  /** @returns {{card: object, board: object, rank: number}[]} cards with votes, most voted first. */
  function ranking() {
    const w = store.workshop;
    const list = [];
    w.boards.forEach((board, b) => {
      visibleCards(board.id).forEach((card, i) => {
        if (typeof card.votes === 'number' && card.votes > 0) list.push({ card, board, order: b * 100000 + i });
      });
    });
    list.sort((a, b) => b.card.votes - a.card.votes || a.order - b.order);
    // Equal votes share a rank (1, 2, 2, 4).
    let rank = 0;
    return list.map((entry, i) => {
      if (i === 0 || list[i - 1].card.votes !== entry.card.votes) rank = i + 1;
      return { ...entry, rank };
    });
  }

  function renderResults() {
    if (!votesRevealed()) {
      dom.ranking.replaceChildren(el('p', { className: 'proj-empty', text: t('proj.resultsHidden'), dataset: { testid: 'projector-results-empty' } }));
      return;
    }
    const ranked = ranking();
    if (!ranked.length) {
      dom.ranking.replaceChildren(el('p', { className: 'proj-empty', text: t('proj.resultsNone'), dataset: { testid: 'projector-results-empty' } }));
      return;
    }
    dom.ranking.replaceChildren(
      el('ol', { className: 'proj-rank', attrs: { 'aria-label': t('proj.resultsTitle') } }, ranked.map(({ card, board, rank }) => {
        const color = COLORS.includes(card.color) ? card.color : 'yellow';
        return el('li', { className: `proj-rank__item proj-card--${color}`, dataset: { card: card.id, testid: 'projector-rank-item', votes: String(card.votes) } }, [
          el('p', { className: 'proj-rank__pos', text: t('proj.rank', { n: rank }) }),
          el('p', { className: 'proj-rank__votes proj-card__votes', text: t('card.votes', { n: card.votes }), dataset: { testid: 'projector-rank-votes' } }),
          el('p', { className: 'proj-rank__text proj-card__text', text: card.text, dataset: { testid: 'projector-rank-text' } }),
          el('p', { className: 'proj-rank__table', text: board.title }),
        ]);
      })),
      el('p', { className: 'proj-col__more', hidden: true, dataset: { testid: 'projector-more' } }),
    );
  }

  // --- Project sheets ---------------------------------------------------------------------------

  /**
   * A sheet's answered fields as the wall shows them, in the form's order: label and value as
   * the form declares them (contact details and hidden or private cards left out).
   * @returns {{id: string, label: string, text: string}[]}
   */
  function wallFields(model, p) {
    const out = [];
    const onWall = (id) => { const c = store.card(id); return c && !c.hidden && !c.private; };
    for (const f of model.form.fields) {
      if (f.id === 'title' || OFF_WALL.has(f.type)) continue;
      let v = p[f.id];
      if (f.type === 'problemCards' || f.type === 'ideaCards') v = (v ?? []).filter(onWall);
      if (f.type === 'group') {
        const keep = (r) => (r && typeof r === 'object'
          ? Object.fromEntries(Object.entries(r).filter(([k]) => !OFF_WALL.has(f.fields?.find((c) => c.id === k)?.type))) : r);
        v = f.repeated === false ? keep(v) : (v ?? []).map(keep);
      }
      const c = model.canonical(f.id, v);
      if (c == null || c === '' || (Array.isArray(c) && !c.length)) continue;
      out.push({ id: f.id, label: tr(f.label) || f.id, text: model.describe(f.id, v) });
    }
    return out;
  }

  /**
   * The series' status lines: read when the mode is chosen and again when a sheet's status or
   * dossier moves (the signature of what the journal told this page), never more often.
   */
  let statusSig = null;
  function renderStatus() {
    const sig = JSON.stringify((store.workshop.projects ?? []).map((p) => [p.id, p.status, (p.receipts ?? []).map((r) => r.dossier?.state ?? '')]));
    if (sig === statusSig && dom.status.childElementCount) return;
    statusSig = sig;
    loadStatus?.().then((body) => {
      dom.status.replaceChildren(statusTable(body, { caption: body.series?.title ?? t('status.heading'), testid: 'projector-status' }));
      scheduleFit();
    }).catch(() => {
      statusSig = null;
      dom.status.replaceChildren(el('p', { className: 'proj-empty', text: t('status.unavailable') }));
    });
  }

  function renderSheets() {
    const projects = store.workshop.projects ?? [];
    if (!projects.length) {
      dom.sheets.replaceChildren(el('p', { className: 'proj-empty', text: t('proj.projectsNone'), dataset: { testid: 'projector-projects-empty' } }));
      return;
    }
    const model = formModel(store.workshop.form, store);
    dom.sheets.replaceChildren(
      el('ul', { className: 'proj-sheets__list' }, projects.map((p) => {
        const board = store.board(p.board);
        const titleId = domId('proj-sheet', p.id);
        const fields = wallFields(model, p);
        const shown = fields.slice(0, WALL_FIELDS);
        return el('li', { className: 'proj-sheet', dataset: { project: p.id, testid: 'projector-sheet' }, attrs: { 'aria-labelledby': titleId } }, [
          el('h3', { className: 'proj-sheet__title', id: titleId, text: p.title }),
          el('p', { className: 'proj-sheet__meta' }, [
            el('span', { className: `badge badge--status badge--${p.status}`, text: t(`project.status.${p.status}`) }),
            el('span', { text: ` ${[board?.title, t('project.supporters', { n: p.supportCount ?? (p.supporters ?? []).length })].filter(Boolean).join(' · ')}` }),
          ]),
          shown.length ? el('dl', { className: 'proj-sheet__fields' }, shown.map((x) => el('div', {
            className: 'proj-sheet__field', dataset: { field: x.id, testid: 'projector-sheet-field' },
          }, [
            el('dt', { className: 'proj-sheet__label', text: x.label }),
            el('dd', { className: 'proj-sheet__value', text: x.text }),
          ]))) : null,
          fields.length > shown.length
            ? el('p', { className: 'proj-sheet__more', text: t('proj.sheetMore', { n: fields.length - shown.length }), dataset: { testid: 'projector-sheet-more' } })
            : null,
        ]);
      })),
      el('p', { className: 'proj-col__more', hidden: true, dataset: { testid: 'projector-more' } }),
    );
  }

  function renderNote(focused) {
    const w = store.workshop;
    const privateCount = w.cards.filter((c) => c.private && !c.hidden).length;
    const parts = [
      focused ? t('proj.focus', { title: focused.title }) : '',
      store.phase?.voting && !w.settings?.votesRevealed && !w.votesClosed ? t('proj.votesHidden') : '',
      store.phase?.voting && !w.settings?.votesRevealed && w.votesClosed ? t('proj.votesClosed') : '',
      w.settings?.votesRevealed ? t('proj.votesShown') : '',
      privateCount ? t('proj.private', { n: privateCount }) : '',
    ].filter(Boolean);
    dom.note.textContent = parts.join(' ');
    dom.note.hidden = parts.length === 0;
  }

  // --- Fitting: nothing leaves the wall ---------------------------------------------------------

  function scheduleFit() {
    if (fitQueued) return;
    fitQueued = true;
    requestAnimationFrame(() => { fitQueued = false; fit(); });
  }

  /**
   * Hides, in each list that does not fit its box, the first items (the oldest cards, the lowest
   * ranks come last so those go first) until it fits, and says how many are not shown. Only on
   * screens wide enough for the wall layout; elsewhere everything shows and the page scrolls.
   */
  function fit() {
    for (const col of dom.grid.querySelectorAll('.proj-col')) {
      const list = col.querySelector('.proj-cards');
      const more = col.querySelector('.proj-col__more');
      if (!list) continue;
      const cards = [...list.querySelectorAll('.proj-card')];
      if (col.classList.contains('proj-col--folded')) continue;
      // Sheets are listed oldest first: the last ones give way, and the line says "and N more".
      trim(list, cards, more, col.classList.contains('proj-col--sheets') ? 'last' : 'oldest');
    }
    const rank = dom.ranking.querySelector('.proj-rank');
    if (rank && !dom.ranking.hidden) trim(rank, [...rank.children], dom.ranking.querySelector('.proj-col__more'), 'last');
    const sheets = dom.sheets.querySelector('.proj-sheets__list');
    if (sheets && !dom.sheets.hidden) trim(sheets, [...sheets.children], dom.sheets.querySelector('.proj-col__more'), 'last');
  }

  /**
   * @param {HTMLElement} box the list whose overflow is clipped
   * @param {HTMLElement[]} items in reading order
   * @param {HTMLElement|null} more the "+N" line
   * @param {'oldest'|'last'} drop which end gives way
   */
  function trim(box, items, more, drop) {
    for (const item of items) item.hidden = false;
    for (const cluster of box.querySelectorAll('.proj-cluster')) cluster.hidden = false;
    if (more) more.hidden = true;
    box.classList.remove('proj-roomy');
    if (!WALL.matches) return;
    const overflows = () => box.scrollHeight > box.clientHeight + 1 || box.scrollWidth > box.clientWidth + 1;
    // With room to spare, cards show more of their text; else three lines, then the oldest go.
    box.classList.add('proj-roomy');
    if (overflows()) box.classList.remove('proj-roomy');
    let hiddenCount = 0;
    const order = drop === 'oldest' ? items : [...items].reverse();
    for (const item of order) {
      if (!overflows()) break;
      if (hiddenCount === items.length - 1) break; // keep at least one
      item.hidden = true;
      hiddenCount += 1;
      const cluster = item.closest('.proj-cluster');
      if (cluster && ![...cluster.querySelectorAll('.proj-card')].some((c) => !c.hidden)) cluster.hidden = true;
      if (more) {
        more.hidden = false;
        more.textContent = drop === 'oldest' ? t('proj.moreCards', { n: hiddenCount }) : t('proj.moreItems', { n: hiddenCount });
      }
    }
    // The last item alone does not fit either: it is clamped by its own box (line clamp).
  }

  // --- Modes --------------------------------------------------------------------------------------

  function setMode(next) {
    if (!MODES.includes(next)) return;
    mode = next;
    if (next === 'status') statusSig = null; // read afresh each time it is chosen
    restartRotation();
    render();
  }

  function step(delta) {
    const n = store.workshop?.boards.length ?? 0;
    if (!n) return;
    rotationIndex = (rotationIndex + delta + n) % n;
    restartRotation();
    render();
  }

  function restartRotation() {
    clearInterval(ticker);
    ticker = null;
    if (mode === 'rotation' && !paused) ticker = setInterval(() => step(1), every * 1000);
  }

  function setEvery(seconds) {
    if (!(seconds > 0)) return;
    every = seconds;
    restartRotation();
  }

  function setPaused(value) {
    paused = Boolean(value);
    restartRotation();
    render();
  }

  window.addEventListener('resize', scheduleFit);
  // A marked card is marked once: a later re-render must not replay the mark.
  dom.grid.addEventListener('animationend', (e) => e.target.classList?.remove('proj-card--new'));
  return { render, fit: scheduleFit, setMode, mode: () => mode, step, setEvery, setPaused, paused: () => paused, every: () => every };
}
