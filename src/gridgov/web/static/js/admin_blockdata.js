/* Admin: 块数据导入 — upload a department file (CSV/Excel) and watch its progress while the server checks every row,
 * translates the addresses and writes the batch (the page polls /api/blockdata/import/progress with the job key
 * it sent along); then the counts, or the errors by line with the error report, and the latest batches.
 * Used by admin.js as the 块数据导入 tab. */
(function () {
  "use strict";
  const { $, esc, api, fmtTime } = GG;
  const POLL_MS = 400;

  function bar(p) {
    const pct = p.total ? Math.min(100, Math.round((100 * p.done) / p.total)) : 0;
    $("#bd-stage").textContent = p.label + (p.total ? "：" + p.done + " / " + p.total + "（" + pct + "%）" : "");
    const box = $("#bd-progress");
    const seen = (box.dataset.seen || "").split(",").filter(Boolean);
    if (p.stage && !seen.includes(p.stage)) box.dataset.seen = seen.concat([p.stage]).join(","); // the stages shown
    const el = $("#bd-bar");
    if (p.total) el.value = pct;
    else el.removeAttribute("value"); // indeterminate while the file is read
  }

  async function batches() {
    const rows = await api("/api/blockdata/batches", { params: { limit: 20 } });
    $("#bd-batches").innerHTML = rows.length
      ? '<table class="table"><thead><tr><th>批次</th><th>部门</th><th>类型</th><th>文件</th><th>行数</th><th>状态</th><th>时间</th></tr></thead><tbody>' +
        rows
          .map(
            (b) =>
              "<tr><td>" + b.id + "</td><td>" + esc(b.department) + "</td><td>" + esc(b.kind) + "</td><td>" + esc(b.filename) +
              "</td><td>" + b.rows + "</td><td>" + (b.status === "committed" ? "已导入" : '<a href="/api/blockdata/batches/' + b.id + '/errors.csv">有错误（下载报告）</a>') +
              "</td><td>" + esc(fmtTime(b.created_at)) + "</td></tr>",
          )
          .join("") + "</tbody></table>"
      : '<div class="empty">还没有导入批次</div>';
  }

  async function upload(e) {
    e.preventDefault();
    const form = e.target;
    const file = $("#bd-file").files[0];
    const out = $("#bd-result");
    out.innerHTML = "";
    if (!file) return (out.innerHTML = '<div class="form-error">请选择文件</div>');
    const job = GG.uuid().replace(/[^A-Za-z0-9]/g, "");
    const fd = new FormData();
    fd.append("file", file);
    fd.append("department", $("#bd-dept").value.trim());
    fd.append("kind", $("#bd-kind").value);
    fd.append("job_id", job);
    $("#bd-progress").classList.remove("hidden");
    $("#bd-progress").dataset.seen = "";
    bar({ label: "上传中", done: 0, total: 0 });
    form.querySelector("button[type=submit]").disabled = true;
    let running = true;
    const poll = async () => {
      while (running) {
        try {
          const p = await api("/api/blockdata/import/progress", { params: { job_id: job } });
          if (running) bar(p);
        } catch (_e) {
          /* not started yet (404) or a lost poll: try again */
        }
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
    };
    poll();
    try {
      const r = await api("/api/blockdata/import", { method: "POST", formData: fd });
      running = false;
      bar({ label: "已完成", done: r.rows, total: r.rows });
      out.innerHTML =
        '<div class="msg ok">批次 ' + r.batch_id + "：已导入 " + r.rows + " 行（" +
        Object.entries(r.counts).map(([k, v]) => esc(k) + " " + v).join("，") + "）</div>";
    } catch (ex) {
      running = false;
      const body = ex.body || {};
      $("#bd-stage").textContent = "未导入";
      out.innerHTML =
        '<div class="msg error">' + esc(ex.message) + "</div>" +
        (body.error_report ? '<p><a href="' + esc(body.error_report) + '">下载错误报告（CSV）</a></p>' : "") +
        (body.errors || []).slice(0, 20).map((x) => '<div class="small">第 ' + x.line + " 行 " + esc(x.label) + "：" + esc(x.message) + "</div>").join("");
    } finally {
      form.querySelector("button[type=submit]").disabled = false;
      await batches().catch(() => {});
    }
  }

  GG.adminBlockdata = async function (root) {
    root.innerHTML =
      '<div class="card"><h3>导入部门数据</h3><p class="muted small">逐行校验（身份证号、统一社会信用代码、电话、日期），地址翻译到标准地址；全部通过才写入，否则给出按行的错误报告。</p>' +
      '<form id="bd-form" class="row wrap"><label>来源部门<input id="bd-dept" value="公安" maxlength="32" required></label>' +
      '<label>数据类型<select id="bd-kind"><option value="person">人口</option><option value="entity">法人</option><option value="rental">房屋租赁</option></select></label>' +
      '<label>文件（CSV / Excel）<input id="bd-file" type="file" accept=".csv,.xlsx,.xls"></label>' +
      '<button type="submit" class="btn primary">导入</button></form>' +
      '<div id="bd-progress" class="hidden"><progress id="bd-bar" max="100"></progress> <span id="bd-stage"></span></div>' +
      '<div id="bd-result"></div></div><div class="card"><h3>最近的导入批次</h3><div id="bd-batches"></div></div>';
    $("#bd-form", root).addEventListener("submit", upload);
    await batches();
  };
})();
