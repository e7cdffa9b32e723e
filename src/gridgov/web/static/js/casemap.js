/* The case map of every workbench's case panel (its own module: /dispatch, /handler and /grid mount it the same
 * way): the case, its grid's polygon and the open cases nearby, with 导航 links (geo: URI, Amap, Baidu).
 *
 * The geometry is WGS-84. Chinese tile services draw GCJ-02 (Amap, Tencent) or BD-09 (Baidu): the setting
 * GRIDGOV_MAP_TILE_CRS names the tiles' datum and every overlay point is shifted into it with gcoord (npm, vendored)
 * — the tiles are never shifted. Without tiles the map draws the library's own base layer instead: the roads
 * (lines through their door plates) and the buildings (points) from /api/addresses/basemap. */
(function () {
  "use strict";
  const { esc, api, fmtTime } = GG;
  const OPEN = ["reported", "filed", "dispatched", "accepted", "returned", "on_hold", "handled"];
  const SLA_COLOR = { normal: "#52c41a", yellow: "#fadb14", red: "#f5222d" };
  const NEARBY_M = 500;
  const grids = new Map(); // grid code -> its division detail (boundary), fetched once per page

  function crsOf(name) {
    if (!window.gcoord) return null;
    return { gcj02: gcoord.GCJ02, bd09: gcoord.BD09, wgs84: gcoord.WGS84 }[name] || null;
  }

  /** [lon, lat] WGS-84 -> [lon, lat] in `crs` ("wgs84" | "gcj02" | "bd09"). */
  function shift(lon, lat, crs) {
    if (!crs || crs === "wgs84") return [lon, lat];
    const to = crsOf(crs);
    if (!to) return [lon, lat];
    return gcoord.transform([lon, lat], gcoord.WGS84, to);
  }

  function fixed(v) {
    return Number(v.toFixed(6));
  }

  /** 导航 links for a WGS-84 point: a geo: URI (RFC 5870, WGS-84) and the Amap/Baidu marker pages, whose
   * coordinates are converted to GCJ-02 and BD-09. */
  function navLinks(lon, lat, title) {
    const name = encodeURIComponent(title || "事件位置");
    const out = { geo: "geo:" + fixed(lat) + "," + fixed(lon) + "?q=" + fixed(lat) + "," + fixed(lon) + "(" + name + ")" };
    if (window.gcoord) {
      const g = shift(lon, lat, "gcj02");
      const b = shift(lon, lat, "bd09");
      out.amap = "https://uri.amap.com/marker?position=" + fixed(g[0]) + "," + fixed(g[1]) + "&name=" + name + "&coordinate=gaode&src=gridgov&callnative=1";
      out.baidu = "https://api.map.baidu.com/marker?location=" + fixed(b[1]) + "," + fixed(b[0]) + "&title=" + name + "&content=" + name + "&coord_type=bd09ll&output=html&src=gridgov";
    }
    return out;
  }

  function navHtml(ev) {
    const links = navLinks(ev.lon, ev.lat, ev.title);
    const a = (href, label, cls) => '<a class="btn small ' + cls + '" target="_blank" rel="noopener" href="' + esc(href) + '">' + esc(label) + "</a>";
    return (
      '<div class="nav-links" data-lon="' + esc(ev.lon) + '" data-lat="' + esc(ev.lat) + '"><span class="muted small">导航：</span>' +
      a(links.geo, "手机地图", "primary nav-geo") +
      (links.amap ? a(links.amap, "高德地图", "nav-amap") : "") +
      (links.baidu ? a(links.baidu, "百度地图", "nav-baidu") : "") +
      "</div>"
    );
  }

  async function gridDetail(code) {
    if (!code) return null;
    if (!grids.has(code)) grids.set(code, api("/api/org/divisions/" + encodeURIComponent(code)).catch(() => null));
    return grids.get(code);
  }

  function latLng(lon, lat, crs) {
    const p = shift(lon, lat, crs);
    return L.latLng(p[1], p[0]);
  }

  function drawBase(layer, base, crs) {
    base.roads.forEach((r) => {
      L.polyline(r.line.map((c) => latLng(c[0], c[1], crs)), { color: "#b8bec8", weight: 7, opacity: 0.9, interactive: false }).addTo(layer);
      L.polyline(r.line.map((c) => latLng(c[0], c[1], crs)), { color: "#ffffff", weight: 4, opacity: 1 })
        .bindTooltip(esc(r.name), { sticky: true, className: "road-label" })
        .addTo(layer);
    });
    base.buildings.forEach((b) => {
      const c = latLng(b.lon, b.lat, crs);
      const d = 0.00005; // ~5 m: a marker for the building's point (the library has no footprints)
      L.rectangle([[c.lat - d, c.lng - d], [c.lat + d, c.lng + d]], { color: "#8c8c8c", weight: 1, fillColor: "#d9d9d9", fillOpacity: 0.9 })
        .bindTooltip(esc(b.name))
        .addTo(layer);
    });
  }

  /** Mount the case map into `box` for the case `ev` (a detail from /api/events/{id}). */
  async function mount(box, ev) {
    if (!box) return null;
    const grid0 = ev.lon == null && ev.grid_code ? await gridDetail(ev.grid_code) : null;
    let at = ev;
    let approx = false;
    if (ev.lon == null || ev.lat == null) {
      if (!grid0 || !grid0.center) {
        box.innerHTML = '<h3>位置</h3><div class="msg warn small">该事件尚未定位，暂无地图。' + (ev.place_note ? esc(ev.place_note) : "") + "</div>";
        return null;
      }
      at = { title: ev.title, lon: grid0.center[0], lat: grid0.center[1] }; // no point of its own: its grid's centre
      approx = true;
    }
    box.innerHTML =
      '<h3>位置</h3><div class="case-map" role="img" aria-label="事件位置地图"></div>' + navHtml(at) +
      '<div class="map-legend muted small"></div>';
    const el = box.querySelector(".case-map");
    if (!window.L) {
      GG.vendorMessage(el, "地图组件（Leaflet）");
      return null;
    }
    const cfg = await GG.uiConfig();
    const crs = cfg.map_tile_url ? cfg.map_tile_crs || "wgs84" : "wgs84";
    const map = await GG.makeMap(el, { zoomControl: true, preferCanvas: false }); // SVG: few features, each a DOM node
    if (!map) return null;
    el.dataset.tiles = cfg.map_tile_url ? "1" : "0";
    el.dataset.crs = crs;
    const base = L.layerGroup().addTo(map);
    const over = L.layerGroup().addTo(map);
    const here = latLng(at.lon, at.lat, crs);
    map.setView(here, 17);
    const legend = approx ? ["事件无精确坐标，标注于网格中心"] : [];
    if (crs !== "wgs84" && !window.gcoord) legend.push("底图为 " + crs + " 坐标系，但坐标转换组件缺失：叠加层未纠偏");
    else if (crs !== "wgs84") legend.push("底图坐标系 " + crs.toUpperCase() + "，叠加层已纠偏");
    const [grid, nearby, basemap] = await Promise.all([
      gridDetail(ev.grid_code),
      api("/api/events", { params: { status: OPEN, near_lon: at.lon, near_lat: at.lat, near_m: NEARBY_M, limit: 100 } }).catch(() => ({ items: [] })),
      cfg.map_tile_url ? null : api("/api/addresses/basemap", { params: { lon: at.lon, lat: at.lat, radius_m: 400 } }).catch(() => null),
    ]);
    if (basemap) {
      drawBase(base, basemap, crs);
      legend.push("无在线底图：道路与建筑来自标准地址库（" + basemap.roads.length + " 条道路、" + basemap.buildings.length + " 栋建筑）");
    }
    if (grid && grid.geometry) {
      const poly = L.geoJSON(grid.geometry, {
        coordsToLatLng: (c) => latLng(c[0], c[1], crs),
        style: { color: "#1f6feb", weight: 2, dashArray: "6 4", fillOpacity: 0.05 },
      })
        .bindTooltip(esc(grid.name || ev.grid_code))
        .addTo(over);
      poly.eachLayer((l) => l.getElement && l.getElement() && l.getElement().classList.add("grid-outline"));
      legend.push("蓝色虚线：" + (grid.name || "所在网格"));
    }
    const others = (nearby.items || []).filter((o) => o.id !== ev.id && o.lon != null && o.lat != null);
    others.forEach((o) => {
      L.circleMarker(latLng(o.lon, o.lat, crs), { radius: 6, color: "#fff", weight: 1, fillColor: SLA_COLOR[o.sla_state] || "#1f6feb", fillOpacity: 0.9, className: "nearby-case" })
        .bindPopup("<b>" + esc(o.title) + "</b><br>" + esc(o.status_label) + " · " + esc(fmtTime(o.reported_at)))
        .addTo(over);
    });
    legend.push("附近 " + NEARBY_M + " 米在办事件 " + others.length + " 件");
    L.circleMarker(here, { radius: 10, color: "#f5222d", weight: 3, fillColor: "#fff", fillOpacity: 0.8, className: "this-case" })
      .bindTooltip("本事件", { permanent: false })
      .addTo(over);
    box.querySelector(".map-legend").textContent = legend.join("；");
    setTimeout(() => map.invalidateSize(), 50);
    return map;
  }

  GG.caseMap = { mount, navLinks, shift };
})();
