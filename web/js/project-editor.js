// Co-editing one project sheet. Edits start from a version of the sheet (`base`); only the fields
// the person changed are sent, with that version. Changes by others to fields the person did not
// touch are taken in as they arrive; when both changed the same field, the server answers
// `conflict` with its current sheet and both values are shown side by side: the person chooses,
// field by field, and nothing is overwritten silently.

import { language, t } from './i18n.js';
import { el, domId, button } from './dom.js';
import { confirmDialog } from './dialog.js';
import { buildProjectForm, formModel, fieldOfPhrase, partInput, tr } from './project-form.js';
import { announce, errorText } from './ui.js';

const copy = (sheet) => JSON.parse(JSON.stringify(sheet));

/**
 * "il y a 3 min" from a server timestamp.
 * @param {string} at ISO time (server clock)
 * @param {number} serverNow ms
 * @returns {string}
 */
export function ago(at, serverNow) {
  const minutes = Math.floor((serverNow - Date.parse(at)) / 60000);
  if (!Number.isFinite(minutes) || minutes < 1) return t('time.justNow');
  if (minutes < 60) return t('time.minutesAgo', { n: minutes });
  return t('time.hoursAgo', { n: Math.floor(minutes / 60) });
}

/**
 * Who changed the sheet last, as a sentence, or ''.
 * @param {import('./store.js').Store} store
 * @param {import('./socket.js').Connection} connection
 * @param {string} projectId
 */
export function lastEditLine(store, connection, projectId) {
  const edit = store.lastEdits.get(projectId);
  if (!edit) return '';
  const when = ago(edit.at, connection.serverNow());
  const who = edit.by === store.you?.participant ? t('project.byYou')
    : edit.by === 'facilitator' ? t('card.facilitator') : store.nameOf(edit.by);
  return who ? t('project.editedBy', { name: who, when }) : t('project.edited', { when });
}

export class ProjectEditor {
  /**
   * @param {object} parts
   * @param {import('./store.js').Store} parts.store
   * @param {import('./socket.js').Connection} parts.connection
   * @param {string} parts.projectId
   * @param {HTMLElement} parts.container emptied, then holds the editor
   * @param {HTMLElement} parts.announcer
   * @param {() => void} parts.onClose
   * @param {number} [parts.headingLevel] 3 (a list's editor), 4 (under a sheet's item in a board's column)
   */
  constructor({ store, connection, projectId, container, announcer, onClose, headingLevel = 3 }) {
    Object.assign(this, { store, connection, projectId, container, announcer, onClose });
    const sheet = store.project(projectId);
    this.base = copy(sheet);
    this.inFlight = null;
    this.sent = null;
    this.conflict = null;
    this.lastField = null;
    this.cardsSig = '';
    this.editable = !store.isFrozen(store.board(sheet.board)) && sheet.status !== 'submitted' && store.you?.role !== 'observer';
    this.model = formModel(store.workshop.form, store);
    this.parts = buildProjectForm({ store, project: sheet, editable: this.editable, model: this.model });
    this.parts.fill(this.base);
    this.heading = el(`h${headingLevel}`, { className: 'project-editor__title', tabIndex: -1, text: t('project.editorLabel', { title: sheet.title }) });
    this.meta = el('p', { className: 'project-editor__meta', dataset: { testid: 'project-last-edit' } });
    this.others = el('p', { className: 'project-editor__others', dataset: { testid: 'project-editing' } });
    this.errors = el('div', { className: 'alert', attrs: { role: 'alert' }, dataset: { testid: 'project-errors' } });
    this.merge = el('div', { className: 'merge', hidden: true, dataset: { testid: 'project-merge' } });
    this.status = el('p', { className: 'project-editor__status', attrs: { role: 'status' } });
    // What "ready" needs, ticked as the table fills the sheet in (the facilitator marks it ready).
    this.checklist = el('details', { className: 'ready-list', open: true, dataset: { testid: 'ready-checklist' } });
    this.readyNotice = el('p', { className: 'notice project-editor__ready', hidden: true, dataset: { testid: 'project-ready-notice' } });
    this.saveButton = el('button', { type: 'submit', className: 'btn btn--primary', text: t('project.save'), dataset: { testid: 'project-save' } });
    this.parts.form.append(el('div', { className: 'project-form__buttons' }, [
      this.editable ? this.saveButton : null,
      button('project-close', t('project.close'), { dataset: { testid: 'project-close' } }),
    ]));
    const headingId = domId('editor', projectId, 'title');
    this.heading.id = headingId;
    container.replaceChildren(el('section', { className: 'project-editor panel', dataset: { testid: 'project-editor', project: projectId }, attrs: { 'aria-labelledby': headingId } }, [
      this.heading, this.meta, this.others, this.readyNotice, this.checklist, this.errors, this.merge, this.status, this.parts.form,
    ]));
    container.hidden = false;
    this.wire();
    this.render();
    this.heading.focus();
  }

  wire() {
    const form = this.parts.form;
    form.addEventListener('submit', (e) => { e.preventDefault(); this.save(); });
    form.addEventListener('input', () => this.renderChecklist());
    form.addEventListener('change', () => this.renderChecklist());
    form.addEventListener('click', (e) => { if (e.target.closest('[data-action="project-close"]')) this.close(); });
    form.addEventListener('focusin', (e) => {
      const field = e.target.closest('[data-field]')?.dataset.field ?? null;
      if (field && field !== this.lastField) {
        this.lastField = field;
        this.connection.sendVolatile('presence', { project: this.projectId, field });
      }
    });
    this.onAck = (e) => this.acked(e.detail);
    this.onRejected = (e) => this.rejected(e.detail);
    this.connection.addEventListener('ack', this.onAck);
    this.connection.addEventListener('rejected', this.onRejected);
    this.ticker = setInterval(() => this.renderMeta(), 30000);
  }

  /** Leaves the editor (tells the others this person stopped editing). */
  close({ focus = true } = {}) {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.ticker);
    this.connection.removeEventListener('ack', this.onAck);
    this.connection.removeEventListener('rejected', this.onRejected);
    this.connection.sendVolatile('presence', {});
    this.container.replaceChildren();
    this.container.hidden = true;
    this.onClose?.({ focus });
  }

  /** @returns {string[]} fields whose form value differs from the base version. */
  dirtyFields(values) {
    return this.model.fields.filter((f) => !this.model.same(f, values[f], this.base[f]));
  }

  render() {
    if (this.closed) return;
    const current = this.store.project(this.projectId);
    if (!current) {
      this.status.textContent = t('project.gone');
      this.saveButton.disabled = true;
      return;
    }
    this.heading.textContent = t('project.editorLabel', { title: current.title });
    if (!this.inFlight && !this.conflict && current.version !== this.base.version) this.takeRemote(current);
    const cardsSig = JSON.stringify(this.store.cardsOf(current.board).map((c) => [c.id, c.text, c.column]));
    if (cardsSig !== this.cardsSig) {
      // New or changed cards on the board: refresh the lists of cards, keeping what is ticked.
      const { values } = this.parts.read();
      if (this.cardsSig) this.parts.fill(values, this.model.cardFields);
      this.cardsSig = cardsSig;
    }
    this.saveButton.disabled = Boolean(this.inFlight) || Boolean(this.conflict) || current.status === 'submitted';
    this.readyNotice.textContent = t('project.readyNotice');
    this.readyNotice.hidden = !(this.editable && current.status === 'ready');
    this.renderMeta();
    this.renderChecklist();
    this.renderPresence();
  }

  /** Someone else saved: take their values where this person changed nothing. */
  takeRemote(current) {
    const { values } = this.parts.read();
    const dirty = this.dirtyFields(values);
    const theirs = this.model.fields.filter((f) => !this.model.same(f, current[f], this.base[f]));
    const clash = theirs.filter((f) => dirty.includes(f) && !this.model.same(f, values[f], current[f]));
    for (const f of this.model.fields) this.parts.wrap(f).querySelector('[data-note]').textContent = '';
    if (clash.length) {
      // Keep the old base: saving will get `conflict` and the side-by-side choice.
      const who = this.store.nameOf(this.store.lastEdits.get(this.projectId)?.by) ?? t('card.unknown');
      for (const f of clash) this.parts.wrap(f).querySelector('[data-note]').textContent = t('project.changedMeanwhile', { name: who });
      return;
    }
    this.parts.fill(current, theirs);
    this.base = copy(current);
    if (theirs.length) announce(this.announcer, t('project.remoteUpdate', { fields: theirs.map((f) => this.model.label(f)).join(', ') }));
  }

  /** The ready checklist, from what the form holds now (so it moves as people type). */
  renderChecklist() {
    if (this.closed) return;
    const { values } = this.parts.read();
    const missing = new Set(this.model.missing(values));
    const done = this.model.ready.length - missing.size;
    const sig = JSON.stringify([[...missing], t('project.checklistTitle')]);
    if (this.checklist.dataset.sig === sig) return;
    this.checklist.dataset.sig = sig;
    this.checklist.replaceChildren(
      el('summary', { text: `${t('project.checklistTitle')} ${t('project.checklistCount', { done, total: this.model.ready.length })}` }),
      el('ul', { className: 'ready-list__items' }, this.model.ready.map((f) => el('li', {
        className: `ready-list__item ready-list__item--${missing.has(f) ? 'todo' : 'done'}`,
        dataset: { ready: f, state: missing.has(f) ? 'todo' : 'done' },
      }, [
        el('span', { className: 'ready-list__mark', text: missing.has(f) ? '○' : '✓', attrs: { 'aria-hidden': 'true' } }),
        el('span', { text: ` ${this.model.label(f)} ` }),
        el('span', { className: 'sr-only', text: `(${t(missing.has(f) ? 'project.checklistTodo' : 'project.checklistDone')})` }),
      ]))),
    );
  }

  /**
   * Marks the faulty fields and moves the focus to the first one.
   * @param {{field: string, inputs?: string[], message: string}[]} errors
   * @param {string[]} [unplaced] sentences that name no field
   */
  showFieldErrors(errors, unplaced = []) {
    const first = this.parts.markErrors(errors);
    const fields = new Set(errors.map((e) => e.field));
    this.errors.replaceChildren(...[
      fields.size ? t('project.fieldErrors', { n: fields.size }) : '', ...unplaced,
    ].filter(Boolean).map((text) => el('p', { className: 'alert__item', text })));
    if (first) {
      first.scrollIntoView?.({ block: 'center' });
      first.focus();
    }
  }

  /**
   * The server's "not ready yet" (`missing`, French sentences, and `missingFields`, the same
   * fields by their wire names): each at its field.
   * @param {string[]} phrases
   * @param {string} message the server's whole sentence, shown when no field is recognised
   * @param {string[]|null} fields the fields' wire names, when the server sent them
   */
  showMissing(phrases, message = '', fields = null) {
    const errors = [];
    const unplaced = [];
    for (const [i, phrase] of phrases.entries()) {
      const named = fields?.[i];
      const hit = named ? { field: named } : fieldOfPhrase(phrase);
      if (hit && this.parts.wrap(hit.field) && !errors.some((e) => e.field === hit.field)) errors.push({ field: hit.field, message: language() === 'fr' ? `${phrase.charAt(0).toUpperCase()}${phrase.slice(1)}${/[.!?]$/.test(phrase) ? '' : '.'}` : t('project.missingField', { field: this.model.label(hit.field) }) });
      else if (!hit) unplaced.push(phrase);
    }
    if (!errors.length && !unplaced.length && message) unplaced.push(message);
    this.showFieldErrors(errors, unplaced);
  }

  /** Takes the field marks away (the sheet was accepted as ready). */
  clearFieldErrors() {
    this.parts.clearErrors();
    this.errors.replaceChildren();
  }

  renderMeta() {
    const current = this.store.project(this.projectId);
    if (!current) return;
    const status = t(`project.status.${current.status}`);
    const line = lastEditLine(this.store, this.connection, this.projectId);
    this.meta.textContent = [t('project.statusLine', { status }), line].filter(Boolean).join(' · ');
  }

  renderPresence() {
    const me = this.store.you?.participant;
    const byField = new Map();
    for (const [who, e] of this.store.editing) {
      if (who === me || e.project !== this.projectId) continue;
      const name = who === 'facilitator' ? t('card.facilitator') : this.store.nameOf(who);
      if (!name) continue;
      byField.set(e.field, [...(byField.get(e.field) ?? []), name]);
    }
    const everyone = [...new Set([...byField.values()].flat())];
    this.others.textContent = everyone.length ? t('project.alsoEditing', { names: everyone.join(', ') }) : '';
    for (const f of this.model.fields) {
      const wrap = this.parts.wrap(f);
      const names = byField.get(f) ?? [];
      wrap.classList.toggle('project-field--busy', names.length > 0);
      const badge = wrap.querySelector('.presence-tag') ?? el('p', { className: 'presence-tag' });
      badge.textContent = names.length ? t('project.fieldEditing', { names: names.join(', ') }) : '';
      if (!badge.isConnected) wrap.prepend(badge);
    }
  }

  async save() {
    if (this.inFlight || this.conflict || this.asking) return;
    const { values, error, fieldErrors } = this.parts.read();
    this.errors.replaceChildren();
    this.parts.clearErrors();
    if (fieldErrors.length) { this.showFieldErrors(fieldErrors); return; }
    if (error) { this.showError(error); return; }
    const dirty = this.dirtyFields(values);
    if (!dirty.length) { this.status.textContent = t('project.nothingToSave'); return; }
    // A ready sheet goes back to draft when it changes: say so first.
    if (this.store.project(this.projectId)?.status === 'ready') {
      this.asking = true;
      const ok = await confirmDialog(t('project.editReadyTitle'), t('project.editReadyConfirm'), t('project.editReadyYes'));
      this.asking = false;
      if (!ok || this.closed || this.inFlight || this.conflict) return;
    }
    const fields = Object.fromEntries(dirty.map((f) => [f, this.model.canonical(f, values[f])]));
    this.sent = fields;
    this.inFlight = this.connection.send('project.update', { project: this.projectId, version: this.base.version, fields });
    this.status.textContent = t('project.saving');
    this.render();
  }

  acked({ command }) {
    if (!command || command.id !== this.inFlight) return;
    this.inFlight = null;
    const current = this.store.project(this.projectId);
    if (current) {
      // Show the values as the server keeps them (trimmed), where the form still holds what was sent.
      const { values } = this.parts.read();
      const unchanged = Object.keys(this.sent).filter((f) => this.model.same(f, values[f], this.sent[f]));
      this.base = copy(current);
      this.parts.fill(current, unchanged);
    }
    this.status.textContent = t('project.saved');
    announce(this.announcer, t('project.saved'));
    this.render();
  }

  rejected({ command, code, message, error }) {
    if (!command || command.id !== this.inFlight) return;
    this.inFlight = null;
    if (code === 'conflict' && error?.current) this.startMerge(error.current);
    else if (code === 'invalid' && Array.isArray(error?.fieldErrors) && error.fieldErrors.length) this.showServerFieldErrors(error.fieldErrors, message);
    else if (code === 'invalid' && !this.showInvalid(message)) this.showError(message || errorText(code, message));
    else if (code !== 'invalid') this.showError(errorText(code, message));
    this.status.textContent = '';
    this.render();
  }

  /**
   * The server's `fieldErrors` (each faulty field by its `project.update` name, the sub-field in
   * `part`, a French sentence): each at its input, in French as the server says it, in English
   * from the catalogue.
   * @param {{field: string, part?: string, message: string}[]} faults
   * @param {string} message the server's whole sentence, for what names no field of the form
   */
  showServerFieldErrors(faults, message) {
    const errors = [];
    let unplaced = false;
    for (const fault of faults) {
      const { field } = fault;
      if (!this.parts.wrap(field)) { unplaced = true; continue; }
      const f = this.model.field(field);
      const single = f?.type === 'group' && f.repeated === false && fault.part;
      errors.push({ field, inputs: single ? [partInput(field, fault.part)] : undefined, row: fault.row, part: fault.part, message: faultText(fault, this.model) });
    }
    this.showFieldErrors(errors, unplaced ? [message] : []);
  }

  /**
   * "Projet invalide : a ; b." from the server: each sentence at its field (a server that does
   * not send `fieldErrors`).
   * @returns {boolean} whether at least one field was marked
   */
  showInvalid(message) {
    const body = String(message ?? '').replace(/^Projet invalide\s*:\s*/i, '').replace(/\.\s*$/, '');
    const errors = [];
    const unplaced = [];
    for (const phrase of body.split(/\s*;\s*/).filter(Boolean)) {
      const hit = fieldOfPhrase(phrase);
      if (!hit) { unplaced.push(phrase); continue; }
      const text = language() === 'fr' ? `${phrase.charAt(0).toUpperCase()}${phrase.slice(1)}.` : t(`project.bad.${hit.detail}`);
      const inputs = hit.detail === 'leadSiret' ? ['leadSiret'] : hit.detail === 'contactEmail' ? ['contactEmail'] : undefined;
      errors.push({ field: hit.field, inputs, message: text });
    }
    if (!errors.length) return false;
    this.showFieldErrors(errors, unplaced.length ? [message] : []);
    return true;
  }

  showError(message) {
    this.errors.replaceChildren(el('p', { className: 'alert__item', text: message }));
  }

  /** The server has a newer sheet: keep what does not clash, ask about what does. */
  startMerge(current) {
    const { values } = this.parts.read();
    const dirty = this.dirtyFields(values);
    const clash = dirty.filter((f) => !this.model.same(f, current[f], this.base[f]) && !this.model.same(f, values[f], current[f]));
    const who = this.store.nameOf(this.store.lastEdits.get(this.projectId)?.by) ?? t('project.someoneElse');
    // Field by field: where this person's version and the current one differ, and who changed it.
    const diff = this.model.fields.filter((f) => !this.model.same(f, values[f], current[f])).map((f) => ({
      field: f, start: this.base[f], mine: values[f], current: current[f],
      byMe: dirty.includes(f), byThem: !this.model.same(f, current[f], this.base[f]),
    }));
    const theirs = this.model.fields.filter((f) => !this.model.same(f, current[f], this.base[f]));
    this.parts.fill(current, this.model.fields.filter((f) => !dirty.includes(f)));
    this.base = copy(current);
    if (!clash.length) {
      this.errors.replaceChildren(
        el('p', { className: 'alert__item', text: t('project.rebased') }),
        theirs.length ? el('p', { className: 'alert__item', text: t('project.rebasedFields', { name: who, fields: theirs.map((f) => this.model.label(f)).join(', ') }) }) : null,
      );
      return;
    }
    this.conflict = { current: copy(current), mine: values, clash };
    const rows = clash.map((f) => {
      const name = `merge-${this.projectId}-${f}`;
      return el('fieldset', { className: 'merge__field', dataset: { mergeField: f } }, [
        el('legend', { text: this.model.label(f) }),
        el('div', { className: 'merge__choices' }, [
          choice(name, 'mine', t('project.keepMine'), this.model.describe(f, values[f])),
          choice(name, 'theirs', t('project.takeTheirs', { name: who }), this.model.describe(f, current[f])),
        ]),
      ]);
    });
    const apply = el('button', { type: 'button', className: 'btn btn--primary', text: t('project.mergeSave'), dataset: { testid: 'merge-apply' } });
    const mergeError = el('p', { className: 'field-error', attrs: { 'aria-live': 'polite' } });
    this.merge.replaceChildren(
      el('h4', { text: t('project.conflictTitle'), tabIndex: -1 }),
      el('p', { text: t('project.conflictIntro', { name: who }) }),
      diffTable(this.model, this.projectId, diff, who),
      ...rows, mergeError, apply,
    );
    this.merge.hidden = false;
    apply.addEventListener('click', () => {
      const picks = clash.map((f) => [f, this.merge.querySelector(`[data-merge-field="${f}"] input:checked`)?.value]);
      if (picks.some(([, v]) => !v)) { mergeError.textContent = t('project.mergeChoose'); return; }
      this.parts.fill(this.conflict.current, picks.filter(([, v]) => v === 'theirs').map(([f]) => f));
      this.conflict = null;
      this.merge.hidden = true;
      this.merge.replaceChildren();
      this.errors.replaceChildren();
      this.save();
      if (!this.inFlight) this.status.textContent = t('project.mergedNothing');
    });
    this.merge.querySelector('h4').focus();
  }
}

/**
 * A fault of `fieldErrors` as the person reads it: the server's French sentence, or in another
 * language the catalogue's sentence for that field and part (the limit taken from the French).
 * @param {{field: string, part?: string, message: string}} fault
 * @returns {string}
 */
function faultText({ field, part, message }, model) {
  if (language() === 'fr' || !message) return message;
  // The server speaks French; in another language the page says the same from the message's
  // kind and numbers, with the field's label in that language.
  const f = model?.field(field);
  const child = part ? f?.fields?.find((c) => c.id === part) : null;
  const label = child ? `${model.label(field)} — ${tr(child.label)}` : model?.label(field) ?? field;
  const numbers = (String(message).match(/-?\d[\d\s\u202f\u00a0]*/g) ?? []).map((n) => Number(n.replace(/[\s\u202f\u00a0]/g, '')));
  const fmt = (n) => n.toLocaleString('en');
  const rules = [
    [/un nombre entre .* euros est attendu/, () => t('project.bad.amountRange', { field: label, min: fmt(numbers.at(-2)), max: fmt(numbers.at(-1)) })],
    [/un nombre entre .* est attendu/, () => t('project.bad.numberRange', { field: label, min: fmt(numbers.at(-2)), max: fmt(numbers.at(-1)) })],
    [/un nombre entier est attendu/, () => t('project.errorInteger', { field: label })],
    [/au plus \d+ caractères|trop long/, () => t('project.bad.tooLong', { field: label, max: fmt(numbers.at(-1)) })],
    [/siret/i, () => t('project.errorSiret', { field: label })],
    [/adresse électronique/, () => t('project.errorEmail', { field: label })],
    [/date au format/, () => t('project.bad.date', { field: label })],
    [/au plus \d+ (éléments|lignes)/, () => t('project.bad.tooMany', { field: label, max: fmt(numbers.at(-1)) })],
    [/carte liée n'existe pas/, () => t('project.bad.problems')],
  ];
  const hit = rules.find(([re]) => re.test(message));
  return hit ? hit[1]() : message;
}

/** The differences as a table: one row per field, with who changed it since the person started. */
function diffTable(model, projectId, diff, who) {
  const captionId = `diff-${projectId}`.replace(/[^A-Za-z0-9_-]/g, '_');
  const cell = (f, v) => el('td', { text: model.describe(f, v) });
  return el('div', { className: 'table-wrap merge__diff' }, [el('table', { className: 'diff', dataset: { testid: 'merge-diff' }, attrs: { 'aria-labelledby': captionId } }, [
    el('caption', { id: captionId, className: 'diff__caption', text: t('project.diffTitle') }),
    el('thead', {}, [el('tr', {}, ['project.diffField', 'project.diffWho', 'project.diffStart', 'project.diffMine', 'project.diffCurrent']
      .map((k) => el('th', { scope: 'col', text: t(k) })))]),
    el('tbody', {}, diff.map((d) => el('tr', {
      className: d.byMe && d.byThem ? 'diff__row--both' : '', dataset: { diffField: d.field, changedBy: d.byMe && d.byThem ? 'both' : d.byMe ? 'me' : 'them' },
    }, [
      el('th', { scope: 'row', text: model.label(d.field) }),
      el('td', { text: d.byMe && d.byThem ? t('project.diffByBoth', { name: who }) : d.byMe ? t('project.diffByMe') : t('project.diffByThem', { name: who }) }),
      cell(d.field, d.start), cell(d.field, d.mine), cell(d.field, d.current),
    ]))),
  ])]);
}

function choice(name, value, label, shown) {
  const id = `${name}-${value}`.replace(/[^A-Za-z0-9_-]/g, '_');
  return el('div', { className: `merge__choice merge__choice--${value}` }, [
    el('input', { type: 'radio', name, value, id, dataset: { testid: `merge-${value}` } }),
    el('label', { htmlFor: id }, [
      el('span', { className: 'merge__who', text: label }),
      el('span', { className: 'merge__value', text: shown }),
    ]),
  ]);
}
