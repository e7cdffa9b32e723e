/* 一楼一档: one standard address's residents (current and past), legal entities, rooms and their use, phones and
 * the cases at the address with their outcomes — all from /api/blockdata/profile/{code}, which applies the
 * caller's data scope and masks ID numbers and phones. A caller allowed to unmask clicks 查看完整 (audited). */
(function () {
  "use strict";
  const { $, esc, api, fmtTime } = GG;
  const POP = { registered: "户籍", floating: "流动" };
  const USE = { residential: "自住", rental: "出租", commercial: "商用", mixed: "混合" };
  const LICENCE = { active: "存续", revoked: "吊销", cancelled: "注销" };
  const SEX = { M: "男", F: "女" };
  const LEVEL = { road: "街路巷", door: "门牌", compound: "小区/大厦/工业区/城中村", building: "楼栋", unit: "单元", floor: "楼层", room: "房间" };
  const ID_TYPE = { resident: "身份证", passport: "护照", hk_macao_permit: "港澳通行证", taiwan_permit: "台胞证", foreign_permanent: "永居证" };
  let canUnmask = false;
  let statusLabels = {};

  function table(head, rows, empty) {
    if (!rows.length) return '<div class="empty">' + esc(empty) + "</div>";
    return '<table class="grid"><thead><tr>' + head.map((h) => "<th>" + esc(h) + "</th>").join("") + "</tr></thead><tbody>" + rows.join("") + "</tbody></table>";
  }

  function src(s) {
    return s ? esc(s.department) + ' <span class="muted small">批次' + esc(s.batch_id) + "·第" + esc(s.line) + "行</span>" : "";
  }

  function room(code) {
    return code ? esc(code.split("-").slice(1).join("-")) : "—";
  }

  function revealButton(kind, id) {
    return canUnmask ? ' <button type="button" class="btn ghost small" data-reveal="' + kind + ":" + id + '">查看完整</button>' : "";
  }

  function personRow(p) {
    const tags = (p.tags || []).map((t) => GG.badge(t, "#fa541c")).join(" ");
    return (
      "<tr><td>" + esc(p.name) + "</td><td>" + esc(SEX[p.sex] || "—") + (p.birth_year ? " · " + esc(p.birth_year) + "年生" : "") +
      '</td><td><span class="pii" data-pii="person:' + p.id + '">' + esc(ID_TYPE[p.id_type] || p.id_type) + " " + esc(p.id_masked || "—") + "</span>" + revealButton("person", p.id) +
      "</td><td>" + esc(POP[p.population] || p.population) + "</td><td>" + room(p.room_code) + "</td><td>" + esc(p.move_in || "—") + (p.move_out ? " 至 " + esc(p.move_out) : "") +
      "</td><td>" + tags + "</td><td>" + src(p.source) + ' <button type="button" class="btn ghost small" data-cluster="' + p.id + '">关联档案</button></td></tr>'
    );
  }

  function render(pf) {
    const a = pf.address;
    canUnmask = !!pf.can_unmask;
    $("#bld-head").innerHTML =
      "<h2>" + esc(a.full_name) + "</h2>" +
      '<dl class="kv"><dt>地址编码</dt><dd>' + esc(a.code) + "</dd><dt>层级</dt><dd>" + esc(LEVEL[a.level] || a.level) + "（含下级地址 " + esc(pf.addresses - 1) + " 个）</dd><dt>网格</dt><dd>" +
      esc(a.grid ? a.grid.name + "（" + a.grid.code + "）" : "—") + "</dd><dt>概况</dt><dd>现住 " + pf.residents.length + " 人 · 房屋 " + pf.rooms.length + " 间 · 法人 " + pf.companies.length + " 个 · 事件 " + pf.events.length + " 件</dd>" +
      "<dt>最近核查</dt><dd id=\"bld-verified\">" + (pf.last_verification ? esc(fmtTime(pf.last_verification.at) + " · " + (pf.last_verification.by || "") + " · " + pf.last_verification.outcome_label + "（" + pf.last_verification.source_label + "）") : "暂无现场核查记录") + "</dd></dl>";
    const head = ["姓名", "性别·出生", "证件", "类别", "房号", "居住期间", "标签", "来源"];
    $("#bld-res").innerHTML = table(head, pf.residents.map(personRow), "本地址暂无现住人员记录（或不在您的数据范围内）");
    $("#bld-past").innerHTML = table(head, pf.past_residents.map(personRow), "暂无曾住人员");
    $("#bld-rooms").innerHTML = table(
      ["房号", "用途", "房东", "登记人数", "来源"],
      pf.rooms.map((r) => "<tr><td>" + esc(r.label || "—") + "</td><td>" + esc(r.use ? USE[r.use] || r.use : "未登记") + "</td><td>" + esc(r.owner || "—") + "</td><td>" + esc(r.people) + "</td><td>" + src(r.source) + "</td></tr>"),
      "暂无房屋记录"
    );
    $("#bld-co").innerHTML = table(
      ["名称", "统一社会信用代码", "法定代表人", "行业", "状态", "来源"],
      pf.companies.map((c) => "<tr><td>" + esc(c.name) + "</td><td>" + esc(c.uscc) + "</td><td>" + esc(c.legal_rep || "—") + "</td><td>" + esc(c.industry || "—") + "</td><td>" + esc(LICENCE[c.licence_status] || c.licence_status) + "</td><td>" + src(c.source) + "</td></tr>"),
      "暂无法人记录"
    );
    $("#bld-ph").innerHTML = table(
      ["电话", "属于", "来源"],
      pf.phones.map((p) => '<tr><td class="pii">' + esc(p.masked) + "</td><td>" + esc(p.owner) + ' <span class="muted small">' + (p.owner_kind === "person" ? "个人" : "单位") + "</span></td><td>" + src(p.source) + "</td></tr>"),
      "暂无电话记录"
    );
    $("#bld-ev").innerHTML = table(
      ["编号", "事件", "类别", "状态", "上报", "处置结果"],
      pf.events.map((e) => "<tr><td>" + esc(e.number || "#" + e.id) + "</td><td>" + esc(e.title) + "</td><td>" + esc(e.category || "—") + "</td><td>" + esc(statusLabels[e.status] || e.status) + "</td><td>" + esc(fmtTime(e.reported_at)) + "</td><td>" + esc(e.outcome || "—") + (e.rating ? " " + "★".repeat(e.rating) : "") + "</td></tr>"),
      "本地址暂无事件"
    );
    [["n-res", pf.residents], ["n-past", pf.past_residents], ["n-rooms", pf.rooms], ["n-co", pf.companies], ["n-ph", pf.phones], ["n-ev", pf.events]].forEach(([id, list]) => ($("#" + id).textContent = list.length));
  }

  async function load(code) {
    try {
      render(await api("/api/blockdata/profile/" + encodeURIComponent(code)));
    } catch (x) {
      GG.showError(x, $("#bld-head"));
    }
  }

  async function reveal(btn) {
    const [kind, id] = btn.dataset.reveal.split(":");
    try {
      const r = await api("/api/blockdata/" + kind + "/" + id + "/reveal", { method: "POST" });
      const cell = document.querySelector('[data-pii="' + kind + ":" + id + '"]');
      if (cell) cell.textContent = (r.id_number || "") + (r.phones.length ? " · " + r.phones.join("、") : "");
      btn.remove();
      GG.toast("已显示完整信息（本次查看已记录审计）");
    } catch (x) {
      GG.showError(x);
    }
  }

  async function search(q) {
    try {
      const rows = await api("/api/addresses/search", { params: { q, limit: 10 } });
      $("#bld-hits").innerHTML = rows.length
        ? '<ul class="plain">' + rows.map((a) => '<li><a href="/building/' + encodeURIComponent(a.code) + '">' + esc(a.full_name) + '</a> <span class="muted small">' + esc(a.code) + "</span></li>").join("") + "</ul>"
        : '<div class="empty">没有找到匹配的标准地址</div>';
    } catch (x) {
      GG.showError(x, $("#bld-hits"));
    }
  }

  async function main() {
    await GG.requireLogin(["admin", "dispatcher", "leader", "community_staff", "grid_worker"]);
    GG.wireLogout();
    try {
      const ch = await GG.choices();
      statusLabels = Object.fromEntries(Object.entries(ch.status || {}).map(([k, v]) => [k, v.label]));
    } catch (_e) {
      statusLabels = {};
    }
    document.addEventListener("click", (e) => {
      const btn = e.target.closest("[data-reveal]");
      if (btn) reveal(btn);
    });
    $("#bld-form").addEventListener("submit", (e) => {
      e.preventDefault();
      const q = $("#bld-q").value.trim();
      if (q) search(q);
    });
    const code = document.querySelector("main").dataset.code;
    if (code) load(code);
  }

  main();
})();
