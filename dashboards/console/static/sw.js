// The app shell for the installed crew app: the console's own files are kept
// in a cache so the app opens without a network; pages are fetched fresh when
// the network is there (network first), so a deploy shows at the next start.
// The API (/api/…, /console/api/…) is never cached here: case data lives in
// the page's own copy and the crew queue (crew-queue.js).
const CACHE = 'tz-shell-v1';
const SHELL = [
  '/console/', '/console/index.html', '/console/style.css', '/console/app.js', '/console/i18n.js', '/console/chart.js', '/console/crew-queue.js',
  '/console/manifest.webmanifest', '/console/icons/icon.svg', '/console/icons/icon-192.png', '/console/locales/zh-CN.json', '/console/locales/en.json',
  '/console/pages/signin.js', '/console/pages/crew.js', '/console/pages/labels.js', '/console/pages/alarms.js', '/console/pages/cases.js',
  '/console/pages/device.js', '/console/pages/kpis.js', '/console/pages/map.js', '/console/pages/rules.js', '/console/pages/silences.js',
  '/console/pages/device-commands.js', '/console/pages/inspector.js',
  '/console/vendor/leaflet/leaflet-src.esm.js', '/console/vendor/leaflet/leaflet.css', '/console/vendor/uplot/uPlot.esm.js', '/console/vendor/uplot/uPlot.min.css',
];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys().then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k)))).then(() => self.clients.claim()));
});

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (!url.pathname.startsWith('/console/') || url.pathname.startsWith('/console/api/')) return;
  event.respondWith(fetch(event.request).then((res) => {
    if (res.ok) {
      const copy = res.clone();
      caches.open(CACHE).then((cache) => cache.put(event.request, copy));
    }
    return res;
  }).catch(() => caches.match(event.request, { ignoreSearch: true }).then((hit) => hit ?? Response.error())));
});
