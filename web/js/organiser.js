// organiser.html: the organiser's home page. The admin token is typed once and exchanged for a
// session cookie (HttpOnly: this script never sees it); each write sends the session's CSRF token
// in X-Atelier-CSRF. Series, their workshops and the workshops outside any series, with their
// state; a console or projector opened with a key the server derives for the organiser, carried
// in the link's fragment (never sent to a server, never logged).

import { applyTranslations, bindLanguageSwitch, languageEvents, t } from './i18n.js';
import { button, domId, el } from './dom.js';
import { confirmDialog } from './dialog.js';
import { announce, errorText, showError } from './ui.js';

applyTranslations();
bindLanguageSwitch(document.querySelector('[data-testid="lang-switch"]'));

const loginSection = document.getElementById('login');
const home = document.getElementById('home');
const logoutButton = document.getElementById('logout');
const alerts = document.getElementById('org-alerts');
const announcer = document.getElementById('announcer');

/** The session's CSRF token (from the login, or GET /api/admin/session after a reload). */
let csrf = null;
/** What the server said last: plans, series, workshops. */
let data = { plans: [], defaultPlan: '', series: [], workshops: [] };

class ApiError extends Error {
  constructor(status, code, message) { super(message); this.status = status; this.code = code; }
}

/**
 * One call to the admin API with the session cookie.
 * @param {string} method
 * @param {string} path
 * @param {object} [body] sent as JSON
 * @returns {Promise<any>} the JSON answer
 */
async function api(method, path, body) {
  const headers = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET') headers['X-Atelier-CSRF'] = csrf ?? '';
  let response;
  try {
    response = await fetch(path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store', credentials: 'same-origin',
    });
  } catch {
    throw new ApiError(0, 'network', t('org.errorNetwork'));
  }
  let json = null;
  try { json = await response.json(); } catch { /* not JSON */ }
  if (!response.ok) {
    const error = new ApiError(response.status, json?.error?.code ?? 'internal', json?.error?.message ?? '');
    if (response.status === 401 && !['/api/admin/login', '/api/admin/session'].includes(path)) showLogin(t('org.sessionEnded'));
    throw error;
  }
  return json;
}

function fail(error) {
  if (error.status === 401) return;
  showError(alerts, error.code === 'network' ? error.message : errorText(error.code, error.message));
}

// --- Login and logout --------------------------------------------------------------------------

const loginForm = document.getElementById('login-form');
const tokenInput = document.getElementById('token');
const tokenError = document.getElementById('token-error');

function showLogin(message = '') {
  csrf = null;
  home.hidden = true;
  logoutButton.hidden = true;
  loginSection.hidden = false;
  tokenError.textContent = message;
  tokenInput.focus();
}

async function showHome() {
  loginSection.hidden = true;
  home.hidden = false;
  logoutButton.hidden = false;
  await refresh();
}

let loggingIn = false;
loginForm.addEventListener('submit', async (e) => {
  e.preventDefault();
  if (loggingIn) return;
  const token = tokenInput.value.trim();
  if (!token) return loginProblem(t('org.errorTokenEmpty'));
  loggingIn = true;
  try {
    const answer = await api('POST', '/api/admin/login', { token });
    csrf = answer.csrf;
    tokenInput.value = '';
    loginProblem('');
    await showHome();
    document.getElementById('home-title').setAttribute('tabindex', '-1');
    document.getElementById('home-title').focus();
    announce(announcer, t('org.loggedIn'));
  } catch (error) {
    loginProblem(error.status === 403 ? t('org.errorToken') : error.status === 429 ? t('org.errorTooMany')
      : error.code === 'network' ? error.message : errorText(error.code, error.message));
  } finally {
    loggingIn = false;
  }
});

function loginProblem(problem) {
  tokenError.textContent = problem;
  if (problem) {
    tokenInput.setAttribute('aria-invalid', 'true');
    tokenInput.focus();
  } else {
    tokenInput.removeAttribute('aria-invalid');
  }
}

logoutButton.addEventListener('click', async () => {
  try { await api('POST', '/api/admin/logout'); } catch (error) { fail(error); return; }
  showLogin();
  announce(announcer, t('org.loggedOut'));
});

// --- Data --------------------------------------------------------------------------------------

async function refresh() {
  try {
    const [plans, series, workshops] = await Promise.all([
      api('GET', '/api/admin/plans'), api('GET', '/api/admin/series'), api('GET', '/api/admin/workshops'),
    ]);
    data = { plans: plans.plans, defaultPlan: plans.default, series: series.series, workshops: workshops.workshops };
    render();
  } catch (error) {
    fail(error);
  }
}

// --- Rendering ---------------------------------------------------------------------------------

/**
 * Where the focus is, as something that survives a render: the control's test id inside its
 * workshop card, series panel or the standalone form.
 * @returns {{scope: string, testid: string}|null}
 */
function focusPlace() {
  const active = document.activeElement;
  if (!active || !home.contains(active) || !active.dataset?.testid) return null;
  const card = active.closest('[data-workshop]');
  const series = active.closest('[data-series]');
  const scope = card ? `[data-workshop="${CSS.escape(card.dataset.workshop)}"]`
    : series ? `[data-series="${CSS.escape(series.dataset.series)}"]`
      : active.closest('#standalone-new') ? '#standalone-new' : null;
  return scope ? { scope, testid: active.dataset.testid } : null;
}

/** Puts the focus back where it was before a render, or on the heading of what holds it. */
function restoreFocus(place) {
  if (!place) return;
  const holder = document.querySelector(place.scope);
  const target = holder?.querySelector(`[data-testid="${CSS.escape(place.testid)}"]`)
    ?? holder?.querySelector('h2, h3') ?? document.getElementById('home-title');
  if (target && !target.matches('button, a[href], input, select, textarea')) target.setAttribute('tabindex', '-1');
  target?.focus();
}

function render() {
  const place = focusPlace();
  const byId = new Map(data.workshops.map((w) => [w.id, w]));
  const list = document.getElementById('series-list');
  list.replaceChildren(...data.series.map((s) => seriesPanel(s, s.workshops.map((id) => byId.get(id)).filter(Boolean))));
  const standalone = data.workshops.filter((w) => !w.series);
  document.getElementById('standalone-new').replaceChildren(newWorkshopForm(null));
  document.getElementById('standalone-list').replaceChildren(
    ...(standalone.length ? standalone.map(workshopCard) : [el('li', { className: 'org-empty', text: t('org.noWorkshop') })]),
  );
  restoreFocus(place);
}

function seriesPanel(series, workshops) {
  const headingId = domId('series', series.id, 'title');
  const actions = el('div', { className: 'org-actions' }, [
    el('a', {
      className: 'btn btn--small', href: `/api/admin/series/${encodeURIComponent(series.id)}/export`, text: t('org.exportSeries'),
      attrs: { download: '', 'aria-describedby': headingId }, dataset: { testid: 'series-export' },
    }),
    button('archive-series', series.archived ? t('org.unarchive') : t('org.archive'), {
      className: 'btn--small', dataset: { testid: 'series-archive' }, attrs: { 'aria-describedby': headingId },
      onclick: () => archiveSeries(series),
    }),
  ]);
  return el('section', {
    className: `panel org-series${series.archived ? ' org-series--archived' : ''}`,
    attrs: { 'aria-labelledby': headingId }, dataset: { testid: 'series', series: series.id },
  }, [
    el('div', { className: 'org-series__head' }, [
      el('h2', { id: headingId, text: series.title, dataset: { testid: 'series-title' } }),
      series.archived ? el('span', { className: 'badge badge--status', text: t('org.archived') }) : null,
      actions,
    ]),
    series.description ? el('p', { text: series.description }) : null,
    series.archived ? null : newWorkshopForm(series, workshops),
    el('ul', { className: 'org-workshops', dataset: { testid: 'series-workshops' } },
      workshops.length ? workshops.map(workshopCard) : [el('li', { className: 'org-empty', text: t('org.noWorkshopInSeries') })]),
  ]);
}

/**
 * "Reporter du travail d'un atelier précédent": a workshop of the series, then its tables,
 * clusters and sheets to tick (read from the server as the workshop is now). `selection()` is the
 * request's `carry`, or null when nothing is ticked.
 */
function carryChooser(prefix, workshops) {
  const source = el('select', { id: `${prefix}-carry-from`, name: 'carryFrom', dataset: { testid: 'carry-from' } }, [
    el('option', { value: '', text: t('org.carryNone') }),
    ...workshops.map((w) => el('option', { value: w.id, text: w.title })),
  ]);
  const choices = el('div', { className: 'org-carry__choices', dataset: { testid: 'carry-choices' }, attrs: { 'aria-live': 'polite' } });
  const group = (kind, legend, items, label) => (items.length === 0 ? null : el('fieldset', { className: 'org-carry__group' }, [
    el('legend', { text: legend }),
    ...items.map((item) => {
      const id = domId(prefix, 'carry', kind, item.id);
      return el('div', { className: 'check' }, [
        el('input', { type: 'checkbox', id, value: item.id, dataset: { testid: `carry-${kind}`, kind } }),
        el('label', { htmlFor: id, text: label(item) }),
      ]);
    }),
  ]));
  source.addEventListener('change', async () => {
    choices.replaceChildren();
    if (!source.value) return;
    try {
      const offer = await api('GET', `/api/admin/workshops/${encodeURIComponent(source.value)}/carry`);
      const parts = [
        group('board', t('org.carryTables'), offer.boards, (b) => t('org.carryTable', { title: b.title, cards: b.cards, clusters: b.clusters, projects: b.projects })),
        group('cluster', t('org.carryClusters'), offer.clusters, (k) => t('org.carryCluster', { title: k.title, table: k.table ?? '', cards: k.cards })),
        group('project', t('org.carryProjects'), offer.projects, (p) => t('org.carryProject', { title: p.title, table: p.table ?? '' })),
      ].filter(Boolean);
      // Cards one by one, folded: a table can hold hundreds.
      const cards = group('card', t('org.carryCards'), offer.cards ?? [], (c) => t('org.carryCard', { text: c.text, table: c.table ?? '' }));
      if (cards) {
        parts.push(el('details', { className: 'org-carry__cards', dataset: { testid: 'carry-cards' } }, [
          el('summary', { text: t('org.carryCardsSummary', { n: offer.cards.length }) }), cards,
        ]));
      }
      choices.replaceChildren(...(parts.length ? parts : [el('p', { className: 'hint', text: t('org.carryNothing') })]));
    } catch (error) {
      fail(error);
    }
  });
  const chooser = el('fieldset', { className: 'org-carry', dataset: { testid: 'carry' } }, [
    el('legend', { text: t('org.carryHeading') }),
    el('p', { className: 'hint', id: `${prefix}-carry-hint`, text: t('org.carryHint') }),
    el('div', { className: 'field' }, [el('label', { htmlFor: source.id, text: t('org.carryFrom') }), source]),
    choices,
  ]);
  source.setAttribute('aria-describedby', `${prefix}-carry-hint`);
  chooser.selection = () => {
    if (!source.value) return null;
    const ticked = (kind) => [...choices.querySelectorAll(`input[data-kind="${kind}"]:checked`)].map((i) => i.value);
    const carry = { from: source.value, boards: ticked('board'), clusters: ticked('cluster'), cards: ticked('card'), projects: ticked('project') };
    return carry.boards.length + carry.clusters.length + carry.cards.length + carry.projects.length ? carry : null;
  };
  return chooser;
}

/** The form that creates a workshop from a plan, in `series` (or outside any series). */
function newWorkshopForm(series, workshops = []) {
  const prefix = domId('new', series?.id ?? 'standalone');
  const plan = el('select', { id: `${prefix}-plan`, name: 'plan', dataset: { testid: 'workshop-plan' } },
    data.plans.map((p) => el('option', { value: p.id, text: p.title, selected: p.id === data.defaultPlan })));
  const title = el('input', {
    id: `${prefix}-title`, name: 'title', type: 'text', maxLength: 200, dataset: { testid: 'workshop-title-input' },
    attrs: { 'aria-describedby': `${prefix}-title-hint` },
  });
  const carry = series && workshops.length ? carryChooser(prefix, workshops) : null;
  const form = el('form', { className: 'org-new', noValidate: true, dataset: { testid: 'workshop-form' } }, [
    el('div', { className: 'field' }, [el('label', { htmlFor: plan.id, text: t('org.plan') }), plan]),
    el('div', { className: 'field' }, [
      el('label', { htmlFor: title.id, text: t('org.workshopTitle') }),
      el('p', { className: 'hint', id: `${prefix}-title-hint`, text: t('org.workshopTitleHint') }),
      title,
    ]),
    carry,
    el('button', {
      type: 'submit', className: 'btn btn--primary', dataset: { testid: 'workshop-create' },
      text: series ? t('org.createInSeries') : t('org.createStandalone'),
    }),
  ]);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = { plan: plan.value };
    if (title.value.trim()) body.title = title.value.trim();
    const selection = carry?.selection();
    if (selection) body.carry = selection;
    try {
      const created = series
        ? await api('POST', `/api/admin/series/${encodeURIComponent(series.id)}/workshops`, body)
        : await api('POST', '/api/workshops', body);
      await refresh();
      announce(announcer, series ? t(selection ? 'org.createdCarrying' : 'org.createdInSeries', { title: created.title, series: series.title })
        : t('org.created', { title: created.title }));
    } catch (error) {
      fail(error);
    }
  });
  return form;
}

function workshopCard(w) {
  const headingId = domId('workshop', w.id, 'title');
  const count = (n) => (n === null || n === undefined ? t('org.unknown') : String(n));
  const state = w.closed ? t('org.closed') : (w.phaseTitle ?? w.phase ?? t('org.unknown'));
  const described = { 'aria-describedby': headingId };
  const exportLink = (format, label) => el('a', {
    className: 'btn btn--small', href: `/api/admin/workshops/${encodeURIComponent(w.id)}/export?format=${format}`, text: label,
    attrs: { download: '', ...described }, dataset: { testid: `workshop-export-${format}` },
  });
  return el('li', { className: 'org-workshop', dataset: { testid: 'workshop', workshop: w.id } }, [
    el('h3', { id: headingId, text: w.title, dataset: { testid: 'workshop-name' } }),
    el('dl', {}, [
      el('dt', { text: t('org.state') }), el('dd', { text: state, dataset: { testid: 'workshop-state' } }),
      el('dt', { text: t('org.participants') }), el('dd', { text: count(w.participants), dataset: { testid: 'workshop-participants' } }),
      el('dt', { text: t('org.cards') }), el('dd', { text: count(w.cards), dataset: { testid: 'workshop-cards' } }),
      el('dt', { text: t('org.projects') }), el('dd', { text: count(w.projects), dataset: { testid: 'workshop-projects' } }),
      el('dt', { text: t('org.code') }), el('dd', { text: w.joinCode, dataset: { testid: 'workshop-code' } }),
    ]),
    el('div', { className: 'org-actions' }, [
      button('console', t('org.console'), {
        className: 'btn--small btn--primary', dataset: { testid: 'workshop-console' }, attrs: described,
        onclick: () => openPage(w, 'facilitator.html'),
      }),
      button('projector', t('org.projector'), {
        className: 'btn--small', dataset: { testid: 'workshop-projector' }, attrs: described,
        onclick: () => openPage(w, 'projector.html'),
      }),
      exportLink('json', t('org.exportJSON')),
      exportLink('xlsx', t('org.exportXLSX')),
      w.closed ? null : button('close', t('org.close'), {
        className: 'btn--small btn--quiet-danger', dataset: { testid: 'workshop-close' }, attrs: described,
        onclick: () => closeWorkshop(w),
      }),
    ]),
  ]);
}

// --- Actions -----------------------------------------------------------------------------------

/**
 * Opens the console or the projector in a new tab: the server gives a key for the organiser, put
 * in the fragment, which the page moves to its session storage and removes from the address bar.
 */
async function openPage(w, page) {
  let credential;
  try {
    credential = await api('POST', `/api/admin/workshops/${encodeURIComponent(w.id)}/console`);
  } catch (error) {
    fail(error);
    return;
  }
  const url = `${page}#${new URLSearchParams({ workshop: credential.workshop, key: credential.key, code: credential.code })}`;
  const opened = window.open(url, '_blank');
  if (opened) opened.opener = null; else location.assign(url);
}

async function closeWorkshop(w) {
  if (!await confirmDialog(t('org.closeTitle', { title: w.title }), t('org.closeMessage'), t('org.closeConfirm'))) return;
  try {
    await api('POST', `/api/admin/workshops/${encodeURIComponent(w.id)}/close`);
    await refresh();
    announce(announcer, t('org.closedDone', { title: w.title }));
  } catch (error) {
    fail(error);
  }
}

async function archiveSeries(series) {
  try {
    await api('POST', `/api/admin/series/${encodeURIComponent(series.id)}/archive`, { archived: !series.archived });
    await refresh();
    announce(announcer, t(series.archived ? 'org.unarchivedDone' : 'org.archivedDone', { title: series.title }));
  } catch (error) {
    fail(error);
  }
}

const seriesForm = document.getElementById('series-form');
seriesForm.addEventListener('submit', async (e) => {
  e.preventDefault();
  const titleInput = document.getElementById('series-title');
  const titleError = document.getElementById('series-title-error');
  const title = titleInput.value.trim();
  if (!title) {
    titleError.textContent = t('org.errorSeriesTitle');
    titleInput.setAttribute('aria-invalid', 'true');
    titleInput.focus();
    return;
  }
  titleError.textContent = '';
  titleInput.removeAttribute('aria-invalid');
  try {
    const created = await api('POST', '/api/admin/series', { title, description: document.getElementById('series-description').value.trim() });
    seriesForm.reset();
    await refresh();
    announce(announcer, t('org.seriesCreated', { title: created.title }));
  } catch (error) {
    fail(error);
  }
});

languageEvents.addEventListener('change', () => { if (!home.hidden) render(); });

// --- Start: an open session goes straight to the home page --------------------------------------

(async () => {
  try {
    const session = await api('GET', '/api/admin/session');
    csrf = session.csrf;
    await showHome();
  } catch {
    showLogin();
  }
})();
