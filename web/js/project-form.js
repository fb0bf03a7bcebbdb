// The project sheet as a form, built from the form of the workshop's call (`workshop.form`, the
// plan's `call:`, docs/plans.md): one control per field, a single group's parts side by side, a
// repeated group as rows one can add and remove. Filled from a sheet, read back into the wire
// shape of `project.update` (docs/protocol.md). Values are compared field by field so only what the
// person changed is sent.

import { language, t } from './i18n.js';
import { el, domId, button } from './dom.js';

/** A plan's text in the page's language (French when the plan gives no English). */
export function tr(text) {
  if (text == null) return '';
  if (typeof text === 'string') return text;
  return (language() !== 'fr' && text.en) || text.fr || '';
}

/**
 * Input names of today's sheet kept as they were (pages, tests and translations name them).
 * Others are `<field>` or `<group>.<part>`.
 */
const LEGACY_INPUTS = {
  'lead.name': 'leadName', 'lead.actor': 'leadActor', 'lead.siret': 'leadSiret',
  'contact.name': 'contactName', 'contact.email': 'contactEmail', 'contact.phone': 'contactPhone',
  'support.methodological': 'methodological', 'support.expertise': 'expertise', 'support.grant': 'grant',
  'outcomes.insertionJobs': 'insertionJobs', 'outcomes.peopleSupported': 'peopleSupported', 'outcomes.other': 'outcomesOther',
};
/** The input's name for a single group's part. */
export function partInput(field, part) {
  return LEGACY_INPUTS[`${field}.${part}`] ?? `${field}.${part}`;
}

const blank = (x) => !String(x ?? '').trim();
const isGroup = (f) => f.type === 'group';
const isRepeated = (f) => isGroup(f) && f.repeated !== false;
const isList = (f) => ['choices', 'problemCards', 'ideaCards', 'constats'].includes(f.type);
const isNumber = (f) => f.type === 'integer' || f.type === 'euros';

/** A scalar value in a canonical form (texts trimmed, empty → null except for texts). */
function scalar(f, v) {
  if (isNumber(f)) return v === '' || v == null ? null : Number(v);
  // An optional yes/no is a checkbox: unticked is "not given", like an empty text. A required one
  // is a choice of yes or no, where "no" is an answer.
  if (f.type === 'yesNo') return v === true ? true : (v === false && f.required ? false : null);
  if (['choice', 'orientations', 'date', 'siret'].includes(f.type)) {
    const s = String(v ?? '').trim();
    return s ? (f.type === 'siret' ? s.replace(/\s/g, '') : s) : null;
  }
  return String(v ?? '').trim();
}

function answered(f, v) {
  if (v == null) return false;
  if (typeof v === 'boolean' || typeof v === 'number') return true;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.values(v).some((x) => x != null && x !== '' && !(Array.isArray(x) && !x.length));
  return !blank(v);
}

/**
 * What the pages know of the workshop's form: its fields, what is needed to be ready, labels,
 * and how values compare.
 * @param {{fields: object[], sections?: object[], constats?: object[]}} form
 * @param {import('./store.js').Store} [store]
 */
export function formModel(form, store) {
  const fields = form?.fields ?? [];
  const byId = new Map(fields.map((f) => [f.id, f]));
  const requiredParts = (f) => (f.fields ?? []).filter((c) => c.required);
  const model = {
    form: form ?? { fields: [] },
    /** Every field id, in the form's order. */
    fields: fields.map((f) => f.id),
    /** The fields the checklist follows: the required ones (the title is never empty). */
    ready: fields.filter((f) => f.required && f.id !== 'title').map((f) => f.id),
    /** The fields that link cards (to refresh when the board changes). */
    cardFields: fields.filter((f) => f.type === 'problemCards' || f.type === 'ideaCards').map((f) => f.id),
    field: (id) => byId.get(id),
    label: (id) => tr(byId.get(id)?.label) || id,
    canonical(id, v) {
      const f = byId.get(id);
      if (!f) return v ?? null;
      if (isList(f)) return [...new Set(v ?? [])];
      if (isGroup(f)) {
        const row = (r) => {
          const out = {};
          for (const c of f.fields ?? []) {
            const x = scalar(c, r?.[c.id]);
            if (x != null && x !== '') out[c.id] = x;
          }
          return out;
        };
        if (isRepeated(f)) return (v ?? []).map(row).filter((r) => Object.keys(r).length);
        const r = row(v);
        return Object.keys(r).length ? r : null;
      }
      const x = scalar(f, v);
      return x === '' && f.type !== 'text' && f.type !== 'longText' ? null : x;
    },
    same(id, a, b) {
      const norm = (v) => JSON.stringify(v, (k, x) => (x && typeof x === 'object' && !Array.isArray(x)
        ? Object.fromEntries(Object.keys(x).sort().filter((key) => x[key] != null && x[key] !== '').map((key) => [key, x[key]])) : x));
      const ca = model.canonical(id, a), cb = model.canonical(id, b);
      const empty = (x) => x == null || x === '' || (Array.isArray(x) && !x.length);
      if (empty(ca) && empty(cb)) return true;
      return norm(ca) === norm(cb);
    },
    /** The ready fields the values still lack (the server also checks the plan's rules). */
    missing(values) {
      return model.ready.filter((id) => {
        const f = byId.get(id);
        const v = model.canonical(id, values[id]);
        if (isRepeated(f)) {
          if (f.required && !(v ?? []).length) return true;
          return (v ?? []).some((r) => requiredParts(f).some((c) => !answered(c, r[c.id])));
        }
        if (isGroup(f)) return !v || requiredParts(f).some((c) => !answered(c, v[c.id]));
        return !answered(f, v);
      });
    },
    /** A value as one readable line (the conflict view, the read-only sheet). */
    describe(id, v) {
      const f = byId.get(id);
      const none = t('project.none');
      if (!f) return none;
      const one = (fd, x) => {
        if (x == null || x === '') return '';
        switch (fd.type) {
          case 'yesNo': return x ? t('project.yes') : t('project.no');
          case 'euros': return `${Number(x).toLocaleString(language())} €`;
          case 'choice': return tr(fd.options?.find((o) => o.id === x)?.label) || x;
          case 'choices': return (x ?? []).map((c) => tr(fd.options?.find((o) => o.id === c)?.label) || c).join(' · ');
          case 'orientations': return store?.workshop?.orientations?.find((o) => o.id === x)?.title ?? x;
          case 'constats': return (x ?? []).map((c) => tr(form.constats?.find((k) => k.id === c)?.title) || c).join(' · ');
          case 'problemCards': case 'ideaCards': return (x ?? []).map((c) => store?.card(c)?.text ?? c).join(' · ');
          default: return String(x);
        }
      };
      const c = model.canonical(id, v);
      if (isGroup(f)) {
        const rows = isRepeated(f) ? (c ?? []) : (c ? [c] : []);
        return rows.map((r) => (f.fields ?? []).map((p) => one(p, r[p.id])).filter(Boolean).join(', ')).join(' · ') || none;
      }
      return one(f, c) || none;
    },
  };
  return model;
}

/** A SIRET as the server checks it: 14 ASCII digits, Luhn key (La Poste's establishments aside). */
export function isValidSiret(raw) {
  const s = String(raw ?? '').replace(/\s/g, '');
  if (!/^[0-9]{14}$/.test(s)) return false;
  const digits = [...s].map(Number);
  if (s.startsWith('356000000') && s !== '35600000000048') return digits.reduce((a, b) => a + b, 0) % 5 === 0;
  const sum = digits.reduce((acc, d, i) => { const v = i % 2 === 0 ? d * 2 : d; return acc + (v > 9 ? v - 9 : v); }, 0);
  return sum % 10 === 0;
}

/** An e-mail address as the server accepts it: one @, something before, a dot after, no space. */
export function isPlausibleEmail(raw) {
  const s = String(raw ?? '').trim();
  const parts = s.split('@');
  return parts.length === 2 && parts[0].length > 0 && parts[1].includes('.') && !s.includes(' ');
}

/**
 * Which field a French sentence of an older server's refusal is about (servers now send
 * `missingFields` and `fieldErrors`): today's sheet's fields only.
 * @param {string} phrase
 * @returns {{field: string, detail: string}|null} detail: a key of `project.bad.*`
 */
export function fieldOfPhrase(phrase) {
  const p = String(phrase ?? '').toLowerCase();
  const rules = [
    [/siret/, 'lead', 'leadSiret'], [/porteu/, 'lead', 'lead'],
    [/adresse électronique/, 'contact', 'contactEmail'], [/contact/, 'contact', 'contact'],
    [/résumé/, 'summary', 'summary'], [/problème/, 'problems', 'problems'], [/carte/, 'problems', 'problems'],
    [/coopération/, 'cooperation', 'cooperation'], [/orientation/, 'orientation', 'orientation'],
    [/territoire/, 'territory', 'territory'], [/soutien|montant/, 'support', 'support'],
    [/résultat/, 'outcomes', 'outcomes'], [/prochaines étapes/, 'nextSteps', 'nextSteps'],
    [/partenaire/, 'partners', 'partners'], [/titre/, 'title', 'title'],
  ];
  const hit = rules.find(([re]) => re.test(p));
  return hit ? { field: hit[1], detail: hit[2] } : null;
}

/**
 * Builds the form of one sheet from the workshop's form.
 * @param {object} parts
 * @param {import('./store.js').Store} parts.store
 * @param {object} parts.project the sheet (for its board and linked cards)
 * @param {boolean} parts.editable
 * @param {ReturnType<typeof formModel>} parts.model
 */
export function buildProjectForm({ store, project, editable, model }) {
  const prefix = domId('pf', project.id);
  const wraps = new Map();
  const inputs = {};
  const groups = new Map(); // repeated group id → its rows' container

  const help = (f, id) => (f.help ? el('p', { className: 'hint', id: `${id}-hint`, text: tr(f.help) }) : null);
  const control = (f, name, value = undefined) => {
    const id = domId(prefix, name);
    const testid = `project-${name}`;
    const described = f.help ? `${id}-hint` : null;
    let input;
    switch (f.type) {
      case 'longText':
        input = el('textarea', { id, rows: 3, maxLength: f.maxLength ?? 2000, disabled: !editable, dataset: { testid }, attrs: { 'aria-describedby': described } });
        break;
      case 'choice': case 'orientations': {
        const options = f.type === 'orientations'
          ? store.workshop.orientations.map((o) => ({ value: o.id, label: o.title }))
          : (f.options ?? []).map((o) => ({ value: o.id, label: tr(o.label) }));
        input = el('select', { id, disabled: !editable, dataset: { testid }, attrs: { 'aria-describedby': described } },
          [el('option', { value: '', text: t('project.choose') }), ...options.map((o) => el('option', { value: o.value, text: o.label }))]);
        break;
      }
      case 'yesNo':
        input = f.required
          ? el('select', { id, disabled: !editable, dataset: { testid }, attrs: { 'aria-describedby': described } }, [
            el('option', { value: '', text: t('project.choose') }), el('option', { value: 'true', text: t('project.yes') }),
            el('option', { value: 'false', text: t('project.no') })])
          : el('input', { id, type: 'checkbox', disabled: !editable, dataset: { testid }, attrs: { 'aria-describedby': described } });
        break;
      default: {
        const type = { email: 'email', phone: 'tel', date: 'date' }[f.type] ?? 'text';
        const inputmode = isNumber(f) || f.type === 'siret' ? 'numeric' : null;
        const max = f.maxLength ?? { email: 254, phone: 32, siret: 20, integer: 9, euros: 11, date: 10 }[f.type] ?? 200;
        input = el('input', { id, type, maxLength: max, disabled: !editable, dataset: { testid }, attrs: { inputmode, 'aria-describedby': described } });
      }
    }
    if (value !== undefined) setInput(f, input, value);
    return input;
  };
  const labelled = (f, input, { required = false } = {}) => {
    const label = el('label', { htmlFor: input.id, text: `${tr(f.label)}${required ? ' *' : ''}` });
    return f.type === 'yesNo' && !f.required ? [el('div', { className: 'check' }, [input, label]), help(f, input.id)] : [label, help(f, input.id), input];
  };

  const wrapOf = (f, children) => {
    const note = el('p', { className: 'project-field__note', dataset: { note: f.id }, attrs: { 'aria-live': 'polite' } });
    const error = el('p', { className: 'field-error project-field__error', id: `${prefix}-${f.id}-error`, hidden: true, dataset: { error: f.id, testid: 'project-field-error' } });
    const asGroup = isGroup(f) || isList(f);
    const wrap = asGroup
      ? el('fieldset', { className: 'project-field', dataset: { field: f.id } }, [el('legend', { text: `${tr(f.label)}${f.required ? ' *' : ''}` }), help(f, `${prefix}-${f.id}`), error, ...children, note])
      : el('div', { className: 'project-field', dataset: { field: f.id } }, [...children.slice(0, 2), error, ...children.slice(2), note]);
    wraps.set(f.id, wrap);
    return wrap;
  };

  const rowLabel = (f, n) => (f.id === 'partners' ? t('project.partnerN', { n }) : t('project.rowN', { group: tr(f.label), n }));
  function rowElement(f, r, index) {
    const children = (f.fields ?? []).map((c) => {
      const input = control(c, `${f.id}-${index}-${c.id}`, r?.[c.id]);
      input.dataset.part = c.id;
      if (f.id === 'partners') input.dataset.partner = c.id;
      return labelled(c, input);
    }).flat();
    return el('fieldset', { className: f.id === 'partners' ? 'partner' : 'group-row', dataset: { testid: f.id === 'partners' ? 'partner' : `${f.id}-row`, row: String(index) } }, [
      el('legend', { text: rowLabel(f, index + 1) }), ...children,
      editable ? button('row-remove', f.id === 'partners' ? t('project.partnerRemove') : t('project.rowRemove'), {
        className: 'btn--small btn--quiet-danger', dataset: { group: f.id, testid: f.id === 'partners' ? 'partner-remove' : `${f.id}-remove` } }) : null,
    ]);
  }
  function renderRows(f, rows) {
    const box = groups.get(f.id);
    box.replaceChildren(...rows.map((r, i) => rowElement(f, r, i)));
    if (!rows.length) box.append(el('p', { className: 'hint', text: f.id === 'partners' ? t('project.noPartners') : t('project.noRows') }));
  }
  function readRows(f) {
    return [...groups.get(f.id).querySelectorAll(':scope > fieldset')].map((row) => {
      const out = {};
      for (const c of f.fields ?? []) out[c.id] = getInput(c, row.querySelector(`[data-part="${c.id}"]`));
      return out;
    });
  }

  const sections = (model.form.sections ?? []);
  const built = [];
  for (const f of model.form.fields) {
    let node;
    if (isRepeated(f)) {
      const box = el('div', { className: f.id === 'partners' ? 'partners' : 'group-rows', dataset: { testid: `project-${f.id}`, group: f.id } });
      groups.set(f.id, box);
      node = wrapOf(f, [box, editable ? button('row-add', f.id === 'partners' ? t('project.partnerAdd') : t('project.rowAdd', { group: tr(f.label) }), {
        className: 'btn--small', dataset: { group: f.id, testid: f.id === 'partners' ? 'partner-add' : `${f.id}-add` } }) : null]);
    } else if (isGroup(f)) {
      node = wrapOf(f, (f.fields ?? []).flatMap((c) => {
        const name = partInput(f.id, c.id);
        const input = control(c, name);
        inputs[name] = input;
        return labelled(c, input, { required: c.required && f.required });
      }));
    } else if (isList(f)) {
      node = wrapOf(f, [el('ul', { className: 'project-cards', dataset: { cards: f.id, testid: `project-${f.id}` } })]);
    } else {
      const input = control(f, f.id);
      inputs[f.id] = input;
      node = wrapOf(f, labelled(f, input, { required: f.required }));
    }
    built.push([f.section ?? '', node]);
  }
  const children = sections.length
    ? [...sections.map((s) => el('fieldset', { className: 'project-section', dataset: { section: s.id } }, [
      el('legend', { className: 'project-section__title', text: tr(s.title) }), ...built.filter(([id]) => id === s.id).map(([, n]) => n)])),
    ...built.filter(([id]) => !sections.some((s) => s.id === id)).map(([, n]) => n)]
    : built.map(([, n]) => n);
  const form = el('form', { className: 'project-form', noValidate: true, dataset: { project: project.id, testid: 'project-form' } }, children);

  form.addEventListener('click', (e) => {
    const b = e.target.closest('[data-action]');
    if (!b || !b.dataset.group) return;
    const f = model.field(b.dataset.group);
    const current = readRows(f);
    if (b.dataset.action === 'row-add') {
      if (current.length >= (f.maxItems ?? 20)) return;
      renderRows(f, [...current, {}]);
      groups.get(f.id).querySelector(':scope > fieldset:last-of-type input, :scope > fieldset:last-of-type select')?.focus();
    } else if (b.dataset.action === 'row-remove') {
      const index = [...groups.get(f.id).querySelectorAll(':scope > fieldset')].indexOf(b.closest('fieldset'));
      current.splice(index, 1);
      renderRows(f, current);
      (groups.get(f.id).querySelector('input, select') ?? form.querySelector(`[data-action="row-add"][data-group="${f.id}"]`))?.focus();
    }
  });

  /** The choices of a list: the board's cards of the right kind, the call's constats, options. */
  function renderList(f, chosen) {
    const list = form.querySelector(`[data-cards="${f.id}"]`);
    let items;
    if (f.type === 'problemCards' || f.type === 'ideaCards') {
      const board = store.board(project.board);
      const kinds = new Set((board?.columns ?? []).filter((c) => (f.type === 'problemCards' ? c.kind === 'problem' : c.kind !== 'problem')).map((c) => c.id));
      const cards = store.cardsOf(project.board).filter((c) => kinds.has(c.column) && !c.pendingAdd);
      items = [...new Set([...cards.map((c) => c.id), ...chosen])].map((id) => ({ id, label: store.card(id)?.text ?? t('project.unknownCard') }));
    } else if (f.type === 'constats') {
      items = (model.form.constats ?? []).map((k) => ({ id: k.id, label: tr(k.title) }));
    } else {
      items = (f.options ?? []).map((o) => ({ id: o.id, label: tr(o.label) }));
    }
    list.replaceChildren(...items.map(({ id, label }) => {
      const inputId = domId(prefix, f.id, id);
      return el('li', { className: 'check' }, [
        el('input', { type: 'checkbox', id: inputId, value: id, checked: chosen.includes(id), disabled: !editable }),
        el('label', { htmlFor: inputId, text: label }),
      ]);
    }));
    if (!items.length) list.append(el('li', { className: 'hint', text: t('project.noCards') }));
  }

  function fill(sheet, only = model.fields) {
    for (const id of only) {
      const f = model.field(id);
      if (!f) continue;
      const v = sheet[id];
      if (isRepeated(f)) renderRows(f, v ?? []);
      else if (isGroup(f)) for (const c of f.fields ?? []) setInput(c, inputs[partInput(f.id, c.id)], v?.[c.id]);
      else if (isList(f)) renderList(f, v ?? []);
      else setInput(f, inputs[f.id], v);
    }
  }

  function read() {
    let error = '';
    const fieldErrors = []; // [{field, inputs, controls, message}] what can be told before sending
    const values = {};
    const check = (f, raw, field, where) => {
      const s = String(raw ?? '').trim();
      let key = null;
      if (isNumber(f) && s && !/^-?\d+$/.test(s.replace(/[\s\u202f\u00a0]/g, ''))) key = 'project.errorInteger';
      else if (f.type === 'siret' && s && !isValidSiret(s)) key = 'project.errorSiret';
      else if (f.type === 'email' && s && !isPlausibleEmail(s)) key = 'project.errorEmail';
      if (!key) return;
      const message = t(key, { field: tr(f.label) });
      error ||= message;
      fieldErrors.push({ field, ...where, message });
    };
    for (const f of model.form.fields) {
      if (isRepeated(f)) {
        const rows = readRows(f);
        rows.forEach((r, i) => {
          const row = groups.get(f.id).querySelectorAll(':scope > fieldset')[i];
          for (const c of f.fields ?? []) check(c, r[c.id], f.id, { controls: [row.querySelector(`[data-part="${c.id}"]`)] });
        });
        values[f.id] = rows;
      } else if (isGroup(f)) {
        const o = {};
        for (const c of f.fields ?? []) {
          const name = partInput(f.id, c.id);
          o[c.id] = getInput(c, inputs[name]);
          check(c, o[c.id], f.id, { inputs: [name] });
        }
        values[f.id] = o;
      } else if (isList(f)) {
        values[f.id] = [...form.querySelectorAll(`[data-cards="${f.id}"] input:checked`)].map((i) => i.value);
      } else {
        values[f.id] = getInput(f, inputs[f.id]);
        check(f, values[f.id], f.id, {});
      }
    }
    if (model.field('title') && blank(values.title)) {
      error ||= t('project.errorTitle');
      fieldErrors.unshift({ field: 'title', message: t('project.errorTitle') });
    }
    return { values, error, fieldErrors };
  }

  /** The controls of a field, by default (its inputs, its list's boxes, its rows' first inputs). */
  function controlsOf(field, names) {
    if (names?.length) return names.map((n) => inputs[n]).filter(Boolean);
    const f = model.field(field);
    if (!f) return [];
    if (isRepeated(f)) {
      // No row yet: the button that adds one is what the person acts on.
      const parts = [...groups.get(f.id).querySelectorAll(':scope > fieldset [data-part]')];
      const add = form.querySelector(`[data-action="row-add"][data-group="${f.id}"]`);
      return parts.length ? parts : [add].filter(Boolean);
    }
    if (isGroup(f)) return (f.fields ?? []).map((c) => inputs[partInput(f.id, c.id)]).filter(Boolean);
    if (isList(f)) return [...form.querySelectorAll(`[data-cards="${field}"] input`)];
    return inputs[field] ? [inputs[field]] : [];
  }

  let marked = [];
  let inputErrors = []; // messages placed right under one input of a group (a SIRET, an e-mail)
  /** Removes every field's error mark. */
  function clearErrors() {
    for (const node of inputErrors) node.remove();
    inputErrors = [];
    for (const c of marked) {
      c.removeAttribute('aria-invalid');
      const before = c.dataset.describedBefore;
      if (before) c.setAttribute('aria-describedby', before); else c.removeAttribute('aria-describedby');
      delete c.dataset.describedBefore;
    }
    marked = [];
    for (const wrap of wraps.values()) {
      wrap.classList.remove('project-field--invalid');
      const error = wrap.querySelector('[data-error]');
      error.textContent = '';
      error.hidden = true;
    }
  }

  /**
   * Marks the faulty fields: each control aria-invalid and described by its message, shown under
   * the field's label, or right under the one input of a group it is about.
   * @param {{field: string, inputs?: string[], controls?: HTMLElement[], row?: number, part?: string, message: string}[]} errors
   * @returns {HTMLElement|null} the first faulty control in the form's order (to focus)
   */
  function markErrors(errors) {
    clearErrors();
    const focusable = [];
    for (const e of errors) {
      const wrap = wraps.get(e.field);
      if (!wrap) continue;
      let targets = e.controls?.filter(Boolean);
      if (!targets?.length && e.row != null && e.part) {
        const row = groups.get(e.field)?.querySelectorAll(':scope > fieldset')[e.row];
        targets = row ? [row.querySelector(`[data-part="${e.part}"]`)].filter(Boolean) : [];
      }
      if (!targets?.length) targets = controlsOf(e.field, e.inputs);
      let error = wrap.querySelector('[data-error]');
      if (targets.length === 1 && (e.inputs?.length === 1 || e.controls?.length === 1 || e.row != null) && wrap.tagName === 'FIELDSET') {
        error = inputErrors.find((node) => node.id === `${targets[0].id}-error`);
        if (!error) {
          error = el('p', { className: 'field-error project-field__error', id: `${targets[0].id}-error`, dataset: { testid: 'project-field-error' } });
          targets[0].after(error);
          inputErrors.push(error);
        }
      }
      error.textContent = error.textContent ? `${error.textContent} ${e.message}` : e.message;
      error.hidden = false;
      wrap.classList.add('project-field--invalid');
      const list = [...targets];
      if (!list.length) {
        // Nothing to tick yet (no card on the board, no row): the group itself takes the focus.
        wrap.tabIndex = -1;
        list.push(wrap);
      }
      for (const c of list) {
        if (!marked.includes(c)) {
          c.dataset.describedBefore = c.getAttribute('aria-describedby') ?? '';
          marked.push(c);
        }
        if (c !== wrap) c.setAttribute('aria-invalid', 'true');
        const ids = new Set((c.getAttribute('aria-describedby') ?? '').split(/\s+/).filter(Boolean));
        ids.add(error.id);
        c.setAttribute('aria-describedby', [...ids].join(' '));
        focusable.push(c);
      }
    }
    focusable.sort((a, b) => (a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1));
    return focusable[0] ?? null;
  }

  return { form, fill, read, wrap: (name) => wraps.get(name), markErrors, clearErrors };
}

function setInput(f, input, v) {
  if (!input) return;
  if (f.type === 'yesNo' && input.tagName === 'SELECT') input.value = v === true ? 'true' : v === false ? 'false' : '';
  else if (f.type === 'yesNo') input.checked = Boolean(v);
  else input.value = v ?? '';
}

function getInput(f, input) {
  if (!input) return null;
  if (f.type === 'yesNo' && input.tagName === 'SELECT') return input.value === '' ? null : input.value === 'true';
  if (f.type === 'yesNo') return input.checked;
  if (isNumber(f)) {
    const raw = input.value.replace(/[\s\u202f\u00a0]/g, '');
    return raw === '' ? null : (/^-?\d+$/.test(raw) ? Number(raw) : raw);
  }
  return input.value;
}
