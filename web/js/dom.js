// Tiny DOM helpers shared by every view. User text only ever goes through textContent (`text`).

/**
 * Creates an element.
 * @param {string} tag
 * @param {object} [props] `className`, `text` (textContent), `dataset`, `attrs`, other properties
 * @param {(Node|null|undefined|false)[]} [children]
 * @returns {HTMLElement}
 */
export function el(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  const { className, text, dataset, attrs, ...rest } = props;
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  if (dataset) Object.assign(node.dataset, dataset);
  if (attrs) for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined && v !== false) node.setAttribute(k, v);
  Object.assign(node, rest);
  for (const child of children) if (child) node.append(child);
  return node;
}

/** @returns {string} a string safe inside an element id. */
export function domId(...parts) {
  return parts.join('-').replace(/[^A-Za-z0-9_-]/g, '_');
}

/**
 * A button with a `data-action`.
 * @param {string} action
 * @param {string} label
 * @param {object} [props] extra props (className appended, dataset merged)
 * @returns {HTMLButtonElement}
 */
export function button(action, label, props = {}) {
  const { className = '', dataset = {}, ...rest } = props;
  return el('button', {
    type: 'button', className: `btn ${className}`.trim(), text: label,
    dataset: { action, ...dataset }, ...rest,
  });
}

/**
 * Replaces a container's children only when `sig` changed since the last call (keeps focus and
 * drafts in forms that did not change).
 * @param {HTMLElement} node
 * @param {string} sig
 * @param {() => Node[]} build
 */
export function renderIfChanged(node, sig, build) {
  if (node.dataset.sig === sig) return;
  node.dataset.sig = sig;
  // Focus inside goes back to the same control if it is still there, else to the first one
  // (e.g. "Mettre en pause" becomes "Reprendre" under the keyboard user's focus).
  const focused = node.contains(document.activeElement) ? document.activeElement : null;
  const testid = focused?.dataset?.testid;
  node.replaceChildren(...build());
  if (!focused) return;
  const same = testid ? node.querySelector(`[data-testid="${CSS.escape(testid)}"]`) : null;
  (same ?? node.querySelector('button, a[href], input, select, textarea'))?.focus();
}

/**
 * Moves focus to the first match once the current render has settled.
 * @param {ParentNode} root
 * @param {string} selector
 */
export function focusSoon(root, selector) {
  queueMicrotask(() => queueMicrotask(() => root.querySelector(selector)?.focus()));
}
