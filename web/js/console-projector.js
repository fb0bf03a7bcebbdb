// The console's "Projecteur" control: what the room's projector shows (every table, one table at a
// time every N seconds, the ranked results, the project sheets), sent as `projector.show`; every
// projector page connected to the workshop follows it (projector.js), its own toolbar still working.

import { t } from './i18n.js';
import { el } from './dom.js';
import { announce } from './ui.js';

const MODES = ['all', 'rotation', 'results', 'projects', 'status'];
const PERIODS = [10, 20, 30, 60, 120];

/**
 * @param {object} ctx see mountControls
 * @param {{container: HTMLElement}} ctx.dom
 * @returns {{render: () => void}}
 */
export function mountConsoleProjector({ store, send, announcer, dom }) {
  const mode = el('select', { id: 'projector-mode', dataset: { testid: 'projector-mode' } },
    MODES.map((m) => el('option', { value: m, text: t(`proj.mode.${m}`) })));
  const every = el('select', { id: 'projector-every', dataset: { testid: 'projector-every' } },
    PERIODS.map((n) => el('option', { value: String(n), text: `${n} s`, selected: n === 20 })));
  const everyField = el('div', { className: 'field projector-form__every', hidden: true }, [
    el('label', { htmlFor: every.id, text: t('fac.projectorEvery') }), every,
  ]);
  const now = el('p', { className: 'projector-form__now', dataset: { testid: 'projector-now' } });
  const form = el('form', { className: 'projector-form', noValidate: true, dataset: { testid: 'projector-control' } }, [
    el('fieldset', { className: 'projector-form__set' }, [
      el('legend', { text: t('fac.projectorHeading') }),
      el('div', { className: 'field projector-form__mode' }, [el('label', { htmlFor: mode.id, text: t('fac.projectorMode') }), mode]),
      everyField,
      el('button', { type: 'submit', className: 'btn btn--small', text: t('fac.projectorShow'), dataset: { testid: 'projector-show' } }),
    ]),
    now,
  ]);
  dom.container.replaceChildren(form);
  let shownSig = null;

  mode.addEventListener('change', () => { everyField.hidden = mode.value !== 'rotation'; });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const chosen = mode.value;
    send('projector.show', { mode: chosen, ...(chosen === 'rotation' ? { every: Number(every.value) } : {}) });
    announce(announcer, t('fac.projectorSent', { mode: t(`proj.mode.${chosen}`) }));
  });

  function render() {
    const w = store.workshop;
    const view = w?.projector ?? { mode: 'all', every: null };
    const sig = JSON.stringify([view.mode, view.every ?? null, w?.closed]);
    if (sig === shownSig) return;
    shownSig = sig;
    // The menu follows what the projector shows (from this console or another).
    if (MODES.includes(view.mode)) mode.value = view.mode;
    if (view.every) {
      if (![...every.options].some((o) => o.value === String(view.every))) every.append(el('option', { value: String(view.every), text: `${view.every} s` }));
      every.value = String(view.every);
    }
    everyField.hidden = mode.value !== 'rotation';
    const label = t(`proj.mode.${MODES.includes(view.mode) ? view.mode : 'all'}`);
    now.textContent = view.mode === 'rotation' && view.every
      ? t('fac.projectorNowEvery', { mode: label, n: view.every }) : t('fac.projectorNow', { mode: label });
    for (const control of form.querySelectorAll('select, button')) control.disabled = Boolean(w?.closed);
  }

  return { render };
}
