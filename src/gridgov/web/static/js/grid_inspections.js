/* Grid worker's 巡查 tab: the inspections of my grids' hazard sources due within a week (overdue ones marked with the tier they
 * were escalated to), each opened as its checklist — 合格 / 发现问题 per item, a note for each problem — and
 * submitted in one action; each problem becomes a rectification case (its number is shown). Loads whenever the
 * tab becomes visible (the bottom nav or ?view=inspect). */
(function () {
  "use strict";
  const { $, esc, api, fmtTime } = GG;
  const section = $('[data-view="inspect"]');
  if (!section) return;
  const WEEK = 7; // 待巡查: due within a week, or overdue
  let items = [];

  function count(n) {
    const el = $("#n-inspect");
    el.textContent = n;
    el.classList.toggle("hidden", !n);
  }

  function itemHtml(t) {
    const late = t.overdue
      ? '<span class="left-red">已逾期' + (t.tier_label ? "，已上报" + esc(t.tier_label) : "") + "</span>"
      : "<span>应于 " + esc(fmtTime(t.due_at)) + " 前</span>";
    return (
      '<div class="item" data-inspection="' + t.id + '"><div class="title">' + esc(t.source_name) + "</div>" +
      '<div class="meta"><span>' + esc(t.class_name) + "</span><span>" + esc(t.address_text || t.responsible_unit) + "</span>" + late + "</div></div>"
    );
  }

  async function load() {
    items = await api("/api/hazards/inspections", { params: { status: "due", within_days: WEEK } });
    count(items.length);
    $("#inspect-list").innerHTML = items.length ? items.map(itemHtml).join("") : '<div class="empty">暂无待巡查任务</div>';
  }

  function formHtml(t) {
    const rows = t.checklist
      .map(
        (c, i) =>
          '<fieldset class="check-item" data-item="' + esc(c) + '"><legend>' + esc(c) + "</legend>" +
          '<label class="nowrap"><input type="radio" name="ck' + i + '" value="ok" checked> 合格</label> ' +
          '<label class="nowrap"><input type="radio" name="ck' + i + '" value="bad"> 发现问题</label>' +
          '<textarea class="hidden" maxlength="500" placeholder="发现的情况，如：安全出口堆放杂物"></textarea></fieldset>',
      )
      .join("");
    return (
      '<form class="card" id="inspect-form" novalidate><h2>' + esc(t.source_name) + "</h2>" +
      '<div class="muted small">' + esc(t.class_name) + " · 责任单位：" + esc(t.responsible_unit) + " · " + esc(t.address_text) + "</div>" +
      rows + '<div class="form-error" id="inspect-error" role="alert"></div>' +
      '<button type="submit" class="btn primary block big" id="inspect-submit">提交巡查结果</button></form>'
    );
  }

  function doneHtml(t) {
    const found = t.findings.length
      ? "<ul>" + t.findings.map((f) => "<li>" + esc(f.item) + "：" + esc(f.note) + " → 已立案 <b>" + esc(f.case_number || "#" + f.case_id) +
          "</b>（整改期限 " + esc(fmtTime(f.rectify_by)) + "）</li>").join("") + "</ul>"
      : '<div class="muted">各项合格，未发现隐患</div>';
    return '<div class="card" id="inspect-done"><h2>巡查已提交：' + esc(t.source_name) + "</h2>" + found + "</div>";
  }

  function open(t) {
    const box = $("#inspect-detail");
    box.innerHTML = formHtml(t);
    const form = $("#inspect-form");
    form.addEventListener("change", (e) => {
      const fs = e.target.closest(".check-item");
      if (fs && e.target.type === "radio") fs.querySelector("textarea").classList.toggle("hidden", e.target.value !== "bad");
    });
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const err = $("#inspect-error");
      err.textContent = "";
      const results = [...form.querySelectorAll(".check-item")].map((fs) => ({
        item: fs.dataset.item,
        ok: fs.querySelector('input[value="ok"]').checked,
        note: fs.querySelector("textarea").value.trim(),
      }));
      const missing = results.find((r) => !r.ok && !r.note);
      if (missing) return (err.textContent = "“" + missing.item + "”发现问题，请说明发现的情况");
      const btn = $("#inspect-submit");
      btn.disabled = true;
      try {
        const done = await api("/api/hazards/inspections/" + t.id + "/complete", { method: "POST", json: { results } });
        box.innerHTML = doneHtml(done);
        GG.toast(done.findings.length ? "已提交，发现隐患 " + done.findings.length + " 项，已立案整改" : "已提交，各项合格");
        await load();
      } catch (ex) {
        err.textContent = ex.message;
        btn.disabled = false;
      }
    });
    box.scrollIntoView({ block: "start" });
  }

  $("#inspect-list").addEventListener("click", (e) => {
    const it = e.target.closest(".item[data-inspection]");
    const t = it && items.find((x) => x.id === Number(it.dataset.inspection));
    if (t) open(t);
  });
  new MutationObserver(() => {
    if (!section.classList.contains("hidden")) load().catch((x) => GG.toast(x.message, "error"));
  }).observe(section, { attributes: true, attributeFilter: ["class"] });
  setTimeout(() => api("/api/hazards/inspections", { params: { status: "due", within_days: WEEK } }).then((r) => count(r.length)).catch(() => {}), 500);
})();
