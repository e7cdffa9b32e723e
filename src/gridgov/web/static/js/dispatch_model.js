/* The classifier's three suggestions in the /dispatch case panel (GET /api/events/{id}/suggestions): each with
 * its calibrated confidence and its key — 1, 2 or 3 takes that 小类 and runs 立案 (or 派遣 when the case is filed
 * already), one key to accept. GG.modelSuggest.load(ev, picker, act) renders into #model-suggest;
 * GG.modelSuggest.accept(n) is the key's action. */
(function () {
  "use strict";
  const { $, $$, esc, api } = GG;
  let current = null; // {ev, options, picker, act}

  function pct(x) {
    return Math.round(x * 100) + "%";
  }

  async function load(ev, picker, act) {
    current = null;
    const box = $("#model-suggest");
    if (!box) return;
    let s;
    try {
      s = await api("/api/events/" + ev.id + "/suggestions");
    } catch (e) {
      box.innerHTML = "";
      return;
    }
    if (!$("#model-suggest") || !s.options.length) return;
    current = { ev, options: s.options, picker, act };
    box.innerHTML =
      '<div class="muted small">智能分类建议（按数字键采纳并' + (ev.allowed_actions.includes("file") ? "立案" : "派遣") + "）</div>" +
      '<div class="chips">' +
      s.options
        .map((o, i) => '<span class="chip model" data-n="' + (i + 1) + '"><kbd>' + (i + 1) + "</kbd> " + esc(o.name) + ' <span class="muted">' + pct(o.confidence) + "</span></span>")
        .join("") +
      "</div>";
    if (!ev.category_code) picker.set(picker.find(s.options[0].code));
    $$("#model-suggest .chip").forEach((c) => c.addEventListener("click", () => accept(Number(c.dataset.n))));
  }

  function accept(n) {
    if (!current || !current.options[n - 1]) return false;
    const { ev, options, picker, act } = current;
    picker.set(picker.find(options[n - 1].code));
    act(ev.allowed_actions.includes("file") ? "file" : "dispatch");
    return true;
  }

  GG.modelSuggest = { load, accept };
})();
