// Modal questions (a title to give, a confirmation, a choice) in a native <dialog>: focus is
// trapped and Escape cancels, as screen readers and keyboards expect; focus then goes back to the
// control that asked.

import { t } from './i18n.js';
import { el } from './dom.js';

let counter = 0;

/**
 * Opens a modal form and resolves with its values, or null when cancelled.
 * @param {object} spec
 * @param {string} spec.title the dialog's heading
 * @param {string} [spec.message] a sentence under the heading
 * @param {{name: string, label: string, type?: 'text'|'select', value?: string, required?: boolean,
 *          maxLength?: number, options?: {value: string, label: string}[], hint?: string}[]} [spec.fields]
 * @param {string} spec.submit the confirm button's label
 * @param {boolean} [spec.danger] a destructive action (red button)
 * @param {(values: object) => string} [spec.validate] returns an error sentence, or ''
 * @returns {Promise<object|null>}
 */
export function askDialog({ title, message = '', fields = [], submit, danger = false, validate = () => '' }) {
  // Asked from a menu's item: the focus goes back to the menu's button (the item is hidden by then).
  const opener = document.activeElement?.closest?.('.menu')?.querySelector('.menu__button') ?? document.activeElement;
  counter += 1;
  const id = `dialog-${counter}`;
  const error = el('p', { className: 'field-error', id: `${id}-error`, attrs: { 'aria-live': 'polite' } });
  const controls = fields.map((f) => {
    const fieldId = `${id}-field-${f.name}`;
    const control = f.type === 'select'
      ? el('select', { id: fieldId, name: f.name, dataset: { testid: `dialog-${f.name}` } },
        f.options.map((o) => el('option', { value: o.value, text: o.label, selected: o.value === f.value })))
      : el('input', {
        type: 'text', id: fieldId, name: f.name, value: f.value ?? '', maxLength: f.maxLength ?? 500,
        required: Boolean(f.required), dataset: { testid: `dialog-${f.name}` }, attrs: { 'aria-describedby': `${id}-error` },
      });
    return { f, control, wrap: el('div', { className: 'field' }, [
      el('label', { htmlFor: fieldId, text: f.label }),
      f.hint ? el('p', { className: 'hint', text: f.hint }) : null,
      control,
    ]) };
  });
  const form = el('form', { className: 'dialog__form', method: 'dialog', noValidate: true }, [
    el('h2', { className: 'dialog__title', id: `${id}-title`, text: title }),
    message ? el('p', { id: `${id}-message`, text: message }) : null,
    ...controls.map((c) => c.wrap),
    error,
    el('div', { className: 'dialog__buttons' }, [
      el('button', { type: 'submit', className: `btn ${danger ? 'btn--danger' : 'btn--primary'}`, text: submit, dataset: { testid: 'dialog-ok' } }),
      el('button', { type: 'button', className: 'btn', text: t('dialog.cancel'), dataset: { testid: 'dialog-cancel', action: 'dialog-cancel' } }),
    ]),
  ]);
  const dialog = el('dialog', {
    className: 'dialog', dataset: { testid: 'dialog' },
    attrs: { 'aria-labelledby': `${id}-title`, 'aria-describedby': message ? `${id}-message` : null },
  }, [form]);
  document.body.append(dialog);

  return new Promise((resolve) => {
    let result = null;
    const values = () => Object.fromEntries(controls.map(({ f, control }) => [f.name, control.value.trim()]));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const v = values();
      const missing = controls.find(({ f }) => f.required && !v[f.name]);
      const problem = missing ? t('dialog.required', { field: missing.f.label }) : validate(v);
      error.textContent = problem;
      if (problem) { (missing?.control ?? controls[0]?.control)?.focus(); return; }
      result = v;
      finish();
    });
    // Settled as the dialog closes, not at its `close` event (a task later): a page acting right
    // after the dialog is gone must not find the question still pending.
    let settled = false;
    function finish() {
      if (settled) return;
      settled = true;
      if (dialog.open) dialog.close();
      dialog.remove();
      if (opener && opener.isConnected) opener.focus();
      resolve(result);
    }
    form.querySelector('[data-action="dialog-cancel"]').addEventListener('click', finish);
    dialog.addEventListener('close', finish); // Escape
    dialog.showModal();
    (controls[0]?.control ?? form.querySelector('[data-testid="dialog-cancel"]')).focus();
  });
}

/**
 * Asks for a confirmation.
 * @param {string} title
 * @param {string} message
 * @param {string} confirmLabel
 * @returns {Promise<boolean>}
 */
export async function confirmDialog(title, message, confirmLabel) {
  return (await askDialog({ title, message, submit: confirmLabel, danger: true })) !== null;
}
