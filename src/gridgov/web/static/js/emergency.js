/* IOC emergency view (应急视图): when a 重特大 case is open in the screen's area the IOC switches to its area — the
 * case on a map with its grid and the open cases within 1.5 km, the grid workers of its grid and the grids
 * around it, its timeline (steps, alerts, acknowledgements) and the grid-to-leader time — with a way back to the
 * normal view. A case the viewer went back from is not switched to again (this browser tab remembers it). */
(function () {
  "use strict";
  const { $, esc, api } = GG;
  const POLL_MS = 15000;
  const params = new URLSearchParams(location.search);
  const SEEN_KEY = "gg.emergency.dismissed";
  const state = { current: null, map: null, layer: null, listed: [], seen: new Set(JSON.parse(sessionStorage.getItem(SEEN_KEY) || "[]")) };

  function duration(s) {
    if (s === null || s === undefined) return "尚无领导确认";
    const m = Math.floor(s / 60);
    return m >= 60 ? `${Math.floor(m / 60)} 小时 ${m % 60} 分` : `${m} 分 ${Math.round(s % 60)} 秒`;
  }

  function renderBanner(cases) {
    const banner = $("#emergency-banner");
    banner.hidden = cases.length === 0 || state.current !== null;
    banner.innerHTML = cases.length
      ? `<b>重特大事件 ${cases.length} 起</b> ` +
        cases.map((c) => `<button type="button" class="btn small danger" data-open="${c.id}">${esc(c.number || "")} ${esc(c.title)}</button>`).join(" ")
      : "";
  }

  async function open(id) {
    const data = await api(`/api/dashboard/emergency/${id}`, { params: { division_code: params.get("division_code") } });
    state.current = id;
    document.body.classList.add("emergency-on");
    $("#emergency-banner").hidden = true;
    const view = $("#emergency");
    view.hidden = false;
    const c = data.case;
    $("#em-case").innerHTML =
      `<div class="em-title">${esc(c.title)}</div>` +
      `<div class="muted">${esc(c.number || "")} · ${esc(c.category || "未分类")} · ${esc(c.status_label)}</div>` +
      `<div>网格：${esc(c.grid_name || "未定位")}</div><div>上报：${GG.fmtTime(c.reported_at)}</div>` +
      `<div class="em-figure"><span>网格到领导</span><b id="em-g2l">${duration(c.grid_to_leader_seconds)}</b></div>` +
      `<div>告警确认：${c.alerts_acknowledged} / ${c.alerts_total}</div>`;
    $("#em-workers").innerHTML =
      data.grid_workers.map((w) => `<li>${esc(w.name)} <span class="muted small">${esc(w.grid_name)}${w.own_grid ? "（本网格）" : ""}</span></li>`).join("") ||
      '<li class="muted">无</li>';
    $("#em-nearby").innerHTML =
      data.nearby.map((n) => `<li>${esc(n.title)} <span class="muted small">${n.metres} 米 · ${esc(n.status_label)}</span></li>`).join("") ||
      '<li class="muted">周边 1.5 公里内无在办事件</li>';
    $("#em-timeline").innerHTML = data.timeline
      .map((t) => `<li class="tl-${t.kind}"><span class="muted small">${GG.fmtTime(t.at)}</span> <b>${esc(t.label)}</b> ${esc(t.who || "")}${t.note ? ` <span class="muted">${esc(t.note)}</span>` : ""}</li>`)
      .join("");
    await drawMap(data);
  }

  async function drawMap(data) {
    if (!state.map) {
      state.map = await GG.makeMap($("#em-map"));
      if (!state.map) return;
    }
    state.map.invalidateSize();
    if (state.layer) state.layer.remove();
    state.layer = L.layerGroup().addTo(state.map);
    const c = data.case;
    if (data.grid_geometry) L.geoJSON(data.grid_geometry, { style: { color: "#ff4d4f", weight: 2, fillOpacity: 0.08 } }).addTo(state.layer);
    data.nearby.forEach((n) =>
      L.circleMarker([n.lat, n.lon], { radius: 6, color: n.urgency === "major" ? "#cf1322" : "#fadb14", fillOpacity: 0.8 })
        .bindTooltip(`${n.title}（${n.metres} 米）`)
        .addTo(state.layer)
    );
    if (c.lat !== null && c.lon !== null) {
      L.circle([c.lat, c.lon], { radius: 1500, color: "#ff7875", weight: 1, dashArray: "4 4", fill: false }).addTo(state.layer);
      L.circleMarker([c.lat, c.lon], { radius: 11, color: "#fff", weight: 2, fillColor: "#cf1322", fillOpacity: 1 })
        .bindTooltip(c.title, { permanent: true, direction: "top", className: "em-label" })
        .addTo(state.layer);
      state.map.setView([c.lat, c.lon], 15);
    } else if (data.grid_geometry) {
      state.map.fitBounds(L.geoJSON(data.grid_geometry).getBounds());
    }
  }

  function close() {
    // back to the normal view for every case open now (the banner keeps counting them); only a new one reopens it
    if (state.current !== null) state.seen.add(state.current);
    state.listed.forEach((id) => state.seen.add(id));
    sessionStorage.setItem(SEEN_KEY, JSON.stringify([...state.seen]));
    state.current = null;
    $("#emergency").hidden = true;
    document.body.classList.remove("emergency-on");
    document.dispatchEvent(new CustomEvent("gg:emergency-closed"));  // ioc.js sizes its map and charts again
    poll();
  }

  async function poll() {
    let cases = [];
    try {
      cases = await api("/api/dashboard/emergency", { params: { division_code: params.get("division_code") } });
    } catch (e) {
      return;
    }
    renderBanner(cases);
    state.listed = cases.map((c) => c.id);
    if (state.current !== null) {
      if (!cases.some((c) => c.id === state.current)) close();
      else open(state.current).catch(() => {});
      return;
    }
    const fresh = cases.find((c) => !state.seen.has(c.id));
    if (fresh) open(fresh.id).catch((e) => GG.showError(e));
  }

  GG.emergencyView = function () {
    $("#emergency-back").addEventListener("click", close);
    $("#emergency-banner").addEventListener("click", (e) => {
      const b = e.target.closest("button[data-open]");
      if (b) open(Number(b.dataset.open)).catch((err) => GG.showError(err));
    });
    poll();
    setInterval(poll, POLL_MS);
  };
})();
