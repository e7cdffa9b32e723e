/* Admin: on-duty rosters of the street and district centres (值班排班) — the centre's shifts of the coming week, who
 * is on duty now, adding a shift (a dispatcher or leader of that centre) and removing one. GG.adminRoster(box). */
(function () {
  "use strict";
  const { $, esc, api, fmtTime } = GG;

  function local(d) {
    const pad = (n) => String(n).padStart(2, "0");
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + "T" + pad(d.getHours()) + ":" + pad(d.getMinutes());
  }

  GG.adminRoster = async function (box) {
    const [districts, streets, dispatchers, leaders] = await Promise.all([
      api("/api/org/divisions", { params: { level: "district", limit: 5000 } }),
      api("/api/org/divisions", { params: { level: "street", limit: 5000 } }),
      api("/api/users", { params: { role: "dispatcher", limit: 1000 } }),
      api("/api/users", { params: { role: "leader", limit: 1000 } }),
    ]);
    const centres = districts.concat(streets);
    const start = new Date();
    start.setMinutes(0, 0, 0);
    const end = new Date(start.getTime() + 12 * 3600 * 1000);
    box.innerHTML =
      '<div class="card"><h2>值班排班</h2><div class="row"><label>指挥中心<select id="duty-centre">' +
      centres.map((d) => '<option value="' + esc(d.code) + '" data-id="' + d.id + '">' + esc(d.name) + "</option>").join("") +
      '</select></label></div><div id="duty-now" class="msg info small">—</div>' +
      '<form id="duty-form" class="row" autocomplete="off"><label>岗位<select name="post"><option value="dispatcher">值班分拨员</option><option value="leader">带班领导</option></select></label>' +
      '<label>人员<select name="user_id" id="duty-user"></select></label>' +
      '<label>开始<input name="starts_at" type="datetime-local" value="' + local(start) + '" required></label>' +
      '<label>结束<input name="ends_at" type="datetime-local" value="' + local(end) + '" required></label>' +
      '<label>备注<input name="note" maxlength="200" placeholder="如：夜班"></label><button class="btn primary" type="submit">排班</button></form>' +
      '<div class="form-error" id="duty-error" role="alert"></div><div id="duty-list"></div></div>';
    const centre = () => $("#duty-centre").selectedOptions[0];
    const people = () => {
      const id = Number(centre().dataset.id);
      const post = $("#duty-form").post.value;
      const pool = (post === "leader" ? leaders : dispatchers).filter((u) => u.division_id === id);
      $("#duty-user").innerHTML = pool.length ? pool.map((u) => '<option value="' + u.id + '">' + esc(u.display_name) + "</option>").join("") : '<option value="">（本中心没有该岗位人员）</option>';
    };
    const load = async () => {
      people();
      const code = centre().value;
      const [now, rows] = await Promise.all([api("/api/duty/now", { params: { division_code: code } }), api("/api/duty/shifts", { params: { division_code: code } })]);
      $("#duty-now").innerHTML =
        "当前值班：" + (now.on_duty.length ? now.on_duty.map((p) => esc(p.name) + "（" + esc(p.post_label) + (p.rostered ? "" : "，未排班，按本中心分拨员") + "）").join("、") : "无");
      $("#duty-list").innerHTML = rows.length
        ? '<table class="grid"><thead><tr><th>岗位</th><th>人员</th><th>开始</th><th>结束</th><th>备注</th><th></th></tr></thead><tbody>' +
          rows.map((r) => "<tr><td>" + esc(r.post_label) + "</td><td>" + esc(r.user_name || r.user_id) + "</td><td>" + esc(fmtTime(r.starts_at, true)) + "</td><td>" + esc(fmtTime(r.ends_at, true)) + "</td><td>" + esc(r.note) + '</td><td><button type="button" class="btn small danger" data-del="' + r.id + '">删除</button></td></tr>').join("") +
          "</tbody></table>"
        : '<div class="empty">未来一周没有排班</div>';
    };
    $("#duty-centre").addEventListener("change", () => load().catch((e) => ($("#duty-error").textContent = e.message)));
    $("#duty-form").post.addEventListener("change", people);
    $("#duty-form").addEventListener("submit", async (e) => {
      e.preventDefault();
      const f = Object.fromEntries(new FormData(e.target).entries());
      $("#duty-error").textContent = "";
      try {
        const shift = { user_id: Number(f.user_id) || 0, post: f.post, starts_at: f.starts_at, ends_at: f.ends_at, note: f.note || "" };
        await api("/api/duty/shifts", { method: "POST", json: { division_code: centre().value, shifts: [shift] } });
        GG.toast("已排班");
        await load();
      } catch (x) {
        $("#duty-error").textContent = x.message;
      }
    });
    $("#duty-list").addEventListener("click", async (e) => {
      const b = e.target.closest("button[data-del]");
      if (!b || !confirm("删除该班次？")) return;
      try {
        await api("/api/duty/shifts/" + b.dataset.del, { method: "DELETE" });
        await load();
      } catch (x) {
        $("#duty-error").textContent = x.message;
      }
    });
    await load();
  };
})();
