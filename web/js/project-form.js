// The project sheet as a form: built once per open sheet, filled from a sheet, read back into the
// wire shape of `project.update` (docs/protocol.md, docs/export.md). Values are compared field by
// field so only what the person changed is sent.

import { t } from './i18n.js';
import { el, domId, button } from './dom.js';

/** The sheet's editable fields, in the form's order. */
export const SHEET_FIELDS = ['title', 'summary', 'problems', 'sources', 'cooperation', 'orientation', 'lead', 'partners',
  'territory', 'support', 'outcomes', 'nextSteps', 'contact'];
const ACTORS = ['aci', 'ai', 'ei', 'etti', 'business', 'public', 'network', 'other'];
const COOPERATION = ['siae', 'business', 'other'];
/** What a sheet needs before the facilitator can mark it ready (mirrors the server's ProjectRules.missing). */
export const READY_FIELDS = ['summary', 'problems', 'cooperation', 'orientation', 'lead', 'territory', 'support', 'contact'];

/**
 * The ready fields a sheet's values still lack, in READY_FIELDS order.
 * @param {object} v values as `read()` gives them (or a sheet)
 * @returns {string[]}
 */
export function missingFields(v) {
  const blank = (x) => !String(x ?? '').trim();
  const support = v.support ?? {};
  const contact = v.contact ?? {};
  const lead = canonical('lead', v.lead);
  return READY_FIELDS.filter((f) => {
    switch (f) {
      case 'problems': return !(v.problems ?? []).length;
      case 'cooperation': case 'orientation': return !v[f];
      case 'lead': return !lead;
      case 'support': return !support.methodological && !(support.expertise > 0) && !(support.grant > 0);
      case 'contact': return blank(contact.name) || (blank(contact.email) && blank(contact.phone));
      default: return blank(v[f]);
    }
  });
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
 * Which field (and which of its inputs) a sentence of the server's refusal is about. The server
 * answers in French sentences (`missing: [...]` for `project.ready`, "Projet invalide : a ; b."
 * for `project.update`); this reads them, and what it cannot place stays in the general message.
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
 * A field's value in a canonical form, so two equal values compare equal.
 * @param {string} field
 * @param {any} v
 * @returns {any}
 */
export function canonical(field, v) {
  switch (field) {
    case 'problems': case 'sources': return [...(v ?? [])];
    case 'cooperation': case 'orientation': return v || null;
    case 'lead': return v && (v.name || v.siret) ? { name: (v.name ?? '').trim(), actor: v.actor || 'other', siret: v.siret ? String(v.siret).replace(/\s/g, '') : null } : null;
    case 'partners': return (v ?? []).map((p) => ({ name: (p.name ?? '').trim(), actor: p.actor || 'other', role: (p.role ?? '').trim() }));
    case 'support': return { methodological: Boolean(v?.methodological), expertise: v?.expertise ?? null, grant: v?.grant ?? null };
    case 'outcomes': return { insertionJobs: v?.insertionJobs ?? null, peopleSupported: v?.peopleSupported ?? null, other: (v?.other ?? '').trim() };
    case 'contact': return { name: (v?.name ?? '').trim(), email: (v?.email ?? '').trim(), phone: (v?.phone ?? '').trim() };
    default: return (v ?? '').trim();
  }
}

/** @returns {boolean} whether two values of a field are the same. */
export function sameValue(field, a, b) {
  return JSON.stringify(canonical(field, a)) === JSON.stringify(canonical(field, b));
}

/**
 * A field's value as one readable line (for the conflict view).
 * @param {string} field
 * @param {any} v
 * @param {import('./store.js').Store} store
 * @returns {string}
 */
export function describeValue(field, v, store) {
  const c = canonical(field, v);
  const none = t('project.none');
  switch (field) {
    case 'problems': case 'sources': return c.length ? c.map((id) => store.card(id)?.text ?? id).join(' · ') : none;
    case 'cooperation': return c ? t(`project.coop.${c}`) : none;
    case 'orientation': return c ? store.workshop.orientations.find((o) => o.id === c)?.title ?? c : none;
    case 'lead': return c ? [c.name, t(`actor.${c.actor}`), c.siret].filter(Boolean).join(', ') : none;
    case 'partners': return c.length ? c.map((p) => [p.name, p.role].filter(Boolean).join(' : ')).join(' · ') : none;
    case 'support': return [c.methodological ? t('project.methodological') : '', c.expertise != null ? `${t('project.expertise')} ${c.expertise} €` : '',
      c.grant != null ? `${t('project.grant')} ${c.grant} €` : ''].filter(Boolean).join(', ') || none;
    case 'outcomes': return [c.insertionJobs != null ? `${t('project.insertionJobs')} ${c.insertionJobs}` : '',
      c.peopleSupported != null ? `${t('project.peopleSupported')} ${c.peopleSupported}` : '', c.other].filter(Boolean).join(', ') || none;
    case 'contact': return [c.name, c.email, c.phone].filter(Boolean).join(', ') || none;
    default: return c || none;
  }
}

/**
 * Builds the form of one sheet.
 * @param {object} parts
 * @param {import('./store.js').Store} parts.store
 * @param {object} parts.project the sheet (for its board and linked cards)
 * @param {boolean} parts.editable
 * @returns {{form: HTMLFormElement, fill: (sheet: object, only?: string[]) => void, read: () => {values: object, error: string},
 *            wrap: (field: string) => HTMLElement}}
 */
export function buildProjectForm({ store, project, editable }) {
  const prefix = domId('pf', project.id);
  const wraps = new Map();
  const inputs = {};
  const field = (name, legendKey, children, { group = false } = {}) => {
    const note = el('p', { className: 'project-field__note', dataset: { note: name }, attrs: { 'aria-live': 'polite' } });
    // The field's error, right under its label (or legend): filled by markErrors().
    const error = el('p', { className: 'field-error project-field__error', id: `${prefix}-${name}-error`, hidden: true, dataset: { error: name, testid: 'project-field-error' } });
    const wrap = group
      ? el('fieldset', { className: 'project-field', dataset: { field: name } }, [el('legend', { text: t(legendKey) }), error, ...children, note])
      : el('div', { className: 'project-field', dataset: { field: name } }, [children[0], error, ...children.slice(1), note]);
    wraps.set(name, wrap);
    return wrap;
  };
  const text = (name, labelKey, { area = false, type = 'text', max = 120, rows = 3, hintKey = null, inputmode = null } = {}) => {
    const id = `${prefix}-${name}`;
    const input = area
      ? el('textarea', { id, rows, maxLength: max, disabled: !editable, dataset: { testid: `project-${name}` } })
      : el('input', { id, type, maxLength: max, disabled: !editable, dataset: { testid: `project-${name}` }, attrs: { inputmode, 'aria-describedby': hintKey ? `${id}-hint` : null } });
    inputs[name] = input;
    return [el('label', { htmlFor: id, text: t(labelKey) }), hintKey ? el('p', { className: 'hint', id: `${id}-hint`, text: t(hintKey) }) : null, input];
  };
  const select = (name, labelKey, options) => {
    const id = `${prefix}-${name}`;
    const input = el('select', { id, disabled: !editable, dataset: { testid: `project-${name}` } },
      options.map((o) => el('option', { value: o.value, text: o.label })));
    inputs[name] = input;
    return [el('label', { htmlFor: id, text: t(labelKey) }), input];
  };
  const check = (name, labelKey) => {
    const id = `${prefix}-${name}`;
    const input = el('input', { id, type: 'checkbox', disabled: !editable, dataset: { testid: `project-${name}` } });
    inputs[name] = input;
    return el('div', { className: 'check' }, [input, el('label', { htmlFor: id, text: t(labelKey) })]);
  };
  const actorOptions = ACTORS.map((a) => ({ value: a, label: t(`actor.${a}`) }));
  const cardList = (name) => el('ul', { className: 'project-cards', dataset: { cards: name } });
  const partners = el('div', { className: 'partners', dataset: { testid: 'project-partners' } });

  const form = el('form', { className: 'project-form', noValidate: true, dataset: { project: project.id, testid: 'project-form' } }, [
    field('title', null, text('title', 'project.title', { max: 120 })),
    field('summary', null, text('summary', 'project.summary', { area: true, max: 2000, rows: 5 })),
    field('problems', 'project.problems', [cardList('problems')], { group: true }),
    field('sources', 'project.sources', [cardList('sources')], { group: true }),
    field('cooperation', null, select('cooperation', 'project.cooperation', [{ value: '', label: t('project.choose') },
      ...COOPERATION.map((c) => ({ value: c, label: t(`project.coop.${c}`) }))])),
    field('orientation', null, select('orientation', 'project.orientation', [{ value: '', label: t('project.choose') },
      ...store.workshop.orientations.map((o) => ({ value: o.id, label: o.title }))])),
    field('lead', 'project.lead', [
      ...text('leadName', 'project.leadName', { max: 120 }),
      ...select('leadActor', 'project.leadActor', actorOptions),
      ...text('leadSiret', 'project.siret', { max: 20, hintKey: 'project.siretHint', inputmode: 'numeric' }),
    ], { group: true }),
    field('contact', 'project.contact', [
      ...text('contactName', 'project.contactName', { max: 120 }),
      ...text('contactEmail', 'project.contactEmail', { type: 'email', max: 254 }),
      ...text('contactPhone', 'project.contactPhone', { type: 'tel', max: 32 }),
    ], { group: true }),
    field('territory', null, text('territory', 'project.territory', { max: 120, hintKey: 'project.territoryHint' })),
    field('support', 'project.support', [
      check('methodological', 'project.methodological'),
      ...text('expertise', 'project.expertiseEuros', { max: 9, inputmode: 'numeric' }),
      ...text('grant', 'project.grantEuros', { max: 9, inputmode: 'numeric' }),
    ], { group: true }),
    field('outcomes', 'project.outcomes', [
      ...text('insertionJobs', 'project.insertionJobs', { max: 7, inputmode: 'numeric' }),
      ...text('peopleSupported', 'project.peopleSupported', { max: 7, inputmode: 'numeric' }),
      ...text('outcomesOther', 'project.outcomesOther', { area: true, max: 1000, rows: 2 }),
    ], { group: true }),
    field('nextSteps', null, text('nextSteps', 'project.nextSteps', { area: true, max: 2000, rows: 3 })),
    field('partners', 'project.partners', [partners,
      editable ? button('partner-add', t('project.partnerAdd'), { className: 'btn--small', dataset: { testid: 'partner-add' } }) : null], { group: true }),
  ]);

  function partnerRow(p, index) {
    const id = `${prefix}-partner-${index}`;
    const name = el('input', { id: `${id}-name`, type: 'text', maxLength: 120, value: p.name ?? '', disabled: !editable, dataset: { partner: 'name' } });
    const actor = el('select', { id: `${id}-actor`, disabled: !editable, dataset: { partner: 'actor' } },
      actorOptions.map((o) => el('option', { value: o.value, text: o.label, selected: o.value === (p.actor || 'other') })));
    const role = el('input', { id: `${id}-role`, type: 'text', maxLength: 200, value: p.role ?? '', disabled: !editable, dataset: { partner: 'role' } });
    return el('fieldset', { className: 'partner', dataset: { testid: 'partner' } }, [
      el('legend', { text: t('project.partnerN', { n: index + 1 }) }),
      el('label', { htmlFor: name.id, text: t('project.partnerName') }), name,
      el('label', { htmlFor: actor.id, text: t('project.leadActor') }), actor,
      el('label', { htmlFor: role.id, text: t('project.partnerRole') }), role,
      editable ? button('partner-remove', t('project.partnerRemove'), { className: 'btn--small btn--quiet-danger' }) : null,
    ]);
  }

  function renderPartners(list) {
    partners.replaceChildren(...list.map(partnerRow));
    if (!list.length) partners.append(el('p', { className: 'hint', text: t('project.noPartners') }));
  }

  form.addEventListener('click', (e) => {
    const b = e.target.closest('[data-action]');
    if (!b) return;
    const current = readPartners();
    if (b.dataset.action === 'partner-add') {
      renderPartners([...current, { name: '', actor: 'other', role: '' }]);
      partners.querySelector('.partner:last-of-type input')?.focus();
    } else if (b.dataset.action === 'partner-remove') {
      const index = [...partners.querySelectorAll('.partner')].indexOf(b.closest('.partner'));
      current.splice(index, 1);
      renderPartners(current);
      (partners.querySelector('.partner input') ?? form.querySelector('[data-action="partner-add"]'))?.focus();
    }
  });

  function readPartners() {
    return [...partners.querySelectorAll('.partner')].map((row) => ({
      name: row.querySelector('[data-partner="name"]').value,
      actor: row.querySelector('[data-partner="actor"]').value,
      role: row.querySelector('[data-partner="role"]').value,
    }));
  }

  /** The cards that can be linked: the board's problem cards, or its idea and project cards. */
  function renderCards(name, chosen) {
    const list = form.querySelector(`[data-cards="${name}"]`);
    const board = store.board(project.board);
    const kinds = new Set((board?.columns ?? []).filter((c) => (name === 'problems' ? c.kind === 'problem' : c.kind !== 'problem')).map((c) => c.id));
    const cards = store.cardsOf(project.board).filter((c) => kinds.has(c.column) && !c.pendingAdd);
    const ids = [...new Set([...cards.map((c) => c.id), ...chosen])];
    list.replaceChildren(...ids.map((id) => {
      const inputId = domId(prefix, name, id);
      return el('li', { className: 'check' }, [
        el('input', { type: 'checkbox', id: inputId, value: id, checked: chosen.includes(id), disabled: !editable }),
        el('label', { htmlFor: inputId, text: store.card(id)?.text ?? t('project.unknownCard') }),
      ]);
    }));
    if (!ids.length) list.append(el('li', { className: 'hint', text: t('project.noCards') }));
  }

  function fill(sheet, only = SHEET_FIELDS) {
    const has = (f) => only.includes(f);
    if (has('title')) inputs.title.value = sheet.title ?? '';
    if (has('summary')) inputs.summary.value = sheet.summary ?? '';
    if (has('problems')) renderCards('problems', sheet.problems ?? []);
    if (has('sources')) renderCards('sources', sheet.sources ?? []);
    if (has('cooperation')) inputs.cooperation.value = sheet.cooperation ?? '';
    if (has('orientation')) inputs.orientation.value = sheet.orientation ?? '';
    if (has('lead')) {
      inputs.leadName.value = sheet.lead?.name ?? '';
      inputs.leadActor.value = sheet.lead?.actor ?? 'other';
      inputs.leadSiret.value = sheet.lead?.siret ?? '';
    }
    if (has('partners')) renderPartners(sheet.partners ?? []);
    if (has('territory')) inputs.territory.value = sheet.territory ?? '';
    if (has('support')) {
      inputs.methodological.checked = Boolean(sheet.support?.methodological);
      inputs.expertise.value = sheet.support?.expertise ?? '';
      inputs.grant.value = sheet.support?.grant ?? '';
    }
    if (has('outcomes')) {
      inputs.insertionJobs.value = sheet.outcomes?.insertionJobs ?? '';
      inputs.peopleSupported.value = sheet.outcomes?.peopleSupported ?? '';
      inputs.outcomesOther.value = sheet.outcomes?.other ?? '';
    }
    if (has('nextSteps')) inputs.nextSteps.value = sheet.nextSteps ?? '';
    if (has('contact')) {
      inputs.contactName.value = sheet.contact?.name ?? '';
      inputs.contactEmail.value = sheet.contact?.email ?? '';
      inputs.contactPhone.value = sheet.contact?.phone ?? '';
    }
  }

  function read() {
    let error = '';
    const fieldErrors = []; // [{field, inputs, message}] what can be told before sending
    const int = (input, key, field, name) => {
      const raw = input.value.replace(/[\s\u202f\u00a0]/g, '');
      if (!raw) return null;
      if (!/^\d+$/.test(raw)) {
        const message = t('project.errorInteger', { field: t(key) });
        error ||= message;
        fieldErrors.push({ field, inputs: [name], message });
        return null;
      }
      return Number(raw);
    };
    const checked = (name) => [...form.querySelectorAll(`[data-cards="${name}"] input:checked`)].map((i) => i.value);
    const values = {
      title: inputs.title.value,
      summary: inputs.summary.value,
      problems: checked('problems'),
      sources: checked('sources'),
      cooperation: inputs.cooperation.value || null,
      orientation: inputs.orientation.value || null,
      lead: canonical('lead', { name: inputs.leadName.value, actor: inputs.leadActor.value, siret: inputs.leadSiret.value }),
      partners: readPartners().filter((p) => p.name.trim() || p.role.trim()),
      territory: inputs.territory.value,
      support: { methodological: inputs.methodological.checked, expertise: int(inputs.expertise, 'project.expertise', 'support', 'expertise'), grant: int(inputs.grant, 'project.grant', 'support', 'grant') },
      outcomes: {
        insertionJobs: int(inputs.insertionJobs, 'project.insertionJobs', 'outcomes', 'insertionJobs'),
        peopleSupported: int(inputs.peopleSupported, 'project.peopleSupported', 'outcomes', 'peopleSupported'),
        other: inputs.outcomesOther.value,
      },
      nextSteps: inputs.nextSteps.value,
      contact: { name: inputs.contactName.value, email: inputs.contactEmail.value, phone: inputs.contactPhone.value },
    };
    if (!values.title.trim()) {
      error ||= t('project.errorTitle');
      fieldErrors.push({ field: 'title', message: t('project.errorTitle') });
    }
    // What the server would refuse anyway, said at the field before sending.
    if (values.lead?.siret && !isValidSiret(values.lead.siret)) {
      fieldErrors.push({ field: 'lead', inputs: ['leadSiret'], message: t('project.bad.leadSiret') });
      error ||= t('project.bad.leadSiret');
    }
    if (values.contact.email.trim() && !isPlausibleEmail(values.contact.email)) {
      fieldErrors.push({ field: 'contact', inputs: ['contactEmail'], message: t('project.bad.contactEmail') });
      error ||= t('project.bad.contactEmail');
    }
    return { values, error, fieldErrors };
  }

  /** The inputs a field's error is about, by default (a group: the inputs that need filling). */
  function defaultInputs(field) {
    switch (field) {
      case 'lead': return ['leadName'];
      case 'contact': {
        const out = inputs.contactName.value.trim() ? [] : ['contactName'];
        if (!inputs.contactEmail.value.trim() && !inputs.contactPhone.value.trim()) out.push('contactEmail', 'contactPhone');
        return out.length ? out : ['contactName', 'contactEmail', 'contactPhone'];
      }
      case 'support': return ['methodological', 'expertise', 'grant'];
      case 'outcomes': return ['insertionJobs', 'peopleSupported'];
      default: return inputs[field] ? [field] : [];
    }
  }

  /** The controls of a field with no named input (the lists of cards, the partners). */
  function listControls(field) {
    if (field === 'problems' || field === 'sources') return [...form.querySelectorAll(`[data-cards="${field}"] input`)];
    if (field === 'partners') return [...partners.querySelectorAll('[data-partner="name"]')];
    return [];
  }

  let marked = [];
  let inputErrors = []; // messages placed right under one input of a group (a SIRET, an e-mail)
  /** Removes every field's error mark. */
  function clearErrors() {
    for (const node of inputErrors) node.remove();
    inputErrors = [];
    for (const control of marked) {
      control.removeAttribute('aria-invalid');
      const before = control.dataset.describedBefore;
      if (before) control.setAttribute('aria-describedby', before); else control.removeAttribute('aria-describedby');
      delete control.dataset.describedBefore;
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
   * Marks the faulty fields: each control aria-invalid and described by its field's message,
   * shown under the field's label.
   * @param {{field: string, inputs?: string[], message: string}[]} errors
   * @returns {HTMLElement|null} the first faulty control in the form's order (to focus)
   */
  function markErrors(errors) {
    clearErrors();
    const controls = [];
    for (const { field, inputs: names, message } of errors) {
      const wrap = wraps.get(field);
      if (!wrap) continue;
      const targets = (names ?? defaultInputs(field)).map((n) => inputs[n]).filter(Boolean);
      let error = wrap.querySelector('[data-error]');
      if (names?.length === 1 && targets.length === 1 && wrap.tagName === 'FIELDSET') {
        // One input of a group is wrong: the message goes right under that input (one per input).
        error = inputErrors.find((node) => node.id === `${targets[0].id}-error`);
        if (!error) {
          error = el('p', { className: 'field-error project-field__error', id: `${targets[0].id}-error`, dataset: { testid: 'project-field-error' } });
          targets[0].after(error);
          inputErrors.push(error);
        }
      }
      error.textContent = error.textContent ? `${error.textContent} ${message}` : message;
      error.hidden = false;
      wrap.classList.add('project-field--invalid');
      const list = targets.length ? targets : listControls(field);
      if (!list.length) {
        // Nothing to tick yet (no card on the board): the group itself takes the focus.
        wrap.tabIndex = -1;
        list.push(wrap);
      }
      for (const control of list) {
        if (!marked.includes(control)) {
          control.dataset.describedBefore = control.getAttribute('aria-describedby') ?? '';
          marked.push(control);
        }
        if (control !== wrap) control.setAttribute('aria-invalid', 'true');
        const ids = new Set((control.getAttribute('aria-describedby') ?? '').split(/\s+/).filter(Boolean));
        ids.add(error.id);
        control.setAttribute('aria-describedby', [...ids].join(' '));
        controls.push(control);
      }
    }
    controls.sort((a, b) => (a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1));
    return controls[0] ?? null;
  }

  return { form, fill, read, wrap: (name) => wraps.get(name), markErrors, clearErrors };
}
