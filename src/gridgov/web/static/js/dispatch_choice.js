/* The dispatcher's choice in the /dispatch case panel: the suggested lead and why (事件目录 / 分拨规则 / 人工改派记录),
 * another lead with a reason (kept as a routing correction the suggestions learn from), more co-departments, and
 * a named person — a handler of the lead department or a grid worker (任务直接派到网格和个人).
 * GG.dispatchChoice.load(ev) renders into #choice-box; .body() is what 派遣 sends. */
(function () {
  "use strict";
  const { $, $$, esc, api } = GG;
  const LEVEL = { community: "社区", street: "街道", district: "区" };
  const GRID = "grid";
  let current = null; // {ev, options}

  function leadValue(s) {
    return s ? (s.lead_department_id == null ? GRID : String(s.lead_department_id)) : "";
  }

  /** The lead the dispatch will have: the named person's (a grid worker: the grid), else the one chosen. */
  function effectiveLead(s) {
    const person = $("#choice-person").selectedOptions[0];
    if (person && person.dataset.grid) return GRID;
    if (person && person.dataset.dept) return person.dataset.dept;
    return $("#choice-lead").value || leadValue(s);
  }

  function peopleOptions(o, lead) {
    const dept = o.departments.find((d) => String(d.id) === lead);
    const handlers = dept ? dept.people : [];
    const workers = lead === GRID || !lead ? o.grid_workers : o.grid_workers;
    return (
      '<option value="">不指定（由' + (lead === GRID ? "网格" : "部门") + "签收）</option>" +
      (handlers.length ? '<optgroup label="' + esc(dept.name) + '">' + handlers.map((p) => '<option value="' + p.id + '" data-dept="' + dept.id + '">' + esc(p.name) + "</option>").join("") + "</optgroup>" : "") +
      (workers.length ? '<optgroup label="网格员（直接派到人）">' + workers.map((p) => '<option value="' + p.id + '" data-grid="1">' + esc(p.name) + " · " + esc(p.grid_code || "") + "</option>").join("") + "</optgroup>" : "")
    );
  }

  function render(ev, o) {
    const box = $("#choice-box");
    if (!box) return;
    const s = o.suggestion;
    const basis = s
      ? '<div class="basis msg info small">建议主办：<b>' + esc(s.lead_name) + "</b>（依据：" + esc(s.basis_label) +
        (s.basis === "learned" ? "，" + s.votes + " 次人工改派；原建议 " + esc(s.base_lead_name) : "") + "）</div>"
      : '<div class="muted small">选择小类后按建议派遣</div>';
    const byLevel = {};
    o.departments.forEach((d) => (byLevel[d.level] = byLevel[d.level] || []).push(d));
    const leadOpts =
      (s ? '<option value="' + leadValue(s) + '">按建议：' + esc(s.lead_name) + "</option>" : '<option value="">按建议</option>') +
      (leadValue(s) === GRID ? "" : '<option value="' + GRID + '">网格（网格员处置）</option>') +
      Object.keys(byLevel)
        .map((lv) => '<optgroup label="' + esc(LEVEL[lv] || lv) + '级部门">' + byLevel[lv].map((d) => '<option value="' + d.id + '">' + esc(d.name) + "</option>").join("") + "</optgroup>")
        .join("");
    box.innerHTML =
      '<details class="choice" id="choice"><summary>派遣选择：改派主办、增加协办、指派到人</summary>' + basis +
      '<label>主办单位<select id="choice-lead">' + leadOpts + "</select></label>" +
      '<label id="choice-reason-wrap" class="hidden">改派理由（必填，将用于改进分拨建议）<input id="choice-reason" maxlength="500" placeholder="如：该路段绿地由建设办代管"></label>' +
      '<div class="small">增加协办单位</div><div class="choice-co" id="choice-co">' +
      o.departments.map((d) => '<label class="nowrap"><input type="checkbox" value="' + d.id + '"> ' + esc(d.name) + "</label>").join("") + "</div>" +
      '<label>指派到人<select id="choice-person">' + peopleOptions(o, leadValue(s)) + "</select></label></details>";
    const lead = $("#choice-lead");
    const sync = () => {
      const chosen = lead.value;
      const person = $("#choice-person");
      const kept = person.value;
      person.innerHTML = peopleOptions(o, chosen || leadValue(s));
      if ($$("option", person).some((x) => x.value === kept)) person.value = kept;
      $("#choice-reason-wrap").classList.toggle("hidden", effectiveLead(s) === leadValue(s));
    };
    lead.addEventListener("change", sync);
    $("#choice-person").addEventListener("change", sync);
  }

  async function load(ev) {
    current = null;
    const box = $("#choice-box");
    if (!box) return;
    try {
      const o = await api("/api/events/" + ev.id + "/dispatch-options");
      current = { ev, o };
      render(ev, o);
    } catch (e) {
      box.innerHTML = '<div class="msg warn small">派遣选项加载失败：' + esc(e.message) + "</div>";
    }
  }

  /** The choice as the 派遣 body's fields; nothing when the dispatcher kept the suggestion. */
  function body() {
    const out = {};
    if (!current || !$("#choice-lead")) return out;
    const s = current.o.suggestion;
    const lead = $("#choice-lead").value;
    const person = $("#choice-person").selectedOptions[0];
    if (lead && lead !== leadValue(s) && lead !== GRID) out.lead_department_id = Number(lead);
    if (person && person.value) out.assignee_id = Number(person.value);
    const co = $$("#choice-co input:checked").map((c) => Number(c.value));
    if (co.length) out.co_department_ids = co;
    const changed = effectiveLead(s) !== leadValue(s);
    if (lead === GRID && leadValue(s) !== GRID && !(person && person.dataset.grid)) throw new GG.ApiError("由网格处置时请指派一名网格员", 422, { error: { field: "assignee_id" } });
    const reason = $("#choice-reason").value.trim();
    if (changed && !reason) throw new GG.ApiError("改派主办单位需要填写理由", 422, { error: { field: "reason" } });
    if (reason) out.reason = reason;
    return out;
  }

  GG.dispatchChoice = { load, body };
})();
