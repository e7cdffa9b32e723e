// /ioc: the hazard layer — hazard sources in the caller's scope (coloured by class, filtered by class) and the
// active IoT alarms on them (pulsing by severity), with the alarm list and its cases — and the crowd heat layer
// (button 人流热力: crowd counters' latest densities, leaflet.heat, or circles without it). Reads /api/hazards.
// The same layer serves the grid worker's phone map (/grid, tab 本网格): a page announces its map with the event
// gg:ioc-map or gg:hazard-map and carries whichever controls it wants (#btn-hazards, #hz-class, #hz-risk,
// #btn-crowd, #hz-alarms / #hz-count); the missing ones are skipped.
(function () {
  "use strict";
  const { $, esc, api } = GG;
  const SEV = { warning: "#1677ff", minor: "#faad14", major: "#fa541c", critical: "#cf1322" };
  const REFRESH_MS = 15000;
  const st = { map: null, layer: null, renderer: null, on: true, klass: "", risk: "", crowd: false, crowdLayer: null };
  const on = (sel, type, fn) => $(sel) && $(sel).addEventListener(type, fn);

  function draw(sources, alarms) {
    if (!st.layer) return;
    st.layer.clearLayers();
    if (!st.on) return;
    const hot = {};
    alarms.forEach((a) => {
      hot[a.source_code] = hot[a.source_code] && SEV_RANK(hot[a.source_code]) > SEV_RANK(a.severity) ? hot[a.source_code] : a.severity;
    });
    sources.forEach((s) => {
      if (s.lat === null || s.lon === null) return;
      const sev = hot[s.code];
      const marker = L.circleMarker([s.lat, s.lon], {
        radius: sev ? 9 : 5,
        color: sev ? SEV[sev] : s.color,
        weight: sev ? 3 : 1.5,
        fillColor: s.color,
        fillOpacity: sev ? 0.85 : 0.55,
        className: sev ? "hz-alarm hz-" + sev : "hz-source",
        renderer: st.renderer, // SVG (the map draws on canvas): each marker is an element with its class
      });
      const contacts = s.contacts.map((c) => esc(c.role) + " " + esc(c.name) + " " + esc(c.phone)).join("<br>");
      marker.bindPopup(
        "<b>" + esc(s.name) + "</b><br>" + esc(s.class_name) + " · " + esc(s.risk_label) +
        "<br>责任单位：" + esc(s.responsible_unit) + "<br>设备 " + s.devices + "（在线 " + s.devices_online + "）" +
        (s.active_alarms ? "<br><b style='color:" + SEV[sev] + "'>活动告警 " + s.active_alarms + "</b>" : "") +
        (contacts ? "<br>" + contacts : "")
      );
      marker.addTo(st.layer);
    });
  }

  function SEV_RANK(s) {
    return ["warning", "minor", "major", "critical"].indexOf(s);
  }

  function list(alarms) {
    if (!$("#hz-alarms")) return;
    if ($("#hz-count")) $("#hz-count").textContent = alarms.length ? "（" + alarms.length + " 条）" : "";
    $("#hz-alarms").innerHTML = alarms.length
      ? alarms
          .slice(0, 40)
          .map(
            (a) =>
              "<li data-lat='" + (a.lat ?? "") + "' data-lon='" + (a.lon ?? "") + "'><span class='tag' style='white-space:nowrap;background:" + SEV[a.severity] + "'>" +
              esc(a.severity_label) + "</span> " + esc(a.source_name) + "：" + esc(a.alarm_type) +
              "<br><span class='muted small'>" + esc(a.street || "") + " · " + esc(a.status_label) + " · " + GG.fmtTime(a.started_at) +
              (a.case_number ? " · 事件 " + esc(a.case_number) : "") + "</span></li>"
          )
          .join("")
      : "<li class='muted'>暂无活动告警</li>";
  }

  async function drawCrowd() {
    if (!st.map) return;
    if (st.crowdLayer) {
      st.map.removeLayer(st.crowdLayer);
      st.crowdLayer = null;
    }
    if (!st.crowd) return;
    const heat = await api("/api/hazards/crowd-heat");
    const pts = heat.points;
    if (L.heatLayer) {
      st.crowdLayer = L.heatLayer(pts.map((p) => [p.lat, p.lon, p.intensity]), { radius: 35, blur: 25, minOpacity: 0.35, max: 1 });
    } else {
      st.crowdLayer = L.layerGroup(pts.map((p) => L.circleMarker([p.lat, p.lon], { radius: 6 + 14 * p.intensity, color: "#13c2c2", fillOpacity: 0.4 })));
    }
    st.crowdLayer.addTo(st.map);
    if ($("#btn-crowd")) $("#btn-crowd").title = pts.length + " 个客流监测点" + (heat.scale ? "（密度 " + heat.scale + " 人/㎡ 为最高强度）" : "");
  }

  async function refresh() {
    drawCrowd().catch((e) => GG.toast("人流热力加载失败：" + e.message, "warn"));
    try {
      const params = {};
      if (st.klass) params.class_code = st.klass;
      if (st.risk) params.risk_level = st.risk;
      const [sources, alarms] = await Promise.all([api("/api/hazards/sources", { params }), api("/api/hazards/alarms")]);
      const shown = new Set(sources.map((s) => s.code));
      const mine = alarms.filter((a) => (!st.klass && !st.risk) || shown.has(a.source_code));
      draw(sources, mine);
      list(mine);
    } catch (e) {
      if ($("#hz-alarms")) $("#hz-alarms").innerHTML = "<li class='muted'>物联告警加载失败：" + esc(e.message) + "</li>";
    }
  }

  async function classes() {
    if (!$("#hz-class")) return;
    try {
      const data = await api("/api/hazards/classes");
      $("#hz-class").innerHTML += data.classes.map((c) => "<option value='" + esc(c.code) + "'>" + esc(c.name) + "</option>").join("");
    } catch (e) {
      /* the filter stays at 全部 */
    }
  }

  function attach(ev) {
    if (st.map) return;
    st.map = ev.detail;
    st.renderer = L.svg();
    st.layer = L.layerGroup().addTo(st.map);
    refresh();
    setInterval(() => !document.hidden && refresh(), REFRESH_MS);
  }
  document.addEventListener("gg:ioc-map", attach);
  document.addEventListener("gg:hazard-map", attach);
  document.addEventListener("DOMContentLoaded", () => {
    classes();
    on("#btn-hazards", "click", (e) => {
      st.on = !st.on;
      e.target.classList.toggle("active", st.on);
      refresh();
    });
    on("#btn-crowd", "click", (e) => {
      st.crowd = !st.crowd;
      e.target.classList.toggle("active", st.crowd);
      drawCrowd().catch((x) => GG.toast("人流热力加载失败：" + x.message, "warn"));
    });
    on("#hz-class", "change", (e) => {
      st.klass = e.target.value;
      refresh();
    });
    on("#hz-risk", "change", (e) => {
      st.risk = e.target.value;
      refresh();
    });
    on("#hz-alarms", "click", (e) => {
      const li = e.target.closest("li[data-lat]");
      if (li && st.map && li.dataset.lat) st.map.setView([Number(li.dataset.lat), Number(li.dataset.lon)], 16);
    });
    if (!window.L && $("#hz-alarms")) refresh();
  });
})();
