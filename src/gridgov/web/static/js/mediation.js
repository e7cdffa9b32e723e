/* Mediator workbench (/mediation): my area's disputes by stage, a dispute's parties (masked), risk flags with their
 * explanations, joint-mediation tasks, sessions and steps; the actions the stage allows (分派, 调解 session,
 * 达成协议 / 未达成, 司法确认, 转入, 回访, 结案) and the agreement as PDF or Word once agreed. */
(function () {
  "use strict";
  const { $, $$, esc, api, fmtTime } = GG;
  const STAGES = [
    ["accepted", "受理"], ["assigned", "分派"], ["mediating", "调解"], ["agreed", "达成协议"], ["failed", "未达成"],
    ["confirmed", "司法确认"], ["transferred", "转入"], ["followed_up", "回访"], ["closed", "结案"],
  ];
  const RISK = { low: "#52c41a", medium: "#fa8c16", high: "#f5222d" };
  const DESTINATIONS = [["litigation", "诉讼"], ["arbitration", "仲裁"], ["admin_ruling", "行政裁决"], ["petition", "信访"]];
  const state = { stage: "", current: null };

  function tabs(counts) {
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    $("#stage-tabs").innerHTML =
      '<button type="button" data-stage="">全部 <span class="badge" style="--c:#1f6feb">' + total + "</span></button>" +
      STAGES.map(([v, l]) => '<button type="button" data-stage="' + v + '">' + l + ' <span class="badge" style="--c:#8c8c8c">' + (counts[v] || 0) + "</span></button>").join("");
    $$("#stage-tabs button").forEach((b) => {
      b.classList.toggle("active", b.dataset.stage === state.stage);
      b.addEventListener("click", () => {
        state.stage = b.dataset.stage;
        load();
      });
    });
  }

  async function load() {
    const [counts, rows] = await Promise.all([
      api("/api/mediation/stages"),
      api("/api/mediation/disputes", { params: { stage: state.stage || undefined, mine: $("#mine-only").checked || undefined, limit: 200 } }),
    ]);
    tabs(counts);
    const box = $("#dispute-list");
    if (!rows.length) {
      box.innerHTML = '<div class="empty">该阶段暂无纠纷</div>';
      return;
    }
    box.innerHTML =
      '<ul class="case-list">' +
      rows
        .map(
          (d) =>
            '<li data-id="' + d.id + '"' + (state.current === d.id ? ' class="selected"' : "") + '><div class="body"><div class="title">' + esc(d.title) + "</div>" +
            '<div class="meta">' + GG.badge(d.stage_label, "#1f6feb") + GG.badge(d.risk_label, RISK[d.risk_level] || "#888") +
            "<span>" + esc(d.number) + "</span><span>" + esc(d.type_label) + "</span></div>" +
            '<div class="meta"><span>' + esc(d.place) + "</span><span>调解员 " + esc(d.mediator || "未分派") + "</span></div></div></li>",
        )
        .join("") +
      "</ul>";
    $$("#dispute-list li").forEach((li) => li.addEventListener("click", () => open(Number(li.dataset.id))));
  }

  async function open(id) {
    state.current = id;
    $$("#dispute-list li").forEach((li) => li.classList.toggle("selected", Number(li.dataset.id) === id));
    try {
      render(await api("/api/mediation/disputes/" + id));
    } catch (e) {
      GG.showError(e, $("#dispute-panel"));
    }
  }

  function table(head, rows) {
    if (!rows.length) return '<div class="muted">无</div>';
    return '<table class="grid"><thead><tr>' + head.map((h) => "<th>" + h + "</th>").join("") + "</tr></thead><tbody>" +
      rows.map((r) => "<tr>" + r.map((c) => "<td>" + c + "</td>").join("") + "</tr>").join("") + "</tbody></table>";
  }

  function forms(d) {
    const can = new Set(d.allowed.map((a) => a.value));
    const out = [];
    if (can.has("assign")) out.push('<div class="actions"><button type="button" class="btn primary" id="btn-assign">按规则分派</button></div>');
    if (can.has("hold_session")) {
      out.push('<h3>记录调解</h3><label>调解日期<input type="date" id="s-date"></label><label>调解记录<textarea id="s-notes" placeholder="到场人员、各方诉求、调解经过"></textarea></label><button type="button" class="btn primary" id="btn-session">保存调解记录</button>');
    }
    if (can.has("agree")) out.push('<h3>达成协议</h3><label>协议内容<textarea id="terms" placeholder="一、……&#10;二、……"></textarea></label><button type="button" class="btn ok" id="btn-agree">达成协议</button>');
    if (can.has("fail")) out.push('<details><summary>调解未达成</summary><label>说明<textarea id="fail-note"></textarea></label><button type="button" class="btn danger" id="btn-fail">记为未达成</button></details>');
    if (can.has("confirm")) out.push('<div class="actions"><button type="button" class="btn ok" id="btn-confirm">司法确认</button></div>');
    if (can.has("transfer")) {
      out.push('<h3>转入</h3><label>去向<select id="dest">' + DESTINATIONS.map(([v, l]) => '<option value="' + v + '">' + l + "</option>").join("") + '</select></label><button type="button" class="btn warn" id="btn-transfer">转入</button>');
    }
    if (can.has("follow_up")) out.push('<h3>回访</h3><label>回访情况<textarea id="fu-note"></textarea></label><button type="button" class="btn primary" id="btn-follow">保存回访</button>');
    if (can.has("close")) out.push('<div class="actions"><button type="button" class="btn ok" id="btn-close">结案</button></div>');
    return out.join("") || '<div class="muted">当前阶段没有需要您办理的操作</div>';
  }

  function render(d) {
    const agreed = ["agreed", "confirmed", "followed_up", "closed"].includes(d.stage) && d.terms;
    $("#dispute-panel").innerHTML =
      "<h2>" + esc(d.title) + "</h2>" +
      '<dl class="kv"><dt>编号</dt><dd>' + esc(d.number) + "</dd><dt>阶段</dt><dd>" + GG.badge(d.stage_label, "#1f6feb") + "</dd>" +
      "<dt>类型</dt><dd>" + esc(d.type_label) + "</dd><dt>来源</dt><dd>" + esc(d.source_label) + (d.source_case ? '（事件 <span id="source-case">' + esc(d.source_case) + "</span>）" : "") + "</dd>" +
      "<dt>金额</dt><dd>" + esc(GG.fmtNum(Number(d.amount), 2)) + " 元</dd><dt>发生地</dt><dd>" + esc(d.place) + "</dd>" +
      "<dt>调解员</dt><dd>" + esc(d.mediator || "未分派") + "</dd><dt>风险</dt><dd>" + GG.badge(d.risk_label, RISK[d.risk_level] || "#888") + "</dd>" +
      (d.follow_up_due ? '<dt>回访期限</dt><dd id="follow-up-due">' + esc(fmtTime(d.follow_up_due)) + "</dd>" : "") + "</dl>" +
      (d.risk_flags.length ? '<ul class="risk-flags">' + d.risk_flags.map((f) => "<li><b>" + esc(f.label) + "</b>：" + esc(f.explanation) + "</li>").join("") + "</ul>" : "") +
      (d.description ? '<p class="muted">' + esc(d.description) + "</p>" : "") +
      "<section><h3>当事人</h3>" + table(["身份", "姓名或名称", "证件号码", "联系电话"], d.parties.map((p) => [esc(p.role_label), esc(p.name), esc(p.id_number || "—"), esc(p.phone || "—")])) + "</section>" +
      "<section><h3>办理</h3>" + forms(d) + '<div class="form-error" id="act-error" role="alert"></div></section>' +
      (agreed ? '<section><h3>调解协议书</h3><div class="actions"><a class="btn" id="doc-pdf" href="/api/mediation/disputes/' + d.id + '/agreement.pdf">下载 PDF</a><a class="btn" id="doc-docx" href="/api/mediation/disputes/' + d.id + '/agreement.docx">下载 Word</a>' +
        '<a class="btn" id="confirm-pdf" href="/api/mediation/disputes/' + d.id + '/confirmation.pdf">司法确认申请书 PDF</a><a class="btn" id="confirm-docx" href="/api/mediation/disputes/' + d.id + '/confirmation.docx">司法确认申请书 Word</a></div>' +
        '<pre class="terms">' + esc(d.terms) + "</pre></section>" : "") +
      scansSection(d, agreed) +
      "<section><h3>联调任务</h3>" + table(["单位", "类别", "状态", "时限"], d.tasks.map((t) => [esc(t.agency), esc(t.kind_label), esc(t.status_label), esc(fmtTime(t.deadline_at))])) + "</section>" +
      "<section><h3>调解记录</h3>" + table(["日期", "调解员", "记录"], d.sessions.map((s) => [esc(fmtTime(s.held_at)), esc(s.mediators.join("、")), esc(s.notes)])) + "</section>" +
      "<section><h3>办理过程</h3>" + table(["时间", "阶段", "说明"], d.steps.map((s) => [esc(fmtTime(s.at)), esc(s.to_label), esc(s.note || "")])) + "</section>";
    const on = (sel, fn) => $(sel) && $(sel).addEventListener("click", () => run(d.id, fn));
    const post = (path, json) => api("/api/mediation/disputes/" + d.id + path, { method: "POST", json: json || {} });
    on("#btn-assign", () => post("/assign").then(() => "已按分派规则分派"));
    on("#btn-session", () => {
      const day = $("#s-date").value;
      const held = day ? new Date(day + "T10:00:00+08:00").toISOString() : new Date().toISOString();
      return post("/sessions", { held_at: held, notes: $("#s-notes").value.trim() }).then(() => "调解记录已保存");
    });
    on("#btn-agree", () => post("/agree", { terms: $("#terms").value.trim() }).then(() => "已达成协议，可生成调解协议书"));
    on("#btn-fail", () => post("/fail", { note: $("#fail-note").value.trim() }).then(() => "已记为未达成"));
    on("#btn-confirm", () => post("/confirm").then(() => "已记录司法确认"));
    on("#btn-transfer", () => post("/transfer", { destination: $("#dest").value }).then(() => "已转入"));
    on("#btn-follow", () => post("/follow-up", { note: $("#fu-note").value.trim() }).then(() => "回访已记录"));
    on("#btn-close", () => post("/close").then(() => "已结案"));
    on("#btn-scan", () => {
      const file = $("#scan-file").files[0];
      if (!file) return Promise.reject(new Error("请选择签字扫描件（图片或 PDF）"));
      const fd = new FormData();
      fd.append("file", file, file.name || "scan.jpg");
      fd.append("kind", $("#scan-kind").value);
      fd.append("note", $("#scan-note").value.trim());
      return api("/api/mediation/disputes/" + d.id + "/scans", { method: "POST", formData: fd }).then(() => "扫描件已上传");
    });
  }

  /** 签字扫描件: the signed papers on the dispute (downloads) and the upload form. */
  function scansSection(d, agreed) {
    const kinds = (agreed ? [["agreement", "调解协议书（签字版）"], ["confirmation", "司法确认申请书（签字版）"]] : []).concat([["other", "其他签字材料"]]);
    const rows = d.scans.map((s) => [
      esc(s.kind_label),
      esc(s.note || ""),
      '<a class="scan-link" href="/api/mediation/disputes/' + d.id + "/scans/" + s.id + '">下载（' + esc(s.content_type) + "）</a>",
      esc(fmtTime(s.uploaded_at)),
    ]);
    return '<section id="scans"><h3>签字扫描件</h3>' + table(["类别", "说明", "文件", "上传时间"], rows) +
      '<div class="actions"><select id="scan-kind" aria-label="扫描件类别">' + kinds.map((k) => '<option value="' + k[0] + '">' + k[1] + "</option>").join("") + "</select>" +
      '<input type="file" id="scan-file" aria-label="扫描件文件" accept="image/jpeg,image/png,image/webp,image/heic,application/pdf">' +
      '<input id="scan-note" maxlength="200" placeholder="说明（可选）" aria-label="扫描件说明"><button class="btn" id="btn-scan" type="button">上传扫描件</button></div></section>';
  }

  async function run(id, fn) {
    const err = $("#act-error");
    if (err) err.textContent = "";
    try {
      GG.toast(await fn());
      await load();
      await open(id);
    } catch (e) {
      if (err) err.textContent = e.message;
      else GG.showError(e);
    }
  }

  GG.requireLogin(["community_staff", "dispatcher", "admin", "leader"]).then(() => {
    $("#mine-only").addEventListener("change", load);
    load().catch((e) => GG.showError(e, $("#dispute-list")));
  });
})();
