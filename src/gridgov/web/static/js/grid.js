/* Grid worker (phone-first): report what I see (photo, location, category with search), handle on the spot,
 * my handling tasks, my verification tasks (复核 pass/fail with photo), my block-data checks (核查, grid_checks.js),
 * my grid's open cases on a small map. */
(function () {
  "use strict";
  const { $, $$, esc, api, fmtTime } = GG;
  const CV = GG.caseView;
  const OPEN = ["reported", "filed", "dispatched", "accepted", "returned", "on_hold", "handled"];
  const SLA_COLOR = { normal: "#52c41a", yellow: "#fadb14", red: "#f5222d" };
  const state = { me: null, ch: null, majors: [], grids: [], coords: null, idem: GG.uuid(), view: "report", map: null, layers: null };

  function show(view) {
    state.view = view;
    $$("[data-view]").forEach((s) => s.classList.toggle("hidden", s.dataset.view !== view));
    $$("#nav button").forEach((b) => b.classList.toggle("active", b.dataset.nav === view));
    const loaders = { tasks: loadTasks, verify: loadVerify, checks: GG.gridChecks.load, area: loadArea, mine: loadMine };
    if (loaders[view]) loaders[view]().catch((e) => GG.toast(e.message, "error"));
    window.scrollTo(0, 0);
  }

  /** My grids ({id, code, name}) come with /api/me; the boundary and centre are fetched per grid for the map. */
  function myGrids() {
    return (state.me && state.me.grids) || [];
  }

  // --- report -------------------------------------------------------------------------------------------
  function wireReport() {
    const picker = CV.categoryPicker($("#r-cat"), state.majors, (it) => {
      if ($("#r-self").checked && !it.self_handle) GG.toast("“" + it.name + "”不允许自行处置，请正常上报", "warn");
    });
    const photos = CV.photoInput($("#r-photo"), $("#r-preview"));
    const suggest = GG.debounce(() => {
      const s = GG.suggestCategories(state.majors, $("#r-title").value + " " + $("#r-desc").value, 3);
      $("#r-suggest").innerHTML = s.map((x) => '<span class="chip" data-code="' + esc(x.item.code) + '">' + esc(x.item.name) + "</span>").join("");
    }, 300);
    $("#r-title").addEventListener("input", suggest);
    $("#r-desc").addEventListener("input", suggest);
    $("#r-suggest").addEventListener("click", (e) => {
      const c = e.target.closest(".chip");
      if (c) picker.set(picker.find(c.dataset.code));
    });
    $("#r-self").addEventListener("change", (e) => {
      $("#r-result-wrap").classList.toggle("hidden", !e.target.checked);
      $("#r-submit").textContent = e.target.checked ? "上报并完成处置" : "上报";
    });
    $("#r-locate").addEventListener("click", locate);
    $("#report-form").addEventListener("submit", async (e) => {
      e.preventDefault();
      const err = $("#r-error");
      err.textContent = "";
      const title = $("#r-title").value.trim();
      const self = $("#r-self").checked;
      const code = picker.code();
      if (!title) return (err.textContent = "请填写标题");
      if (self && !code) return (err.textContent = "自行处置需要选择事件小类");
      if (self && !$("#r-result").value.trim()) return (err.textContent = "请填写处置结果");
      const btn = $("#r-submit");
      btn.disabled = true;
      try {
        const attachments = await photos.upload();
        const body = {
          title,
          description: $("#r-desc").value.trim(),
          channel: "grid_patrol",
          category_code: code,
          address_text: $("#r-addr").value.trim(),
          attachments,
          idempotency_key: state.idem,
        };
        if (state.grids.length === 1) body.grid_code = state.grids[0].code;
        if (state.coords) Object.assign(body, state.coords, { coord_system: "wgs84" });
        if (self) body.result_note = $("#r-result").value.trim();
        const ev = await api(self ? "/api/events/self-handle" : "/api/events", { method: "POST", json: body, headers: { "Idempotency-Key": state.idem } });
        GG.toast((self ? "已上报并处置，等待复核：" : "已上报：") + (ev.number || ev.title));
        state.idem = GG.uuid();
        $("#report-form").reset();
        photos.clear();
        picker.set(null);
        $("#r-suggest").innerHTML = "";
        $("#r-result-wrap").classList.add("hidden");
        $("#r-submit").textContent = "上报";
        state.coords = null;
        $("#r-geo").textContent = "未定位（将使用本网格）";
      } catch (ex) {
        err.textContent = ex.message;
      } finally {
        btn.disabled = false;
      }
    });
  }

  function locate() {
    const line = $("#r-geo");
    if (!navigator.geolocation) {
      line.textContent = "此设备不支持定位，请填写地址描述";
      return;
    }
    line.textContent = "正在定位…";
    navigator.geolocation.getCurrentPosition(
      (pos) => {
        state.coords = { lon: Number(pos.coords.longitude.toFixed(6)), lat: Number(pos.coords.latitude.toFixed(6)) };
        line.textContent = "已定位：" + state.coords.lon + ", " + state.coords.lat + "（精度约 " + Math.round(pos.coords.accuracy) + " 米）";
      },
      (err) => {
        line.textContent = err.code === 1 ? "未获得定位授权，请填写地址描述" : "定位失败，请填写地址描述";
      },
      { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 },
    );
  }

  // --- lists ---------------------------------------------------------------------------------------------
  function itemsHtml(items, empty) {
    if (!items.length) return '<div class="empty">' + esc(empty) + "</div>";
    return items
      .map((ev) => {
        const left = ev.deadline_at && ["dispatched", "accepted"].includes(ev.status) ? GG.timeLeft(ev.deadline_at) : null;
        return (
          '<div class="item" data-id="' + ev.id + '"><div class="title">' + esc(ev.title) + "</div>" +
          '<div class="meta">' + GG.statusBadge(state.ch, ev.status, ev.status_label) + GG.slaBadge(state.ch, ev.sla_state) +
          "<span>" + esc(ev.category_name || "未分类") + "</span><span>" + esc(fmtTime(ev.reported_at)) + "</span>" +
          (left ? '<span class="' + (left.overdue ? "left-red" : "") + '">' + esc(left.text) + "</span>" : "") + "</div></div>"
        );
      })
      .join("");
  }

  function setCount(id, n) {
    const el = $(id);
    el.textContent = n;
    el.classList.toggle("hidden", !n);
  }

  async function queue() {
    const r = await api("/api/me/queue", { params: { limit: 50 } });
    const q = r.queues;
    const tasks = [].concat((q.to_accept || { items: [] }).items, (q.in_progress || { items: [] }).items);
    setCount("#n-tasks", tasks.length);
    setCount("#n-verify", (q.to_verify || { items: [] }).items.length);
    return { q, tasks };
  }

  async function loadTasks() {
    const { tasks } = await queue();
    $("#task-list").innerHTML = itemsHtml(tasks, "暂无处置任务");
    $("#task-detail").innerHTML = "";
  }

  async function loadVerify() {
    const { q } = await queue();
    $("#verify-list").innerHTML = itemsHtml((q.to_verify || { items: [] }).items, "暂无待复核事件");
    $("#verify-detail").innerHTML = "";
  }

  async function loadMine() {
    const { q } = await queue();
    $("#mine-list").innerHTML = itemsHtml((q.my_reports || { items: [] }).items, "还没有上报过事件");
  }

  async function openCase(id, where, mode) {
    const box = $(where);
    box.innerHTML = '<div class="card loading">加载中…</div>';
    const ev = await api("/api/events/" + id);
    const allowed = ev.allowed_actions || [];
    let form = "";
    if (mode === "verify" && allowed.includes("verify_pass")) {
      form =
        '<h3>现场复核</h3><label>复核意见<textarea id="v-note" placeholder="不通过时必须填写原因"></textarea></label>' +
        '<label>复核照片<input id="v-photo" type="file" accept="image/*" capture="environment" multiple></label><div class="preview" id="v-preview"></div>' +
        '<div class="row"><button type="button" class="btn ok big" id="v-pass">复核通过</button><button type="button" class="btn danger big" id="v-fail">不通过</button></div>';
    } else if (mode === "tasks") {
      if (allowed.includes("accept")) form += '<button type="button" class="btn primary block big" id="t-accept">签收</button>';
      if (allowed.includes("handle"))
        form +=
          '<h3>提交处置结果</h3><label>处置结果<textarea id="t-note"></textarea></label>' +
          '<label>处置照片<input id="t-photo" type="file" accept="image/*" capture="environment" multiple></label><div class="preview" id="t-preview"></div>' +
          '<button type="button" class="btn ok block big" id="t-handle">提交处置结果</button>';
      if (allowed.includes("return"))
        form += '<details><summary>退回（非网格职责）</summary><label>退回理由<textarea id="t-return-note"></textarea></label><button type="button" class="btn danger" id="t-return">退回</button></details>';
    } else if (mode === "mine" && allowed.includes("rate")) {
      form = '<h3>评价</h3><div class="stars" id="m-stars">' + [1, 2, 3, 4, 5].map((i) => '<button type="button" data-v="' + i + '" aria-label="' + i + ' 星">★</button>').join("") + '</div><button type="button" class="btn primary" id="m-rate">提交评价</button>';
    }
    box.innerHTML =
      '<div class="card"><h2>' + esc(ev.title) + "</h2>" + CV.summaryHtml(state.ch, ev) +
      '<section id="case-map-box" class="case-map-box"></section>' + form +
      '<div class="form-error" id="c-error" role="alert"></div></div>' +
      ((ev.summons || []).length || allowed.includes("summon") ? '<div class="card">' + GG.summons.section(ev, state.me) + "</div>" : "") +
      '<div class="card"><h3>办理记录</h3>' + CV.historyHtml(state.ch, ev.history) + "</div>";
    CV.loadPhotos(box);
    if (GG.caseMap) GG.caseMap.mount($("#case-map-box", box), ev).catch((e) => GG.showError(e, $("#case-map-box", box)));
    GG.summons.wire(box, ev, state.me, async (msg) => {
      GG.toast(msg);
      await openCase(ev.id, where, mode);
    });
    box.scrollIntoView({ behavior: "smooth", block: "start" });
    const run = async (fn, reload) => {
      $("#c-error").textContent = "";
      $$("button", box).forEach((b) => (b.disabled = true));
      try {
        GG.toast(await fn());
        await reload();
      } catch (e) {
        $("#c-error").textContent = e.message;
        $$("button", box).forEach((b) => (b.disabled = false));
      }
    };
    if ($("#v-pass")) {
      const photos = CV.photoInput($("#v-photo"), $("#v-preview"));
      const verify = (passed) => async () => {
        const note = $("#v-note").value.trim() || null;
        if (!passed && !note) throw new Error("复核不通过需要填写原因");
        await CV.act(ev.id, "verify", { passed, note, attachments: await photos.upload() });
        return passed ? "复核通过，已结案" : "复核不通过，已退回处置单位";
      };
      $("#v-pass").addEventListener("click", () => run(verify(true), loadVerify));
      $("#v-fail").addEventListener("click", () => run(verify(false), loadVerify));
    }
    if ($("#t-accept")) $("#t-accept").addEventListener("click", () => run(() => CV.act(ev.id, "accept", {}).then(() => "已签收"), () => openCase(ev.id, where, mode)));
    if ($("#t-handle")) {
      const photos = CV.photoInput($("#t-photo"), $("#t-preview"));
      $("#t-handle").addEventListener("click", () =>
        run(async () => {
          const note = $("#t-note").value.trim();
          if (!note) throw new Error("请填写处置结果");
          await CV.act(ev.id, "handle", { note, attachments: await photos.upload() });
          return "已提交处置结果";
        }, loadTasks),
      );
    }
    if ($("#t-return"))
      $("#t-return").addEventListener("click", () =>
        run(async () => {
          const note = $("#t-return-note").value.trim();
          if (!note) throw new Error("请填写退回理由");
          await CV.act(ev.id, "return", { note });
          return "已退回";
        }, loadTasks),
      );
    if ($("#m-rate")) {
      let rating = 0;
      $("#m-stars").addEventListener("click", (e) => {
        const b = e.target.closest("button[data-v]");
        if (!b) return;
        rating = Number(b.dataset.v);
        $$("#m-stars button").forEach((x) => x.classList.toggle("on", Number(x.dataset.v) <= rating));
      });
      $("#m-rate").addEventListener("click", () =>
        run(async () => {
          if (!rating) throw new Error("请选择满意度");
          await CV.act(ev.id, "rate", { rating });
          return "感谢评价";
        }, loadMine),
      );
    }
  }

  // --- my grid on a small map ---------------------------------------------------------------------------
  async function loadArea() {
    const g = state.grids[0];
    $("#area-title").textContent = g ? g.name + " · 在办事件" : "本网格在办事件";
    const params = { status: OPEN, limit: 200 };
    if (g) params.grid_code = g.code;
    const r = await api("/api/events", { params });
    $("#area-list").innerHTML = itemsHtml(r.items, "本网格暂无在办事件");
    if (!state.map) {
      state.map = await GG.makeMap($("#grid-map"), { zoomControl: true });
      if (!state.map) return;
      state.layers = L.layerGroup().addTo(state.map);
      document.dispatchEvent(new CustomEvent("gg:hazard-map", { detail: state.map })); // ioc_hazards.js: 隐患源 layer
    }
    const map = state.map;
    state.layers.clearLayers();
    let bounds = null;
    let center = null;
    for (const grid of state.grids) {
      try {
        if (!grid.detail) grid.detail = await api("/api/org/divisions/" + encodeURIComponent(grid.code));
        const d = grid.detail;
        center = center || d.center;
        if (d.geometry) {
          const layer = L.geoJSON(d.geometry, { style: { color: "#1f6feb", weight: 2, fillOpacity: 0.06 } }).addTo(state.layers);
          bounds = bounds ? bounds.extend(layer.getBounds()) : layer.getBounds();
        }
      } catch (_e) {
        /* boundary is optional */
      }
    }
    r.items.forEach((ev) => {
      if (ev.lat == null || ev.lon == null) return;
      L.circleMarker([ev.lat, ev.lon], { radius: 7, color: "#fff", weight: 1, fillColor: SLA_COLOR[ev.sla_state] || "#1f6feb", fillOpacity: 0.9 })
        .bindPopup("<b>" + esc(ev.title) + "</b><br>" + esc(ev.status_label) + "<br>" + esc(fmtTime(ev.reported_at)))
        .addTo(state.layers);
    });
    setTimeout(() => {
      map.invalidateSize();
      if (bounds && bounds.isValid()) map.fitBounds(bounds, { padding: [10, 10] });
      else if (center) map.setView([center[1], center[0]], 16);
    }, 50);
  }

  async function main() {
    state.me = await GG.requireLogin(["grid_worker"]);
    [state.ch, state.majors] = await Promise.all([GG.choices(), GG.catalog()]);
    state.grids = myGrids();
    wireReport();
    $("#nav").addEventListener("click", (e) => {
      const b = e.target.closest("button[data-nav]");
      if (b) show(b.dataset.nav);
    });
    $("#task-list").addEventListener("click", (e) => {
      const it = e.target.closest(".item[data-id]");
      if (it) openCase(Number(it.dataset.id), "#task-detail", "tasks").catch((x) => GG.toast(x.message, "error"));
    });
    $("#verify-list").addEventListener("click", (e) => {
      const it = e.target.closest(".item[data-id]");
      if (it) openCase(Number(it.dataset.id), "#verify-detail", "verify").catch((x) => GG.toast(x.message, "error"));
    });
    $("#mine-list").addEventListener("click", (e) => {
      const it = e.target.closest(".item[data-id]");
      if (it) openCase(Number(it.dataset.id), "#mine-detail", "mine").catch((x) => GG.toast(x.message, "error"));
    });
    const start = new URLSearchParams(location.search).get("view");
    show(start && $('[data-view="' + start + '"]') ? start : "report");
    queue().catch(() => {});
    GG.gridChecks.count().catch(() => {});
  }

  main().catch((e) => GG.showError(e, $("main")));
})();
