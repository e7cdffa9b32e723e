/* Admin: the IoT alarm rules (rules are data): each rule's name, enabled flag and spec (JSON: create per severity,
 * clear), 试运行 — the edited spec replayed on a chosen device's recorded telemetry, nothing written, the raises,
 * escalations and clears listed — and 保存 (checked by the server: a bad spec is refused with the field named).
 * Used by admin.js as the 告警规则 tab. */
(function () {
  "use strict";
  const { $, esc, api, fmtTime } = GG;

  function card(r) {
    return (
      '<form class="card alarm-rule" data-code="' + esc(r.code) + '" data-type="' + esc(r.device_type) + '">' +
      "<h3>" + esc(r.name) + ' <span class="muted small">' + esc(r.code) + " · 设备类型 " + esc(r.device_type) + "</span></h3>" +
      '<div class="row"><label>名称<input name="name" maxlength="200" value="' + esc(r.name) + '"></label>' +
      '<label class="nowrap"><input type="checkbox" name="enabled"' + (r.enabled ? " checked" : "") + "> 启用</label></div>" +
      '<label>规则（JSON：create 按严重程度的触发条件，clear 解除条件）<textarea name="spec" rows="9" spellcheck="false" class="mono">' +
      esc(JSON.stringify(r.spec, null, 2)) + "</textarea></label>" +
      '<div class="row"><label>试运行设备<select name="device"><option value="">正在加载设备…</option></select></label>' +
      '<button class="btn small" type="button" data-dry>试运行</button><button class="btn primary small" type="submit">保存</button></div>' +
      '<div class="rule-msg small" role="alert"></div><div class="rule-dry"></div></form>'
    );
  }

  function spec(form) {
    try {
      return JSON.parse(form.elements.spec.value);
    } catch (e) {
      throw new Error("规则 JSON 格式有误：" + e.message);
    }
  }

  function dryHtml(res) {
    const rows = res.outcomes
      .map((o) => "<tr><td>" + esc(fmtTime(o.at)) + "</td><td>" + esc(o.change_label) + "</td><td>" + esc(o.severity || "") + "</td><td>" + esc(o.reason) + "</td></tr>")
      .join("");
    return (
      '<p class="small">回放 ' + res.samples + " 条历史遥测：" + (res.outcomes.length ? res.outcomes.length + " 次变化" : "不会触发告警") + "</p>" +
      (rows ? '<table class="grid"><thead><tr><th>时间</th><th>变化</th><th>严重程度</th><th>条件</th></tr></thead><tbody>' + rows + "</tbody></table>" : "")
    );
  }

  async function devicesFor(form) {
    const sel = form.elements.device;
    try {
      const list = await api("/api/hazards/devices", { params: { device_type: form.dataset.type === "*" ? undefined : form.dataset.type, limit: 100 } });
      sel.innerHTML = list.length
        ? list.map((d) => '<option value="' + esc(d.code) + '">' + esc(d.code + " " + d.source_name) + "</option>").join("")
        : '<option value="">暂无该类型设备</option>';
    } catch (x) {
      sel.innerHTML = '<option value="">设备加载失败</option>';
    }
  }

  async function rules(root) {
    const list = await api("/api/hazards/rules");
    root.innerHTML =
      '<div class="card"><p class="muted small">条件类型：simple 即时、duration 持续（seconds）、repeating 重复（count 次 / seconds 秒内）、no_data 无数据；' +
      "比较符 &gt; &gt;= &lt; &lt;= == !=。保存前可用设备的历史遥测试运行，不写入任何数据。</p></div>" +
      list.map(card).join("");
    root.querySelectorAll("form.alarm-rule").forEach((form) => {
      const msg = $(".rule-msg", form);
      const say = (text, bad) => {
        msg.textContent = text;
        msg.className = "rule-msg small" + (bad ? " error" : "");
      };
      devicesFor(form);
      form.querySelector("[data-dry]").addEventListener("click", async () => {
        say("", false);
        try {
          const device = form.elements.device.value;
          if (!device) return say("请选择试运行的设备", true);
          const res = await api("/api/hazards/rules/dry-run", { method: "POST", json: { spec: spec(form), device_code: device } });
          $(".rule-dry", form).innerHTML = dryHtml(res);
        } catch (x) {
          say(x.message, true);
        }
      });
      form.addEventListener("submit", async (e) => {
        e.preventDefault();
        say("", false);
        try {
          await api("/api/hazards/rules/" + form.dataset.code, {
            method: "PUT",
            json: { name: form.elements.name.value.trim(), enabled: form.elements.enabled.checked, spec: spec(form) },
          });
          GG.toast("告警规则已保存");
          say("已保存", false);
        } catch (x) {
          say(x.message, true);
        }
      });
    });
  }

  GG.adminAlarmRules = rules;
})();
