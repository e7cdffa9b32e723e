/* 紧急程度 in the dispatcher's case panel: the case's level and the clock it runs on (工作时间 / 自然时间 24×7), and for
 * those the API allows (set_urgency) the control to change it — 一般 / 紧急 / 重特大 with a required reason. The server
 * moves the clock (urgent and 重特大 run on natural time, what was left of the limit stays left); the panel is redrawn
 * from its answer, so the new basis and deadline show at once. GG.urgency.section(ch, ev) renders,
 * .wire(root, ch, ev, done) binds; done(message) is called after the change. */
(function () {
  "use strict";
  const { $, esc } = GG;
  const LEVELS = ["normal", "urgent", "major"];

  function level(ch, v) {
    return (ch.urgency && ch.urgency[v]) || { label: v, color: "#888" };
  }

  function section(ch, ev) {
    const now = ev.urgency || "normal";
    const basis = (ch.clock_basis && ch.clock_basis[ev.clock_basis]) || { label: ev.clock_basis || "—" };
    const head =
      '<div id="urgency-now">' + GG.badge(level(ch, now).label, level(ch, now).color, "urgency-" + now) +
      ' <span class="muted small">计时：<span id="clock-basis">' + esc(basis.label) + "</span></span>" +
      (ev.urgency_reason ? ' <span class="muted small">（' + esc(ev.urgency_reason) + "）</span>" : "") + "</div>";
    if (!(ev.allowed_actions || []).includes("set_urgency")) {
      return '<section class="urgency" id="urgency-box"><h3>紧急程度</h3>' + head + "</section>";
    }
    const options = LEVELS.map(
      (v) => '<option value="' + v + '"' + (v === now ? " selected disabled" : "") + ">" + esc(level(ch, v).label) + (v === now ? "（当前）" : "") + "</option>",
    ).join("");
    return (
      '<section class="urgency" id="urgency-box"><h3>紧急程度</h3>' + head +
      '<div class="urgency-form"><label>调整为<select id="urgency-level">' + options + "</select></label>" +
      '<label>调整理由<input id="urgency-reason" maxlength="500" placeholder="如：现场有人员被困，升为重特大"></label>' +
      '<button type="button" class="btn warn" id="btn-urgency">调整紧急程度</button></div>' +
      '<div class="muted small">紧急、重特大事件按自然时间（24×7）计时，夜间和节假日照常预警、升级；重特大即时告警区、市领导和值班分拨员。</div>' +
      '<div class="form-error" id="urgency-error" role="alert"></div></section>'
    );
  }

  function wire(root, ch, ev, done) {
    const go = $("#btn-urgency", root);
    if (!go) return;
    const select = $("#urgency-level", root);
    const firstOther = LEVELS.find((v) => v !== (ev.urgency || "normal"));
    if (select.value === (ev.urgency || "normal")) select.value = firstOther;
    go.addEventListener("click", async () => {
      const err = $("#urgency-error", root);
      const reason = $("#urgency-reason", root);
      err.textContent = "";
      reason.classList.remove("field-error");
      const note = reason.value.trim();
      if (!note) {
        err.textContent = "调整紧急程度需要填写理由";
        reason.classList.add("field-error");
        reason.focus();
        return;
      }
      go.disabled = true;
      try {
        const d = await GG.caseView.act(ev.id, "set_urgency", { urgency: select.value, note });
        await done("紧急程度已调整为“" + level(ch, d.urgency).label + "”");
      } catch (e) {
        err.textContent = e.message;
        go.disabled = false;
      }
    });
  }

  GG.urgency = { section, wire };
})();
