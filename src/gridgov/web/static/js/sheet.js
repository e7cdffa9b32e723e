/* 派遣单: one case as a printable sheet (/sheet?id=N) — what was reported, where, who handles it by when, its
 * history, and lines for signatures. The print stylesheet (css/print.css) lays it out on A4. */
(function () {
  "use strict";
  const { $, esc, api, fmtTime } = GG;
  const CV = GG.caseView;

  function cell(label, value, wide) {
    return "<th>" + esc(label) + '</th><td colspan="' + (wide ? 3 : 1) + '">' + esc(value == null || value === "" ? "—" : value) + "</td>";
  }

  /** One table row: a label and value across the sheet, or two pairs side by side. */
  function row(...pairs) {
    return "<tr>" + (pairs.length === 1 ? cell(pairs[0][0], pairs[0][1], true) : pairs.map((p) => cell(p[0], p[1], false)).join("")) + "</tr>";
  }

  function render(ch, ev) {
    const lead = (ev.tasks || []).filter((t) => t.role === "lead" && t.status !== "cancelled").pop();
    const co = (ev.tasks || []).filter((t) => t.role === "co" && t.status !== "cancelled").map((t) => t.department_name || "—");
    const chan = ch.channel[ev.channel];
    const addr = CV.addressInfo(ev);
    const history = (ev.history || [])
      .map((h) => "<tr><td>" + esc(fmtTime(h.at, true)) + "</td><td>" + esc(h.action_label || h.action) + "</td><td>" + esc((ch.role[h.actor_role] || { label: h.actor_role }).label) + "</td><td>" + esc(h.note || "") + "</td></tr>")
      .join("");
    $("#sheet").innerHTML =
      '<h1 class="sheet-title">网格化管理事件派遣单</h1>' +
      '<div class="sheet-no">编号：<b>' + esc(ev.number || "#" + ev.id) + "</b>　打印时间：" + esc(fmtTime(new Date().toISOString(), true)) + "</div>" +
      '<table class="sheet-table"><tbody>' +
      row(["事件标题", ev.title]) +
      row(["事件类别", ev.category_name ? ev.category_name + "（" + ev.category_code + "）" : "未分类"], ["来源", chan ? chan.label : ev.channel]) +
      row(["当前状态", ev.status_label], ["处置层级", (CV.LEVEL[ev.level] || ev.level) + "级 · " + ev.area_class + "类区域"]) +
      row(["所在网格", ev.grid_code || "未定位"], ["坐标（WGS-84）", ev.lon != null ? ev.lon + ", " + ev.lat : ""]) +
      row(["地址描述", ev.address_text]) +
      row(["标准地址", addr.name ? addr.name + (addr.code ? "（" + addr.code + "）" : "") : "未匹配"]) +
      row(["问题描述", ev.description]) +
      row(["上报时间", fmtTime(ev.reported_at, true)], ["派遣时间", ev.dispatched_at ? fmtTime(ev.dispatched_at, true) : ""]) +
      row(["主办单位", lead ? lead.department_name || (lead.grid_id ? "网格员" : "—") : "尚未派遣"], ["处置时限", ev.deadline_at ? fmtTime(ev.deadline_at, true) : ""]) +
      row(["协办单位", co.join("、")]) +
      (ev.result_note ? row(["处置结果", ev.result_note]) : "") +
      "</tbody></table>" +
      '<h2 class="sheet-h2">办理记录</h2><table class="sheet-table history"><thead><tr><th>时间</th><th>环节</th><th>角色</th><th>意见</th></tr></thead><tbody>' +
      (history || '<tr><td colspan="4">暂无</td></tr>') +
      "</tbody></table>" +
      '<div class="sheet-sign"><div>派遣人签字：<span class="line"></span></div><div>承办人签收：<span class="line"></span></div><div>日期：<span class="line short"></span></div></div>';
    document.title = "派遣单 " + (ev.number || ev.id);
  }

  async function main() {
    await GG.requireLogin(["dispatcher", "community_staff", "handler", "grid_worker", "leader", "admin"]);
    const id = Number(new URLSearchParams(location.search).get("id"));
    if (!id) {
      $("#sheet").innerHTML = '<div class="msg error">缺少事件编号（?id=）</div>';
      return;
    }
    const [ch, ev] = await Promise.all([GG.choices(), api("/api/events/" + id)]);
    render(ch, ev);
    $("#print").addEventListener("click", () => window.print());
  }

  main().catch((e) => GG.showError(e, $("#sheet")));
})();
