// A menu button (WAI-ARIA "menu button" pattern): one button that opens a short list of actions.
// Used where a row of buttons would be too heavy: a card's actions on the board, a person's
// actions in the console. The items are ordinary buttons with a `data-action`, so the page's own
// click handling (delegated on its container) runs them; this module only opens, closes and moves
// the focus:
// - Enter, Space or ↓ on the button opens the menu on its first item (↑: on its last);
// - ↑ ↓ Home End move between items; Escape closes and gives the focus back to the button; Tab
//   closes; choosing an item or clicking elsewhere closes.
// Which menu is open is remembered by key, so a menu re-rendered by a live update stays open.

import { el } from './dom.js';

let openKey = null;
let installed = false;

/**
 * @param {object} spec
 * @param {string} spec.key unique on the page (e.g. `card:c_12`)
 * @param {string} spec.label the button's visible text
 * @param {string} [spec.ariaLabel] the button's accessible name when the visible text is a symbol
 * @param {string} [spec.describedBy] id of what the menu is about (a card's text, a person's name)
 * @param {string} [spec.testid] the button's data-testid
 * @param {string} [spec.className] extra classes for the button
 * @param {HTMLElement[]} spec.items buttons with a data-action (menuItem() makes them)
 * @returns {HTMLElement}
 */
export function menuButton({ key, label, ariaLabel, describedBy, testid, className = '', items }) {
  install();
  const listId = `menu-${key.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  const open = openKey === key;
  const button = el('button', {
    type: 'button', className: `btn btn--small menu__button ${className}`.trim(), text: label,
    dataset: { menuKey: key, testid: testid ?? 'menu-button' },
    attrs: { 'aria-haspopup': 'menu', 'aria-expanded': String(open), 'aria-controls': listId, 'aria-label': ariaLabel ?? null, 'aria-describedby': describedBy ?? null },
  });
  const list = el('ul', { className: 'menu__list', id: listId, hidden: !open, attrs: { role: 'menu', 'aria-label': ariaLabel ?? label } },
    items.map((item) => el('li', { attrs: { role: 'none' } }, [item])));
  for (const item of items) {
    item.setAttribute('role', 'menuitem');
    item.tabIndex = -1;
    if (describedBy) item.setAttribute('aria-describedby', describedBy);
  }
  return el('div', { className: 'menu', dataset: { menu: key } }, [button, list]);
}

/**
 * A menu item.
 * @param {string} action the data-action the page handles
 * @param {string|Node[]} label text, or nodes
 * @param {{testid?: string, danger?: boolean, dataset?: object}} [options]
 * @returns {HTMLButtonElement}
 */
export function menuItem(action, label, { testid, danger = false, dataset = {} } = {}) {
  const item = el('button', {
    type: 'button', className: `menu__item${danger ? ' menu__item--danger' : ''}`,
    dataset: { action, testid: testid ?? `menu-${action}`, ...dataset },
  }, typeof label === 'string' ? [] : label);
  if (typeof label === 'string') item.textContent = label;
  return item;
}

function itemsOf(menu) {
  return [...menu.querySelectorAll('[role="menuitem"]')].filter((i) => !i.disabled);
}

function setOpen(menu, open, focus = null) {
  const button = menu.querySelector('.menu__button');
  const list = menu.querySelector('.menu__list');
  if (open) {
    for (const other of document.querySelectorAll('.menu__button[aria-expanded="true"]')) {
      if (other !== button) setOpen(other.closest('.menu'), false);
    }
  }
  button.setAttribute('aria-expanded', String(open));
  list.hidden = !open;
  openKey = open ? menu.dataset.menu : (openKey === menu.dataset.menu ? null : openKey);
  // A menu opened near the bottom of the screen comes into view whole.
  if (open) list.scrollIntoView?.({ block: 'nearest' });
  if (open && focus) {
    const items = itemsOf(menu);
    (focus === 'last' ? items[items.length - 1] : items[0])?.focus();
  }
}

/** Closes every open menu; the focus goes back to its button when it was inside. */
export function closeMenus({ restoreFocus = false } = {}) {
  for (const button of document.querySelectorAll('.menu__button[aria-expanded="true"]')) {
    const menu = button.closest('.menu');
    const inside = menu.contains(document.activeElement);
    setOpen(menu, false);
    if (restoreFocus && inside) button.focus();
  }
  openKey = null;
}

function install() {
  if (installed) return;
  installed = true;
  // Choosing an item closes its menu before the page's own handler runs (which may re-render the
  // card or the row: it must render it closed).
  document.addEventListener('click', (e) => {
    const item = e.target.closest?.('.menu [role="menuitem"]');
    if (!item) return;
    const menu = item.closest('.menu');
    menu.querySelector('.menu__button').setAttribute('aria-expanded', 'false');
    menu.querySelector('.menu__list').hidden = true;
    openKey = null;
  }, true);
  document.addEventListener('click', (e) => {
    const button = e.target.closest?.('.menu__button');
    if (button) {
      const menu = button.closest('.menu');
      setOpen(menu, button.getAttribute('aria-expanded') !== 'true', 'first');
      return;
    }
    const item = e.target.closest?.('.menu [role="menuitem"]');
    if (item) {
      // After the page's handler and its re-render: unless the action put the focus somewhere
      // (an editor, a confirmation), it goes back to the menu's button.
      const key = item.closest('.menu').dataset.menu;
      queueMicrotask(() => queueMicrotask(() => {
        const active = document.activeElement;
        if (active && active !== document.body && !active.closest('.menu__list')) return;
        document.querySelector(`.menu__button[data-menu-key="${CSS.escape(key)}"]`)?.focus();
      }));
      return;
    }
    if (!e.target.closest?.('.menu')) closeMenus();
  });
  document.addEventListener('keydown', (e) => {
    const menu = e.target.closest?.('.menu');
    if (!menu) return;
    const button = menu.querySelector('.menu__button');
    const isOpen = button.getAttribute('aria-expanded') === 'true';
    if (e.target === button) {
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        setOpen(menu, true, e.key === 'ArrowUp' ? 'last' : 'first');
      } else if (e.key === 'Escape' && isOpen) {
        e.preventDefault();
        e.stopPropagation();
        setOpen(menu, false);
      }
      return;
    }
    const items = itemsOf(menu);
    const index = items.indexOf(e.target);
    if (index < 0) return;
    let next = null;
    if (e.key === 'ArrowDown') next = items[(index + 1) % items.length];
    else if (e.key === 'ArrowUp') next = items[(index - 1 + items.length) % items.length];
    else if (e.key === 'Home') next = items[0];
    else if (e.key === 'End') next = items[items.length - 1];
    else if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      setOpen(menu, false);
      button.focus();
      return;
    } else if (e.key === 'Tab') {
      setOpen(menu, false);
      return;
    }
    if (next) { e.preventDefault(); next.focus(); }
  });
}
