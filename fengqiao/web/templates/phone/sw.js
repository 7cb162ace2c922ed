/* fengqiao phone app service worker (Workbox from npm, served from our own static files). */
importScripts("{{ workbox }}");
workbox.setConfig({ modulePathPrefix: "{{ workbox_dir }}", debug: false });
var SHELL = [{% for u in shell %}"{{ u }}"{% if not forloop.last %}, {% endif %}{% endfor %}];
var PAGES = "fq-pages-v1";
var STATIC = "fq-static-v1";
var STATIC_PREFIX = "{{ static_prefix }}";
var strategies = workbox.strategies;
var routing = workbox.routing;
var expiration = workbox.expiration;

// The app shell and my grid's data, fetched once at install so that they open without signal.
self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(PAGES).then(function (cache) {
    return Promise.all(SHELL.map(function (url) {
      return fetch(url, { credentials: "same-origin" }).then(function (r) {
        if (r.ok && !r.redirected) return cache.put(url, r);
      }).catch(function () {});
    }));
  }).then(function () { return self.skipWaiting(); }));
});
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

// Pages and data: the network first (fresh tasks), the cached copy when there is no signal.
routing.registerRoute(function (ctx) {
  return ctx.url.origin === self.location.origin && ctx.request.method === "GET" &&
    (ctx.request.mode === "navigate" || ctx.url.pathname.endsWith("data.json")) &&
    SHELL.indexOf(ctx.url.pathname) >= 0;
}, new strategies.NetworkFirst({ cacheName: PAGES, networkTimeoutSeconds: 5 }));

// Static files (scripts, styles, Leaflet): from the cache, kept a day (names are not hashed).
routing.registerRoute(function (ctx) {
  return ctx.url.origin === self.location.origin && ctx.url.pathname.indexOf(STATIC_PREFIX) === 0;
}, new strategies.CacheFirst({
  cacheName: STATIC,
  plugins: [new expiration.ExpirationPlugin({ maxEntries: 80, maxAgeSeconds: 24 * 3600 })],
}));
