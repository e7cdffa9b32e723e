/* 吹哨报到 in every case panel: each summons' state and clock (剩余/已超时 until the department reports in, then its
 * response time), 报到 and 反馈结果 for the caller's own department, 撤回 (with a reason) for the summoning centre
 * while the department has not reported in, and the one-action 吹哨 form (departments,
 * note, report-in deadline) for those who may summon. GG.summons.section(ev, me) renders, .wire(root, ev, me, done)
 * binds; done(message) is called after an action succeeded. */
(function () {
  "use strict";
  const { $, $$, esc, api, fmtTime } = GG;
  const COLORS = { summoned: "#fa8c16", reported_in: "#1f6feb", done: "#269a99", withdrawn: "#8c8c8c" };
  const LEVEL = { community: "社区", street: "街道", district: "区" };

  function clock(s) {
    if (s.status === "withdrawn") return '<span class="muted">已撤回，不计入报到用时</span>';
    if (s.reported_in_at) {
      const mins = s.response_minutes == null ? "" : s.response_minutes + " 分钟";
      return '<span class="' + (s.on_time ? "ok-text" : "left-red") + '">报到用时 ' + esc(mins) + (s.on_time ? "（按时）" : "（超时）") + "</span>";
    }
    const left = GG.timeLeft(s.respond_by);
    return '<span class="' + (left.overdue ? "left-red" : "left-yellow") + '" data-summons-left="' + esc(s.respond_by) + '">报到' + esc(left.text) + "</span>";
  }

  function rowsHtml(ev, me) {
    const list = ev.summons || [];
    if (!list.length) return '<div class="muted small">尚未吹哨</div>';
    const allowed = ev.allowed_actions || [];
    return (
      '<ul class="summons-list" id="summons-list">' +
      list
        .map((s) => {
          const mine = me && me.department_id === s.department_id;
          let buttons = "";
          if (mine && s.status === "summoned" && allowed.includes("report_in")) {
            buttons = '<button type="button" class="btn small primary" data-report-in="' + s.id + '">报到</button>';
          } else if (mine && s.status === "reported_in" && allowed.includes("summons_result")) {
            buttons =
              '<textarea class="summons-result" data-result-note="' + s.id + '" placeholder="本部门到场处置的结果"></textarea>' +
              '<button type="button" class="btn small ok" data-summons-result="' + s.id + '">反馈结果</button>';
          }
          if (s.may_withdraw && allowed.includes("withdraw_summons")) {
            buttons +=
              '<input class="summons-withdraw-note" data-withdraw-note="' + s.id + '" placeholder="撤回理由（必填）" aria-label="撤回理由">' +
              '<button type="button" class="btn small danger" data-withdraw="' + s.id + '">撤回吹哨</button>';
          }
          return (
            '<li data-summons="' + s.id + '"><div class="body"><div><b>' + esc(s.department_name || "部门" + s.department_id) + "</b> " +
            GG.badge(s.status_label || s.status, COLORS[s.status] || "#888") + " " + clock(s) + "</div>" +
            '<div class="muted small">吹哨于 ' + esc(fmtTime(s.summoned_at)) + " · 报到时限 " + esc(fmtTime(s.respond_by)) +
            (s.reported_in_at ? " · 报到于 " + esc(fmtTime(s.reported_in_at)) : "") + "</div>" +
            "<div>" + esc(s.note) + "</div>" +
            (s.result_note ? '<div class="small">处置结果：' + esc(s.result_note) + "</div>" : "") +
            (s.withdrawn_at ? '<div class="small muted">撤回于 ' + esc(fmtTime(s.withdrawn_at)) + "：" + esc(s.withdraw_note || "") + "</div>" : "") +
            "</div>" + (buttons ? '<div class="summons-actions">' + buttons + "</div>" : "") + "</li>"
          );
        })
        .join("") +
      "</ul>"
    );
  }

  function formHtml(ev) {
    if (!(ev.allowed_actions || []).includes("summon")) return "";
    return (
      '<details class="summon-form" id="summon-form"><summary>吹哨（召集部门到场）</summary>' +
      '<div class="summon-depts" id="summon-depts"><div class="muted small">正在加载可召集的部门…</div></div>' +
      '<label>吹哨说明<textarea id="summon-note" placeholder="如：占道夜市阻断消防通道，请相关部门到场联合处置"></textarea></label>' +
      '<label>报到时限<select id="summon-minutes"><option value="30">30 分钟</option><option value="60" selected>1 小时</option>' +
      '<option value="120">2 小时</option><option value="240">4 小时</option><option value="1440">24 小时</option></select></label>' +
      '<button type="button" class="btn warn" id="btn-summon">吹哨</button></details>'
    );
  }

  function section(ev, me) {
    if (!(ev.summons || []).length && !(ev.allowed_actions || []).includes("summon")) return "";
    return '<section class="summons" id="summons-box"><h3>吹哨报到</h3>' + rowsHtml(ev, me) + formHtml(ev) + '<div class="form-error" id="summons-error" role="alert"></div></section>';
  }

  async function loadDepartments(ev) {
    const box = $("#summon-depts");
    if (!box) return;
    try {
      const o = await api("/api/events/" + ev.id + "/dispatch-options");
      const lead = (ev.tasks || []).filter((t) => t.role === "lead" && t.status !== "cancelled").map((t) => t.department_id);
      const waiting = new Set((ev.summons || []).filter((s) => s.status === "summoned" || s.status === "reported_in").map((s) => s.department_id));
      const depts = o.departments.filter((d) => !lead.includes(d.id));
      box.innerHTML = depts.length
        ? depts
            .map(
              (d) =>
                '<label class="nowrap"><input type="checkbox" value="' + d.id + '"' + (waiting.has(d.id) ? " disabled" : "") + "> " +
                esc(d.name) + ' <span class="muted small">' + esc(LEVEL[d.level] || d.level) + (waiting.has(d.id) ? " · 已吹哨" : "") + "</span></label>",
            )
            .join("")
        : '<div class="muted small">没有可召集的部门</div>';
    } catch (e) {
      box.innerHTML = '<div class="msg warn small">部门列表加载失败：' + esc(e.message) + "</div>";
    }
  }

  function wire(root, ev, me, done) {
    const err = () => $("#summons-error", root);
    async function run(fn) {
      err().textContent = "";
      const buttons = $$("#summons-box button", root);
      buttons.forEach((b) => (b.disabled = true));
      try {
        await done(await fn());
      } catch (e) {
        err().textContent = e.message;
        buttons.forEach((b) => (b.disabled = false));
      }
    }
    const form = $("#summon-form", root);
    if (form) form.addEventListener("toggle", () => form.open && loadDepartments(ev), { once: true });
    const go = $("#btn-summon", root);
    if (go) {
      go.addEventListener("click", () =>
        run(async () => {
          const ids = $$("#summon-depts input:checked", root).map((c) => Number(c.value));
          if (!ids.length) throw new GG.ApiError("请选择要召集的部门", 422, { error: { field: "department_ids" } });
          const note = $("#summon-note", root).value.trim();
          if (!note) throw new GG.ApiError("请填写吹哨说明", 422, { error: { field: "note" } });
          await GG.caseView.act(ev.id, "summon", { department_ids: ids, note, respond_within_minutes: Number($("#summon-minutes", root).value) });
          return "已吹哨：召集 " + ids.length + " 个部门";
        }),
      );
    }
    $$("[data-report-in]", root).forEach((b) =>
      b.addEventListener("click", () => run(() => GG.caseView.act(ev.id, "report_in", { summons_id: Number(b.dataset.reportIn) }).then(() => "已报到"))),
    );
    $$("[data-withdraw]", root).forEach((b) =>
      b.addEventListener("click", () =>
        run(async () => {
          const input = $('[data-withdraw-note="' + b.dataset.withdraw + '"]', root);
          const note = input.value.trim();
          if (!note) {
            input.focus();
            throw new GG.ApiError("请填写撤回理由", 422, { error: { field: "note" } });
          }
          await GG.caseView.act(ev.id, "withdraw_summons", { summons_id: Number(b.dataset.withdraw), note });
          return "已撤回吹哨";
        }),
      ),
    );
    $$("[data-summons-result]", root).forEach((b) =>
      b.addEventListener("click", () =>
        run(async () => {
          const note = $('[data-result-note="' + b.dataset.summonsResult + '"]', root).value.trim();
          if (!note) throw new GG.ApiError("请填写处置结果", 422, { error: { field: "note" } });
          await GG.caseView.act(ev.id, "summons_result", { summons_id: Number(b.dataset.summonsResult), note });
          return "已反馈结果";
        }),
      ),
    );
  }

  /** Refresh the countdowns of the summons shown (called by the pages' timers). */
  function tick(root) {
    $$("[data-summons-left]", root || document).forEach((el) => {
      const left = GG.timeLeft(el.dataset.summonsLeft);
      el.textContent = "报到" + left.text;
      el.className = left.overdue ? "left-red" : "left-yellow";
    });
  }

  GG.summons = { section, wire, tick };
})();
