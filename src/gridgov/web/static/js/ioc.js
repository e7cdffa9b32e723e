/* IOC 指挥大屏: KPIs for today/week/month, 30-day trend, breakdowns, rankings, warnings, hotspots and a map with
 * division boundaries, live event points and a heat layer. Drill-down (district → street → community → grid)
 * re-scopes everything through division_code. Live updates: SSE (/api/dashboard/stream), else polling.
 * When /api/dashboard is not available the page falls back to what the events API can tell. */
(function () {
  "use strict";
  const { $, $$, esc, api } = GG;
  const params = new URLSearchParams(location.search);
  const REFRESH_S = Math.max(2, Number(params.get("refresh")) || 15);
  const CHILD = { city: "district", district: "street", street: "community", community: "grid", grid: null };
  const LEVEL = { city: "市", district: "区", street: "街道", community: "社区", grid: "网格" };
  const SLA_COLOR = { normal: "#52c41a", yellow: "#fadb14", red: "#f5222d" };
  const OPEN = ["reported", "filed", "dispatched", "accepted", "returned", "on_hold", "handled"];
  const PERIOD_ZH = { today: "今日", week: "本周", month: "本月" };
  const KPIS = [
    ["reported", "上报", "n"],
    ["filed", "立案", "n"],
    ["dispatched", "派遣", "n"],
    ["handled", "处置", "n"],
    ["closed", "结案", "n"],
    ["open", "在办", "n"],
    ["closure_rate", "结案率", "pct"],
    ["on_time_rate", "按时办结率", "pct"],
    ["satisfaction", "满意度", "sat"],
    ["overdue", "超时", "n", "red"],
    ["warning", "预警", "n", "yellow"],
    ["escalated", "上报上级", "n"],
    ["first_time_right", "一次派准率", "pct"],
    ["mean_transfers", "平均转派", "dec"],
  ];

  const state = {
    trail: [], // [{code, name, level}] root first
    period: params.get("period") in PERIOD_ZH ? params.get("period") : "today",
    summaries: {},
    dashboard: true, // false: /api/dashboard missing, fallback mode
    charts: {},
    map: null,
    layers: {},
    showPoints: true,
    showHeat: false,
    mixBy: "major",
    distBy: "child",
    rankBy: "child",
    lastLive: 0,
    refreshing: false,
    pending: false,
    sse: null,
    gen: 0,
  };
  const scope = () => state.trail[state.trail.length - 1] || null;
  const code = () => (scope() ? scope().code : null);

  // --- small helpers ------------------------------------------------------------------------------------
  function fmtKpi(v, kind) {
    if (v === null || v === undefined) return "—";
    if (kind === "pct") return (Number(v) * 100).toFixed(1) + "%";
    if (kind === "sat") return Number(v).toFixed(2) + " 分";
    if (kind === "dec") return Number(v).toFixed(2) + " 次";
    return Number(v).toLocaleString("zh-CN");
  }

  function panelMsg(el, msg, kind) {
    if (!el) return;
    el.innerHTML = '<div class="' + (kind === "error" ? "msg warn" : "empty") + '">' + esc(msg) + "</div>";
  }

  function dash(path, extra) {
    return api("/api/dashboard/" + path, { params: Object.assign({ division_code: code() }, extra || {}) });
  }

  function chart(id) {
    if (!window.echarts) return null;
    if (!state.charts[id]) {
      const el = $("#" + id);
      el.innerHTML = "";
      state.charts[id] = echarts.init(el, "dark", { renderer: "canvas" });
    }
    return state.charts[id];
  }

  const AXIS = { axisLine: { lineStyle: { color: "#2a5799" } }, axisLabel: { color: "#9cc3ff" }, splitLine: { lineStyle: { color: "#12305a" } } };

  // --- KPIs ---------------------------------------------------------------------------------------------
  function renderKpiShell() {
    $("#kpis").innerHTML = KPIS.map(
      ([k, label, , tone]) =>
        '<div class="kpi" data-kpi="' + k + '"><div class="label">' + esc(label) + '</div><div class="value ' + (tone || "") + '" data-value="">—</div><div class="sub"></div></div>',
    ).join("");
  }

  function renderKpis() {
    const cur = state.summaries[state.period];
    const others = Object.keys(PERIOD_ZH).filter((p) => p !== state.period);
    if (cur && cur.from) $("#kpi-range").textContent = PERIOD_ZH[state.period] + " · " + GG.fmtTime(cur.from) + " 起";
    else $("#kpi-range").textContent = PERIOD_ZH[state.period];
    KPIS.forEach(([k, , kind]) => {
      const card = $('.kpi[data-kpi="' + k + '"]');
      if (!card) return;
      const val = cur ? cur[k] : undefined;
      const el = $(".value", card);
      const text = fmtKpi(val, kind);
      if (el.textContent !== text && el.textContent !== "—") {
        card.classList.remove("bump");
        void card.offsetWidth;
        card.classList.add("bump");
      }
      el.textContent = text;
      el.dataset.value = val === null || val === undefined ? "" : String(val);
      const sub = others
        .map((p) => (state.summaries[p] && state.summaries[p][k] !== undefined && state.summaries[p][k] !== null ? PERIOD_ZH[p] + " " + fmtKpi(state.summaries[p][k], kind) : null))
        .filter(Boolean)
        .join(" · ");
      $(".sub", card).textContent = sub;
    });
  }

  async function loadSummaries() {
    const periods = Object.keys(PERIOD_ZH);
    const res = await Promise.all(periods.map((p) => dash("summary", { period: p })));
    periods.forEach((p, i) => (state.summaries[p] = res[i]));
    const div = res[0] && res[0].division;
    if (div && (!state.trail.length || (state.trail.length === 1 && state.trail[0].code === div.code))) {
      state.trail = [{ code: div.code, name: div.name, level: div.level }];
    }
    renderKpis();
  }

  // --- charts -------------------------------------------------------------------------------------------
  function renderTrend(t) {
    const c = chart("trend-chart");
    if (!c) return;
    c.setOption(
      {
        backgroundColor: "transparent",
        tooltip: { trigger: "axis" },
        legend: { data: ["上报", "结案", "超时"], textStyle: { color: "#9cc3ff" }, top: 0 },
        grid: { left: 36, right: 12, top: 28, bottom: 24 },
        xAxis: Object.assign({ type: "category", data: (t.days || []).map((d) => String(d).slice(5)) }, AXIS),
        yAxis: Object.assign({ type: "value", minInterval: 1 }, AXIS),
        series: [
          { name: "上报", type: "line", smooth: true, showSymbol: false, areaStyle: { opacity: 0.15 }, data: t.reported || [], itemStyle: { color: "#40a9ff" } },
          { name: "结案", type: "line", smooth: true, showSymbol: false, data: t.closed || [], itemStyle: { color: "#73d13d" } },
          { name: "超时", type: "bar", barMaxWidth: 6, data: t.overdue || [], itemStyle: { color: "#ff4d4f" } },
        ],
      },
      true,
    );
  }

  function renderMix(b) {
    const c = chart("mix-chart");
    if (!c) return;
    const items = (b.items || []).filter((x) => x.count > 0);
    if (!items.length) {
      c.clear();
      c.setOption({ backgroundColor: "transparent", title: { text: "暂无数据", left: "center", top: "middle", textStyle: { color: "#7d93b8", fontSize: 14 } } });
      return;
    }
    c.setOption(
      {
        backgroundColor: "transparent",
        tooltip: { trigger: "item", formatter: (p) => esc(p.name) + "：" + p.value + " 件（" + p.percent + "%）" },
        legend: { type: "scroll", orient: "vertical", right: 0, top: "middle", textStyle: { color: "#9cc3ff" }, pageTextStyle: { color: "#9cc3ff" } },
        series: [{ type: "pie", radius: ["38%", "68%"], center: ["34%", "52%"], label: { show: false }, data: items.map((x) => ({ name: x.label, value: x.count })) }],
      },
      true,
    );
  }

  function renderDist(b) {
    const c = chart("dist-chart");
    if (!c) return;
    const items = (b.items || []).slice().sort((x, y) => y.count - x.count).slice(0, 20);
    c.off("click");
    c.setOption(
      {
        backgroundColor: "transparent",
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
        legend: { data: ["事件数", "已结案"], textStyle: { color: "#9cc3ff" }, top: 0 },
        grid: { left: 40, right: 12, top: 28, bottom: 46 },
        xAxis: Object.assign({ type: "category", data: items.map((x) => x.label), axisLabel: { color: "#9cc3ff", interval: 0, rotate: items.length > 8 ? 30 : 0, width: 90, overflow: "truncate" } }, { axisLine: AXIS.axisLine }),
        yAxis: Object.assign({ type: "value", minInterval: 1 }, AXIS),
        series: [
          { name: "事件数", type: "bar", barMaxWidth: 22, data: items.map((x) => x.count), itemStyle: { color: "#1f6feb" } },
          { name: "已结案", type: "bar", barMaxWidth: 22, data: items.map((x) => x.closed), itemStyle: { color: "#36cfc9" } },
        ],
      },
      true,
    );
    if (b.by === "child") {
      c.on("click", (p) => {
        const it = items[p.dataIndex];
        if (it) drill({ code: it.key, name: it.label });
      });
    }
  }

  function renderRankings(r) {
    const items = r.items || [];
    const box = $("#rankings");
    if (!items.length) return panelMsg(box, "暂无排名数据");
    const drillable = r.by === "child" && CHILD[scope() ? scope().level : "city"];
    box.innerHTML =
      '<table class="rank"><thead><tr><th>#</th><th>名称</th><th>总数</th><th>结案率</th><th>按时率</th><th>超时</th><th>退回</th><th>得分</th></tr></thead><tbody>' +
      items
        .map(
          (x, i) =>
            '<tr class="' + (drillable ? "drill" : "") + '" data-code="' + esc(x.key) + '" data-name="' + esc(x.label) + '"><td><span class="medal m' + (i + 1) + '">' + (i + 1) + '</span></td><td class="name" title="' + esc(x.label) + '">' + esc(x.label) + "</td><td>" + fmtKpi(x.total, "n") + "</td><td>" + fmtKpi(x.closure_rate, "pct") + "</td><td>" + fmtKpi(x.on_time_rate, "pct") + "</td><td>" + fmtKpi(x.overdue, "n") + "</td><td>" + fmtKpi(x.returns, "n") + "</td><td><b>" + (x.score === null || x.score === undefined ? "—" : Number(x.score).toFixed(1)) + "</b></td></tr>",
        )
        .join("") +
      "</tbody></table>";
  }

  /** 吹哨报到: each summoned department's report-in time (median, mean), on-time rate and results. */
  function renderSummons(r) {
    const items = r.items || [];
    const box = $("#rankings");
    if (!items.length) return panelMsg(box, "本时段没有吹哨");
    const mins = (v) => (v === null || v === undefined ? "—" : Number(v).toFixed(1) + " 分");
    box.innerHTML =
      '<table class="rank" id="summons-rank"><thead><tr><th>#</th><th>部门</th><th>被吹哨</th><th>已报到</th><th title="报到用时中位数（平均见提示）">报到用时</th><th>按时率</th><th>超时未到</th></tr></thead><tbody>' +
      items
        .map(
          (x, i) =>
            '<tr><td><span class="medal m' + (i + 1) + '">' + (i + 1) + '</span></td><td class="name" title="' + esc(x.label) + '">' + esc(x.label) + "</td><td>" + fmtKpi(x.summoned, "n") + "</td><td>" + fmtKpi(x.reported_in, "n") + "</td><td title=\"平均 " + mins(x.mean_minutes) + "，已反馈结果 " + x.done + " 次\"><b>" + mins(x.median_minutes) + "</b></td><td>" + fmtKpi(x.on_time_rate, "pct") + "</td><td>" + fmtKpi(x.waiting_overdue, "n") + "</td></tr>",
        )
        .join("") +
      "</tbody></table>";
  }

  function renderWarnings(w) {
    const items = w.items || [];
    $("#warn-count").textContent = items.length ? "（" + items.length + " 件）" : "";
    const box = $("#warnings");
    if (!items.length) return panelMsg(box, "当前没有预警或超时事件");
    box.innerHTML = items
      .map((x) => {
        const color = SLA_COLOR[x.sla_state] || "#888";
        const left = GG.timeLeft(x.deadline_at);
        return (
          '<li data-lat="' + (x.lat ?? "") + '" data-lon="' + (x.lon ?? "") + '"><span class="badge' + (x.sla_state === "yellow" ? " sla-yellow" : "") + '" style="--c:' + color + '">' + (x.sla_state === "red" ? "超时" : "预警") + "</span>" +
          '<span class="t" title="' + esc(x.title) + '">' + esc(x.title) + '</span><span class="n">' + esc(x.category_name || "") + " · " + esc(left.text) + (x.escalation_count ? " · 升级" + x.escalation_count + "次" : "") + "</span></li>"
        );
      })
      .join("");
  }

  function renderHotspots(h) {
    const items = h.items || [];
    const box = $("#hotspots");
    if (!items.length) return panelMsg(box, "暂无高发网格");
    const max = Math.max(...items.map((x) => x.count), 1);
    box.innerHTML = items
      .map(
        (x, i) =>
          '<li data-lat="' + (x.lat ?? "") + '" data-lon="' + (x.lon ?? "") + '"><span class="medal m' + (i + 1) + '">' + (i + 1) + '</span><span class="t" title="' + esc(x.grid_name) + '">' + esc(x.grid_name || x.grid_code) + "</span>" +
          '<span style="flex:0 0 80px;height:6px;background:#12305a;border-radius:3px;overflow:hidden"><span style="display:block;height:100%;width:' + Math.round((x.count / max) * 100) + '%;background:linear-gradient(90deg,#1f6feb,#ff4d4f)"></span></span>' +
          '<span class="n">' + x.count + " 件 · 在办 " + x.open + "</span></li>",
      )
      .join("");
  }

  function sparkline(values) {
    const w = 64, h = 16, n = values.length, max = Math.max(...values, 1);
    if (n < 2) return '<svg class="spark" width="' + w + '" height="' + h + '"><circle cx="' + w / 2 + '" cy="' + h / 2 + '" r="2" fill="#ff9c6e"/></svg>';
    const pts = values.map((v, i) => ((i * w) / (n - 1)).toFixed(1) + "," + (h - 1 - (v / max) * (h - 2)).toFixed(1)).join(" ");
    return '<svg class="spark" width="' + w + '" height="' + h + '"><polyline points="' + pts + '" fill="none" stroke="#ff9c6e" stroke-width="1.5"/></svg>';
  }

  function renderHotIssues(h) {
    const items = h.items || [];
    const box = $("#hot-issues");
    if (!items.length) return panelMsg(box, "暂无热点诉求（同一地点、同类问题的重复报件）");
    const day = (iso) => GG.fmtTime(iso).slice(0, 5);
    box.innerHTML =
      '<table class="rank hot"><thead><tr><th>#</th><th>热点诉求</th><th>件数</th><th>人数</th><th>增长</th><th>时间</th><th>趋势</th></tr></thead><tbody>' +
      items
        .map(
          (x, i) =>
            '<tr title="' + esc(x.texts.join("\n") + "\n" + x.numbers.join("、")) + '"><td><span class="medal m' + (i + 1) + '">' + (i + 1) + "</span></td>" +
            '<td class="name">' + esc(x.texts[0] || "") + '<div class="muted small">' + esc(x.places.join("、")) + "</div></td><td><b>" + x.count + "</b></td><td>" + x.spread +
            "</td><td>" + (x.growth > 1 ? '<span style="color:#ff7875">↑' : "<span>") + Number(x.growth).toFixed(1) + "</span></td><td class=\"small\">" + esc(day(x.first)) + "–" + esc(day(x.last)) +
            "</td><td>" + sparkline(x.trend) + "</td></tr>",
        )
        .join("") +
      "</tbody></table>";
  }

  function renderRepeatPlaces(h) {
    const items = h.items || [];
    const box = $("#repeat-places");
    if (!items.length) return panelMsg(box, "暂无重复投诉地址（同一标准地址本时段 2 件以上）");
    box.innerHTML =
      '<table class="rank hot"><thead><tr><th>#</th><th>地址 / 单位</th><th>件数</th><th>人数</th><th>最多小类</th><th>最近</th></tr></thead><tbody>' +
      items
        .map(
          (x, i) =>
            '<tr title="' + esc(x.address_code) + '"><td><span class="medal m' + (i + 1) + '">' + (i + 1) + '</span></td><td class="name">' + esc(x.address) +
            '<div class="muted small">' + esc(x.entities.join("、")) + "</div></td><td><b>" + x.count + "</b></td><td>" + x.reporters + "</td><td>" +
            esc(x.top_category) + '<span class="muted small"> ×' + x.top_category_count + '</span></td><td class="small">' + esc(GG.fmtTime(x.last).slice(0, 11)) + "</td></tr>",
        )
        .join("") +
      "</tbody></table>";
  }

  // --- map ----------------------------------------------------------------------------------------------
  async function ensureMap() {
    if (state.map || !window.L) return state.map;
    // behind the emergency view (display: none) the map would have no size and Leaflet would fit it to nothing:
    // it is made when that view closes (gg:emergency-closed)
    if (!$("#ioc-map").clientWidth) return null;
    state.map = await GG.makeMap($("#ioc-map"), { zoomSnap: 0.25 });
    state.layers.divisions = L.layerGroup().addTo(state.map);
    state.layers.points = L.layerGroup().addTo(state.map);
    state.layers.heat = null;
    document.dispatchEvent(new CustomEvent("gg:ioc-map", { detail: state.map }));  // ioc_hazards.js adds its layer
    return state.map;
  }

  function renderMap(m) {
    const map = state.map;
    if (!map) return;
    state.layers.divisions.clearLayers();
    state.layers.points.clearLayers();
    if (state.layers.heat) {
      map.removeLayer(state.layers.heat);
      state.layers.heat = null;
    }
    const fc = m.divisions || { type: "FeatureCollection", features: [] };
    const feats = fc.features || [];
    const maxOpen = Math.max(1, ...feats.map((f) => (f.properties && f.properties.open) || 0));
    const labels = feats.length <= 60;
    const gj = L.geoJSON(fc, {
      style: (f) => {
        const p = f.properties || {};
        const t = (p.open || 0) / maxOpen;
        return { color: p.red ? "#ff4d4f" : "#40a9ff", weight: p.red ? 2 : 1.2, fillColor: "#1f6feb", fillOpacity: 0.06 + 0.3 * t };
      },
      onEachFeature: (f, layer) => {
        const p = f.properties || {};
        layer.bindTooltip(esc(p.name) + (labels ? "" : "<br>在办 " + (p.open || 0) + " · 超时 " + (p.red || 0)), { permanent: labels, direction: "center", className: "map-label" });
        if (!labels) layer.bindTooltip(esc(p.name) + "<br>在办 " + (p.open || 0) + " · 超时 " + (p.red || 0));
        layer.on("click", () => drill({ code: p.code, name: p.name, level: p.level }));
        layer.on("mouseover", () => layer.setStyle({ weight: 3 }));
        layer.on("mouseout", () => gj.resetStyle(layer));
      },
    }).addTo(state.layers.divisions);
    const events = (m.events || []).filter((e) => e.lat !== null && e.lat !== undefined && e.lon !== null && e.lon !== undefined);
    if (state.showPoints) {
      events.forEach((e) =>
        L.circleMarker([e.lat, e.lon], { radius: e.sla_state === "normal" ? 3.5 : 5.5, color: "#000", weight: 0.5, fillColor: SLA_COLOR[e.sla_state] || "#40a9ff", fillOpacity: 0.9 })
          .bindPopup("<b>" + esc(e.title) + "</b><br>" + esc(e.category_name || "") + "<br>" + esc(e.status || ""))
          .addTo(state.layers.points),
      );
    }
    if (state.showHeat && L.heatLayer && events.length) {
      state.layers.heat = L.heatLayer(events.map((e) => [e.lat, e.lon, e.sla_state === "red" ? 1 : 0.5]), { radius: 22, blur: 18, minOpacity: 0.3 }).addTo(map);
    }
    $("#map-note").textContent = feats.length + " 个" + (LEVEL[CHILD[scope() ? scope().level : "city"]] || "区划") + " · " + events.length + " 个在办事件点位";
    const bounds = gj.getBounds();
    if (bounds.isValid() && state.fitFor !== code()) {
      map.fitBounds(bounds, { padding: [12, 12] });
      state.fitFor = code();
    }
  }

  // --- loading ------------------------------------------------------------------------------------------
  async function section(fn, el) {
    try {
      await fn();
    } catch (e) {
      if (!el) return;
      if (state.charts[el.id]) {
        state.charts[el.id].dispose();
        delete state.charts[el.id];
      }
      panelMsg(el, "数据加载失败：" + e.message, "error");
    }
  }

  async function refreshAll() {
    if (state.refreshing) {
      state.pending = true;
      return;
    }
    state.refreshing = true;
    const gen = state.gen;
    try {
      if (!state.dashboard) return await fallback();
      try {
        await loadSummaries();
      } catch (e) {
        if (e.status === 404) {
          state.dashboard = false;
          showFallbackBanner();
          return await fallback();
        }
        throw e;
      }
      if (gen !== state.gen) return;
      renderCrumbs();
      const p = state.period;
      const childLevel = CHILD[scope() ? scope().level : "city"];
      await ensureMap();
      await Promise.all([
        section(async () => renderTrend(await dash("trend", { days: 30 })), $("#trend-chart")),
        section(async () => renderMix(await dash("breakdown", { period: p, by: state.mixBy })), $("#mix-chart")),
        section(async () => renderDist(await dash("breakdown", { period: p, by: childLevel ? state.distBy : "department" })), $("#dist-chart")),
        section(
          async () =>
            state.rankBy === "summons"
              ? renderSummons(await dash("summons-response", { period: p }))
              : renderRankings(await dash("rankings", { period: p, by: childLevel ? state.rankBy : "department" })),
          $("#rankings"),
        ),
        section(async () => renderWarnings(await dash("warnings", { limit: 30 })), $("#warnings")),
        section(async () => renderHotspots(await dash("hotspots", { period: p, limit: 10 })), $("#hotspots")),
        section(async () => renderHotIssues(await dash("hot-issues", { period: p === "today" ? "week" : p, limit: 8 })), $("#hot-issues")),
        section(async () => renderRepeatPlaces(await dash("repeat-places", { period: p === "today" ? "month" : p, limit: 8 })), $("#repeat-places")),
        section(async () => renderMap(await dash("map", { level: childLevel || "grid" })), null),
      ]);
    } catch (e) {
      GG.toast("大屏数据加载失败：" + e.message, "error");
    } finally {
      state.refreshing = false;
      if (state.pending) {
        state.pending = false;
        setTimeout(refreshAll, 200);
      }
    }
  }

  // Fallback when /api/dashboard is missing: counts from the events API, boundaries from the org API.
  function showFallbackBanner() {
    if ($("#fallback-banner")) return;
    const d = document.createElement("div");
    d.id = "fallback-banner";
    d.className = "msg warn ioc-banner";
    d.textContent = "指挥大屏统计接口（/api/dashboard）暂不可用：仅显示由事件列表得到的基础数据，趋势、排名与构成图暂缺。";
    document.body.appendChild(d);
    $("#live").textContent = "基础模式";
  }

  async function fallback() {
    if (!state.trail.length) {
      const roots = await api("/api/org/divisions");
      if (roots.length) state.trail = [{ code: roots[0].code, name: roots[0].name, level: roots[0].level }];
    }
    renderCrumbs();
    const start = new Date();
    start.setHours(0, 0, 0, 0);
    if (state.period === "week") start.setDate(start.getDate() - ((start.getDay() + 6) % 7));
    if (state.period === "month") start.setDate(1);
    const base = { division_code: code(), limit: 1, with_total: true };
    const count = async (extra) => (await api("/api/events", { params: Object.assign({}, base, extra) })).total;
    const [reported, open, overdue, warning] = await Promise.all([
      count({ reported_from: start.toISOString() }),
      count({ status: OPEN }),
      count({ status: OPEN, sla_state: "red" }),
      count({ status: OPEN, sla_state: "yellow" }),
    ]);
    state.summaries = { [state.period]: { reported, open, overdue, warning } };
    renderKpis();
    ["trend-chart", "mix-chart", "dist-chart"].forEach((id) => {
      if (!state.charts[id]) panelMsg($("#" + id), "统计接口暂不可用");
    });
    panelMsg($("#rankings"), "统计接口暂不可用");
    panelMsg($("#hotspots"), "统计接口暂不可用");
    panelMsg($("#hot-issues"), "统计接口暂不可用");
    panelMsg($("#repeat-places"), "统计接口暂不可用");
    const warn = await api("/api/events", { params: { division_code: code(), status: OPEN, sla_state: "red", limit: 30 } });
    renderWarnings({ items: warn.items });
    await ensureMap();
    if (!state.map) return;
    const childLevel = CHILD[scope() ? scope().level : "city"];
    const children = childLevel ? await api("/api/org/divisions", { params: { parent_code: code(), geometry: true, limit: 2000 } }) : [];
    const evs = await api("/api/events", { params: { division_code: code(), status: OPEN, limit: 200 } });
    renderMap({
      divisions: { type: "FeatureCollection", features: children.filter((d) => d.geometry).map((d) => ({ type: "Feature", geometry: d.geometry, properties: { code: d.code, name: d.name, level: d.level, open: 0, red: 0 } })) },
      events: evs.items.map((e) => ({ id: e.id, lon: e.lon, lat: e.lat, status: e.status_label, sla_state: e.sla_state, category_name: e.category_name, title: e.title })),
    });
  }

  // --- scope, drill-down ------------------------------------------------------------------------------
  function renderCrumbs() {
    $("#crumbs").innerHTML = state.trail
      .map((d, i) => (i ? '<span class="sep">›</span>' : "") + (i < state.trail.length - 1 ? '<a href="#" data-i="' + i + '">' + esc(d.name) + "</a>" : "<span>" + esc(d.name) + "</span>"))
      .join(" ");
    const child = CHILD[scope() ? scope().level : "city"];
    $("#dist-child-tab").textContent = child ? "按" + LEVEL[child] : "按下级区划";
    $("#rank-child-tab").textContent = child ? LEVEL[child] + "排名" : "下级区划";
    $("#dist-child-tab").disabled = $("#rank-child-tab").disabled = !child;
    $("#btn-up").disabled = state.trail.length <= 1;
  }

  function setScope(trail) {
    state.trail = trail;
    state.gen += 1;
    state.summaries = {};
    const child = CHILD[scope() ? scope().level : "city"];
    if (!child) {
      state.distBy = "department";
      if (state.rankBy !== "summons") state.rankBy = "department";
      $$("#dist-tabs button").forEach((b) => b.classList.toggle("active", b.dataset.by === "department"));
      $$("#rank-tabs button").forEach((b) => b.classList.toggle("active", b.dataset.by === state.rankBy));
    }
    const url = new URL(location.href);
    url.searchParams.set("division_code", code());
    history.replaceState(null, "", url);
    renderCrumbs();
    connectLive();
    refreshAll();
  }

  function drill(d) {
    if (!d || !d.code || d.code === code()) return;
    const cur = scope();
    const level = d.level || CHILD[cur ? cur.level : "city"];
    if (!level) return;
    setScope(state.trail.concat([{ code: d.code, name: d.name, level }]));
  }

  // --- live updates ---------------------------------------------------------------------------------
  let liveTimer = null;
  function connectLive() {
    if (state.sse) {
      state.sse.close();
      state.sse = null;
    }
    const live = $("#live");
    const a = GG.auth();
    if (!state.dashboard || !window.EventSource || !a) {
      live.textContent = state.dashboard ? "定时刷新" : "基础模式";
      live.classList.remove("on");
      return;
    }
    // the sign-in cookie goes with the EventSource request (same origin); no token in the URL
    const url = "/api/dashboard/stream?" + new URLSearchParams({ division_code: code() || "" });
    let errors = 0;
    const es = new EventSource(url);
    state.sse = es;
    es.onopen = () => {
      errors = 0;
      live.textContent = "实时";
      live.classList.add("on");
    };
    es.addEventListener("summary", (msg) => {
      state.lastLive = Date.now();
      try {
        const s = JSON.parse(msg.data);
        const p = s.period in PERIOD_ZH ? s.period : "today";
        if (!s.division || !code() || s.division.code === code()) {
          state.summaries[p] = Object.assign({}, state.summaries[p] || {}, s);
          renderKpis();
        }
      } catch (_e) {
        /* a malformed message is ignored; the poll catches up */
      }
      throttledRefresh();
    });
    es.onerror = () => {
      errors += 1;
      live.textContent = "定时刷新";
      live.classList.remove("on");
      if (errors >= 3 || es.readyState === EventSource.CLOSED) {
        es.close();
        if (state.sse === es) state.sse = null;
        // refused (an access token that ran out while the screen slept): refresh the sign-in, connect again
        if (errors < 3 && Date.now() - (state.sseRefreshAt || 0) > 60000) {
          state.sseRefreshAt = Date.now();
          GG.refresh().then(connectLive, () => {});
        }
      }
    };
  }

  let lastFull = 0;
  function throttledRefresh() {
    const gap = Math.max(REFRESH_S, 10) * 1000;
    const wait = Math.max(0, lastFull + gap - Date.now());
    clearTimeout(throttledRefresh.t);
    throttledRefresh.t = setTimeout(() => {
      lastFull = Date.now();
      refreshAll();
    }, wait);
  }

  function startPolling() {
    clearInterval(liveTimer);
    liveTimer = setInterval(() => {
      if (document.hidden) return;
      // With a live stream the panels refresh on its messages; poll only when it has been quiet.
      if (state.sse && Date.now() - state.lastLive < REFRESH_S * 2000) return;
      lastFull = Date.now();
      refreshAll();
    }, REFRESH_S * 1000);
  }

  // --- wiring ---------------------------------------------------------------------------------------
  // Panels that hold several lists (预警 | 物联告警, 高发网格 | 热点诉求 | 重复投诉地址): each tab shows its own
  // pane (data-pane = the pane's id); every pane keeps refreshing whether it is shown or not.
  function paneTabs() {
    $$(".tabs[data-panes]").forEach((bar) => {
      const buttons = [...bar.querySelectorAll("button[data-pane]")];
      bar.addEventListener("click", (e) => {
        const btn = e.target.closest("button[data-pane]");
        if (!btn) return;
        buttons.forEach((b) => {
          b.classList.toggle("active", b === btn);
          $("#" + b.dataset.pane).hidden = b !== btn;
        });
      });
    });
  }

  function tabs(id, key) {
    $("#" + id).addEventListener("click", (e) => {
      const b = e.target.closest("button[data-by]");
      if (!b || b.disabled) return;
      state[key] = b.dataset.by;
      $$("#" + id + " button").forEach((x) => x.classList.toggle("active", x === b));
      refreshAll();
    });
  }

  function clock() {
    const d = new Date();
    const pad = (n) => String(n).padStart(2, "0");
    const wk = "日一二三四五六"[d.getDay()];
    $("#clock").textContent = d.getFullYear() + "年" + (d.getMonth() + 1) + "月" + d.getDate() + "日 星期" + wk + " " + pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds());
  }

  async function main() {
    renderKpiShell();
    clock();
    setInterval(clock, 1000);
    if (!window.echarts) ["trend-chart", "mix-chart", "dist-chart"].forEach((id) => GG.vendorMessage($("#" + id), "图表组件（ECharts）"));
    if (!window.L) GG.vendorMessage($("#ioc-map"), "地图组件（Leaflet）");
    await GG.requireLogin(["leader", "admin", "dispatcher"]);
    $("#period").addEventListener("click", (e) => {
      const b = e.target.closest("button[data-period]");
      if (!b) return;
      state.period = b.dataset.period;
      $$("#period button").forEach((x) => x.classList.toggle("active", x === b));
      renderKpis();
      refreshAll();
    });
    $$("#period button").forEach((x) => x.classList.toggle("active", x.dataset.period === state.period));
    paneTabs();
    tabs("mix-tabs", "mixBy");
    tabs("dist-tabs", "distBy");
    tabs("rank-tabs", "rankBy");
    $("#crumbs").addEventListener("click", (e) => {
      const a = e.target.closest("a[data-i]");
      if (!a) return;
      e.preventDefault();
      setScope(state.trail.slice(0, Number(a.dataset.i) + 1));
    });
    $("#rankings").addEventListener("click", (e) => {
      const tr = e.target.closest("tr.drill");
      if (tr) drill({ code: tr.dataset.code, name: tr.dataset.name });
    });
    const focus = (e) => {
      const li = e.target.closest("li[data-lat]");
      if (li && state.map && li.dataset.lat) state.map.setView([Number(li.dataset.lat), Number(li.dataset.lon)], Math.max(state.map.getZoom(), 15));
    };
    $("#warnings").addEventListener("click", focus);
    $("#hotspots").addEventListener("click", focus);
    $("#btn-up").addEventListener("click", () => state.trail.length > 1 && setScope(state.trail.slice(0, -1)));
    $("#btn-points").addEventListener("click", (e) => {
      state.showPoints = !state.showPoints;
      e.target.classList.toggle("active", state.showPoints);
      refreshAll();
    });
    $("#btn-heat").addEventListener("click", (e) => {
      state.showHeat = !state.showHeat;
      e.target.classList.toggle("active", state.showHeat);
      if (state.showHeat && !(window.L && L.heatLayer)) GG.toast("热力图组件（leaflet.heat）未安装", "warn");
      refreshAll();
    });
    const relayout = () => {
      Object.values(state.charts).forEach((c) => c.resize());
      if (state.map && $("#ioc-map").clientWidth) state.map.invalidateSize();
    };
    window.addEventListener("resize", GG.debounce(relayout, 200));
    // the emergency view hides this one (display: none): the charts made meanwhile have no size, and the map was
    // not made; size the charts again and make the map
    document.addEventListener("gg:emergency-closed", () => {
      relayout();
      if (!state.map) refreshAll().catch((e) => GG.showError(e));
    });
    const start = params.get("division_code");
    if (start) state.trail = [{ code: start, name: start, level: "city" }];
    GG.alertBar($("#alert-bar"));
    GG.emergencyView();
    await refreshAll();
    connectLive();
    startPolling();
  }

  main().catch((e) => GG.showError(e));
})();
