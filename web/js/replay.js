// replay.html: a workshop played back from its journal (docs/protocol.md "Replay"). The server
// gives the timeline (seqs with their times, markers) and the workshop at any seq as this viewer
// could see it then, in the snapshot shape of a welcome; the boards are drawn by the same
// BoardView as the live pages, read-only. Who views: the facilitator (the console's link:
// `#workshop=…&key=…`) or a participant (`?code=…`: the resume token this device keeps for it).
// "Comment ce projet est né" (a disclosure under each sheet) asks for a sheet's provenance.

import { applyTranslations, bindLanguageSwitch, languageEvents, t } from './i18n.js';
import { Store } from './store.js';
import { BoardView } from './board.js';
import { el, domId } from './dom.js';
import { announce, errorText, formatDateTime, formatTime, loadJSON, normaliseCode, setTimeZone, showError } from './ui.js';
import { provenanceDisclosure } from './provenance.js';
import { readFacilitatorCredentials } from './credentials.js';

const $ = (id) => document.getElementById(id);
const SPEEDS = [1, 10, 60, 600];
/** How often playing moves the moment on (ms of the viewer's time). */
const TICK_MS = 250;

applyTranslations();
bindLanguageSwitch(document.querySelector('.lang-switch'));

/** @returns {{workshop: string|null, secret: string|null, role: string}} who asks, from the address. */
function readCredentials() {
  const code = new URLSearchParams(location.search).get('code');
  if (code) {
    const session = loadJSON(`atelier.session.${normaliseCode(code)}`);
    return { workshop: session?.workshop ?? null, secret: session?.token ?? null, role: 'participant' };
  }
  const f = readFacilitatorCredentials();
  return { workshop: f.workshop, secret: f.key, role: 'facilitator' };
}

const credentials = readCredentials();
const store = new Store();
let timeline = null;
/** [seq, ms] points of the timeline, in seq order. */
let points = [];
let current = 0; // the seq shown
let wanted = 0; // the seq asked for last
let loading = false;
let playing = null; // interval id
let playClock = 0; // the workshop time playing has reached (ms)
const views = new Map(); // board id → {section, view}

async function api(path) {
  const response = await fetch(`/api/workshops/${encodeURIComponent(credentials.workshop)}${path}`, {
    headers: { Authorization: `Bearer ${credentials.secret}` }, cache: 'no-store',
  });
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const error = new Error(body?.error?.message ?? t('error.generic'));
    error.code = body?.error?.code ?? 'internal';
    throw error;
  }
  return body;
}

function fail(error) {
  showError($('replay-errors'), errorText(error.code ?? 'internal', error.message));
}

/** The time of `seq`, between the timeline's points. */
function timeOf(seq) {
  if (!points.length) return 0;
  let i = points.findIndex(([s]) => s >= seq);
  if (i < 0) return points[points.length - 1][1];
  if (i === 0 || points[i][0] === seq) return points[i][1];
  const [s0, t0] = points[i - 1], [s1, t1] = points[i];
  return t0 + ((t1 - t0) * (seq - s0)) / (s1 - s0);
}

/** The last seq at or before `ms`, between the timeline's points. */
function seqAt(ms) {
  if (!points.length) return 1;
  if (ms <= points[0][1]) return points[0][0];
  for (let i = 1; i < points.length; i += 1) {
    const [s1, t1] = points[i];
    if (t1 >= ms) {
      const [s0, t0] = points[i - 1];
      return t1 === t0 ? s1 : Math.max(s0, Math.floor(s0 + ((s1 - s0) * (ms - t0)) / (t1 - t0)));
    }
  }
  return points[points.length - 1][0];
}

function markerLabel(m) {
  const key = `replay.marker.${m.kind}`;
  return m.title ? t(key, { title: m.title }) : t(key, { title: '' });
}

function renderTimeline() {
  $('replay-title').textContent = timeline.title;
  $('replay-who').textContent = timeline.you.role === 'facilitator' ? t('replay.asFacilitator') : t('replay.asParticipant');
  const slider = $('replay-seq');
  slider.max = String(timeline.last);
  const list = $('replay-markers');
  list.replaceChildren(...timeline.markers.map((m) => el('li', {}, [
    el('button', {
      type: 'button', className: 'btn btn--small', dataset: { seq: String(m.seq), kind: m.kind, testid: 'replay-marker' },
      text: `${formatTime(m.at)} · ${markerLabel(m)}`,
    }),
  ])));
  $('replay-controls').hidden = false;
}

function momentText() {
  const w = store.workshop;
  const phase = w?.phases.find((p) => p.id === w.phase)?.title ?? '';
  return t('replay.now', { seq: current, last: timeline.last, time: formatDateTime(store.momentAt), phase });
}

function renderState() {
  const w = store.workshop;
  if (!w) return;
  $('replay-state').hidden = false;
  $('state-title').textContent = momentText();
  $('replay-now').textContent = momentText();
  $('replay-seq').setAttribute('aria-valuetext', momentText());
  const phase = $('replay-state').querySelector('[data-testid="phase"]');
  phase.dataset.phase = w.phase;
  phase.textContent = t('replay.phase', { phase: w.phases.find((p) => p.id === w.phase)?.title ?? '' });
  $('replay-votes').textContent = w.settings.votesRevealed ? t('replay.votesRevealed')
    : w.phases.find((p) => p.id === w.phase)?.voting ? t('replay.votesSecret') : '';
  // One read-only board per table, as the live pages draw it.
  const ids = new Set(w.boards.map((b) => b.id));
  for (const [id, entry] of views) if (!ids.has(id)) { entry.section.remove(); views.delete(id); }
  for (const board of w.boards) {
    let entry = views.get(board.id);
    if (!entry) {
      const heading = el('h3', { id: domId('replay-board', board.id) });
      const body = el('div');
      const section = el('section', { className: 'replay-board', dataset: { board: board.id, testid: 'replay-board' },
        attrs: { 'aria-labelledby': heading.id } }, [heading, body]);
      $('replay-boards').append(section);
      entry = { section, heading, view: new BoardView(body, store, { mode: 'full', boardId: board.id, readOnly: true }) };
      views.set(board.id, entry);
    }
    const group = w.groups.find((g) => g.id === board.group);
    entry.heading.textContent = group && group.title !== board.title ? t('replay.boardOf', { board: board.title, table: group.title }) : board.title;
    entry.view.render();
  }
  renderProjects();
}

function renderProjects() {
  const list = $('replay-projects');
  const projects = store.workshop.projects ?? [];
  const known = new Set(projects.map((p) => p.id));
  for (const item of [...list.children]) if (!known.has(item.dataset.project)) item.remove();
  for (const p of projects) {
    let item = list.querySelector(`[data-project="${CSS.escape(p.id)}"]`);
    if (!item) {
      item = el('li', { dataset: { project: p.id, testid: 'replay-project' } }, [
        el('p', { className: 'replay-project__title' }),
        provenanceDisclosure(credentials, p.id, { jump: true }),
      ]);
      list.append(item);
    }
    item.querySelector('.replay-project__title').textContent = `${p.title} — ${t(`project.status.${p.status}`)}`;
    item.querySelector('summary').textContent = t('provenance.summary');
  }
  $('replay-projects').closest('section').hidden = projects.length === 0;
}

/** Shows the workshop at `seq` (the last one asked wins; one request at a time). */
async function go(seq, { speak = false } = {}) {
  wanted = Math.max(1, Math.min(timeline.last, Math.round(seq)));
  $('replay-seq').value = String(wanted);
  if (loading) return;
  loading = true;
  try {
    while (wanted !== current) {
      const target = wanted;
      const moment = await api(`/replay/${target}`);
      store.applyWelcome({ type: 'welcome', seq: moment.seq, you: moment.you, workshop: moment.workshop, events: [] });
      store.momentAt = moment.at;
      setTimeZone(moment.workshop.timeZone);
      current = moment.seq;
      renderState();
    }
    document.body.dataset.seq = String(current); // for tests: the moment on screen
    if (speak) announce($('announcer'), momentText());
  } catch (error) {
    stop();
    fail(error);
  } finally {
    loading = false;
  }
}

function stop() {
  if (playing) clearInterval(playing);
  playing = null;
  $('replay-play').setAttribute('aria-pressed', 'false');
  $('replay-play').textContent = t('replay.play');
}

function play() {
  if (current >= timeline.last) go(1);
  playClock = timeOf(current || 1);
  $('replay-play').setAttribute('aria-pressed', 'true');
  $('replay-play').textContent = t('replay.pause');
  playing = setInterval(() => {
    playClock += TICK_MS * Number($('replay-speed').value);
    const seq = Math.max(current + 1, seqAt(playClock));
    if (seq >= timeline.last) { go(timeline.last, { speak: true }); stop(); return; }
    if (!loading) go(seq);
  }, TICK_MS);
}

$('replay-play').addEventListener('click', () => {
  if (playing) { stop(); announce($('announcer'), momentText()); } else play();
});
$('replay-back').addEventListener('click', () => { stop(); go(current - 1, { speak: true }); });
$('replay-forward').addEventListener('click', () => { stop(); go(current + 1, { speak: true }); });
$('replay-seq').addEventListener('change', (e) => { stop(); go(Number(e.target.value), { speak: true }); });
$('replay-markers').addEventListener('click', (e) => {
  const b = e.target.closest('button[data-seq]');
  if (b) { stop(); go(Number(b.dataset.seq), { speak: true }); }
});
$('replay-projects').addEventListener('click', (e) => {
  const b = e.target.closest('button[data-seq]');
  if (b) { stop(); go(Number(b.dataset.seq), { speak: true }); }
});
languageEvents.addEventListener('change', () => { if (timeline) { renderTimeline(); renderState(); } });

async function start() {
  if (!credentials.workshop || !credentials.secret) {
    showError($('replay-errors'), t('replay.noCredentials'));
    return;
  }
  // A long journal is read once before its first answer (seconds for a million events): say so.
  $('replay-who').textContent = t('replay.loading');
  try {
    timeline = await api('/replay');
    setTimeZone(timeline.timeZone);
    points = timeline.points.map(([seq, at]) => [seq, Date.parse(at)]);
    renderTimeline();
    await go(timeline.last);
  } catch (error) {
    if (!timeline) $('replay-who').textContent = '';
    fail(error);
  }
}
start();
