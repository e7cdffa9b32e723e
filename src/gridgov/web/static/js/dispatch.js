/* Dispatcher workbench: named queues, the case panel with a suggested 小类 and standard address, the possible
 * duplicates (疑似重复, each with 并入此案), one-action 立案/不立案/派遣/督办/延期审批/挂账/合并, 紧急程度 (urgency.js),
 * 吹哨报到 (summons.js), bulk file/dispatch and keyboard shortcuts. */
(function () {
  "use strict";
  const { $, $$, esc, api, fmtTime } = GG;
  const CV = GG.caseView;

  const QUEUES = [
    ["to_file", "待立案"],
    ["to_dispatch", "待派遣"],
    ["returned", "退回件"],
    ["overdue", "超时件"],
    ["warning", "预警件"],
    ["extension_requests", "延期申请"],
    ["to_verify", "待复核"],
    ["on_hold", "挂账件"],
    ["handling", "已派遣/办理中"],
    ["to_accept", "待签收"],
    ["in_progress", "办理中"],
    ["co_tasks", "协办任务"],
    ["summons", "吹哨报到"],
  ];
  const HOT = new Set(["overdue", "returned", "extension_requests"]);
  const LOW_CONFIDENCE = 0.8; // below this the case's standard address is offered for confirmation
  // Cases still being worked on: only these get the 疑似重复 lookup (a finished or merged case has none to offer).
  const OPEN = new Set(["reported", "filed", "dispatched", "accepted", "returned", "on_hold", "handled"]);
  // Buttons for the actions the API allows now: [label, css, needs note, shortcut]
  const ACTIONS = {
    file: ["立案", "primary", false, "f"],
    dispatch: ["派遣", "primary", false, "d"],
    reject: ["不立案", "danger", true, "r"],
    supervise: ["督办", "warn", true, "s"],
    approve_extension: ["批准延期", "ok", false],
    deny_extension: ["驳回延期", "danger", true],
    hold: ["挂账", "warn", true],
    resume: ["解除挂账", "", false],
    reopen: ["重新办理", "warn", true],
    accept: ["签收", "primary", false],
    return: ["退回", "danger", true],
    handle: ["处置完成", "ok", true],
    verify_pass: ["复核", "ok", false],
    escalate: ["上报上级", "warn", true],
    merge: ["合并", "", false, "m"], // picks the main case among 疑似重复 (并入此案)
  };

  // want: the id of the case the panel is about to show (a slower, older request must not overwrite it);
  // dups: the 疑似重复 of the case in the panel ({id, rows}).
  const state = { me: null, ch: null, majors: [], queues: {}, current: "to_file", items: [], index: -1, detail: null, want: null, dups: null, selected: new Set(), searchQ: null, picker: null };

  async function loadQueues() {
    const r = await api("/api/me/queue", { params: { limit: 50 } });
    state.queues = r.queues;
    const nav = $("#queues");
    const names = QUEUES.filter(([k]) => k in r.queues);
    if (!names.length) {
      nav.innerHTML = '<div class="empty">当前角色没有分拨队列</div>';
      return;
    }
    if (!(state.current in r.queues) && !state.searchQ) state.current = names[0][0];
    nav.innerHTML = names
      .map(([k, label]) => {
        const page = r.queues[k];
        const n = page.items.length + (page.next_cursor ? "+" : "");
        const hot = HOT.has(k) && page.items.length ? " hot" : "";
        return '<button type="button" data-q="' + k + '" class="' + (k === state.current && !state.searchQ ? "active" : "") + '">' + esc(label) + '<span class="count' + hot + '" data-count="' + k + '">' + n + "</span></button>";
      })
      .join("");
  }

  function listItems() {
    if (state.searchQ !== null) return state.items;
    const page = state.queues[state.current];
    return page ? page.items : [];
  }

  /** Render the current list and select `keepId` in it (or, unless `exact`, the case at the same position). */
  function renderList(keepId, exact) {
    const items = listItems();
    state.items = items;
    const label = state.searchQ !== null ? "搜索：" + state.searchQ : (QUEUES.find((q) => q[0] === state.current) || [0, state.current])[1];
    $("#list-title").textContent = label + "（" + items.length + " 件）";
    const list = $("#case-list");
    if (!items.length) {
      list.innerHTML = '<li class="empty">' + (state.searchQ !== null ? "没有找到匹配的事件" : "该队列暂无事件") + "</li>";
      state.index = -1;
      renderPanel(null);
      return;
    }
    list.innerHTML = items
      .map((ev, i) => {
        const left = ev.deadline_at && ["dispatched", "accepted"].includes(ev.status) ? GG.timeLeft(ev.deadline_at).text : "";
        return (
          '<li data-i="' + i + '" data-id="' + ev.id + '">' +
          '<input type="checkbox" class="pick" aria-label="选择" ' + (state.selected.has(ev.id) ? "checked" : "") + ">" +
          '<div class="body"><div class="title">' + esc(ev.title) + "</div>" +
          '<div class="meta">' + GG.statusBadge(state.ch, ev.status, ev.status_label) + GG.slaBadge(state.ch, ev.sla_state) +
          (ev.repeat_count ? '<span class="badge" style="background:#fa8c16" title="重复诉求：另有 ' + ev.repeat_count + ' 件同一问题的报件并入本案">重复 +' + ev.repeat_count + "</span>" : "") +
          "<span>" + esc(ev.number || "#" + ev.id) + "</span><span>" + esc(ev.category_name || "未分类") + "</span><span>" + esc(fmtTime(ev.reported_at)) + "</span>" +
          (left ? '<span class="' + (ev.sla_state === "red" ? "left-red" : ev.sla_state === "yellow" ? "left-yellow" : "") + '">' + esc(left) + "</span>" : "") +
          "</div></div></li>"
        );
      })
      .join("");
    let idx = keepId ? items.findIndex((e) => e.id === keepId) : -1;
    if (idx < 0 && !exact) idx = Math.min(Math.max(state.index, 0), items.length - 1);
    if (idx >= 0) select(idx);
    else state.index = -1;
    updateSelectedCount();
  }

  async function select(i) {
    const items = state.items;
    if (i < 0 || i >= items.length) return;
    state.index = i;
    $$("#case-list li").forEach((li) => li.classList.toggle("selected", Number(li.dataset.i) === i));
    const li = $('#case-list li[data-i="' + i + '"]');
    if (li) li.scrollIntoView({ block: "nearest" });
    await showCase(items[i].id);
  }

  async function showCase(id) {
    state.want = id;
    try {
      const d = await api("/api/events/" + id);
      if (state.want === id) renderPanel(d);
    } catch (e) {
      if (state.want === id) GG.showError(e, $("#case-panel"));
    }
  }

  /** Show a case in the panel: selected in the list when it is there, else on its own (nothing selected). */
  async function openCase(id) {
    const i = state.items.findIndex((e) => e.id === id);
    if (i >= 0) return select(i);
    state.index = -1;
    $$("#case-list li").forEach((li) => li.classList.remove("selected"));
    await showCase(id);
  }

  function suggestionText(ev) {
    return [ev.title, ev.description, ev.address_text].join(" ");
  }

  function renderPanel(ev) {
    state.detail = ev;
    state.dups = null;
    const panel = $("#case-panel");
    if (!ev) {
      state.want = null;
      panel.innerHTML = '<div class="empty">从左侧选择一件事件</div>';
      return;
    }
    const allowed = ev.allowed_actions || [];
    const sugg = GG.suggestCategories(state.majors, suggestionText(ev), 4);
    const buttons = allowed
      .filter((a) => ACTIONS[a])
      .map((a) => {
        const [label, css, , key] = ACTIONS[a];
        if (a === "verify_pass") return '<button type="button" class="btn ok" data-act="verify" data-passed="1">复核通过</button><button type="button" class="btn danger" data-act="verify" data-passed="0">复核不通过</button>';
        return '<button type="button" class="btn ' + css + '" data-act="' + a + '">' + esc(label) + (key ? "<kbd>" + key + "</kbd>" : "") + "</button>";
      })
      .join("");
    const needsCategory = allowed.includes("file") || allowed.includes("dispatch");
    panel.innerHTML =
      '<h2><span id="case-title">' + esc(ev.title) + '</span> <a class="btn small ghost print-sheet" target="_blank" href="/sheet?id=' + ev.id + '">打印派遣单</a></h2>' +
      (ev.description ? '<p class="muted">' + esc(ev.description) + "</p>" : "") +
      CV.summaryHtml(state.ch, ev) +
      GG.urgency.section(state.ch, ev) +
      '<section id="case-map-box" class="case-map-box"></section>' +
      '<section id="dup-box"></section>' +
      '<section id="addr-box"></section>' +
      (needsCategory
        ? '<section><h3>事件小类</h3><div id="model-suggest"></div>' +
          (sugg.length
            ? '<div class="chips" id="suggest">' + sugg.map((s, i) => '<span class="chip' + (i === 0 && !ev.category_code ? " active" : "") + '" data-code="' + esc(s.item.code) + '" title="命中：' + esc(s.hits.join("、")) + '">建议：' + esc(s.item.name) + "</span>").join("") + "</div>"
            : '<div class="muted small">未能根据描述推荐小类，请手动选择</div>') +
          '<label>选择或搜索小类<input id="cat-input" autocomplete="off" placeholder="输入名称、代码或关键词"></label></section>'
        : "") +
      (allowed.includes("dispatch") ? '<section id="choice-box"></section>' : "") +
      '<section><label>办理意见 / 理由<textarea id="note" placeholder="不立案、督办、挂账、驳回延期需要填写理由"></textarea></label>' +
      (allowed.includes("approve_extension") ? '<label>批准延期工作小时（留空按申请）<input id="hours" type="number" min="0.5" step="0.5"></label>' : "") +
      '<div class="form-error" id="act-error" role="alert"></div>' +
      '<div class="actions" id="actions">' + (buttons || '<span class="muted">当前状态下没有可执行的操作</span>') + "</div></section>" +
      "<section><h3>承办任务</h3>" + CV.tasksHtml(ev.tasks) + "</section>" +
      GG.summons.section(ev, state.me) +
      "<section><h3>办理记录</h3>" + CV.historyHtml(state.ch, ev.history) + "</section>";
    CV.loadPhotos(panel);
    const redraw = async (msg) => {
      GG.toast(msg);
      await loadQueues();
      await showCase(ev.id);
    };
    // a new urgency moves the deadline: the list's countdown is redrawn too
    GG.urgency.wire(panel, state.ch, ev, async (msg) => {
      GG.toast(msg);
      await refresh(ev.id, true);
      if (state.index < 0) await showCase(ev.id);
    });
    GG.summons.wire(panel, ev, state.me, redraw);
    if (allowed.includes("dispatch")) GG.dispatchChoice.load(ev);
    if (needsCategory) {
      state.picker = CV.categoryPicker($("#cat-input"), state.majors);
      const current = ev.category_code ? state.picker.find(ev.category_code) : sugg.length ? sugg[0].item : null;
      state.picker.set(current);
      $$("#suggest .chip").forEach((c) =>
        c.addEventListener("click", () => {
          $$("#suggest .chip").forEach((x) => x.classList.remove("active"));
          c.classList.add("active");
          state.picker.set(state.picker.find(c.dataset.code));
        }),
      );
      GG.modelSuggest.load(ev, state.picker, (act) => doAction(act));
    } else {
      state.picker = null;
    }
    $$("#actions [data-act]").forEach((b) => b.addEventListener("click", () => doAction(b.dataset.act, b.dataset.passed)));
    showAddress(ev);
    showDuplicates(ev);
    if (GG.caseMap) GG.caseMap.mount($("#case-map-box"), ev).catch((e) => GG.showError(e, $("#case-map-box")));
  }

  // --- 疑似重复: open cases nearby or in the same grid, same 大类, last 7 days ------------------------------
  function distanceText(m) {
    if (m === null || m === undefined) return "同网格";
    return m < 1 ? "距离 <1 米" : "距离约 " + Math.round(m) + " 米";
  }

  async function showDuplicates(ev) {
    const box = $("#dup-box");
    if (!box) return;
    if (!OPEN.has(ev.status)) {
      box.innerHTML = "";
      return;
    }
    const head = '<h3>疑似重复 <span class="muted small">250 米内或同网格、同大类、近 7 天的在办事件</span></h3>';
    box.innerHTML = head + '<div class="muted small">正在查找疑似重复件…</div>';
    let rows;
    try {
      rows = await api("/api/events/" + ev.id + "/duplicates");
    } catch (e) {
      if (state.detail === ev) box.innerHTML = head + '<div class="msg warn small">疑似重复件查询失败：' + esc(e.message) + "</div>";
      return;
    }
    if (state.detail !== ev) return;
    state.dups = { id: ev.id, rows };
    const canMerge = (ev.allowed_actions || []).includes("merge");
    box.innerHTML =
      head +
      (rows.length
        ? '<ul class="dup-list" id="dup-list">' +
          rows
            .map((d) => {
              const o = d.event;
              return (
                '<li data-id="' + o.id + '"><div class="body" data-open-case="' + o.id + '" role="button" tabindex="0" title="打开该事件">' +
                '<div class="title">' + esc(o.title) + "</div>" +
                '<div class="meta">' + GG.statusBadge(state.ch, o.status, o.status_label) +
                "<span>" + esc(o.number || "#" + o.id) + "</span>" +
                '<span class="dist">' + esc(distanceText(d.distance_m)) + "</span>" +
                '<span class="sim">标题相似度 ' + Math.round(d.similarity * 100) + "%</span>" +
                "<span>上报于 " + esc(fmtTime(o.reported_at)) + "</span></div></div>" +
                (canMerge ? '<button type="button" class="btn small primary" data-merge="' + o.id + '">并入此案</button>' : "") +
                "</li>"
              );
            })
            .join("") +
          "</ul>"
        : '<div class="muted small dup-empty" id="dup-empty">未发现疑似重复件</div>') +
      '<div class="form-error" id="dup-error" role="alert"></div>';
  }

  /** The one-action 合并: the main case is one of the 疑似重复, so point there. */
  function pointToDuplicates() {
    const err = $("#act-error");
    const box = $("#dup-box");
    const first = $("#dup-list button[data-merge]");
    if (first) {
      err.textContent = "请在“疑似重复”中选择主案件，点击“并入此案”";
      box.scrollIntoView({ block: "nearest" });
      first.focus();
    } else {
      err.textContent = state.dups ? "未发现疑似重复件，没有可并入的主案件" : "正在查找疑似重复件，请稍候";
    }
  }

  async function mergeInto(mainId) {
    const ev = state.detail;
    const rows = state.dups && ev && state.dups.id === ev.id ? state.dups.rows : [];
    const main = (rows.find((d) => d.event.id === mainId) || {}).event;
    if (!ev || !main) return;
    const name = main.number || "#" + main.id;
    const ok = confirm(
      "确认将本件" + (ev.number ? "（" + ev.number + "）" : "") + "作为重复上报并入 " + name + "「" + main.title + "」？\n" +
        "合并后本件状态为“已合并”，不再单独办理，由主案件统一处置。",
    );
    if (!ok) return;
    const err = $("#dup-error");
    err.textContent = "";
    const buttons = $$("#dup-list button, #actions button");
    buttons.forEach((b) => (b.disabled = true));
    try {
      const note = ($("#note") && $("#note").value.trim()) || null;
      await CV.act(ev.id, "merge", { into_event_id: main.id, note });
      GG.toast("已合并：" + (ev.number || ev.title) + " 并入 " + name);
    } catch (e) {
      err.textContent = e.message;
      buttons.forEach((b) => (b.disabled = false));
      return;
    }
    await refresh(main.id, true);
    if (!state.items.some((e) => e.id === main.id)) await openCase(main.id);
  }

  /** The standard address of the case: when there is none (or its confidence is low), the candidates from the
   * address text (translate) and from the reported point (reverse), plus a search; "确认地址" runs the locate
   * action. Roles without that action only see the best suggestion. */
  async function showAddress(ev) {
    const box = $("#addr-box");
    if (!box) return;
    const info = CV.addressInfo(ev);
    const low = info.id == null || (info.confidence != null && info.confidence < LOW_CONFIDENCE);
    const canLocate = (ev.allowed_actions || []).includes("locate");
    if (!low) {
      box.innerHTML = "";
      return;
    }
    const hasPoint = ev.lon != null && ev.lat != null;
    if (!canLocate) {
      if (!ev.address_text) {
        box.innerHTML = ev.grid_code || hasPoint ? "" : '<div class="msg warn">事件没有地址，也未定位到网格</div>';
        return;
      }
      box.innerHTML = '<div class="muted small">正在匹配标准地址…</div>';
      try {
        const r = await api("/api/addresses/translate", { method: "POST", json: { text: ev.address_text } });
        if (state.detail !== ev) return;
        box.innerHTML = r.best
          ? '<div class="msg ' + (r.needs_review ? "warn" : "info") + '">标准地址建议：<b>' + esc(r.best.full_name) + "</b>（" + esc(r.best.code) + "，置信度 " + Math.round(r.confidence * 100) + "%" + (r.needs_review ? "，需人工确认" : "") + "）</div>"
          : '<div class="msg warn">未能匹配到标准地址</div>';
      } catch (e) {
        box.innerHTML = '<div class="msg warn">地址匹配失败：' + esc(e.message) + "</div>";
      }
      return;
    }
    const why =
      info.id == null
        ? "该事件尚未确认标准地址" + (ev.grid_code ? "" : "，也未定位到网格（确认地址后自动落到所属网格）")
        : "当前匹配的标准地址" + (info.name ? "“" + esc(info.name) + "”" : "") + "置信度偏低（" + Math.round(info.confidence * 100) + "%），请核实";
    box.innerHTML =
      '<h3>标准地址待确认</h3><div class="msg warn small">' + (info.id == null ? esc(why) : why) + "</div>" +
      '<ul class="addr-cands" id="addr-cands"><li class="muted small">正在查找候选地址…</li></ul>' +
      '<label>搜索标准地址<input id="addr-q" type="search" autocomplete="off" placeholder="输入地址名称或编码，回车搜索"></label>' +
      '<div class="form-error" id="addr-error" role="alert"></div>';
    $("#addr-cands").addEventListener("click", (e) => {
      const b = e.target.closest("button[data-code]");
      if (b) confirmAddress(ev, b.dataset.code, b.dataset.name);
    });
    $("#addr-q").addEventListener("keydown", (e) => {
      if (e.key !== "Enter") return;
      e.preventDefault();
      const q = e.target.value.trim();
      if (q) searchAddresses(ev, q).catch((err) => ($("#addr-error").textContent = err.message));
    });
    const jobs = [];
    jobs.push(ev.address_text ? api("/api/addresses/translate", { method: "POST", json: { text: ev.address_text } }) : Promise.resolve(null));
    jobs.push(hasPoint ? api("/api/addresses/reverse", { params: { lon: ev.lon, lat: ev.lat, k: 5, max_m: 500 } }) : Promise.resolve(null));
    const [tr, rev] = await Promise.allSettled(jobs);
    if (state.detail !== ev) return;
    const cands = [];
    const seen = new Set();
    const add = (code, name, why) => {
      if (!code || seen.has(code)) return;
      seen.add(code);
      cands.push({ code, name, why });
    };
    if (tr.status === "fulfilled" && tr.value) {
      tr.value.candidates.slice(0, 5).forEach((c, i) => add(c.code, c.full_name, "按地址描述匹配" + (i === 0 ? "，置信度 " + Math.round(tr.value.confidence * 100) + "%" : "")));
    }
    if (rev.status === "fulfilled" && rev.value) {
      rev.value.nearest.forEach((n) => add(n.code, n.full_name, "距上报位置约 " + Math.round(n.distance_m) + " 米"));
    }
    const failed = [tr, rev].filter((x) => x.status === "rejected").map((x) => x.reason.message);
    renderCandidates(cands, failed.length ? "候选地址查询失败：" + failed.join("；") : ev.address_text || hasPoint ? "没有找到候选地址，请搜索" : "事件没有地址描述和坐标，请搜索标准地址");
  }

  function renderCandidates(cands, emptyText) {
    $("#addr-cands").innerHTML = cands.length
      ? cands
          .map(
            (c) =>
              '<li><div class="body"><div>' + esc(c.name) + '</div><div class="muted small">' + esc(c.code) + " · " + esc(c.why) + "</div></div>" +
              '<button type="button" class="btn small primary" data-code="' + esc(c.code) + '" data-name="' + esc(c.name) + '">确认地址</button></li>',
          )
          .join("")
      : '<li class="muted small">' + esc(emptyText) + "</li>";
  }

  async function searchAddresses(ev, q) {
    $("#addr-error").textContent = "";
    const rows = await api("/api/addresses/search", { params: { q, limit: 10 } });
    if (state.detail !== ev) return;
    renderCandidates(
      rows.filter((a) => a.status === "active").map((a) => ({ code: a.code, name: a.full_name, why: "搜索结果" })),
      "没有找到“" + q + "”相关的标准地址",
    );
  }

  async function confirmAddress(ev, code, name) {
    const err = $("#addr-error");
    err.textContent = "";
    $$("#addr-cands button").forEach((b) => (b.disabled = true));
    try {
      await CV.act(ev.id, "locate", { address_code: code });
      GG.toast("地址已确认：" + (name || code));
      await refresh(ev.id);
    } catch (e) {
      err.textContent = e.message;
      $$("#addr-cands button").forEach((b) => (b.disabled = false));
    }
  }

  function bodyFor(action, ev, passed) {
    const note = ($("#note") && $("#note").value.trim()) || null;
    const body = { note };
    if ((action === "file" || action === "dispatch") && state.picker) {
      const code = state.picker.code();
      if (code && code !== ev.category_code) body.category_code = code;
      if (!code && !ev.category_code) throw new GG.ApiError("请先选择事件小类", 422, { error: { field: "category_code" } });
    }
    if (action === "dispatch") Object.assign(body, GG.dispatchChoice.body());
    if (action === "approve_extension" && $("#hours") && $("#hours").value) body.hours = Number($("#hours").value);
    if (action === "verify") body.passed = passed === "1";
    if (ACTIONS[action] && ACTIONS[action][2] && !note) {
      throw new GG.ApiError("“" + ACTIONS[action][0] + "”需要填写理由", 422, { error: { field: "note" } });
    }
    return body;
  }

  async function doAction(action, passed) {
    const ev = state.detail;
    if (!ev) return;
    const err = $("#act-error");
    err.textContent = "";
    if (action === "merge") {
      pointToDuplicates();
      return;
    }
    let body;
    try {
      body = bodyFor(action, ev, passed);
    } catch (e) {
      err.textContent = e.message;
      if (e.field === "note" && $("#note")) {
        $("#note").classList.add("field-error");
        $("#note").focus();
      }
      if (e.field === "category_code" && $("#cat-input")) $("#cat-input").focus();
      return;
    }
    $$("#actions button").forEach((b) => (b.disabled = true));
    try {
      const d = await CV.act(ev.id, action, body);
      GG.toast("“" + (ACTIONS[action] ? ACTIONS[action][0] : action) + "”已完成：" + (d.number || d.title));
      await refresh(null);
    } catch (e) {
      err.textContent = e.message;
      $$("#actions button").forEach((b) => (b.disabled = false));
    }
  }

  async function refresh(keepId, exact) {
    await loadQueues();
    if (state.searchQ !== null) await runSearch(state.searchQ, keepId, exact);
    else renderList(keepId, exact);
  }

  async function runSearch(q, keepId, exact) {
    state.searchQ = q;
    $$("#queues button").forEach((b) => b.classList.remove("active"));
    const r = await api("/api/events", { params: { q, limit: 50 } });
    state.items = r.items;
    renderList(keepId, exact);
  }

  function updateSelectedCount() {
    const ids = new Set(state.items.map((e) => e.id));
    for (const id of Array.from(state.selected)) if (!ids.has(id)) state.selected.delete(id);
    $("#selected-count").textContent = "已选 " + state.selected.size + " 件";
    $("#select-all").checked = state.items.length > 0 && state.selected.size === state.items.length;
  }

  async function bulk(action) {
    const ids = state.items.filter((e) => state.selected.has(e.id));
    if (!ids.length) {
      GG.toast("请先勾选事件", "warn");
      return;
    }
    const label = action === "file" ? "立案" : "派遣";
    let ok = 0;
    const failed = [];
    for (const ev of ids) {
      const body = {};
      if (!ev.category_code) {
        const s = GG.suggestCategories(state.majors, suggestionText(ev), 1);
        if (!s.length) {
          failed.push((ev.number || ev.title) + "：无法推荐小类，请逐件选择");
          continue;
        }
        body.category_code = s[0].item.code;
      }
      try {
        await CV.act(ev.id, action, body);
        ok += 1;
      } catch (e) {
        failed.push((ev.number || ev.title) + "：" + e.message);
      }
    }
    state.selected.clear();
    GG.toast("批量" + label + "：成功 " + ok + " 件" + (failed.length ? "，失败 " + failed.length + " 件" : ""), failed.length ? "warn" : "ok");
    if (failed.length) GG.toast(failed.slice(0, 5).join("\n"), "error");
    await refresh(null);
  }

  function wire() {
    $("#queues").addEventListener("click", (e) => {
      const b = e.target.closest("button[data-q]");
      if (!b) return;
      state.current = b.dataset.q;
      state.searchQ = null;
      state.index = 0;
      state.selected.clear();
      $("#search").value = "";
      $$("#queues button").forEach((x) => x.classList.toggle("active", x === b));
      renderList(null);
    });
    $("#case-list").addEventListener("click", (e) => {
      const li = e.target.closest("li[data-i]");
      if (!li) return;
      const ev = state.items[Number(li.dataset.i)];
      if (e.target.classList.contains("pick")) {
        if (e.target.checked) state.selected.add(ev.id);
        else state.selected.delete(ev.id);
        updateSelectedCount();
        return;
      }
      select(Number(li.dataset.i));
    });
    $("#select-all").addEventListener("change", (e) => {
      state.selected = new Set(e.target.checked ? state.items.map((x) => x.id) : []);
      $$("#case-list .pick").forEach((c) => (c.checked = e.target.checked));
      updateSelectedCount();
    });
    $("#case-panel").addEventListener("click", (e) => {
      const m = e.target.closest("button[data-merge]");
      if (m) {
        mergeInto(Number(m.dataset.merge)).catch((x) => GG.showError(x));
        return;
      }
      const o = e.target.closest("[data-open-case]");
      if (o) openCase(Number(o.dataset.openCase)).catch((x) => GG.showError(x));
    });
    $("#case-panel").addEventListener("keydown", (e) => {
      const o = e.key === "Enter" && e.target.matches && e.target.matches("[data-open-case][tabindex]") ? e.target : null;
      if (!o) return;
      e.preventDefault();
      openCase(Number(o.dataset.openCase)).catch((x) => GG.showError(x));
    });
    $("#bulk-file").addEventListener("click", () => bulk("file"));
    $("#bulk-dispatch").addEventListener("click", () => bulk("dispatch"));
    $("#refresh").addEventListener("click", () => refresh(state.detail && state.detail.id).catch((e) => GG.showError(e)));
    $("#search").addEventListener("keydown", (e) => {
      if (e.key === "Enter") {
        const q = e.target.value.trim();
        if (q) runSearch(q, null).catch((err) => GG.showError(err));
        else {
          state.searchQ = null;
          refresh(null);
        }
        e.target.blur();
      } else if (e.key === "Escape") e.target.blur();
    });
    document.addEventListener("keydown", (e) => {
      if (GG.isTyping(e) || e.ctrlKey || e.metaKey || e.altKey) return;
      const ev = state.detail;
      const can = (a) => ev && (ev.allowed_actions || []).includes(a);
      switch (e.key) {
        case "j":
          select(Math.min(state.index + 1, state.items.length - 1));
          break;
        case "k":
          select(Math.max(state.index - 1, 0));
          break;
        case "x": {
          const cur = state.items[state.index];
          if (!cur) break;
          if (state.selected.has(cur.id)) state.selected.delete(cur.id);
          else state.selected.add(cur.id);
          const box = $('#case-list li[data-i="' + state.index + '"] .pick');
          if (box) box.checked = state.selected.has(cur.id);
          updateSelectedCount();
          break;
        }
        case "/":
          e.preventDefault();
          $("#search").focus();
          break;
        case "f":
          if (can("file")) doAction("file");
          break;
        case "d":
          if (can("dispatch")) doAction("dispatch");
          break;
        case "r":
          if (can("reject")) doAction("reject");
          break;
        case "s":
          if (can("supervise")) doAction("supervise");
          break;
        case "m":
          if (can("merge")) doAction("merge");
          break;
        case "1":
        case "2":
        case "3":
          if (can("file") || can("dispatch")) GG.modelSuggest.accept(Number(e.key));
          break;
        default:
          return;
      }
    });
  }

  async function main() {
    state.me = await GG.requireLogin(["dispatcher", "community_staff", "admin", "leader"]);
    GG.alertBar($("#alert-bar"));
    [state.ch, state.majors] = await Promise.all([GG.choices(), GG.catalog()]);
    wire();
    await loadQueues();
    renderList(null);
    setInterval(() => {
      if (!document.hidden && !GG.isTyping({ target: document.activeElement })) loadQueues().catch(() => {});
    }, 30000);
  }

  main().catch((e) => GG.showError(e, $("#case-panel")));
})();
