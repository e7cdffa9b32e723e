/* Mediator workbench (/mediation), the two views beside the disputes: 访前甄别 (register a visit or letter, the
 * lawyer's screening — legal route, mediation, referral — and the follow-up) and 法律咨询 (residents' consultations
 * and legal-aid applications from the phone page: answer online, record a meeting, turn into a mediation case).
 * Reads and writes /api/mediation/petitions and /api/mediation/consultations. */
(function () {
  "use strict";
  const { $, $$, esc, api, fmtTime } = GG;
  const TYPES = [["neighbour", "邻里纠纷"], ["family", "家事/婚姻纠纷"], ["property", "物业纠纷"], ["labour", "劳资纠纷"], ["tenancy", "租赁纠纷"], ["consumer", "消费纠纷"], ["debt", "借贷纠纷"], ["other", "其他纠纷"]];
  const state = { petition: null, consult: null, lawyers: [] };
  const typeSelect = (id) => '<select id="' + id + '">' + TYPES.map(([v, l]) => '<option value="' + v + '">' + l + "</option>").join("") + "</select>";

  function show(view) {
    $$("#view-tabs button").forEach((b) => b.classList.toggle("active", b.dataset.view === view));
    ["disputes", "petitions", "consults"].forEach((v) => ($("#view-" + v).hidden = v !== view));
  }

  function list(box, rows, current, line) {
    box.innerHTML = rows.length
      ? '<ul class="case-list">' + rows.map((r) => '<li data-id="' + r.id + '"' + (current === r.id ? ' class="selected"' : "") + '><div class="body">' + line(r) + "</div></li>").join("") + "</ul>"
      : '<div class="empty">暂无记录</div>';
  }

  async function loadPetitions() {
    const rows = await api("/api/mediation/petitions", { params: { limit: 200 } });
    $("#n-petitions").textContent = rows.filter((r) => r.status === "pending").length;
    list($("#petition-list"), rows, state.petition, (p) =>
      '<div class="title">' + esc(p.matter.slice(0, 40)) + '</div><div class="meta">' + GG.badge(p.status_label, p.status === "pending" ? "#fa8c16" : "#269a99") +
      "<span>" + esc(p.number) + "</span><span>" + esc(p.channel_label) + " · " + esc(p.name) + "</span>" + (p.outcome_label ? "<span>" + esc(p.outcome_label) + "</span>" : "") + "</div>");
    $$("#petition-list li").forEach((li) => li.addEventListener("click", () => openPetition(Number(li.dataset.id), rows)));
  }

  function openPetition(id, rows) {
    state.petition = id;
    $$("#petition-list li").forEach((li) => li.classList.toggle("selected", Number(li.dataset.id) === id));
    const p = rows.find((r) => r.id === id);
    const can = new Set(p.allowed.map((a) => a.value));
    const lawyers = state.lawyers.map((m) => '<option value="' + m.id + '">' + esc(m.name) + "（" + esc(m.area) + "）</option>").join("");
    $("#petition-panel").innerHTML =
      "<h2>" + esc(p.number) + " · " + esc(p.channel_label) + "</h2>" +
      '<dl class="kv"><dt>来访人</dt><dd>' + esc(p.name) + "</dd><dt>电话</dt><dd>" + esc(p.phone || "—") + "</dd><dt>状态</dt><dd>" + esc(p.status_label) + "</dd>" +
      "<dt>登记</dt><dd>" + esc(fmtTime(p.registered_at)) + "</dd>" + (p.outcome_label ? "<dt>甄别结果</dt><dd>" + esc(p.outcome_label) + (p.referred_to ? "：" + esc(p.referred_to) : "") + "</dd>" : "") +
      (p.follow_up_due ? "<dt>回访期限</dt><dd>" + esc(fmtTime(p.follow_up_due)) + "</dd>" : "") + (p.dispute_id ? "<dt>调解案件</dt><dd>#" + p.dispute_id + "</dd>" : "") + "</dl>" +
      '<p class="muted">' + esc(p.matter) + "</p>" + (p.advice ? "<p><b>甄别意见：</b>" + esc(p.advice) + "</p>" : "") + (p.follow_up_note ? "<p><b>回访：</b>" + esc(p.follow_up_note) + (p.resolved ? "（已在信访前化解）" : "（未化解）") + "</p>" : "") +
      (can.has("screen")
        ? '<h3>律师甄别</h3><label>甄别律师<select id="ps-lawyer">' + lawyers + '</select></label><label>结果<select id="ps-outcome"><option value="legal_route">释法明理，引导法律途径</option><option value="mediation">转入人民调解</option><option value="referred">移交有权处理机关</option></select></label>' +
          '<label>甄别意见<textarea id="ps-advice"></textarea></label><label>移交机关（移交时）<input id="ps-referred" maxlength="120"></label><label>纠纷类型（转调解时）' + typeSelect("ps-type") + '</label><label>被申请人（转调解时）<input id="ps-respondent" maxlength="100"></label>' +
          '<button type="button" class="btn primary" id="ps-go">保存甄别</button>'
        : "") +
      (can.has("follow_up") ? '<h3>回访</h3><label>回访情况<textarea id="pf-note"></textarea></label><label class="inline"><input type="checkbox" id="pf-resolved" checked> 已在信访前化解</label><button type="button" class="btn primary" id="pf-go">保存回访</button>' : "") +
      '<div class="form-error" id="pt-error" role="alert"></div>';
    const post = (path, json) => api("/api/mediation/petitions/" + id + path, { method: "POST", json });
    const on = (sel, fn) => $(sel) && $(sel).addEventListener("click", () => run($("#pt-error"), fn, () => loadPetitions().then(() => api("/api/mediation/petitions", { params: { limit: 200 } })).then((r) => openPetition(id, r))));
    on("#ps-go", () => post("/screen", {
      lawyer_id: Number($("#ps-lawyer").value), outcome: $("#ps-outcome").value, advice: $("#ps-advice").value.trim(),
      referred_to: $("#ps-referred").value.trim() || null, dispute_type: $("#ps-type").value, respondent: $("#ps-respondent").value.trim() || null,
    }).then(() => "甄别已保存"));
    on("#pf-go", () => post("/follow-up", { note: $("#pf-note").value.trim(), resolved: $("#pf-resolved").checked }).then(() => "回访已记录"));
  }

  async function loadConsults() {
    const rows = await api("/api/mediation/consultations", { params: { limit: 200 } });
    $("#n-consults").textContent = rows.filter((r) => r.status === "submitted").length;
    list($("#consult-list"), rows, state.consult, (c) =>
      '<div class="title">' + esc(c.question.slice(0, 40)) + '</div><div class="meta">' + GG.badge(c.status_label, c.status === "submitted" ? "#fa8c16" : "#269a99") +
      "<span>" + esc(c.number) + "</span><span>" + esc(c.kind_label) + " · " + esc(c.name) + "</span>" + (c.preferred_at ? "<span>约 " + esc(fmtTime(c.preferred_at)) + "</span>" : "") + "</div>");
    $$("#consult-list li").forEach((li) => li.addEventListener("click", () => openConsult(Number(li.dataset.id), rows)));
  }

  function openConsult(id, rows) {
    state.consult = id;
    $$("#consult-list li").forEach((li) => li.classList.toggle("selected", Number(li.dataset.id) === id));
    const c = rows.find((r) => r.id === id);
    const can = new Set(c.allowed.map((a) => a.value));
    $("#consult-panel").innerHTML =
      "<h2>" + esc(c.number) + " · " + esc(c.kind_label) + "</h2>" +
      '<dl class="kv"><dt>居民</dt><dd>' + esc(c.name) + "</dd><dt>电话</dt><dd>" + esc(c.phone) + "</dd><dt>状态</dt><dd>" + esc(c.status_label) + "</dd><dt>提交</dt><dd>" + esc(fmtTime(c.submitted_at)) + "</dd>" +
      (c.preferred_at ? "<dt>希望约见</dt><dd>" + esc(fmtTime(c.preferred_at)) + "</dd>" : "") + (c.dispute_id ? "<dt>调解案件</dt><dd>#" + c.dispute_id + "</dd>" : "") + "</dl>" +
      '<p class="muted">' + esc(c.question) + "</p>" + (c.answer ? "<p><b>答复：</b>" + esc(c.answer) + "</p>" : "") +
      (can.has("answer") ? '<h3>答复</h3><label>方式<select id="ca-mode"><option value="answered">线上答复</option><option value="met">已约见面谈</option></select></label><label>答复内容<textarea id="ca-text"></textarea></label><button type="button" class="btn primary" id="ca-go">保存答复</button>' : "") +
      (can.has("convert") ? '<details><summary>转为调解案件</summary><label>纠纷类型' + typeSelect("cc-type") + '</label><label>被申请人<input id="cc-respondent" maxlength="100"></label><button type="button" class="btn warn" id="cc-go">转调解</button></details>' : "") +
      '<div class="form-error" id="cs-error" role="alert"></div>';
    const post = (path, json) => api("/api/mediation/consultations/" + id + path, { method: "POST", json });
    const on = (sel, fn) => $(sel) && $(sel).addEventListener("click", () => run($("#cs-error"), fn, () => loadConsults().then(() => api("/api/mediation/consultations", { params: { limit: 200 } })).then((r) => openConsult(id, r))));
    on("#ca-go", () => post("/answer", { mode: $("#ca-mode").value, answer: $("#ca-text").value.trim() }).then(() => "答复已保存"));
    on("#cc-go", () => post("/convert", { dispute_type: $("#cc-type").value, respondent: $("#cc-respondent").value.trim() }).then((d) => "已转为调解案件 " + d.number));
  }

  async function run(err, fn, after) {
    err.textContent = "";
    try {
      GG.toast(await fn());
      await after();
    } catch (e) {
      err.textContent = e.message;
    }
  }

  async function createPetition() {
    const err = $("#pt-new-error");
    await run(err, () => api("/api/mediation/petitions", { method: "POST", json: {
      channel: $("#pt-channel").value, name: $("#pt-name").value.trim(), phone: $("#pt-phone").value.trim() || null,
      division_code: $("#pt-division").value.trim(), matter: $("#pt-matter").value.trim(),
    } }).then((p) => {
      ["#pt-name", "#pt-phone", "#pt-matter"].forEach((sel) => ($(sel).value = ""));
      $("#pt-new").open = false;
      return "已登记 " + p.number;
    }), loadPetitions);
  }

  $$("#view-tabs button").forEach((b) => b.addEventListener("click", () => show(b.dataset.view)));
  GG.requireLogin(["community_staff", "dispatcher", "admin", "leader"]).then(async (me) => {
    $("#pt-create").addEventListener("click", createPetition);
    if (me && me.division_code) $("#pt-division").value = me.division_code;
    // the community's own legal adviser first, then the lawyers serving the area above it
    state.lawyers = (await api("/api/mediation/mediators"))
      .filter((m) => m.kind === "lawyer" || m.kind === "adviser")
      .sort((a, b) => (a.kind === "adviser" ? 0 : 1) - (b.kind === "adviser" ? 0 : 1));
    await Promise.all([loadPetitions(), loadConsults()]).catch((e) => GG.showError(e, $("#petition-list")));
  });
})();
