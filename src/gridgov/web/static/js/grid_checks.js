/* The grid worker's 核查 tasks beside his cases: declarations (自主申报) and records due for re-verification, from
 * /api/blockdata/verifications (his grids only; ID numbers and phones masked). On site he confirms, corrects
 * (the fields he found different) or rejects (with the reason); each answer is one call to .../settle. */
(function () {
  "use strict";
  const { $, $$, esc, api, fmtTime } = GG;
  const FIX = [
    ["tenant_name", "姓名"],
    ["id_number", "证件号码"],
    ["phone", "电话"],
    ["room", "房号"],
    ["move_in", "入住日期", "date"],
    ["move_out", "退租/迁出日期", "date"],
  ];
  const RECORD_FIX = { tenant_name: "name" }; // a stale person record names its name field "name"
  let items = [];

  function itemHtml(it) {
    return (
      '<div class="item" data-check="' + it.id + '"><div class="title">' + esc(it.title) + " · " + esc(it.name) + "</div>" +
      '<div class="meta"><span class="badge">' + esc(it.source_label) + "</span><span>" + esc(it.address_text) + "</span>" +
      "<span>" + esc(fmtTime(it.created_at)) + "</span></div></div>"
    );
  }

  async function count() {
    const r = await api("/api/blockdata/verifications", { params: { limit: 1 } });
    const el = $("#n-checks");
    el.textContent = r.total;
    el.classList.toggle("hidden", !r.total);
    return r.total;
  }

  async function load() {
    const r = await api("/api/blockdata/verifications", { params: { limit: 100 } });
    items = r.items;
    $("#check-list").innerHTML = items.length ? items.map(itemHtml).join("") : '<div class="empty">暂无核查任务</div>';
    $("#check-detail").innerHTML = "";
    const el = $("#n-checks");
    el.textContent = r.total;
    el.classList.toggle("hidden", !r.total);
  }

  function kv(label, value) {
    return value ? "<dt>" + esc(label) + "</dt><dd>" + esc(value) + "</dd>" : "";
  }

  function open(id) {
    const it = items.find((x) => x.id === id);
    if (!it) return;
    const box = $("#check-detail");
    const fix = FIX.filter(([name]) => it.declaration_number || !["room"].includes(name))
      .map(([name, label, type]) => '<label>' + esc(label) + '<input data-fix="' + name + '" type="' + (type || "text") + '" maxlength="60"></label>')
      .join("");
    box.innerHTML =
      '<div class="card" id="check-card"><h2>' + esc(it.title) + "</h2><dl class=\"kv\">" +
      kv("编号", it.declaration_number) + kv("地址", it.address_text) + kv("姓名", it.name) + kv("证件号码", it.id_masked) +
      kv("电话", it.phone_masked) + kv("入住日期", it.move_in) + kv("退租日期", it.move_out) + kv("申报人", it.declarant) +
      kv(it.declaration_number ? "申报时间" : "上次登记", fmtTime(it.last_seen)) + "</dl>" +
      (it.address_code ? '<p><a href="/building/' + encodeURIComponent(it.address_code) + '">查看一楼一档</a></p>' : "") +
      '<label>核查说明<textarea id="k-note" maxlength="500" placeholder="不实时必须填写原因，如：查无此人、已搬离"></textarea></label>' +
      '<div class="row"><button type="button" class="btn ok big" id="k-confirm">属实</button><button type="button" class="btn danger big" id="k-reject">不实</button></div>' +
      "<details><summary>信息有误，现场更正</summary>" + fix + '<button type="button" class="btn primary" id="k-correct">提交更正</button></details>' +
      '<div class="form-error" id="k-error" role="alert"></div></div>';
    box.scrollIntoView({ behavior: "smooth", block: "start" });
    const settle = async (outcome) => {
      const note = $("#k-note").value.trim();
      const changes = {};
      $$("[data-fix]", box).forEach((i) => {
        if (i.value.trim()) changes[it.declaration_number ? i.dataset.fix : RECORD_FIX[i.dataset.fix] || i.dataset.fix] = i.value.trim();
      });
      $("#k-error").textContent = "";
      if (outcome === "reject" && !note) return ($("#k-error").textContent = "核查不实需填写原因");
      if (outcome === "correct" && !Object.keys(changes).length) return ($("#k-error").textContent = "请填写需要更正的内容");
      $$("button", box).forEach((b) => (b.disabled = true));
      try {
        const r = await api("/api/blockdata/verifications/" + it.id + "/settle", { method: "POST", json: { outcome, note, changes } });
        GG.toast("核查完成：" + r.status_label);
        await load();
      } catch (e) {
        $("#k-error").textContent = e.message;
        $$("button", box).forEach((b) => (b.disabled = false));
      }
    };
    $("#k-confirm").addEventListener("click", () => settle("confirm"));
    $("#k-reject").addEventListener("click", () => settle("reject"));
    $("#k-correct").addEventListener("click", () => settle("correct"));
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("#check-list").addEventListener("click", (e) => {
      const it = e.target.closest(".item[data-check]");
      if (it) open(Number(it.dataset.check));
    });
  });

  GG.gridChecks = { load, count };
})();
