/* Admin: org tree and grids, departments, users (list/create), event catalog and time limits, working calendar,
 * routing rules, standard address search and the address review queue, notification templates (admin_notify.js),
 * the audit log (admin_audit.js), block data import with its progress (admin_blockdata.js). */
(function () {
  "use strict";
  const { $, $$, esc, api } = GG;
  const LEVEL = { city: "市", district: "区", street: "街道", community: "社区", grid: "网格" };
  const UNIT = { working_hours: "工作小时", working_days: "工作日" };
  const KIND = { holiday: "节假日", workday: "调休上班" };
  const state = { ch: null, tab: "org", trail: [], deptDivision: "", pane: null };
  const body = () => $("#tab-body");

  function fail(e, where) {
    GG.showError(e, where || null);
  }

  // --- org tree -----------------------------------------------------------------------------------------
  async function org(root) {
    const parent = state.trail.length ? state.trail[state.trail.length - 1] : null;
    const rows = await api("/api/org/divisions", { params: { parent_code: parent ? parent.code : null, limit: 5000 } });
    root.innerHTML =
      '<div class="card"><div class="crumbs" id="crumbs"><a data-i="-1">全部</a>' +
      state.trail.map((d, i) => ' <span class="muted">›</span> <a data-i="' + i + '">' + esc(d.name) + "</a>").join("") +
      "</div>" +
      (rows.length
        ? '<table class="grid"><thead><tr><th>名称</th><th>代码</th><th>层级</th><th>区域分类</th><th>中心点</th><th></th></tr></thead><tbody>' +
          rows
            .map(
              (d) =>
                '<tr class="clickable" data-code="' + esc(d.code) + '" data-name="' + esc(d.name) + '" data-level="' + esc(d.level) + '"><td>' + esc(d.name) + "</td><td>" + esc(d.code) + (d.code_is_official ? "" : ' <span class="muted small">（演示编码）</span>') +
                "</td><td>" + esc(LEVEL[d.level] || d.level) + "</td><td>" + esc(d.area_class) + "类</td><td>" + (d.center ? d.center.map((x) => x.toFixed(5)).join(", ") : "—") + "</td><td>" +
                (d.level !== "grid" ? '<span class="muted">下级 ›</span>' : "") + (d.level !== "grid" && d.level !== "city" ? ' <button type="button" class="btn small" data-depts="' + esc(d.code) + '">部门</button>' : "") + "</td></tr>",
            )
            .join("") +
          "</tbody></table>"
        : '<div class="empty">没有下级区划</div>') +
      "</div>";
    $("#crumbs").addEventListener("click", (e) => {
      const a = e.target.closest("a[data-i]");
      if (!a) return;
      state.trail = state.trail.slice(0, Number(a.dataset.i) + 1);
      org(root).catch(fail);
    });
    root.querySelector("tbody") &&
      root.querySelector("tbody").addEventListener("click", (e) => {
        const dep = e.target.closest("button[data-depts]");
        if (dep) {
          state.deptDivision = dep.dataset.depts;
          switchTab("depts");
          return;
        }
        const tr = e.target.closest("tr[data-code]");
        if (!tr || tr.dataset.level === "grid") return;
        state.trail.push({ code: tr.dataset.code, name: tr.dataset.name });
        org(root).catch(fail);
      });
  }

  // --- departments --------------------------------------------------------------------------------------
  async function depts(root) {
    root.innerHTML =
      '<div class="card"><form class="row" id="dept-form"><label>区划代码（区、街道或社区）<input id="dept-div" value="' + esc(state.deptDivision) + '" placeholder="如 440304000000"></label>' +
      '<button class="btn primary" type="submit">查询</button></form><div id="dept-list"></div></div>';
    const load = async () => {
      state.deptDivision = $("#dept-div").value.trim();
      const rows = await api("/api/org/departments", { params: { division_code: state.deptDivision || null } });
      $("#dept-list").innerHTML = rows.length
        ? '<table class="grid"><thead><tr><th>部门</th><th>代码</th><th>类型</th><th>层级</th><th>主办小类</th><th>协办小类</th></tr></thead><tbody>' +
          rows.map((d) => "<tr><td>" + esc(d.name) + "</td><td>" + esc(d.code) + "</td><td>" + esc(d.dept_type) + "</td><td>" + esc(LEVEL[d.level] || d.level) + "</td><td>" + d.owns.length + " 个</td><td>" + d.co_handles.length + " 个</td></tr>").join("") +
          "</tbody></table>"
        : '<div class="empty">没有部门</div>';
    };
    $("#dept-form").addEventListener("submit", (e) => {
      e.preventDefault();
      load().catch((x) => fail(x, $("#dept-list")));
    });
    await load();
  }

  // --- users --------------------------------------------------------------------------------------------
  async function users(root) {
    const roles = Object.values(state.ch.role).filter((r) => r.value !== "system");
    const opts = roles.map((r) => '<option value="' + esc(r.value) + '">' + esc(r.label) + "</option>").join("");
    root.innerHTML =
      '<div class="card"><h2>新建用户</h2><form id="user-form" autocomplete="off"><div class="row">' +
      '<label>用户名<input name="username" required pattern="[A-Za-z0-9_.-]{3,64}"></label><label>姓名<input name="display_name" required></label>' +
      '<label>初始密码（至少 8 位）<input name="password" type="password" minlength="8" required autocomplete="new-password"></label><label>角色<select name="role">' + opts + "</select></label></div>" +
      '<div class="row"><label>所属区划代码<input name="division_code" placeholder="分拨员、领导、社区、网格员"></label><label>所属部门代码<input name="department_code" placeholder="处置人员，如 440304000000-chengguan"></label>' +
      '<label>负责网格代码（逗号分隔）<input name="grid_codes"></label><label>手机号<input name="phone" type="tel"></label></div>' +
      '<div class="form-error" id="user-error" role="alert"></div><button class="btn primary" type="submit">创建</button></form></div>' +
      '<div class="card"><div class="row"><label>按角色筛选<select id="user-role"><option value="">全部</option>' + opts + '</select></label></div><div id="user-list"></div><div class="row"><button class="btn small" id="user-prev" type="button">上一页</button><button class="btn small" id="user-next" type="button">下一页</button></div></div>';
    let offset = 0;
    const load = async () => {
      const rows = await api("/api/users", { params: { role: $("#user-role").value || null, limit: 50, offset } });
      $("#user-list").innerHTML = rows.length
        ? '<table class="grid"><thead><tr><th>ID</th><th>用户名</th><th>姓名</th><th>角色</th><th>手机号</th></tr></thead><tbody>' +
          rows.map((u) => "<tr><td>" + u.id + "</td><td>" + esc(u.username) + "</td><td>" + esc(u.display_name) + "</td><td>" + esc((state.ch.role[u.role] || { label: u.role }).label) + "</td><td>" + esc(u.phone || "—") + "</td></tr>").join("") +
          "</tbody></table>"
        : '<div class="empty">没有用户</div>';
    };
    $("#user-role").addEventListener("change", () => ((offset = 0), load().catch(fail)));
    $("#user-prev").addEventListener("click", () => ((offset = Math.max(0, offset - 50)), load().catch(fail)));
    $("#user-next").addEventListener("click", () => ((offset += 50), load().catch(fail)));
    $("#user-form").addEventListener("submit", async (e) => {
      e.preventDefault();
      const f = new FormData(e.target);
      const data = Object.fromEntries(f.entries());
      data.grid_codes = (data.grid_codes || "").split(/[,，\s]+/).filter(Boolean);
      for (const k of ["division_code", "department_code", "phone"]) if (!data[k]) data[k] = null;
      $("#user-error").textContent = "";
      try {
        const u = await api("/api/users", { method: "POST", json: data });
        GG.toast("已创建用户 " + u.username);
        e.target.reset();
        await load();
      } catch (x) {
        $("#user-error").textContent = x.message;
      }
    });
    await load();
  }

  // --- catalog --------------------------------------------------------------------------------------------
  async function catalog(root) {
    const majors = await api("/api/catalog");
    root.innerHTML =
      '<div class="card"><div class="row"><label>搜索小类<input id="cat-q" placeholder="名称、代码或关键词"></label></div>' +
      '<p class="muted small">时限按区域分类 A/B/C 设置；修改后新派遣的事件按新时限计时。</p>' +
      '<table class="grid" id="cat-table"><thead><tr><th>代码</th><th>小类</th><th>大类</th><th>主办</th><th>默认层级</th><th>A 类</th><th>B 类</th><th>C 类</th><th>单位</th><th>可自行处置</th><th>启用</th><th></th></tr></thead><tbody>' +
      majors
        .flatMap((m) =>
          m.items.map(
            (c) =>
              '<tr data-code="' + esc(c.code) + '" data-search="' + esc((c.code + c.name + m.name + (c.keywords || []).join("")).toLowerCase()) + '"><td>' + esc(c.code) + "</td><td>" + esc(c.name) + "</td><td>" + esc(m.name) + "</td><td>" + esc(c.dept_type || "—") + "</td><td>" + esc(LEVEL[c.default_level] || c.default_level) + "</td>" +
              ["A", "B", "C"].map((k) => '<td><input type="number" min="1" step="1" style="width:70px" data-f="limit_' + k.toLowerCase() + '" value="' + (c.limits[k] || "") + '"></td>').join("") +
              '<td><select data-f="limit_unit">' + Object.entries(UNIT).map(([v, l]) => '<option value="' + v + '"' + (v === c.limit_unit ? " selected" : "") + ">" + l + "</option>").join("") + "</select></td>" +
              '<td><input type="checkbox" data-f="self_handle"' + (c.self_handle ? " checked" : "") + '></td><td><input type="checkbox" data-f="active"' + (c.active ? " checked" : "") + "></td>" +
              '<td><button type="button" class="btn small primary" data-save>保存</button></td></tr>',
          ),
        )
        .join("") +
      "</tbody></table></div>";
    $("#cat-q").addEventListener(
      "input",
      GG.debounce((e) => {
        const q = e.target.value.trim().toLowerCase();
        $$("#cat-table tbody tr").forEach((tr) => tr.classList.toggle("hidden", !!q && !tr.dataset.search.includes(q)));
      }, 150),
    );
    $("#cat-table").addEventListener("click", async (e) => {
      const b = e.target.closest("button[data-save]");
      if (!b) return;
      const tr = b.closest("tr");
      const patch = {};
      $$("[data-f]", tr).forEach((el) => {
        const f = el.dataset.f;
        if (el.type === "checkbox") patch[f] = el.checked;
        else if (el.type === "number") patch[f] = el.value ? Number(el.value) : null;
        else patch[f] = el.value;
      });
      b.disabled = true;
      try {
        await api("/api/catalog/" + encodeURIComponent(tr.dataset.code), { method: "PATCH", json: patch });
        GG.toast("已保存 " + tr.dataset.code);
      } catch (x) {
        GG.toast(x.message, "error");
      } finally {
        b.disabled = false;
      }
    });
  }

  // --- working calendar -----------------------------------------------------------------------------------
  async function calendar(root) {
    const year = new Date().getFullYear();
    root.innerHTML =
      '<div class="card"><h2>设置日期</h2><form class="row" id="day-form"><label>日期<input type="date" name="day" required></label>' +
      '<label>类型<select name="kind"><option value="holiday">节假日（不计工时）</option><option value="workday">调休上班</option><option value="">恢复默认</option></select></label>' +
      '<label>名称<input name="name" placeholder="如 国庆节"></label><button class="btn primary" type="submit">保存</button></form><div class="form-error" id="day-error"></div></div>' +
      '<div class="card"><div class="row"><label>年份<input type="number" id="cal-year" value="' + year + '" min="2000" max="2100" style="max-width:120px"></label></div><div id="cal-list"></div></div>';
    const load = async () => {
      const rows = await api("/api/calendar", { params: { year: $("#cal-year").value } });
      $("#cal-list").innerHTML = rows.length
        ? '<table class="grid"><thead><tr><th>日期</th><th>类型</th><th>名称</th></tr></thead><tbody>' + rows.map((r) => "<tr><td>" + esc(r.day) + "</td><td>" + esc(KIND[r.kind] || r.kind) + "</td><td>" + esc(r.name) + "</td></tr>").join("") + "</tbody></table>"
        : '<div class="empty">该年份没有节假日或调休记录（周末以外均为工作日）</div>';
    };
    $("#cal-year").addEventListener("change", () => load().catch(fail));
    $("#day-form").addEventListener("submit", async (e) => {
      e.preventDefault();
      const f = Object.fromEntries(new FormData(e.target).entries());
      $("#day-error").textContent = "";
      try {
        await api("/api/calendar/" + f.day, { method: "PUT", json: { kind: f.kind || null, name: f.name || "" } });
        GG.toast("已设置 " + f.day);
        $("#cal-year").value = f.day.slice(0, 4);
        await load();
      } catch (x) {
        $("#day-error").textContent = x.message;
      }
    });
    await load();
  }

  // --- routing rules --------------------------------------------------------------------------------------
  async function rules(root) {
    root.innerHTML =
      '<div class="card"><h2>新增分拨规则</h2><p class="muted small">规则覆盖事件目录的默认承办部门：越具体（区划更深、指定小类）的规则优先。</p>' +
      '<form id="rule-form"><div class="row"><label>小类代码（空为所有小类）<input name="category_code" pattern="\\d{5}"></label><label>区划代码（空为全市）<input name="division_code"></label>' +
      '<label>主办部门类型<input name="lead_dept_type" required placeholder="如 chengguan"></label><label>协办部门类型（逗号分隔）<input name="co_dept_types"></label>' +
      '<label>最低承办层级<select name="level"><option value="">不限</option><option value="grid">网格</option><option value="community">社区</option><option value="street">街道</option><option value="district">区</option></select></label></div>' +
      '<label>说明<input name="note"></label><div class="form-error" id="rule-error"></div><button class="btn primary" type="submit">新增</button></form></div><div class="card" id="rule-list"></div>';
    const load = async () => {
      const rows = await api("/api/routing-rules");
      $("#rule-list").innerHTML = rows.length
        ? '<table class="grid"><thead><tr><th>ID</th><th>小类</th><th>区划</th><th>主办</th><th>协办</th><th>层级</th><th>说明</th></tr></thead><tbody>' +
          rows.map((r) => "<tr><td>" + r.id + "</td><td>" + esc(r.category_code || "全部") + "</td><td>" + esc(r.division_code || "全市") + "</td><td>" + esc(r.lead_dept_type) + "</td><td>" + esc((r.co_dept_types || []).join("、") || "—") + "</td><td>" + esc(LEVEL[r.level] || "不限") + "</td><td>" + esc(r.note) + "</td></tr>").join("") +
          "</tbody></table>"
        : '<div class="empty">暂无分拨规则（按事件目录默认部门分拨）</div>';
    };
    $("#rule-form").addEventListener("submit", async (e) => {
      e.preventDefault();
      const f = Object.fromEntries(new FormData(e.target).entries());
      const data = {
        category_code: f.category_code || null,
        division_code: f.division_code || null,
        lead_dept_type: f.lead_dept_type,
        co_dept_types: (f.co_dept_types || "").split(/[,，\s]+/).filter(Boolean),
        level: f.level || null,
        note: f.note || "",
      };
      $("#rule-error").textContent = "";
      try {
        const r = await api("/api/routing-rules", { method: "POST", json: data });
        GG.toast("已新增规则 #" + r.id);
        e.target.reset();
        await load();
      } catch (x) {
        $("#rule-error").textContent = x.message;
      }
    });
    await load();
  }

  // --- addresses ------------------------------------------------------------------------------------------
  async function address(root) {
    root.innerHTML =
      '<div class="card"><h2>地址查询</h2><form class="row" id="addr-form"><label>编码、名称或任意写法<input id="addr-q" placeholder="如 南园路 88 号"></label><button class="btn primary" type="submit">查询</button></form><div id="addr-list"></div></div>' +
      '<div class="card"><h2>地址待确认</h2><p class="muted small">事件地址匹配置信度不足时进入此队列；确认后事件获得标准地址与网格，输入写法学习为别名。</p><div id="review-list"></div></div>';
    $("#addr-form").addEventListener("submit", async (e) => {
      e.preventDefault();
      const q = $("#addr-q").value.trim();
      if (!q) return;
      try {
        const rows = await api("/api/addresses/search", { params: { q, limit: 30 } });
        $("#addr-list").innerHTML = rows.length
          ? '<table class="grid"><thead><tr><th>编码</th><th>标准地址</th><th>层级</th><th>状态</th><th>别名</th></tr></thead><tbody>' +
            rows.map((a) => "<tr><td>" + esc(a.code) + '</td><td><a href="/building/' + encodeURIComponent(a.code) + '" title="一楼一档">' + esc(a.full_name) + "</a></td><td>" + esc(a.level) + "</td><td>" + esc(a.status) + "</td><td>" + esc(a.aliases.join("、")) + "</td></tr>").join("") +
            "</tbody></table>"
          : '<div class="empty">没有找到匹配的标准地址</div>';
      } catch (x) {
        fail(x, $("#addr-list"));
      }
    });
    const loadReviews = async () => {
      const rows = await api("/api/addresses/reviews", { params: { status: "pending", limit: 100 } });
      $("#review-list").innerHTML = rows.length
        ? rows
            .map(
              (r) =>
                '<div class="item" data-id="' + r.id + '"><div class="title">' + esc(r.input_text) + ' <span class="muted small">置信度 ' + Math.round(r.confidence * 100) + "% · 来源 " + esc(r.source) + (r.source_id ? " #" + r.source_id : "") + "</span></div>" +
                '<div class="chips" style="margin:6px 0">' + (r.candidates || []).map((c) => '<span class="chip" data-resolve="' + esc(c.code) + '" title="' + esc(c.code) + '">确认为：' + esc(c.full_name || c.code) + "</span>").join("") + "</div>" +
                '<div class="row"><input placeholder="或输入标准地址编码" data-code-input style="max-width:260px"><button type="button" class="btn small" data-resolve-input>确认</button><button type="button" class="btn small danger" data-dismiss>忽略</button></div></div>',
            )
            .join("")
        : '<div class="empty">没有待确认的地址</div>';
    };
    $("#review-list").addEventListener("click", async (e) => {
      const item = e.target.closest(".item[data-id]");
      if (!item) return;
      const id = item.dataset.id;
      try {
        if (e.target.dataset.resolve || e.target.hasAttribute("data-resolve-input")) {
          const code = e.target.dataset.resolve || $("[data-code-input]", item).value.trim();
          if (!code) throw new Error("请输入标准地址编码");
          await api("/api/addresses/reviews/" + id + "/resolve", { method: "POST", json: { code, learn: true } });
          GG.toast("已确认地址");
        } else if (e.target.hasAttribute("data-dismiss")) {
          await api("/api/addresses/reviews/" + id + "/dismiss", { method: "POST", json: { note: null } });
          GG.toast("已忽略");
        } else return;
        await loadReviews();
      } catch (x) {
        GG.toast(x.message, "error");
      }
    });
    await loadReviews().catch((x) => fail(x, $("#review-list")));
  }

  const roster = (root) => GG.adminRoster(root);
  const notify = (root) => GG.adminNotify(root);
  const audit = (root) => GG.adminAudit(root);
  const blockdata = (root) => GG.adminBlockdata(root);
  const classifier = (root) => GG.adminClassifier(root);
  const alarmrules = (root) => GG.adminAlarmRules(root);
  const TABS = {
    org, depts, users, catalog, calendar, rules, address, roster, notify, audit, blockdata, classifier, alarmrules,
  };
  function switchTab(name) {
    state.tab = name;
    $$("#tabs button").forEach((b) => b.classList.toggle("active", b.dataset.tab === name));
    // each switch renders into a fresh pane: a slower tab that was left must neither draw into nor fail in the new one
    const pane = document.createElement("div");
    pane.innerHTML = '<div class="loading">加载中…</div>';
    body().replaceChildren(pane);
    state.pane = pane;
    TABS[name](pane).catch((e) => {
      if (state.pane === pane) fail(e, pane);
    });
  }

  async function main() {
    await GG.requireLogin(["admin"]);
    state.ch = await GG.choices();
    $("#tabs").addEventListener("click", (e) => {
      const b = e.target.closest("button[data-tab]");
      if (b) switchTab(b.dataset.tab);
    });
    switchTab(location.hash.slice(1) in TABS ? location.hash.slice(1) : "org");
    // a link to another tab of this page (/admin#classifier while /admin is open) changes only the hash
    window.addEventListener("hashchange", () => {
      const name = location.hash.slice(1);
      if (name in TABS && name !== state.tab) switchTab(name);
    });
  }

  main().catch((e) => fail(e, body()));
})();
