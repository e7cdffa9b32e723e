/* Admin: the audit log (审计日志) — the hash chain's verification (the same walk as `gridgov audit verify`), the
 * rows filtered by actor, action, object and time range, newest first in pages, and the CSV export of the filter
 * (the export is itself a row of the log, listed on top afterwards). GG.adminAudit(box). */
(function () {
  "use strict";
  const { $, esc, api, fmtTime } = GG;
  const PAGE = 50;

  async function allUsers() {
    const out = [];
    for (let offset = 0; offset < 10000; offset += 1000) {
      const page = await api("/api/users", { params: { limit: 1000, offset } });
      out.push(...page);
      if (page.length < 1000) break;
    }
    return out;
  }

  /** A datetime-local value is Beijing time. */
  const beijing = (v) => (v ? v + (v.length === 16 ? ":00" : "") + "+08:00" : "");

  GG.adminAudit = async function (box) {
    const [ch, users] = await Promise.all([GG.choices(), allUsers()]);
    const actions = Object.values(ch.audit_action || {}).sort((a, b) => a.value.localeCompare(b.value));
    const byName = new Map(users.map((u) => [u.username, u.id]));
    box.innerHTML =
      '<div class="card"><h2>审计日志</h2>' +
      '<div class="row"><div id="audit-verify" class="msg info small">正在校验哈希链…</div>' +
      '<button type="button" class="btn small" id="audit-reverify">重新校验</button></div>' +
      '<form id="audit-filter" class="row" autocomplete="off">' +
      '<label>操作人<input name="actor" list="audit-users" placeholder="用户名" maxlength="64"></label>' +
      '<datalist id="audit-users">' + users.map((u) => '<option value="' + esc(u.username) + '">' + esc(u.display_name) + "</option>").join("") + "</datalist>" +
      '<label>动作<select name="action"><option value="">全部</option>' +
      actions.map((a) => '<option value="' + esc(a.value) + '">' + esc(a.label) + "（" + esc(a.value) + "）</option>").join("") +
      "</select></label>" +
      '<label>对象类型<input name="entity" maxlength="64" placeholder="如 event、attachment"></label>' +
      '<label>对象 ID<input name="entity_id" maxlength="64"></label>' +
      '<label>从<input name="at_from" type="datetime-local"></label>' +
      '<label>到<input name="at_to" type="datetime-local"></label>' +
      '<button class="btn primary" type="submit">查询</button>' +
      '<button class="btn" type="button" id="audit-export">导出 CSV</button></form>' +
      '<div class="form-error" id="audit-error" role="alert"></div><div id="audit-list"></div>' +
      '<div class="row" id="audit-pager"><button type="button" class="btn small" id="audit-prev">上一页</button>' +
      '<span id="audit-page" class="muted small"></span><button type="button" class="btn small" id="audit-next">下一页</button></div></div>';

    const cursors = [null]; // the cursor of each page shown so far; the last is the current page's
    let next = null;

    const verify = async () => {
      const el = $("#audit-verify");
      el.className = "msg info small";
      el.textContent = "正在校验哈希链…";
      const v = await api("/api/admin/audit/verify");
      if (v.ok) {
        el.textContent = "哈希链完整：共 " + v.rows + " 条，链头 " + v.head_seq + ":" + v.head_hash.slice(0, 16) + "…";
      } else {
        const bad = v.first_bad;
        el.className = "msg error small";
        el.textContent = "审计日志校验失败：" + (bad.seq != null ? "第 " + bad.seq + " 条" : "链") + (bad.id != null ? "（id=" + bad.id + "）" : "") + " " + bad.reason;
      }
    };

    const filter = () => {
      const f = Object.fromEntries(new FormData($("#audit-filter")).entries());
      const params = {};
      const actor = (f.actor || "").trim();
      if (actor) {
        if (!byName.has(actor)) throw new GG.ApiError("操作人“" + actor + "”不存在", 0, null);
        params.actor_id = byName.get(actor);
      }
      for (const k of ["action", "entity", "entity_id"]) if ((f[k] || "").trim()) params[k] = f[k].trim();
      if (f.at_from) params.at_from = beijing(f.at_from);
      if (f.at_to) params.at_to = beijing(f.at_to);
      return params;
    };

    const label = (set, value) => ((ch[set] || {})[value] || {}).label || value;
    const show = async () => {
      $("#audit-error").textContent = "";
      const cursor = cursors[cursors.length - 1];
      const page = await api("/api/admin/audit", { params: Object.assign(filter(), { limit: PAGE }, cursor ? { cursor } : {}) });
      next = page.next_cursor;
      $("#audit-list").innerHTML = page.items.length
        ? '<table class="grid" id="audit-table"><thead><tr><th>序号</th><th>时间</th><th>操作人</th><th>角色</th><th>动作</th><th>对象</th><th>详情</th></tr></thead><tbody>' +
          page.items
            .map((r) => {
              const detail = JSON.stringify(r.detail);
              return (
                '<tr data-action="' + esc(r.action) + '"><td>' + esc(r.seq ?? "") + "</td><td>" + esc(fmtTime(r.at, true)) + "</td><td>" +
                esc(r.actor_name || (r.actor_id == null ? "系统/免登录" : "#" + r.actor_id)) + "</td><td>" + esc(label("role", r.actor_role)) +
                "</td><td>" + esc(label("audit_action", r.action)) + "</td><td>" + esc(r.entity) + " " + esc(r.entity_id) +
                '</td><td class="small" title="' + esc(detail) + '">' + esc(detail.length > 120 ? detail.slice(0, 120) + "…" : detail) + "</td></tr>"
              );
            })
            .join("") +
          "</tbody></table>"
        : '<div class="empty">没有符合条件的审计记录</div>';
      $("#audit-page").textContent = "第 " + cursors.length + " 页";
      $("#audit-prev").disabled = cursors.length === 1;
      $("#audit-next").disabled = next == null;
    };
    const guard = (fn) => async (e) => {
      if (e) e.preventDefault();
      try {
        await fn();
      } catch (x) {
        $("#audit-error").textContent = x.message;
      }
    };

    $("#audit-filter").addEventListener("submit", guard(async () => {
      cursors.length = 1;
      await show();
    }));
    $("#audit-next").addEventListener("click", guard(async () => {
      if (next == null) return;
      cursors.push(next);
      await show();
    }));
    $("#audit-prev").addEventListener("click", guard(async () => {
      if (cursors.length > 1) cursors.pop();
      await show();
    }));
    $("#audit-reverify").addEventListener("click", guard(verify));
    $("#audit-export").addEventListener("click", guard(async () => {
      const res = await api("/api/admin/audit.csv", { params: filter(), raw: true, headers: { Accept: "text/csv" } });
      const a = document.createElement("a");
      a.href = URL.createObjectURL(await res.blob());
      a.download = "audit.csv";
      document.body.appendChild(a);
      a.click();
      a.remove();
      GG.toast("已导出（导出操作已记入审计日志）");
      cursors.length = 1;
      await show(); // the export's own row is on top now
    }));
    await Promise.all([show(), verify().catch((x) => ($("#audit-verify").textContent = x.message))]);
  };
})();
