/* Resident (phone-first) 随手拍. Without an account (the main flow): photo, location (or an address typed in),
 * a description and a mobile number go to the public endpoints; the receipt (case number + follow-up token) is
 * kept in this device's localStorage ("我的上报"), from where the resident tracks the case, rates it (1-5 stars
 * and a comment) or asks for it to be redone. A logged-in resident account keeps its own report/queue flow. */
(function () {
  "use strict";
  const { $, $$, esc, api, fmtTime } = GG;
  const CV = GG.caseView;
  const MAX_PHOTOS = 3;
  const MAX_BYTES = 5 * 1024 * 1024;
  const SHRINK_ABOVE = 1.5 * 1024 * 1024; // phone photos above this are scaled down before the upload
  const REFRESH_MAX = 10; // receipts whose status is refreshed each time "我的上报" opens (rate-limited API)
  const PHONE = /^1[3-9]\d{9}$/;
  const MERGED_PUBLIC = "已合并（重复上报）";
  const MERGED_NOTE = "该问题此前已有人上报，您的上报已作为重复件并入原案件，由工作人员一并处理。";
  const state = { ch: null, mode: "anon", coords: null, idem: GG.uuid(), files: [], q: "open", queues: {}, receipt: null };
  GG.FIELD_ZH.title = "问题描述";
  GG.FIELD_ZH.description = "补充说明";

  // --- receipts kept on this device -----------------------------------------------------------------------
  function receipts() {
    try {
      const list = JSON.parse(localStorage.getItem(GG.RECEIPTS_KEY) || "[]");
      return Array.isArray(list) ? list.filter((r) => r && r.number && r.token) : [];
    } catch (_e) {
      return [];
    }
  }

  function saveReceipts(list) {
    try {
      localStorage.setItem(GG.RECEIPTS_KEY, JSON.stringify(list.slice(0, 100)));
    } catch (_e) {
      GG.toast("无法在本机保存查询凭证，请抄下案件编号和凭证", "warn");
    }
  }

  /** Add or update one receipt ({number, token, ...}); the newest first. */
  function keepReceipt(entry) {
    const list = receipts();
    const i = list.findIndex((r) => r.number === entry.number);
    if (i >= 0) list[i] = Object.assign(list[i], entry);
    else list.unshift(entry);
    saveReceipts(list);
  }

  function dropReceipt(number) {
    saveReceipts(receipts().filter((r) => r.number !== number));
  }

  function remember(c, token) {
    keepReceipt({ number: c.number, token, title: c.title, status: c.status, status_label: c.status_label, can_rate: !!c.can_rate, at: c.reported_at });
  }

  // --- views ------------------------------------------------------------------------------------------------
  function show(view) {
    $$("[data-view]").forEach((s) => s.classList.toggle("hidden", s.dataset.view !== view));
    $$("#nav button").forEach((b) => b.classList.toggle("active", b.dataset.nav === (view === "receipt" ? "report" : view)));
    if (view === "mine") loadMine().catch((e) => GG.toast(e.message, "error"));
    window.scrollTo(0, 0);
  }

  function badge(status, label) {
    return state.ch ? GG.statusBadge(state.ch, status, label) : GG.badge(label || status, "#5b8ff9");
  }

  /** The status of an anonymous report: the public case API does not name the main case of a merged one. */
  function publicBadge(status, label) {
    return badge(status, status === "merged" ? MERGED_PUBLIC : label);
  }

  // --- location -----------------------------------------------------------------------------------------------
  function locate(quiet) {
    const line = $("#r-geo");
    if (!navigator.geolocation) {
      line.textContent = "此设备不支持定位，请填写详细地址";
      return;
    }
    line.textContent = "正在定位…";
    navigator.geolocation.getCurrentPosition(
      (pos) => {
        state.coords = { lon: Number(pos.coords.longitude.toFixed(6)), lat: Number(pos.coords.latitude.toFixed(6)) };
        const acc = Math.round(pos.coords.accuracy || 0);
        line.textContent = acc > 0 ? "已定位（精度约 " + acc + " 米）" : "已定位";
        line.classList.add("ok");
      },
      (err) => {
        state.coords = null;
        line.classList.remove("ok");
        line.textContent = quiet ? "未定位" : err.code === 1 ? "未获得定位授权，请填写详细地址" : "定位失败，请填写详细地址";
      },
      { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 },
    );
  }

  /** Locate at once when the browser already has the permission (no prompt on page load otherwise). */
  function locateIfAllowed() {
    if (!navigator.permissions || !navigator.geolocation) return;
    navigator.permissions
      .query({ name: "geolocation" })
      .then((p) => p.state === "granted" && !state.coords && locate(true))
      .catch(() => {});
  }

  // --- photos -------------------------------------------------------------------------------------------------
  /** A large phone photo scaled to ≤1920 px JPEG; anything that cannot be decoded is sent as it is. */
  async function shrink(file) {
    if (file.size <= SHRINK_ABOVE || !/^image\/(jpeg|png|webp)$/.test(file.type) || !window.createImageBitmap) return file;
    try {
      const bmp = await createImageBitmap(file);
      const scale = Math.min(1, 1920 / Math.max(bmp.width, bmp.height));
      const canvas = document.createElement("canvas");
      canvas.width = Math.round(bmp.width * scale);
      canvas.height = Math.round(bmp.height * scale);
      canvas.getContext("2d").drawImage(bmp, 0, 0, canvas.width, canvas.height);
      const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.85));
      if (blob && blob.size < file.size) return new File([blob], (file.name || "photo").replace(/\.\w+$/, "") + ".jpg", { type: "image/jpeg" });
    } catch (_e) {
      /* send the original */
    }
    return file;
  }

  function renderPreview() {
    $("#r-preview").innerHTML = state.files
      .map((f, i) => '<span class="thumb"><img alt="照片 ' + (i + 1) + '" src="' + f.url + '"><button type="button" class="del" data-i="' + i + '" aria-label="删除照片">×</button></span>')
      .join("");
  }

  function addPhotos(input) {
    const picked = Array.from(input.files || []);
    input.value = "";
    const room = MAX_PHOTOS - state.files.length;
    if (picked.length > room) GG.toast("最多上传 " + MAX_PHOTOS + " 张照片" + (room > 0 ? "，已保留前 " + room + " 张" : ""), "warn");
    picked.slice(0, Math.max(room, 0)).forEach((file) => state.files.push({ file, url: URL.createObjectURL(file), sha: null }));
    renderPreview();
  }

  function clearPhotos() {
    state.files.forEach((f) => URL.revokeObjectURL(f.url));
    state.files = [];
    renderPreview();
  }

  /** Upload the photos not uploaded yet (a retry after an error does not send them again). */
  async function uploadPhotos(setStep) {
    const out = [];
    for (let i = 0; i < state.files.length; i++) {
      const f = state.files[i];
      if (!f.sha) {
        setStep("正在上传照片 " + (i + 1) + "/" + state.files.length + "…");
        const file = await shrink(f.file);
        if (file.size > MAX_BYTES) throw new Error("第 " + (i + 1) + " 张照片超过 5MB，请重新拍摄或换一张");
        const fd = new FormData();
        fd.append("file", file, file.name || "photo.jpg");
        const r = state.mode === "account" ? await api("/api/attachments", { method: "POST", formData: fd }) : await api("/api/public/attachments", { method: "POST", formData: fd, anon: true });
        f.sha = r.sha256;
      }
      out.push(f.sha);
    }
    return out;
  }

  // --- report -------------------------------------------------------------------------------------------------
  function normalizePhone(raw) {
    let p = raw.replace(/[\s\-()（）]/g, "").replace(/[０-９]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0));
    if (p.startsWith("+86")) p = p.slice(3);
    else if (p.startsWith("86") && p.length === 13) p = p.slice(2);
    return p;
  }

  function fieldError(id, message) {
    $("#r-error").textContent = message;
    const el = id && $(id);
    if (el) {
      el.classList.add("field-error");
      el.focus();
    }
  }

  const FIELD_INPUT = { title: "#r-title", description: "#r-desc", phone: "#r-phone", reporter_phone: "#r-phone", address_text: "#r-addr", attachments: "#r-photo" };

  async function submitReport(e) {
    e.preventDefault();
    $("#r-error").textContent = "";
    $$("#report-form .field-error").forEach((x) => x.classList.remove("field-error"));
    const title = $("#r-title").value.trim();
    const addr = $("#r-addr").value.trim();
    const rawPhone = $("#r-phone").value.trim();
    const phone = normalizePhone(rawPhone);
    const account = state.mode === "account";
    if (!title) return fieldError("#r-title", "请描述您发现的问题");
    if (!addr && !state.coords) return fieldError("#r-addr", "请使用当前位置，或填写详细地址");
    if (!account && !rawPhone) return fieldError("#r-phone", "请填写手机号，便于工作人员回访");
    if (rawPhone && !PHONE.test(phone)) return fieldError("#r-phone", "请输入正确的 11 位手机号");
    const btn = $("#r-submit");
    btn.disabled = true;
    const setStep = (t) => (btn.textContent = t);
    try {
      const attachments = await uploadPhotos(setStep);
      setStep("提交中…");
      const body = { title, description: $("#r-desc").value.trim(), address_text: addr, attachments };
      if (state.coords) Object.assign(body, state.coords, { coord_system: "wgs84" });
      if (account) {
        Object.assign(body, { channel: "photo", reporter_phone: phone || null });
        const ev = await api("/api/events", { method: "POST", json: body, headers: { "Idempotency-Key": state.idem } });
        GG.toast("提交成功，编号 " + (ev.number || ev.id) + "。感谢您的参与！");
        resetForm();
        state.q = "open";
        show("mine");
        return;
      }
      Object.assign(body, { phone, idempotency_key: state.idem });
      const r = await api("/api/public/events", { method: "POST", json: body, anon: true });
      keepReceipt({ number: r.number, token: r.token, title, status: r.status, status_label: r.status_label, can_rate: false, at: new Date().toISOString() });
      resetForm();
      showReceipt(r);
    } catch (ex) {
      if (ex.status === 422 && ex.field === "lon") {
        state.coords = null;
        $("#r-geo").textContent = "当前位置不在服务范围内";
        $("#r-geo").classList.remove("ok");
        fieldError("#r-addr", "您所在的位置不在本平台服务范围内，请填写详细地址后重新提交");
      } else if (ex.status === 429) {
        fieldError(null, ex.message || "提交过于频繁，请稍后再试");
      } else {
        fieldError(FIELD_INPUT[ex.field] || null, ex.message);
      }
    } finally {
      btn.disabled = false;
      btn.textContent = "提交";
    }
  }

  function resetForm() {
    state.idem = GG.uuid();
    const phone = $("#r-phone").value;
    $("#report-form").reset();
    $("#r-phone").value = phone; // the same person reports again: keep the number for this visit
    clearPhotos();
    state.coords = null;
    $("#r-geo").textContent = "未定位";
    $("#r-geo").classList.remove("ok");
    locateIfAllowed();
  }

  function showReceipt(r) {
    state.receipt = r;
    $("#rc-number").textContent = r.number;
    $("#rc-token").textContent = r.token;
    $("#rc-status").innerHTML = publicBadge(r.status, r.status_label);
    show("receipt");
  }

  async function copyReceipt() {
    const r = state.receipt;
    if (!r) return;
    const text = "案件编号：" + r.number + "\n查询凭证：" + r.token;
    try {
      await navigator.clipboard.writeText(text);
      GG.toast("已复制，请妥善保存");
    } catch (_e) {
      const range = document.createRange();
      range.selectNodeContents($("#receipt .kv"));
      const sel = getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
      GG.toast("请长按选中的文字复制", "warn");
    }
  }

  // --- my reports (this device) ---------------------------------------------------------------------------------
  function renderDevice() {
    const list = receipts();
    const toRate = list.filter((r) => r.can_rate).length;
    $("#n-rate").textContent = toRate;
    $("#n-rate").classList.toggle("hidden", !toRate);
    $("#dev-list").innerHTML = list.length
      ? list
          .map(
            (r) =>
              '<div class="item" data-number="' + esc(r.number) + '"><div class="title">' + esc(r.title || "（无标题）") + '</div><div class="meta">' +
              publicBadge(r.status, r.status_label) + "<span>" + esc(r.number) + "</span><span>" + esc(fmtTime(r.at)) + "</span>" +
              (r.can_rate ? '<span class="left-red">待评价</span>' : "") + "</div></div>",
          )
          .join("")
      : '<div class="empty">本机还没有上报记录</div>';
  }

  /** Refresh the status of the newest receipts; a wrong or expired token is marked, not dropped. */
  async function refreshDevice() {
    const list = receipts().slice(0, REFRESH_MAX);
    await Promise.all(
      list.map(async (r) => {
        try {
          remember(await fetchCase(r.number, r.token), r.token);
        } catch (e) {
          if (e.status === 404) keepReceipt({ number: r.number, status: "unknown", status_label: "凭证无效", can_rate: false });
        }
      }),
    );
    renderDevice();
  }

  function fetchCase(number, token) {
    return api("/api/public/events/" + encodeURIComponent(number), { params: { token }, anon: true });
  }

  async function loadMine() {
    renderDevice();
    const jobs = [refreshDevice()];
    if (state.mode === "account") jobs.push(loadAccount());
    await Promise.all(jobs);
  }

  function starsHtml(id) {
    return '<div class="stars" id="' + id + '" role="radiogroup" aria-label="满意度">' + [1, 2, 3, 4, 5].map((i) => '<button type="button" data-v="' + i + '" aria-label="' + i + ' 星">★</button>').join("") + "</div>";
  }

  function wireStars(box, onPick) {
    box.addEventListener("click", (e) => {
      const b = e.target.closest("button[data-v]");
      if (!b) return;
      const v = Number(b.dataset.v);
      $$("button", box).forEach((x) => x.classList.toggle("on", Number(x.dataset.v) <= v));
      onPick(v);
    });
  }

  function stepsHtml(steps) {
    if (!steps || !steps.length) return '<div class="empty">暂无办理记录</div>';
    const acts = (state.ch && state.ch.action) || {};
    return (
      '<ol class="timeline">' +
      steps
        .slice()
        .reverse()
        .map((s) => '<li style="--c:' + esc((acts[s.action] || {}).color || "#5b8ff9") + '"><div><b>' + esc(s.label) + '</b> <span class="when">' + esc(fmtTime(s.at, true)) + "</span></div>" + (s.note ? "<div>" + esc(s.note) + "</div>" : "") + "</li>")
        .join("") +
      "</ol>"
    );
  }

  async function openReceipt(number) {
    const r = receipts().find((x) => x.number === number);
    if (!r) return;
    const box = $("#mine-detail");
    box.innerHTML = '<div class="card loading">加载中…</div>';
    let c;
    try {
      c = await fetchCase(r.number, r.token);
    } catch (e) {
      box.innerHTML =
        '<div class="card"><h2>' + esc(r.title || r.number) + '</h2><div class="msg error">' + esc(e.message) + "</div>" +
        (e.status === 404 ? '<button type="button" class="btn" id="c-drop">从本机删除这条记录</button>' : "") + "</div>";
      if ($("#c-drop")) $("#c-drop").addEventListener("click", () => drop(r.number));
      return;
    }
    remember(c, r.token);
    renderDevice();
    renderCase(c, r.token);
    box.scrollIntoView({ behavior: "smooth", block: "start" });
  }

  function drop(number) {
    if (!confirm("从本机删除后将无法再查询该上报（除非您另外保存了查询凭证）。确定删除？")) return;
    dropReceipt(number);
    $("#mine-detail").innerHTML = "";
    renderDevice();
  }

  function renderCase(c, token) {
    const box = $("#mine-detail");
    const done = c.status === "closed" || c.status === "rated";
    const rows = [
      ["案件编号", esc(c.number)],
      ["查询凭证", '<span class="token">' + esc(token) + "</span>"],
      ["状态", publicBadge(c.status, c.status_label)],
      ["上报时间", esc(fmtTime(c.reported_at, true))],
    ];
    if (c.closed_at) rows.push(["结案时间", esc(fmtTime(c.closed_at, true))]);
    if (c.rating) rows.push(["我的评价", '<span class="rated">' + "★".repeat(c.rating) + "☆".repeat(5 - c.rating) + "</span>"]);
    let form = "";
    if (c.can_rate) {
      form +=
        '<h3>评价办理结果</h3>' + starsHtml("stars") +
        '<label>评价内容<textarea id="rate-note" maxlength="1000" placeholder="说说您的感受（可选）"></textarea></label>' +
        '<button type="button" class="btn primary block" id="btn-rate">提交评价</button>';
    }
    if (c.can_reopen) {
      form +=
        '<details id="reopen-box"><summary>问题没有解决？要求重新办理</summary>' +
        '<label>原因<textarea id="reopen-note" maxlength="1000" placeholder="请说明问题仍然存在的情况"></textarea></label>' +
        '<button type="button" class="btn danger block" id="btn-reopen">要求重新办理</button></details>';
    }
    box.innerHTML =
      '<div class="card" id="case-card" data-number="' + esc(c.number) + '"><h2>' + esc(c.title) + "</h2>" +
      (done && c.result_note ? '<div class="msg info result"><b>处理结果：</b>' + esc(c.result_note) + "</div>" : "") +
      (c.status === "merged" ? '<div class="msg info merged"><b>' + MERGED_PUBLIC + "：</b>" + MERGED_NOTE + "</div>" : "") +
      '<dl class="kv">' + rows.map((x) => "<dt>" + esc(x[0]) + "</dt><dd>" + x[1] + "</dd>").join("") + "</dl>" +
      form + '<div class="form-error" id="c-error" role="alert"></div>' +
      '<div class="row end"><button type="button" class="btn ghost small" id="c-drop">从本机删除</button></div></div>' +
      '<div class="card"><h3>办理进度</h3>' + stepsHtml(c.steps) + "</div>";
    $("#c-drop").addEventListener("click", () => drop(c.number));
    const run = async (fn, okText) => {
      $("#c-error").textContent = "";
      $$("#case-card button").forEach((b) => (b.disabled = true));
      try {
        const next = await fn();
        remember(next, token);
        renderDevice();
        renderCase(next, token);
        GG.toast(okText);
      } catch (e) {
        $("#c-error").textContent = e.message;
        $$("#case-card button").forEach((b) => (b.disabled = false));
      }
    };
    const path = "/api/public/events/" + encodeURIComponent(c.number);
    if (c.can_rate) {
      let rating = 0;
      wireStars($("#stars"), (v) => (rating = v));
      $("#btn-rate").addEventListener("click", () => {
        if (!rating) {
          $("#c-error").textContent = "请选择 1-5 星";
          return;
        }
        run(() => api(path + "/rate", { method: "POST", json: { rating, note: $("#rate-note").value.trim() || null }, params: { token }, anon: true }), "感谢您的评价！");
      });
    }
    if (c.can_reopen) {
      $("#btn-reopen").addEventListener("click", () => {
        const note = $("#reopen-note").value.trim();
        if (!note) {
          $("#c-error").textContent = "请说明不满意的原因";
          $("#reopen-note").focus();
          return;
        }
        run(() => api(path + "/reopen", { method: "POST", json: { note }, params: { token }, anon: true }), "已要求重新办理，我们会尽快处理");
      });
    }
  }

  async function lookup() {
    const err = $("#q-error");
    err.textContent = "";
    const number = $("#q-number").value.trim();
    const token = $("#q-token").value.trim();
    if (!number || !token) {
      err.textContent = "请填写案件编号和查询凭证";
      return;
    }
    try {
      const c = await fetchCase(number, token);
      remember(c, token);
      $("#q-number").value = "";
      $("#q-token").value = "";
      $("#q-box").open = false;
      renderDevice();
      renderCase(c, token);
    } catch (e) {
      err.textContent = e.status === 422 ? "查询凭证格式不正确" : e.message;
    }
  }

  // --- logged-in resident account ---------------------------------------------------------------------------------
  async function loadAccount() {
    const r = await api("/api/me/queue", { params: { limit: 50 } });
    state.queues = r.queues;
    $$("#mine-tabs button").forEach((b) => b.classList.toggle("active", b.dataset.q === state.q));
    renderAccount();
  }

  function renderAccount() {
    const items = (state.queues[state.q] || { items: [] }).items;
    const empty = { open: "没有办理中的上报", to_rate: "没有待评价的上报", done: "没有已完成的上报" }[state.q];
    $("#mine-list").innerHTML = items.length
      ? items
          .map(
            (ev) =>
              '<div class="item" data-id="' + ev.id + '"><div class="title">' + esc(ev.title) + '</div><div class="meta">' +
              badge(ev.status, ev.status_label) + "<span>" + esc(ev.number || "") + "</span><span>" + esc(fmtTime(ev.reported_at)) + "</span>" +
              (ev.rating ? "<span>" + "★".repeat(ev.rating) + "</span>" : "") + "</div></div>",
          )
          .join("")
      : '<div class="empty">' + esc(empty) + "</div>";
  }

  async function openAccountCase(id) {
    const box = $("#mine-detail");
    const ev = await api("/api/events/" + id);
    const allowed = ev.allowed_actions || [];
    let form = "";
    if (allowed.includes("rate")) {
      form +=
        "<h3>评价办理结果</h3>" + starsHtml("stars") +
        '<label>评价内容<textarea id="rate-note" placeholder="说说您的感受（可选）"></textarea></label>' +
        '<button type="button" class="btn primary block" id="btn-rate">提交评价</button>';
    }
    if (allowed.includes("reopen")) {
      form += '<details><summary>不满意，要求重新办理</summary><label>原因<textarea id="reopen-note" placeholder="请说明问题仍然存在的情况"></textarea></label><button type="button" class="btn danger block" id="btn-reopen">要求重新办理</button></details>';
    }
    const main = CV.mergedInto(ev);
    const merged = main ? '<div class="msg info merged"><b>' + esc(main.number ? "已合并到 " + main.number : MERGED_PUBLIC) + "：</b>" + MERGED_NOTE + "</div>" : "";
    box.innerHTML =
      '<div class="card"><h2>' + esc(ev.title) + "</h2>" + merged + CV.summaryHtml(state.ch, ev) + form + '<div class="form-error" id="c-error" role="alert"></div></div>' +
      '<div class="card"><h3>办理进度</h3>' + CV.historyHtml(state.ch, ev.history) + "</div>";
    CV.loadPhotos(box);
    box.scrollIntoView({ behavior: "smooth", block: "start" });
    let rating = 0;
    if ($("#stars")) wireStars($("#stars"), (v) => (rating = v));
    const run = async (fn) => {
      $("#c-error").textContent = "";
      try {
        GG.toast(await fn());
        box.innerHTML = "";
        await loadAccount();
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

  /** A stored resident login → account mode; anything else (no login, another role) → anonymous mode. */
  async function pickMode() {
    const a = GG.auth();
    if (!a || a.role !== "resident") return;
    try {
      const me = await api("/api/me", { noRedirect: true });
      if (me.role !== "resident") return;
      state.mode = "account";
      $("#who").textContent = (a.display_name || me.username) + " · " + me.role_label;
      $("#to-login").classList.add("hidden");
      $("#r-logout").classList.remove("hidden");
      $("#acct-box").classList.remove("hidden");
      $("#r-phone-label").textContent = "联系电话（可选，用于回访，仅工作人员可见）";
      $("#r-intro").textContent = "发现城市管理问题？拍张照片告诉我们，处理进度可在“我的上报”查看。";
      $("#dev-box h2").innerHTML = "本机免登录上报<span class=\"muted small\">（凭编号和凭证查询）</span>";
    } catch (e) {
      if (e.status === 401) {
        GG.setAuth(null);
        GG.toast("登录已过期，已切换为免登录上报", "warn");
      }
    }
  }

  // --- start ----------------------------------------------------------------------------------------------------
  function wire() {
    $("#r-photo").addEventListener("change", (e) => addPhotos(e.target));
    $("#r-preview").addEventListener("click", (e) => {
      const b = e.target.closest("button.del");
      if (!b) return;
      const [gone] = state.files.splice(Number(b.dataset.i), 1);
      if (gone) URL.revokeObjectURL(gone.url);
      renderPreview();
    });
    $("#r-locate").addEventListener("click", () => locate(false));
    $("#report-form").addEventListener("submit", submitReport);
    $("#report-form").addEventListener("input", (e) => e.target.classList && e.target.classList.remove("field-error"));
    $("#rc-track").addEventListener("click", () => {
      show("mine");
      if (state.receipt) openReceipt(state.receipt.number);
    });
    $("#rc-copy").addEventListener("click", copyReceipt);
    $("#rc-again").addEventListener("click", () => show("report"));
    $("#nav").addEventListener("click", (e) => {
      const b = e.target.closest("button[data-nav]");
      if (b) show(b.dataset.nav);
    });
    $("#dev-list").addEventListener("click", (e) => {
      const it = e.target.closest(".item[data-number]");
      if (it) openReceipt(it.dataset.number).catch((x) => GG.toast(x.message, "error"));
    });
    $("#q-go").addEventListener("click", lookup);
    $("#mine-tabs").addEventListener("click", (e) => {
      const b = e.target.closest("button[data-q]");
      if (!b) return;
      state.q = b.dataset.q;
      $$("#mine-tabs button").forEach((x) => x.classList.toggle("active", x === b));
      renderAccount();
    });
    $("#mine-list").addEventListener("click", (e) => {
      const it = e.target.closest(".item[data-id]");
      if (it) openAccountCase(Number(it.dataset.id)).catch((x) => GG.toast(x.message, "error"));
    });
    $("#r-logout").addEventListener("click", async () => {
      await GG.api("/api/auth/logout", { method: "POST", noRedirect: true }).catch(() => {});
      GG.setAuth(null);
      location.href = "/resident";
    });
  }

  async function main() {
    wire();
    state.ch = await GG.choices().catch(() => null);
    await pickMode();
    renderDevice();
    const params = new URLSearchParams(location.search);
    const number = params.get("number");
    const token = params.get("token");
    if (number && token) {
      // a link with the receipt (e.g. from an SMS): keep it on this device, then drop it from the address bar
      keepReceipt({ number, token, at: new Date().toISOString() });
      history.replaceState(null, "", "/resident?view=mine");
      show("mine");
      await openReceipt(number);
      return;
    }
    show(params.get("view") === "mine" ? "mine" : "report");
    locateIfAllowed();
  }

  main().catch((e) => GG.showError(e, $("main")));
})();
