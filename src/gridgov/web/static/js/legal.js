/* The residents' legal-service page (/legal, no login): pick the community, see its legal adviser and duty hours,
 * book a consultation or apply for legal aid; read the answer later by number and token. Reads /api/public/legal. */
(function () {
  "use strict";
  const { $, esc, api, fmtTime } = GG;
  let advisers = [];

  function showAdviser() {
    const a = advisers.find((x) => x.community_code === $("#lg-community").value);
    $("#lg-adviser").innerHTML = a ? "法律顾问 <b>" + esc(a.adviser) + "</b> · 值班 " + esc(a.duty_hours) + (a.office ? " · " + esc(a.office) : "") : "";
  }

  async function submit() {
    const err = $("#lg-error");
    err.textContent = "";
    const when = $("#lg-when").value;
    const body = {
      kind: $("#lg-kind").value,
      community_code: $("#lg-community").value,
      name: $("#lg-name").value.trim(),
      phone: $("#lg-phone").value.trim(),
      question: $("#lg-question").value.trim(),
      preferred_at: when ? new Date(when + ":00+08:00").toISOString() : null,
    };
    try {
      const r = await api("/api/public/legal/consultations", { method: "POST", json: body, anon: true });
      $("#lr-number").textContent = r.number;
      $("#lr-token").textContent = r.token;
      $("#lr-adviser").textContent = r.adviser;
      $("#lr-duty").textContent = r.duty_hours;
      $("#lg-book").classList.add("hidden");
      $("#lg-receipt").classList.remove("hidden");
      $("#lq-number").value = r.number;
      $("#lq-token").value = r.token;
    } catch (e) {
      err.textContent = e.message;
    }
  }

  async function query() {
    const err = $("#lq-error");
    err.textContent = "";
    try {
      const c = await api("/api/public/legal/consultations/" + encodeURIComponent($("#lq-number").value.trim()), { params: { token: $("#lq-token").value.trim() }, anon: true });
      $("#lq-result").innerHTML = '<dl class="kv"><dt>类型</dt><dd>' + esc(c.kind_label) + "</dd><dt>状态</dt><dd>" + esc(c.status_label) + "</dd><dt>提交</dt><dd>" + esc(fmtTime(c.submitted_at)) + "</dd></dl>" +
        (c.answer ? "<p><b>答复：</b>" + esc(c.answer) + "</p>" : '<p class="muted">法律顾问尚未答复</p>');
    } catch (e) {
      err.textContent = e.message;
    }
  }

  document.addEventListener("DOMContentLoaded", async () => {
    $("#lg-submit").addEventListener("click", submit);
    $("#lq-go").addEventListener("click", query);
    $("#lg-community").addEventListener("change", showAdviser);
    try {
      advisers = await api("/api/public/legal/advisers", { anon: true });
      $("#lg-community").innerHTML = advisers.map((a) => '<option value="' + esc(a.community_code) + '">' + esc(a.community) + "</option>").join("");
      showAdviser();
    } catch (e) {
      $("#lg-error").textContent = e.message;
    }
  });
})();
