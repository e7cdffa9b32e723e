/* Admin: the notification templates (Jinja2, rendered in a sandbox): each kind's title and body in force, the
 * shipped default beside it, save (checked by the server: a broken template or an unknown variable is refused
 * with the field named) and 恢复默认. Used by admin.js as the 通知模板 tab. */
(function () {
  "use strict";
  const { $, esc, api } = GG;

  async function templates(root) {
    const rows = await api("/api/notify/templates");
    const vars = rows.length ? rows[0].variables : [];
    root.innerHTML =
      '<div class="card"><p class="muted small">模板使用 Jinja2 语法，可用变量：' +
      vars.map((v) => "<code>{{ " + esc(v) + " }}</code>").join(" ") +
      "。保存前服务器会用示例数据检查模板；短信只发送正文。</p>" +
      rows
        .map(
          (t) =>
            '<form class="tpl card" data-kind="' + esc(t.kind) + '"><h3>' + esc(t.kind_label) +
            (t.changed ? ' <span class="badge" style="background:#fa8c16">已修改</span>' : ' <span class="muted small">默认</span>') +
            '</h3><label>标题<input name="title" maxlength="200" value="' + esc(t.title) + '"></label>' +
            '<label>正文<textarea name="body" rows="3" maxlength="2000">' + esc(t.body) + "</textarea></label>" +
            '<div class="muted small">默认：' + esc(t.default_title) + " ／ " + esc(t.default_body) + "</div>" +
            '<div class="row"><button class="btn primary small" type="submit">保存</button>' +
            (t.changed ? '<button class="btn small" type="button" data-reset>恢复默认</button>' : "") +
            '<span class="tpl-msg small"></span></div></form>',
        )
        .join("") +
      "</div>";
    root.querySelectorAll("form.tpl").forEach((form) => {
      const kind = form.dataset.kind;
      const msg = $(".tpl-msg", form);
      form.addEventListener("submit", async (e) => {
        e.preventDefault();
        try {
          await api("/api/notify/templates/" + kind, {
            method: "PUT",
            json: { title: form.elements.title.value, body: form.elements.body.value },
          });
          GG.toast("模板已保存");
          await templates(root);
        } catch (x) {
          msg.textContent = x.message;
          msg.className = "tpl-msg small error";
        }
      });
      const reset = form.querySelector("[data-reset]");
      if (reset)
        reset.addEventListener("click", async () => {
          try {
            await api("/api/notify/templates/" + kind, { method: "DELETE" });
            GG.toast("已恢复默认模板");
            await templates(root);
          } catch (x) {
            GG.showError(x);
          }
        });
    });
  }

  GG.adminNotify = templates;
})();
