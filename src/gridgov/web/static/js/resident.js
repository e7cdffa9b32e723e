/* Resident (phone-first): 随手拍 with photo, place and a phone number for the follow-up call; my reports; rate
 * and comment when closed, or ask for it to be handled again when not satisfied. */
(function () {
  "use strict";
  const { $, $$, esc, api, fmtTime } = GG;
  const CV = GG.caseView;
  const state = { ch: null, coords: null, idem: GG.uuid(), q: "open", queues: {} };

  function show(view) {
    $$("[data-view]").forEach((s) => s.classList.toggle("hidden", s.dataset.view !== view));
    $$("#nav button").forEach((b) => b.classList.toggle("active", b.dataset.nav === view));
    if (view === "mine") loadMine().catch((e) => GG.toast(e.message, "error"));
    window.scrollTo(0, 0);
  }

  function locate() {
    const line = $("#r-geo");
    if (!navigator.geolocation) {
      line.textContent = "此设备不支持定位，请填写地点";
      return;
    }
    line.textContent = "正在定位…";
    navigator.geolocation.getCurrentPosition(
      (pos) => {
        state.coords = { lon: Number(pos.coords.longitude.toFixed(6)), lat: Number(pos.coords.latitude.toFixed(6)) };
        line.textContent = "已定位（精度约 " + Math.round(pos.coords.accuracy) + " 米）";
      },
      (err) => (line.textContent = err.code === 1 ? "未获得定位授权，请填写地点" : "定位失败，请填写地点"),
      { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 },
    );
  }

  function wireReport() {
    const photos = CV.photoInput($("#r-photo"), $("#r-preview"));
    $("#r-locate").addEventListener("click", locate);
    $("#report-form").addEventListener("submit", async (e) => {
      e.preventDefault();
      const err = $("#r-error");
      err.textContent = "";
      const title = $("#r-title").value.trim();
      const addr = $("#r-addr").value.trim();
      const phone = $("#r-phone").value.trim();
      if (!title) return (err.textContent = "请描述您发现的问题");
      if (!addr && !state.coords) return (err.textContent = "请填写地点或使用当前位置");
      if (phone && !/^[0-9０-９+\-\s]{7,20}$/.test(phone)) return (err.textContent = "联系电话格式不正确");
      const btn = $("#r-submit");
      btn.disabled = true;
      btn.textContent = "提交中…";
      try {
        const body = { title, description: $("#r-desc").value.trim(), channel: "photo", address_text: addr, reporter_phone: phone || null, attachments: await photos.upload() };
        if (state.coords) Object.assign(body, state.coords, { coord_system: "wgs84" });
        const ev = await api("/api/events", { method: "POST", json: body, headers: { "Idempotency-Key": state.idem } });
        state.idem = GG.uuid();
        $("#report-form").reset();
        photos.clear();
        state.coords = null;
        $("#r-geo").textContent = "未定位";
        GG.toast("提交成功，编号 " + (ev.number || ev.id) + "。感谢您的参与！");
        state.q = "open";
        show("mine");
      } catch (ex) {
        err.textContent = ex.message;
      } finally {
        btn.disabled = false;
        btn.textContent = "提交";
      }
    });
  }

  async function loadMine() {
    const r = await api("/api/me/queue", { params: { limit: 50 } });
    state.queues = r.queues;
    const toRate = (r.queues.to_rate || { items: [] }).items.length;
    $("#n-rate").textContent = toRate;
    $("#n-rate").classList.toggle("hidden", !toRate);
    $$("#mine-tabs button").forEach((b) => b.classList.toggle("active", b.dataset.q === state.q));
    renderMine();
  }

  function renderMine() {
    const items = (state.queues[state.q] || { items: [] }).items;
    const empty = { open: "没有办理中的上报", to_rate: "没有待评价的上报", done: "没有已完成的上报" }[state.q];
    $("#mine-detail").innerHTML = "";
    $("#mine-list").innerHTML = items.length
      ? items
          .map(
            (ev) =>
              '<div class="item" data-id="' + ev.id + '"><div class="title">' + esc(ev.title) + '</div><div class="meta">' +
              GG.statusBadge(state.ch, ev.status, ev.status_label) + "<span>" + esc(ev.number || "") + "</span><span>" + esc(fmtTime(ev.reported_at)) + "</span>" +
              (ev.rating ? "<span>" + "★".repeat(ev.rating) + "</span>" : "") + "</div></div>",
          )
          .join("")
      : '<div class="empty">' + esc(empty) + "</div>";
  }

  async function openCase(id) {
    const box = $("#mine-detail");
    const ev = await api("/api/events/" + id);
    const allowed = ev.allowed_actions || [];
    let form = "";
    if (allowed.includes("rate")) {
      form +=
        '<h3>评价办理结果</h3><div class="stars" id="stars">' + [1, 2, 3, 4, 5].map((i) => '<button type="button" data-v="' + i + '" aria-label="' + i + ' 星">★</button>').join("") + "</div>" +
        '<label>评价内容<textarea id="rate-note" placeholder="说说您的感受（可选）"></textarea></label>' +
        '<div class="row"><button type="button" class="btn primary" id="btn-rate">提交评价</button></div>';
    }
    if (allowed.includes("reopen")) {
      form += '<details><summary>不满意，要求重新办理</summary><label>原因<textarea id="reopen-note" placeholder="请说明问题仍然存在的情况"></textarea></label><button type="button" class="btn danger" id="btn-reopen">要求重新办理</button></details>';
    }
    box.innerHTML =
      '<div class="card"><h2>' + esc(ev.title) + "</h2>" + CV.summaryHtml(state.ch, ev) + form + '<div class="form-error" id="c-error" role="alert"></div></div>' +
      '<div class="card"><h3>办理进度</h3>' + CV.historyHtml(state.ch, ev.history) + "</div>";
    CV.loadPhotos(box);
    box.scrollIntoView({ behavior: "smooth", block: "start" });
    let rating = 0;
    if ($("#stars"))
      $("#stars").addEventListener("click", (e) => {
        const b = e.target.closest("button[data-v]");
        if (!b) return;
        rating = Number(b.dataset.v);
        $$("#stars button").forEach((x) => x.classList.toggle("on", Number(x.dataset.v) <= rating));
      });
    const run = async (fn) => {
      $("#c-error").textContent = "";
      try {
        GG.toast(await fn());
        await loadMine();
      } catch (e) {
        $("#c-error").textContent = e.message;
      }
    };
    if ($("#btn-rate"))
      $("#btn-rate").addEventListener("click", () =>
        run(async () => {
          if (!rating) throw new Error("请选择 1-5 星");
          await CV.act(ev.id, "rate", { rating, note: $("#rate-note").value.trim() || null });
          state.q = "done";
          return "感谢您的评价！";
        }),
      );
    if ($("#btn-reopen"))
      $("#btn-reopen").addEventListener("click", () =>
        run(async () => {
          const note = $("#reopen-note").value.trim();
          if (!note) throw new Error("请说明不满意的原因");
          await CV.act(ev.id, "reopen", { note });
          state.q = "open";
          return "已要求重新办理";
        }),
      );
  }

  async function main() {
    await GG.requireLogin(["resident"]);
    state.ch = await GG.choices();
    wireReport();
    $("#nav").addEventListener("click", (e) => {
      const b = e.target.closest("button[data-nav]");
      if (b) show(b.dataset.nav);
    });
    $("#mine-tabs").addEventListener("click", (e) => {
      const b = e.target.closest("button[data-q]");
      if (!b) return;
      state.q = b.dataset.q;
      $$("#mine-tabs button").forEach((x) => x.classList.toggle("active", x === b));
      renderMine();
    });
    $("#mine-list").addEventListener("click", (e) => {
      const it = e.target.closest(".item[data-id]");
      if (it) openCase(Number(it.dataset.id)).catch((x) => GG.toast(x.message, "error"));
    });
    const start = new URLSearchParams(location.search).get("view");
    show(start === "mine" ? "mine" : "report");
    if (start !== "mine") loadMine().catch(() => {});
  }

  main().catch((e) => GG.showError(e, $("main")));
})();
