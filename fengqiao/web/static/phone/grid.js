/* 我的网格: my grids' outlines, their places and open cases on the map, and the households with
   their members (masked) — all from one document the service worker caches for offline use. */
(function () {
  "use strict";
  var node = document.getElementById("p-map");
  if (!node) return;
  var T = node.dataset;
  var map = null;
  var visitForms = [];
  if (window.L) {
    map = L.map(node, { attributionControl: false });
    map.setView([45.78, 131.0], 13);
    if (T.tileUrl) L.tileLayer(T.tileUrl, { maxZoom: 18, subdomains: T.tileSubdomains || "abc" }).addTo(map);
  }

  function el(tag, text, cls) {
    var n = document.createElement(tag);
    if (text) n.textContent = text;
    if (cls) n.className = cls;
    return n;
  }
  function link(href, text, cls) {
    var a = el("a", text, cls);
    a.href = href;
    return a;
  }
  function empty(list, text) {
    if (!list.children.length) list.appendChild(el("li", text, "p-empty"));
  }

  function member(m) {
    var li = el("li", null, "p-member");
    li.dataset.member = m.id;
    var head = el("h4", m.name);
    if (m.relation) { head.appendChild(document.createTextNode(" ")); head.appendChild(el("span", m.relation, "p-badge")); }
    li.appendChild(head);
    li.appendChild(el("p", [m.sex, m.born ? m.born + " " + T.lBorn : "", m.kind, m.left_behind].filter(Boolean).join(" · "), "p-meta"));
    var ids = [];
    if (m.id_number) ids.push(T.lId + " " + m.id_number);
    if (m.phone) ids.push(T.lPhone + " " + m.phone);
    if (ids.length) li.appendChild(el("p", ids.join(" · "), "p-meta"));
    var actions = el("div", null, "p-actions");
    m.key.forEach(function (k) {
      var p = el("p", null, "p-card-head");
      p.appendChild(el("span", k.kind, "p-badge" + (k.state === "overdue" ? " p-bad" : "")));
      if (k.due) p.appendChild(el("span", " " + (k.state === "overdue" ? T.lOverdue : T.lDue) + " " + k.due, "p-meta"));
      li.appendChild(p);
      actions.appendChild(link(k.visit, T.lVisit, "p-btn"));
      visitForms.push(k.visit);
    });
    actions.appendChild(link(m.url, T.lRecord, "p-btn p-btn-quiet"));
    li.appendChild(actions);
    return li;
  }

  function household(h) {
    var li = el("li", null, "p-card p-household");
    li.dataset.household = h.id;
    var details = el("details");
    var summary = el("summary");
    summary.appendChild(el("span", h.address, "p-household-address"));
    summary.appendChild(el("span", [h.head, h.number, h.members.length + " " + T.lMembers].filter(Boolean).join(" · "), "p-meta"));
    details.appendChild(summary);
    var ul = el("ul", null, "p-members");
    h.members.forEach(function (m) { ul.appendChild(member(m)); });
    empty(ul, T.lNoMembers);
    details.appendChild(ul);
    var more = el("div", null, "p-actions");
    more.appendChild(link(h.report + "?address=" + encodeURIComponent(h.address), T.lReport, "p-btn p-btn-quiet"));
    details.appendChild(more);
    li.appendChild(details);
    return li;
  }

  function place(p) {
    var li = el("li", null, "p-card");
    li.dataset.place = p.id;
    var h = el("h3", p.name);
    if (p.key_place) { h.appendChild(document.createTextNode(" ")); h.appendChild(el("span", T.lKeyPlace, "p-badge p-bad")); }
    li.appendChild(h);
    li.appendChild(el("p", [p.kind, p.address, p.principal ? T.lPrincipal + " " + p.principal : ""].filter(Boolean).join(" · "), "p-meta"));
    return li;
  }

  fetch(node.dataset.url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (data) {
    if (map) {
      var layer = L.geoJSON(data, {
        style: function () { return { color: "#8f1d16", weight: 2, fillOpacity: 0.12 }; },
        pointToLayer: function (f, latlng) { return L.circleMarker(latlng, { radius: 8, color: "#0b57d0" }); },
        onEachFeature: function (f, lyr) { lyr.bindTooltip(f.properties.name); },
      }).addTo(map);
      (data.places || []).forEach(function (p) {
        if (p.lon === null || p.lat === null) return;
        L.circleMarker([p.lat, p.lon], { radius: 8, color: p.key_place ? "#b3261e" : "#1e6b34" }).bindTooltip(p.name).addTo(layer);
      });
      if (layer.getLayers().length) map.fitBounds(layer.getBounds(), { padding: [12, 12] });
    }
    var cases = document.querySelector("[data-case-list]");
    data.features.filter(function (f) { return f.properties.kind === "case"; }).forEach(function (f) {
      cases.appendChild(el("li", f.properties.number + " · " + f.properties.name + " · " + f.properties.state, "p-card"));
    });
    empty(cases, T.lNone);
    var households = data.households || [], places = data.places || [];
    var hl = document.querySelector("[data-household-list]");
    households.forEach(function (h) { hl.appendChild(household(h)); });
    empty(hl, T.lNone);
    document.querySelector("[data-household-count]").textContent = "（" + households.length + "）";
    var pl = document.querySelector("[data-place-list]");
    places.forEach(function (p) { pl.appendChild(place(p)); });
    empty(pl, T.lNone);
    document.querySelector("[data-place-count]").textContent = "（" + places.length + "）";
    if (window.FQApp) window.FQApp.keepVisitForms(visitForms);
    node.dataset.state = "ready";
    node.dataset.count = data.features.length;
  }).catch(function () { node.dataset.state = "error"; });
})();
