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
    // One after the other: a poor network carries one page at a time anyway.
    return SHELL.reduce(function (done, url) {
      return done.then(function () {
        // Not followed: a page that sends a visitor to the login page is not cached. Bounded:
        // a poor network must not keep the worker from installing.
        var abort = new AbortController();
        var timer = setTimeout(function () { abort.abort(); }, 8000);
        return fetch(url, { credentials: "same-origin", redirect: "manual", signal: abort.signal }).then(function (r) {
          clearTimeout(timer);
          if (r.ok && r.type === "basic") return cache.put(url, r);
        }).catch(function () {});
      });
    }, Promise.resolve());
  }).then(function () { return self.skipWaiting(); }));
});
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

// Pages and data: the network first (fresh tasks), the cached copy when there is no signal.
routing.registerRoute(function (ctx) {
  return ctx.url.origin === self.location.origin && ctx.request.method === "GET" &&
    (ctx.request.mode === "navigate" || ctx.url.pathname.endsWith("data.json")) &&
    SHELL.indexOf(ctx.url.pathname) >= 0;
  // ignoreVary: the install fetch and a navigation differ in headers (Accept-Language) only;
  // ignoreSearch: a page opened with a query (report?address=…) opens from the cached page.
}, new strategies.NetworkFirst({ cacheName: PAGES, networkTimeoutSeconds: 5, matchOptions: { ignoreVary: true, ignoreSearch: true } }));

// Static files (scripts, styles, Leaflet): from the cache, kept a day (names are not hashed).
routing.registerRoute(function (ctx) {
  return ctx.url.origin === self.location.origin && ctx.url.pathname.indexOf(STATIC_PREFIX) === 0;
}, new strategies.CacheFirst({
  cacheName: STATIC,
  plugins: [new expiration.ExpirationPlugin({ maxEntries: 80, maxAgeSeconds: 24 * 3600 })],
}));
