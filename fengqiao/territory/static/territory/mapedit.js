/* The administrator's grid editor (territory/edit.html): Leaflet + leaflet-geoman.
   Grids of the chosen community are editable (click one, drag its corners, save); a new grid
   is drawn with the polygon tool and sent with the "new grid" form. The server validates
   (territory.services) and answers with the page again; nothing is saved from here directly.
   The outlines of the street and the community (#region-outlines) are drawn over the grids;
   "Edit on the map" makes one editable, "Draw a new outline" starts the polygon tool for it. */
(function () {
  "use strict";
  var el = document.getElementById("admin-map");
  if (!el || !window.L) return;
  var editable = (el.dataset.editable || "").split(",").filter(Boolean).map(Number);
  var map = L.map(el, { zoomControl: true });
  if (el.dataset.tileUrl) {
    L.tileLayer(el.dataset.tileUrl, { attribution: el.dataset.tileAttribution || "", maxZoom: 19 }).addTo(map);
  }
  if (map.pm && map.pm.setLang) map.pm.setLang("zh");
  var editForm = document.getElementById("grid-edit-form");
  var editBoundary = document.getElementById("grid-edit-boundary");
  var editName = document.getElementById("grid-edit-name");
  var editSave = document.getElementById("grid-edit-save");
  var newBoundary = document.getElementById("grid-new-boundary");
  var newSave = document.getElementById("grid-new-save");
  var newState = document.getElementById("grid-new-state");
  var layers = {};
  var current = null;
  var drawn = null;

  function geometry(layer) { return JSON.stringify(layer.toGeoJSON().geometry); }

  function select(id) {
    var layer = layers[id];
    if (!layer) return;
    if (current && current !== layer) {
      current.pm.disable();
      current.setStyle({ weight: 2 });
    }
    current = layer;
    layer.setStyle({ weight: 4 });
    layer.pm.enable({ allowSelfIntersection: false });
    editForm.action = editForm.dataset.actionBase.replace(/0\/$/, id + "/");
    editName.textContent = layer.feature.properties.name + "（" + layer.feature.properties.code + "）";
    editName.classList.remove("muted");
    editBoundary.value = geometry(layer);
    editSave.disabled = false;
    el.dataset.selected = String(id);
  }

  function changed(e) {
    var layer = e.layer || e.target;
    if (layer === current) editBoundary.value = geometry(layer);
  }

  // Region outlines: the street thick, its communities thin; editable ones in blue.
  var outlineData = document.getElementById("region-outlines");
  var outlineLayers = {};
  var outlineTarget = null;   // the region the polygon tool is drawing an outline for
  var outlineDrawn = {};      // region id -> layer drawn for it
  var outlineState = document.getElementById("outline-state");
  var outlines = L.geoJSON(outlineData ? JSON.parse(outlineData.textContent) : null, {
    interactive: false,
    style: function (f) {
      var street = f.properties.level === 4;
      return { color: f.properties.editable ? "#1d4ed8" : "#475467", weight: street ? 4 : 2,
               fill: false, dashArray: street ? null : "6 4" };
    },
    onEachFeature: function (f, layer) {
      layer.options.pmIgnore = !f.properties.editable;
      outlineLayers[f.id] = layer;
      layer.bindTooltip(f.properties.name, { permanent: true, direction: "center", className: "outline-label" });
    },
  });

  function outlineForm(id) { return document.querySelector('[data-outline-region="' + id + '"] .outline-form'); }
  function outlineReady(id, layer) {
    var form = outlineForm(id);
    if (!form) return;
    form.querySelector(".outline-value").value = geometry(layer);
    form.querySelector("[data-outline-save]").disabled = false;
  }
  function say(key) { if (outlineState) outlineState.textContent = outlineState.dataset[key] || ""; }

  fetch(el.dataset.geojson, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
    .then(function (data) {
      var group = L.geoJSON(data, {
        style: function (f) {
          var own = editable.indexOf(f.id) >= 0;
          return own ? { color: "#b42318", weight: 2, fillOpacity: 0.15 }
                     : { color: "#888", weight: 1, fillOpacity: 0.05, dashArray: "4 3" };
        },
        pmIgnore: false,
        onEachFeature: function (f, layer) {
          var own = editable.indexOf(f.id) >= 0;
          layer.bindTooltip(f.properties.name, { sticky: true });
          if (!own) { layer.options.pmIgnore = true; return; }
          layers[f.id] = layer;
          layer.on("click", function () { select(f.id); });
          layer.on("pm:edit pm:markerdragend pm:vertexremoved pm:vertexadded", changed);
        },
      }).addTo(map);
      outlines.addTo(map);
      map.invalidateSize();
      if (group.getLayers().length) map.fitBounds(group.getBounds(), { padding: [10, 10] });
      else if (outlines.getLayers().length) map.fitBounds(outlines.getBounds(), { padding: [10, 10] });
      else map.setView([45.77, 131.0], 13);
      map.pm.addControls({
        position: "topleft", drawMarker: false, drawCircleMarker: false, drawPolyline: false,
        drawRectangle: true, drawPolygon: true, drawCircle: false, drawText: false,
        editMode: false, dragMode: false, cutPolygon: false, removalMode: false, rotateMode: false,
      });
      // geoman puts the tool's name on the wrapper only: give each button its name too.
      el.querySelectorAll(".leaflet-buttons-control-button").forEach(function (b) {
        var title = b.parentElement && b.parentElement.getAttribute("title");
        if (title) b.setAttribute("aria-label", title);
      });
      map.on("pm:create", function (e) {
        if (outlineTarget !== null) {
          var id = outlineTarget;
          outlineTarget = null;
          if (outlineDrawn[id]) map.removeLayer(outlineDrawn[id]);
          outlineDrawn[id] = e.layer;
          e.layer.setStyle({ color: "#1d4ed8", weight: 4, fillOpacity: 0.08 });
          outlineReady(id, e.layer);
          say("drawn");
          el.dataset.outlineDrawn = String(id);
          e.layer.on("pm:edit", function () { outlineReady(id, e.layer); });
          return;
        }
        if (drawn) map.removeLayer(drawn);
        drawn = e.layer;
        newBoundary.value = geometry(drawn);
        newSave.disabled = false;
        if (newState) newState.textContent = newState.dataset.drawn || "✓";
        drawn.on("pm:edit", function () { newBoundary.value = geometry(drawn); });
      });
      el.dataset.state = "ready";
    })
    .catch(function () {
      el.dataset.state = "error";
      el.textContent = el.dataset.lError || "";
    });

  // What is sent is the polygon as it is on the map when the form is submitted.
  editForm.addEventListener("submit", function () { if (current) editBoundary.value = geometry(current); });
  document.getElementById("grid-new-form").addEventListener("submit", function () {
    if (drawn) newBoundary.value = geometry(drawn);
  });

  document.querySelectorAll("[data-outline-draw]").forEach(function (b) {
    b.addEventListener("click", function () {
      outlineTarget = Number(b.dataset.outlineDraw);
      if (map.pm) map.pm.enableDraw("Polygon", { allowSelfIntersection: false });
      say("drawing");
    });
  });
  document.querySelectorAll("[data-outline-edit]").forEach(function (b) {
    b.addEventListener("click", function () {
      var id = Number(b.dataset.outlineEdit);
      var layer = outlineLayers[id];
      if (!layer) return;
      layer.pm.enable({ allowSelfIntersection: false });
      layer.on("pm:edit pm:markerdragend pm:vertexremoved pm:vertexadded", function () { outlineReady(id, layer); });
      outlineReady(id, layer);
      map.fitBounds(layer.getBounds(), { padding: [20, 20] });
    });
  });
  document.querySelectorAll(".outline-form").forEach(function (form) {
    form.addEventListener("submit", function () {
      var id = Number(form.closest("[data-outline-region]").dataset.outlineRegion);
      var layer = outlineDrawn[id] || outlineLayers[id];
      if (layer) form.querySelector(".outline-value").value = geometry(layer);
    });
  });

  document.querySelectorAll("[data-grid]").forEach(function (b) {
    b.addEventListener("click", function () {
      var id = Number(b.dataset.grid);
      select(id);
      if (layers[id]) map.fitBounds(layers[id].getBounds(), { padding: [40, 40] });
    });
  });
})();
