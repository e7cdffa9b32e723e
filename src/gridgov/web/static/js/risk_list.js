/* 风险清单 (the regulator's risk list) in the handler page: the enterprises / addresses of the caller's department
 * graded 高 / 中 / 低 by GET /api/hazards/risk-grades (highest score first, the factors of each score), filtered by
 * grade and by name or address, exported as CSV (UTF-8 with BOM so that Excel reads the Chinese).
 * GG.riskList.show(root) renders into root and loads. */
(function () {
  "use strict";
  const { $, esc, api, fmtTime, badge } = GG;
  const state = { rows: [], grade: "", q: "" };
  const COLUMNS = ["等级", "得分", "名称", "行业", "标准地址", "网格", "得分因素", "巡查周期（天）", "分级时间"];

  function factors(r) {
    return r.factors.map((f) => f.name + "：" + f.detail + "（+" + f.points + "）");
  }

  function shown() {
    const q = state.q.trim();
    return state.rows.filter(
      (r) => !q || r.name.includes(q) || (r.address_code || "").includes(q) || r.industry.includes(q)
    );
  }

  function counts() {
    const n = { high: 0, medium: 0, low: 0 };
    state.rows.forEach((r) => (n[r.grade] = (n[r.grade] || 0) + 1));
    return n;
  }

  function rowHtml(r) {
    return (
      '<tr data-subject="' + esc(r.subject) + '" data-grade="' + esc(r.grade) + '">' +
      "<td>" + badge(r.grade_label, r.color) + "</td>" +
      '<td class="num">' + esc(r.score) + "</td>" +
      "<td>" + esc(r.name) + '<div class="muted small">' + esc(r.industry) + "</div></td>" +
      '<td class="small">' + esc(r.address_code || "") + "</td>" +
      '<td><ul class="risk-factors">' + factors(r).map((f) => "<li>" + esc(f) + "</li>").join("") + "</ul></td>" +
      '<td class="num">' + esc(r.inspection_days) + "</td>" +
      "</tr>"
    );
  }

  function render(root) {
    const n = counts();
    $("#risk-counts", root).innerHTML =
      badge("高风险 " + n.high, "#cf1322") + " " + badge("中风险 " + n.medium, "#fa8c16") + " " + badge("低风险 " + n.low, "#389e0d");
    const rows = shown();
    $("#risk-body", root).innerHTML = rows.length
      ? rows.map(rowHtml).join("")
      : '<tr><td colspan="6" class="empty">没有符合条件的企业或地址</td></tr>';
  }

  function csvCell(v) {
    const s = String(v == null ? "" : v);
    return /[",\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
  }

  function exportCsv() {
    const lines = [COLUMNS.join(",")].concat(
      shown().map((r) =>
        [r.grade_label, r.score, r.name, r.industry, r.address_code, r.grid_code, factors(r).join("；"), r.inspection_days, fmtTime(r.graded_at)]
          .map(csvCell)
          .join(",")
      )
    );
    const blob = new Blob(["\ufeff" + lines.join("\r\n") + "\r\n"], { type: "text/csv;charset=utf-8" });
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = "风险清单.csv";
    document.body.appendChild(a);
    a.click();
    setTimeout(() => (URL.revokeObjectURL(a.href), a.remove()), 0);
  }

  async function load(root) {
    const params = { limit: 1000 };
    if (state.grade) params.grade = state.grade;
    state.rows = await api("/api/hazards/risk-grades", { params });
    render(root);
  }

  function show(root) {
    if (!root.dataset.wired) {
      root.dataset.wired = "1";
      root.innerHTML =
        '<div class="risk-bar">' +
        '<label>等级 <select id="risk-grade"><option value="">全部</option><option value="high">高风险</option>' +
        '<option value="medium">中风险</option><option value="low">低风险</option></select></label> ' +
        '<input id="risk-q" type="search" placeholder="名称、行业或地址编码"> ' +
        '<button type="button" class="btn small" id="risk-export">导出 CSV</button> <span id="risk-counts"></span></div>' +
        '<div class="table-scroll"><table class="risk-table"><thead><tr><th>等级</th><th>得分</th><th>名称 / 行业</th>' +
        "<th>标准地址</th><th>得分因素</th><th>巡查周期（天）</th></tr></thead>" +
        '<tbody id="risk-body"><tr><td colspan="6" class="loading">加载中…</td></tr></tbody></table></div>';
      $("#risk-grade", root).addEventListener("change", (e) => {
        state.grade = e.target.value;
        load(root).catch((err) => GG.showError(err, $("#risk-body", root)));
      });
      $("#risk-q", root).addEventListener("input", GG.debounce((e) => ((state.q = e.target.value), render(root)), 200));
      $("#risk-export", root).addEventListener("click", exportCsv);
    }
    return load(root).catch((err) => GG.showError(err, $("#risk-body", root)));
  }

  GG.riskList = { show };
})();
