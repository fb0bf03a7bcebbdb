// The console's "Animer" panels: timer, announcement, "follow me", reveals and settings.

import { t } from './i18n.js';
import { el, button, renderIfChanged } from './dom.js';
import { confirmDialog } from './dialog.js';
import { mountCountdown } from './timer.js';
import { announce, votersText } from './ui.js';

const MAX_TIMER_S = 21600;

/**
 * @param {object} ctx
 * @param {import('./store.js').Store} ctx.store
 * @param {import('./socket.js').Connection} ctx.connection
 * @param {(type: string, args: object) => string} ctx.send
 * @param {HTMLElement} ctx.announcer
 * @param {{timer: HTMLElement, announce: HTMLElement, follow: HTMLElement, reveal: HTMLElement, settings: HTMLElement}} ctx.dom
 * @returns {{render: () => void}}
 */
export function mountControls({ store, connection, send, announcer, dom }) {
  const renders = [timerPanel(), announcePanel(), followPanel(), revealPanel(), settingsPanel()];
  return { render: () => renders.forEach((r) => r()) };

  function field(id, labelKey, input) {
    input.id = id;
    return el('div', { className: 'field field--inline' }, [el('label', { htmlFor: id, text: t(labelKey) }), input]);
  }

  // --- Timer ------------------------------------------------------------------------------------
  function timerPanel() {
    const countdown = el('p', { className: 'timer timer--panel', dataset: { testid: 'timer-panel-countdown' } });
    mountCountdown({ store, connection, node: countdown, announcer: document.createElement('div') });
    const idle = el('p', { className: 'hint', text: t('timer.none') });
    const minutes = el('input', { type: 'text', inputMode: 'numeric', value: '5', maxLength: 3, className: 'input--short', dataset: { testid: 'timer-minutes' } });
    const seconds = el('input', { type: 'text', inputMode: 'numeric', value: '0', maxLength: 2, className: 'input--short', dataset: { testid: 'timer-seconds' } });
    const label = el('input', { type: 'text', maxLength: 80, dataset: { testid: 'timer-label' }, placeholder: t('timer.labelPlaceholder') });
    const error = el('p', { className: 'field-error', id: 'timer-error', attrs: { 'aria-live': 'polite' } });
    const form = el('form', { className: 'timer-form', noValidate: true, dataset: { testid: 'timer-form' } }, [
      el('fieldset', { className: 'timer-form__duration' }, [
        el('legend', { text: t('timer.duration') }),
        field('timer-minutes', 'timer.minutes', minutes),
        field('timer-seconds', 'timer.seconds', seconds),
      ]),
      field('timer-label', 'timer.label', label),
      error,
      el('button', { type: 'submit', className: 'btn btn--primary', text: t('timer.start'), dataset: { testid: 'timer-start' } }),
    ]);
    const buttons = el('div', { className: 'button-row' });
    dom.timer.append(countdown, idle, buttons, form);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const m = Number(minutes.value.trim() || '0');
      const s = Number(seconds.value.trim() || '0');
      const total = m * 60 + s;
      const bad = !Number.isInteger(m) || !Number.isInteger(s) || m < 0 || s < 0 || s > 59 || total < 1 || total > MAX_TIMER_S;
      error.textContent = bad ? t('timer.error') : '';
      if (bad) { minutes.focus(); return; }
      send('timer.start', { seconds: total, ...(label.value.trim() ? { label: label.value.trim() } : {}) });
      announce(announcer, t('timer.startedAnnounce'));
    });
    buttons.addEventListener('click', (e) => {
      const action = e.target.closest('[data-action]')?.dataset.action;
      if (action === 'timer-add') {
        // "+1 min": the same countdown, a minute longer (paused stays paused).
        send('timer.add', { seconds: 60 });
        announce(announcer, t('timer.addedAnnounce'));
      } else if (action) {
        send(`timer.${action.slice('timer-'.length)}`, {});
      }
    });
    return () => {
      const timer = store.workshop.timer;
      idle.hidden = Boolean(timer);
      renderIfChanged(buttons, JSON.stringify([Boolean(timer), Boolean(timer?.endsAt), t('timer.pause')]), () => (!timer ? [] : [
        timer.endsAt
          ? button('timer-pause', t('timer.pause'), { dataset: { testid: 'timer-pause' } })
          : button('timer-resume', t('timer.resume'), { dataset: { testid: 'timer-resume' } }),
        button('timer-add', t('timer.addMinute'), { dataset: { testid: 'timer-add' }, attrs: { 'aria-label': t('timer.addMinuteLabel') } }),
        button('timer-stop', t('timer.stop'), { className: 'btn--quiet-danger', dataset: { testid: 'timer-stop' } }),
      ]));
    };
  }

  // --- Announcement -----------------------------------------------------------------------------
  function announcePanel() {
    const text = el('textarea', { id: 'announce-text', rows: 2, maxLength: 500, dataset: { testid: 'announce-text' } });
    const error = el('p', { className: 'field-error', attrs: { 'aria-live': 'polite' } });
    const form = el('form', { noValidate: true, dataset: { testid: 'announce-form' } }, [
      el('label', { htmlFor: 'announce-text', text: t('fac.announceLabel') }),
      el('p', { className: 'hint', text: t('fac.announceHint') }),
      text, error,
      el('button', { type: 'submit', className: 'btn btn--primary', text: t('fac.announceSend'), dataset: { testid: 'announce-send' } }),
    ]);
    // The message on the screens now, and "Retirer le message" to take it off all of them.
    const current = el('div', { className: 'announce-current', dataset: { testid: 'announce-current' } });
    dom.announce.append(current, form);
    current.addEventListener('click', (e) => {
      if (e.target.closest('[data-action]')?.dataset.action !== 'announcement-withdraw') return;
      send('announcement.withdraw', {});
      announce(announcer, t('fac.announceWithdrawn'));
      text.focus();
    });
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const value = text.value.trim();
      error.textContent = value ? '' : t('fac.announceEmpty');
      if (!value) { text.focus(); return; }
      send('announce', { text: value });
      text.value = '';
      announce(announcer, t('fac.announceSent'));
    });
    return () => {
      const shown = store.workshop.announcement;
      renderIfChanged(current, JSON.stringify([shown?.text ?? null, store.workshop.closed, t('fac.announceWithdraw')]), () => (!shown ? [] : [
        el('p', { className: 'announce-current__label', text: t('fac.announceCurrent') }),
        el('p', { className: 'announce-current__text', text: shown.text, dataset: { testid: 'announce-current-text' } }),
        button('announcement-withdraw', t('fac.announceWithdraw'), { className: 'btn--small', dataset: { testid: 'announcement-withdraw' } }),
      ]));
    };
  }

  // --- Follow me --------------------------------------------------------------------------------
  function followPanel() {
    const status = el('p', { className: 'follow-status', dataset: { testid: 'follow-status' } });
    const select = el('select', { id: 'follow-board', dataset: { testid: 'follow-select' } });
    const form = el('form', { className: 'inline-form', noValidate: true }, [
      el('div', { className: 'field' }, [el('label', { htmlFor: 'follow-board', text: t('fac.followBoard') }), select]),
      el('button', { type: 'submit', className: 'btn btn--primary', text: t('fac.followStart'), dataset: { testid: 'follow-start' } }),
    ]);
    const stop = button('follow-stop', t('fac.followStop'), { dataset: { testid: 'follow-stop' } });
    dom.follow.append(el('p', { className: 'hint', text: t('fac.followHint') }), status, form, stop);
    form.addEventListener('submit', (e) => { e.preventDefault(); if (select.value) send('view.focus', { board: select.value }); });
    stop.addEventListener('click', () => send('view.focus', { board: null }));
    return () => {
      const w = store.workshop;
      const focused = w.focus ? store.board(w.focus) : null;
      status.textContent = focused ? t('fac.followOn', { title: focused.title }) : t('fac.followOff');
      stop.hidden = !focused;
      renderIfChanged(select, JSON.stringify(w.boards.map((b) => [b.id, b.title])), () =>
        w.boards.map((b) => el('option', { value: b.id, text: b.title })));
    };
  }

  // --- Reveals ----------------------------------------------------------------------------------
  function revealPanel() {
    const body = el('div');
    dom.reveal.append(body);
    body.addEventListener('click', async (e) => {
      const action = e.target.closest('[data-action]')?.dataset.action;
      if (action === 'votes-close' && await confirmDialog(t('fac.closeVotesTitle'), t('fac.closeVotesConfirm', { n: store.workshop.voters ?? 0 }), t('fac.closeVotes'))) {
        send('votes.close', {});
      }
      if (action === 'votes-reveal' && await confirmDialog(t('fac.revealVotesTitle'), t('fac.revealVotesConfirm'), t('fac.revealVotes'))) {
        send('votes.reveal', {});
      }
      if (action === 'cards-reveal' && await confirmDialog(t('fac.revealCardsTitle'), t('fac.revealCardsConfirm'), t('fac.revealCards'))) {
        send('cards.reveal', {});
      }
    });
    return () => {
      const w = store.workshop;
      const revealed = Boolean(w.settings?.votesRevealed);
      const voting = Boolean(store.phase?.voting);
      const closable = voting && !revealed && !w.votesClosed && !w.closed;
      const privateCards = w.cards.filter((c) => c.private).length;
      const state = revealed ? t('fac.votesRevealed') : w.votesClosed ? t('fac.votesClosedState') : t('fac.votesSecret');
      renderIfChanged(body, JSON.stringify([revealed, voting, w.votesClosed, w.voters, privateCards, w.closed, t('fac.revealVotes')]), () => [
        el('p', { text: state, dataset: { testid: 'votes-state' } }),
        voting ? el('p', { text: votersText(w.voters ?? 0), dataset: { testid: 'votes-voters' } }) : null,
        revealed || w.closed ? null : el('div', { className: 'button-row' }, [
          closable ? button('votes-close', t('fac.closeVotes'), { dataset: { testid: 'close-votes' } }) : null,
          button('votes-reveal', t('fac.revealVotes'), { className: 'btn--primary', dataset: { testid: 'reveal-votes' } }),
        ]),
        el('p', { text: t('fac.privateCount', { n: privateCards }) }),
        privateCards && !w.closed ? button('cards-reveal', t('fac.revealCards'), { dataset: { testid: 'reveal-cards' } }) : null,
      ].filter(Boolean));
    };
  }

  // --- Settings ---------------------------------------------------------------------------------
  function settingsPanel() {
    const number = (name, max) => el('input', { type: 'number', min: name === 'voteBudget' ? 0 : 1, max, step: 1, className: 'input--short', dataset: { setting: name, testid: `setting-${name}` } });
    const check = (name) => el('input', { type: 'checkbox', id: `setting-${name}`, dataset: { setting: name, testid: `setting-${name}` } });
    const inputs = {
      voteBudget: number('voteBudget', 100), maxVotesPerCard: number('maxVotesPerCard', 100),
      privateWriting: check('privateWriting'), anonymous: check('anonymous'), facilitatorSeesAuthors: check('facilitatorSeesAuthors'),
    };
    const checkRow = (name) => el('div', { className: 'check' }, [inputs[name], el('label', { htmlFor: `setting-${name}`, text: t(`settings.${name}`) })]);
    const error = el('p', { className: 'field-error', attrs: { 'aria-live': 'polite' } });
    const form = el('form', { noValidate: true, dataset: { testid: 'settings-form' } }, [
      field('setting-voteBudget', 'settings.voteBudget', inputs.voteBudget),
      field('setting-maxVotesPerCard', 'settings.maxVotesPerCard', inputs.maxVotesPerCard),
      checkRow('privateWriting'), checkRow('anonymous'), checkRow('facilitatorSeesAuthors'),
      error,
      el('button', { type: 'submit', className: 'btn btn--primary', text: t('settings.save'), dataset: { testid: 'settings-save' } }),
    ]);
    dom.settings.append(form);
    let dirty = false;
    form.addEventListener('input', () => { dirty = true; });
    form.addEventListener('change', () => { dirty = true; });
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const s = store.workshop.settings;
      const change = {};
      for (const [name, input] of Object.entries(inputs)) {
        const value = input.type === 'checkbox' ? input.checked : Number(input.value);
        if (input.type !== 'checkbox' && (!Number.isInteger(value) || value < Number(input.min) || value > Number(input.max))) {
          error.textContent = t('settings.error', { field: t(`settings.${name}`), min: input.min, max: input.max });
          input.focus();
          return;
        }
        if (value !== s[name]) change[name] = value;
      }
      error.textContent = '';
      dirty = false;
      if (Object.keys(change).length) {
        send('settings.update', change);
        announce(announcer, t('settings.saved'));
      }
    });
    return () => {
      if (dirty) return; // never overwrite what the facilitator is typing
      const s = store.workshop.settings;
      for (const [name, input] of Object.entries(inputs)) {
        if (input.type === 'checkbox') input.checked = Boolean(s[name]); else input.value = String(s[name] ?? '');
      }
    };
  }
}
