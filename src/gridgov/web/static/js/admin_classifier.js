/* Admin: the classifier's model versions (GET /api/admin/classifier/versions): source, when trained, how many texts,
 * the held-out scores beside the live model's at the time, which one is live, and 设为现网 (rollback or forward,
 * POST /api/admin/classifier/live). Used by admin.js as the 分类模型 tab. */
(function () {
  "use strict";
  const { esc, api } = GG;
  const SOURCE = { demo: "演示生成文本", history: "办理历史", file: "导入文件" };
  const pct = (v) => (v === null || v === undefined ? "—" : (Number(v) * 100).toFixed(1) + "%");

  async function versions(root) {
    const rows = await api("/api/admin/classifier/versions");
    root.innerHTML =
      '<div class="card"><p class="muted small">新训练的版本只有在近期历史留出集上的宏 F1 不低于现网版本时才会上线；' +
      "可随时把任一旧版本设为现网（回滚）。</p>" +
      (rows.length
        ? '<table class="grid" id="clf-versions"><thead><tr><th>版本</th><th>来源</th><th>训练时间</th><th>训练/留出</th>' +
          "<th>准确率</th><th>宏 F1</th><th>当时现网宏 F1</th><th>类别数</th><th>状态</th><th>说明</th><th></th></tr></thead><tbody>" +
          rows
            .map(
              (v) =>
                '<tr data-id="' + v.id + '"' + (v.live ? ' class="live"' : "") + "><td>" + v.id + "</td><td>" +
                esc(SOURCE[v.source] || v.source) + "</td><td>" + esc(GG.fmtTime(v.trained_at, true)) +
                "</td><td>" + v.n_train + " / " + v.n_holdout + "</td><td>" + pct(v.accuracy) + "</td><td><b>" +
                pct(v.macro_f1) + "</b></td><td>" + pct(v.live_macro_f1) + "</td><td>" + v.labels.length + "</td><td>" +
                (v.live ? '<span class="badge" style="background:#52c41a">现网</span>' : '<span class="muted small">备用</span>') +
                "</td><td class=\"small\">" + esc(v.note || "") + "</td><td>" +
                (v.live ? "" : '<button class="btn small" type="button" data-live="' + v.id + '">设为现网</button>') +
                "</td></tr>",
            )
            .join("") +
          "</tbody></table>"
        : '<div class="empty">还没有分类模型（运行 gridgov demo load 或 gridgov classify train）</div>') +
      "</div>";
    const table = root.querySelector("#clf-versions");
    if (!table) return;
    table.addEventListener("click", async (e) => {
      const b = e.target.closest("button[data-live]");
      if (!b) return;
      b.disabled = true;
      try {
        await api("/api/admin/classifier/live", { method: "POST", json: { version_id: Number(b.dataset.live) } });
        GG.toast("版本 " + b.dataset.live + " 已上线");
        await versions(root);
      } catch (x) {
        GG.toast(x.message, "error");
        b.disabled = false;
      }
    });
  }

  GG.adminClassifier = versions;
})();
