// Service worker: keeps the participant pages usable when the network (or the server) is down,
// so a reload on a flaky connection still shows the board and the cards waiting to be sent.
// Network first: when the server answers, its files are used (and the copy refreshed); the cached
// copy is only a fallback. The WebSocket, the API and the facilitator page are never cached.

const CACHE = 'atelier-shell-v5';
const SHELL = [
  './', 'index.html', 'join.html', 'css/atelier.css', 'css/projects.css',
  'js/i18n.js', 'js/socket.js', 'js/store.js', 'js/store-apply.js', 'js/dom.js', 'js/board.js', 'js/card-view.js',
  'js/ui.js', 'js/dialog.js', 'js/timer.js', 'js/clusters.js', 'js/follow.js', 'js/project-form.js',
  'js/project-editor.js', 'js/projects.js', 'js/sheet-view.js', 'js/receipt.js', 'js/menu.js', 'js/participant.js', 'js/join.js', 'js/home.js',
  'accessibilite.html', 'js/statement.js',
];
// The console, the projector view, the organiser's page and their modules are never cached: the facilitator is online by definition.
const NEVER = ['/ws', '/api/', '/healthz', '/facilitator.html', '/js/facilitator.js', '/js/console-', '/projector.html',
  '/js/projector', '/js/credentials.js', '/css/projector.css', '/organiser.html', '/js/organiser.js', '/css/organiser.css'];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((n) => n !== CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (NEVER.some((prefix) => url.pathname.startsWith(prefix))) return;
  event.respondWith(
    fetch(request)
      .then((response) => {
        if (response.ok) {
          const copy = response.clone();
          caches.open(CACHE).then((cache) => cache.put(url.pathname, copy));
        }
        return response;
      })
      .catch(() => caches.match(url.pathname).then((cached) => cached ?? Response.error())),
  );
});
