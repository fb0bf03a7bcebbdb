// The facilitator's credentials for a workshop: the console's and the projector's links carry
// `workshop`, `key` and `code` in the URL fragment (never sent to the server in a request line).
// They are moved to sessionStorage and the key is removed from the address bar at once, so it does
// not show on a projected screen or end up in the history; it is never logged.

import { normaliseCode } from './ui.js';

/**
 * Reads the credentials from the fragment (or, for a hand-typed link, the query string), keeps
 * them for this tab and cleans the address bar.
 * @returns {{workshop: string|null, key: string|null, code: string|null}}
 */
export function readFacilitatorCredentials() {
  const hash = new URLSearchParams(location.hash.slice(1));
  const query = new URLSearchParams(location.search);
  // The fragment is the documented form; a query string works too (it reaches the server's
  // request line, so it is dropped from the address bar as well).
  const source = hash.get('workshop') ? hash : query.get('workshop') ? query : hash;
  const workshop = source.get('workshop');
  const storageKey = workshop ? `atelier.facilitator.${workshop}` : null;
  let key = source.get('key');
  let code = source.get('code');
  let stored = false;
  try {
    if (storageKey && key) sessionStorage.setItem(storageKey, JSON.stringify({ key, code }));
    const saved = storageKey ? JSON.parse(sessionStorage.getItem(storageKey) ?? 'null') : null;
    key = key ?? saved?.key ?? null;
    code = code ?? saved?.code ?? null;
    stored = Boolean(saved?.key);
  } catch { /* no sessionStorage: the key stays in the address bar */ }
  if (workshop && source.has('key') && stored) {
    try {
      // What is not secret and says how to show the page (the projector's mode) stays.
      const kept = new URLSearchParams({ workshop });
      for (const name of ['mode', 'every']) if (hash.has(name)) kept.set(name, hash.get(name));
      history.replaceState(null, '', `${location.pathname}#${kept}`);
    } catch { /* keep it */ }
  }
  return { workshop, key, code: code ? normaliseCode(code) : null };
}
