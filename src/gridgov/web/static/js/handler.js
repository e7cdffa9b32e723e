/* Department handler: my tasks by deadline (time left, red/yellow), accept, return with a reason, request an
 * extension, submit the result with photos; co-department tasks (协办反馈); 吹哨报到 (report in, then the result). */
(function () {
  "use strict";
  const { $, $$, esc, api, fmtTime } = GG;
  const CV = GG.caseView;
  const state = { ch: null, tab: "mine", mine: [], co: [], summons: [], current: null, detail: null };
  const EMPTY = { mine: "暂无待办任务，辛苦了", co: "暂无协办任务", summons: "暂无吹哨召集" };

  function byDeadline(a, b) {
    const x = a.deadline_at ? new Date(a.deadline_at).getTime() : Infinity;
    const y = b.deadline_at ? new Date(b.deadline_at).getTime() : Infinity;
    return x - y || a.id - b.id;
  }

  async function load() {
    const r = await api("/api/me/queue", { params: { limit: 100 } });
    const q = r.queues;
    const seen = new Set();
    state.mine = [].concat((q.to_accept || { items: [] }).items, (q.in_progress || { items: [] }).items).filter((e) => !seen.has(e.id) && seen.add(e.id)).sort(byDeadline);
    state.co = ((q.co_tasks || { items: [] }).items || []).slice().sort(byDeadline);
    state.summons = ((q.summons || { items: [] }).items || []).slice();
    $("#n-mine").textContent = state.mine.length;
    $("#n-co").textContent = state.co.length;
    $("#n-summons").textContent = state.summons.length;
    renderList();
  }

  function renderList() {
    const items = state[state.tab];
    const box = $("#task-list");
    if (!items.length) {
      box.innerHTML = '<div class="empty">' + EMPTY[state.tab] + "</div>";
      return;
    }
    box.innerHTML =
      '<ul class="case-list">' +
      items
        .map((ev) => {
          const left = GG.timeLeft(ev.deadline_at);
          const cls = ev.sla_state === "red" || left.overdue ? "left-red" : ev.sla_state === "yellow" ? "left-yellow" : "";
          return (
            '<li data-id="' + ev.id + '" class="task-card ' + esc(ev.sla_state) + (state.current === ev.id ? " selected" : "") + '"><div class="body">' +
            '<div class="title">' + esc(ev.title) + "</div>" +
            '<div class="meta">' + GG.statusBadge(state.ch, ev.status, ev.status_label) + GG.slaBadge(state.ch, ev.sla_state) +
            (ev.repeat_count ? '<span class="badge" style="background:#fa8c16" title="重复诉求：另有 ' + ev.repeat_count + ' 件同一问题的报件并入本案">重复 +' + ev.repeat_count + "</span>" : "") +
            "<span>" + esc(ev.number || "#" + ev.id) + "</span><span>" + esc(ev.category_name || "") + "</span></div>" +
            '<div class="meta"><span class="' + cls + '" data-left>' + esc(left.text) + "</span><span>时限 " + esc(fmtTime(ev.deadline_at)) + "</span></div>" +
            "</div></li>"
          );
        })
        .join("") +
      "</ul>";
  }

  async function open(id) {
    state.current = id;
    $$("#task-list li").forEach((li) => li.classList.toggle("selected", Number(li.dataset.id) === id));
    try {
      renderPanel(await api("/api/events/" + id));
    } catch (e) {
      GG.showError(e, $("#task-panel"));
    }
  }

  function renderPanel(ev) {
    state.detail = ev;
    const allowed = ev.allowed_actions || [];
    const isCo = state.tab !== "mine";
    const myCo = (ev.tasks || []).some((t) => t.role === "co" && ["pending", "accepted"].includes(t.status) && t.department_id === state.me.department_id);
    const forms = [];
    if (!isCo && allowed.includes("accept")) {
      forms.push('<div class="actions"><button type="button" class="btn primary" id="btn-accept">签收</button></div>');
    }
    if (!isCo && allowed.includes("handle")) {
      forms.push(
        '<h3>提交处置结果</h3><label>处置结果<textarea id="result-note" placeholder="如：已安排人员清理完毕"></textarea></label>' +
          '<label>现场照片（可多张）<input id="result-photos" type="file" accept="image/*" multiple></label><div class="preview" id="result-preview"></div>' +
          '<div class="actions"><button type="button" class="btn ok" id="btn-handle">提交处置结果</button></div>',
      );
    }
    if (!isCo && allowed.includes("request_extension") && !ev.extension_requested) {
      forms.push(
        '<details><summary>申请延期</summary><label>延期工作小时<input id="ext-hours" type="number" min="0.5" step="0.5" value="4"></label>' +
          '<label>延期理由<textarea id="ext-note"></textarea></label><button type="button" class="btn warn" id="btn-extend">提交延期申请</button></details>',
      );
    }
    if (!isCo && allowed.includes("return")) {
      forms.push(
        '<details><summary>退回（非本单位职责）</summary><label>退回理由<textarea id="return-note" placeholder="请说明退回原因，便于重新派遣"></textarea></label>' +
          '<button type="button" class="btn danger" id="btn-return">退回</button></details>',
      );
    }
    if (allowed.includes("co_report") && myCo) {
      forms.push(
        '<h3>协办反馈</h3><label>反馈内容<textarea id="co-note" placeholder="本单位已完成的工作"></textarea></label>' +
          '<label>照片<input id="co-photos" type="file" accept="image/*" multiple></label><div class="preview" id="co-preview"></div>' +
          '<button type="button" class="btn primary" id="btn-co">提交协办反馈</button>',
      );
    }
    if (ev.extension_requested) forms.push('<div class="msg info">已申请延期 ' + esc(ev.extension_requested) + " 工作小时，等待分拨中心审批</div>");
    $("#task-panel").innerHTML =
      '<h2>' + esc(ev.title) + ' <a class="btn small ghost print-sheet" target="_blank" href="/sheet?id=' + ev.id + '">打印派遣单</a></h2>' + (ev.description ? '<p class="muted">' + esc(ev.description) + "</p>" : "") +
      CV.summaryHtml(state.ch, ev) +
      '<section id="case-map-box" class="case-map-box"></section>' +
      "<section>" + (forms.join("") || '<div class="muted">当前没有需要您办理的操作</div>') + '<div class="form-error" id="act-error" role="alert"></div></section>' +
      GG.summons.section(ev, state.me) +
      "<section><h3>承办任务</h3>" + CV.tasksHtml(ev.tasks) + "</section><section><h3>办理记录</h3>" + CV.historyHtml(state.ch, ev.history) + "</section>";
    CV.loadPhotos($("#task-panel"));
    if (GG.caseMap) GG.caseMap.mount($("#case-map-box"), ev).catch((e) => GG.showError(e, $("#case-map-box")));
    GG.summons.wire($("#task-panel"), ev, state.me, async (msg) => {
      GG.toast(msg);
      await load();
      await open(ev.id);
    });
    const photos = $("#result-photos") ? CV.photoInput($("#result-photos"), $("#result-preview")) : null;
    const coPhotos = $("#co-photos") ? CV.photoInput($("#co-photos"), $("#co-preview")) : null;
    const on = (sel, fn) => $(sel) && $(sel).addEventListener("click", () => run(fn));
    on("#btn-accept", () => CV.act(ev.id, "accept", {}).then(() => "已签收"));
    on("#btn-handle", async () => {
      const note = $("#result-note").value.trim();
      if (!note) throw new GG.ApiError("请填写处置结果", 422, { error: { field: "note" } });
      const attachments = await photos.upload();
      await CV.act(ev.id, "handle", { note, attachments });
      return "处置结果已提交，等待复核";
    });
    on("#btn-extend", async () => {
      const note = $("#ext-note").value.trim();
      if (!note) throw new GG.ApiError("请填写延期理由", 422, {});
      await CV.act(ev.id, "request_extension", { note, hours: Number($("#ext-hours").value) });
      return "延期申请已提交";
    });
    on("#btn-return", async () => {
      const note = $("#return-note").value.trim();
      if (!note) throw new GG.ApiError("请填写退回理由", 422, {});
      await CV.act(ev.id, "return", { note });
      return "已退回分拨中心";
    });
    on("#btn-co", async () => {
      const note = $("#co-note").value.trim();
      if (!note) throw new GG.ApiError("请填写协办反馈内容", 422, {});
      await CV.act(ev.id, "co_report", { note, attachments: await coPhotos.upload() });
      return "协办反馈已提交";
    });
  }

  async function run(fn) {
    const err = $("#act-error");
    err.textContent = "";
    $$("#task-panel button").forEach((b) => (b.disabled = true));
    try {
      const msg = await fn();
      GG.toast(msg);
      await load();
      const still = state[state.tab].some((e) => e.id === state.current);
      if (still) await open(state.current);
      else $("#task-panel").innerHTML = '<div class="empty">已办理完成。选择下一项任务继续</div>';
    } catch (e) {
      err.textContent = e.message;
      $$("#task-panel button").forEach((b) => (b.disabled = false));
    }
  }

  async function main() {
    state.me = await GG.requireLogin(["handler", "community_staff"]);
    state.ch = await GG.choices();
    $("#tabs").addEventListener("click", (e) => {
      const b = e.target.closest("button[data-tab]");
      if (!b) return;
      $$("#tabs button").forEach((x) => x.classList.toggle("active", x === b));
      const risk = b.dataset.tab === "risk"; // 风险清单: the regulator's list instead of the task columns
      $(".two-col").hidden = risk;
      $("#risk-view").hidden = !risk;
      if (risk) return GG.riskList.show($("#risk-view"));
      state.tab = b.dataset.tab;
      renderList();
      $("#task-panel").innerHTML = '<div class="empty">选择一项任务查看详情并办理</div>';
    });
    $("#task-list").addEventListener("click", (e) => {
      const li = e.target.closest("li[data-id]");
      if (li) open(Number(li.dataset.id));
    });
    await load();
    setInterval(() => {
      $$("#task-list [data-left]").forEach((el, i) => {
        const items = state[state.tab];
        if (items[i]) el.textContent = GG.timeLeft(items[i].deadline_at).text;
      });
      GG.summons.tick($("#task-panel"));
    }, 30000);
    setInterval(() => !document.hidden && load().catch(() => {}), 60000);
  }

  main().catch((e) => GG.showError(e, $("#task-list")));
})();
