/* fengqiao phone app service worker (Workbox from npm, served from our own static files). */
importScripts("{{ workbox }}");
workbox.setConfig({ modulePathPrefix: "{{ workbox_dir }}", debug: false });
var SHELL = [{% for u in shell %}"{{ u }}"{% if not forloop.last %}, {% endif %}{% endfor %}];
var PAGES = "fq-pages-v1";
// The visit forms of the worker's key persons (/m/visits/<id>/): kept when a page asks for them
// (今日's visits due, 我的网格's key persons), so that a visit is recorded without signal.
var VISITS = "{{ visits_prefix }}";
function isVisitForm(path) {
  return path.indexOf(VISITS) === 0 && /^\d+\/$/.test(path.slice(VISITS.length));
}
// The release: the hash of the precached files' contents. A new release changes these bytes,
// so the browser installs this worker anew; it precaches into its own cache and drops the old.
var RELEASE = "{{ release }}";
var STATIC = "fq-static-" + RELEASE;
var OTHER = "fq-static-other";
var PRECACHE = {{ precache }};
var PRECACHED = PRECACHE.map(function (f) { return f.url; });
var STATIC_PREFIX = "{{ static_prefix }}";
var strategies = workbox.strategies;
var routing = workbox.routing;
var expiration = workbox.expiration;

// One after the other (a poor network carries one file at a time anyway), each bounded: a poor
// network must not keep the worker from installing.
function fill(cacheName, urls, init, missingOnly) {
  return caches.open(cacheName).then(function (cache) {
    return urls.reduce(function (done, url) {
      return done.then(function () {
        return missingOnly ? cache.match(url, { ignoreVary: true }) : null;
      }).then(function (found) {
        if (found) return null;
        var abort = new AbortController();
        var timer = setTimeout(function () { abort.abort(); }, 8000);
        return fetch(url, Object.assign({ signal: abort.signal }, init)).then(function (r) {
          clearTimeout(timer);
          if (r.ok && r.type === "basic") return cache.put(url, r);
        }).catch(function () {});
      });
    }, Promise.resolve());
  });
}

// The app shell, my grid's data and this release's static files, fetched at install so that
// they open without signal. Pages are not followed: one that sends a visitor to the login page
// is not cached. Static files bypass the HTTP cache: the release's bytes, not an older copy.
self.addEventListener("install", function (event) {
  event.waitUntil(
    fill(PAGES, SHELL, { credentials: "same-origin", redirect: "manual" })
      .then(function () { return fill(STATIC, PRECACHED, { cache: "reload" }); })
      .then(function () { return self.skipWaiting(); })
  );
});
// The previous releases' static caches go once this worker takes over.
self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) {
      return k.indexOf("fq-static-") === 0 && k !== STATIC && k !== OTHER;
    }).map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

// A page names the visit forms to keep: those not cached yet are fetched (one at a time, not
// followed if they redirect) into the pages' cache; the network-first route refreshes them.
self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type !== "keep-visit-forms" || !Array.isArray(data.urls)) return;
  var urls = data.urls.map(function (u) {
    try { return new URL(u, self.location.origin); } catch (e) { return null; }
  }).filter(function (u) {
    return u && u.origin === self.location.origin && isVisitForm(u.pathname);
  }).map(function (u) { return u.pathname; }).slice(0, 200);
  if (urls.length) event.waitUntil(fill(PAGES, urls, { credentials: "same-origin", redirect: "manual" }, true));
});

// Pages and data: the network first (fresh tasks), the cached copy when there is no signal.
routing.registerRoute(function (ctx) {
  return ctx.url.origin === self.location.origin && ctx.request.method === "GET" &&
    (ctx.request.mode === "navigate" || ctx.url.pathname.endsWith("data.json")) &&
    (SHELL.indexOf(ctx.url.pathname) >= 0 || isVisitForm(ctx.url.pathname));
  // ignoreVary: the install fetch and a navigation differ in headers (Accept-Language) only;
  // ignoreSearch: a page opened with a query (report?address=…) opens from the cached page.
}, new strategies.NetworkFirst({ cacheName: PAGES, networkTimeoutSeconds: 5, matchOptions: { ignoreVary: true, ignoreSearch: true } }));

// This release's static files: from its cache (what is not there yet is fetched and kept).
routing.registerRoute(function (ctx) {
  return ctx.url.origin === self.location.origin && PRECACHED.indexOf(ctx.url.pathname) >= 0;
}, new strategies.CacheFirst({ cacheName: STATIC }));

// Other static files (Leaflet's images, …): the cached copy at once, refreshed behind it, so a
// new release's file is used from the next load on.
routing.registerRoute(function (ctx) {
  return ctx.url.origin === self.location.origin && ctx.url.pathname.indexOf(STATIC_PREFIX) === 0;
}, new strategies.StaleWhileRevalidate({
  cacheName: OTHER,
  plugins: [new expiration.ExpirationPlugin({ maxEntries: 80, maxAgeSeconds: 7 * 24 * 3600 })],
}));
