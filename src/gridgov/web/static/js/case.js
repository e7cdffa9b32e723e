/* Shared pieces for case (event) views: history timeline, tasks, photos, the category picker, photo inputs. */
(function () {
  "use strict";
  const { esc, fmtTime } = GG;

  const TASK_STATUS = { pending: "待签收", accepted: "办理中", reported: "已反馈", done: "已完成", cancelled: "已撤销" };
  const TASK_ROLE = { lead: "主办", co: "协办" };
  const LEVEL = { grid: "网格", community: "社区", street: "街道", district: "区", city: "市" };
  const AREA = { A: "A类区域", B: "B类区域", C: "C类区域" };

  function photosHtml(hashes) {
    if (!hashes || !hashes.length) return "";
    return '<div class="photos">' + hashes.map((h) => '<img alt="现场照片" data-sha="' + esc(h) + '" src="data:,">').join("") + "</div>";
  }

  /** Replace <img data-sha> placeholders with the photos (fetched with the token). */
  function loadPhotos(root) {
    GG.$$("img[data-sha]", root).forEach(async (img) => {
      try {
        img.src = await GG.attachmentUrl(img.dataset.sha);
        img.addEventListener("click", () => {
          const box = document.createElement("div");
          box.className = "lightbox";
          box.innerHTML = '<img alt="照片" src="' + img.src + '">';
          box.addEventListener("click", () => box.remove());
          document.body.appendChild(box);
        });
      } catch (_e) {
        const note = document.createElement("span");
        note.className = "muted small";
        note.textContent = "（照片不可查看）";
        img.replaceWith(note);
      }
    });
  }

  function historyHtml(ch, history) {
    if (!history || !history.length) return '<div class="empty">暂无办理记录</div>';
    return (
      '<ol class="timeline">' +
      history
        .map((h) => {
          const a = ch.action[h.action] || { label: h.action_label || h.action, color: "#5b8ff9" };
          const role = ch.role[h.actor_role];
          const data = h.data || {};
          const extra = [];
          if (data.lead_department) extra.push("主办：" + data.lead_department);
          if (data.co_departments && data.co_departments.length) extra.push("协办：" + data.co_departments.join("、"));
          if (data.lead_grid_id && !data.lead_department) extra.push("由网格处置");
          if (data.override) extra.push("改派：" + data.override.suggested + " → " + data.override.chosen + "（" + data.override.reason + "）");
          if (data.assignee) extra.push("指派到人：" + data.assignee.name);
          if (data.added_co_departments && data.added_co_departments.length) extra.push("增加协办：" + data.added_co_departments.join("、"));
          if (h.action === "summon" && data.summons) extra.push("召集：" + data.summons.map((x) => x.department).join("、"));
          if ((h.action === "report_in" || h.action === "summons_result" || h.action === "withdraw_summons") && data.department) extra.push(data.department + (data.response_minutes != null ? "，报到用时 " + data.response_minutes + " 分钟" : ""));
          if (h.action === "set_urgency" && data.urgency) {
            const lv = (v) => (ch.urgency && ch.urgency[v] ? ch.urgency[v].label : v);
            const basis = ch.clock_basis && ch.clock_basis[data.clock_basis] ? ch.clock_basis[data.clock_basis].label : data.clock_basis;
            extra.push(lv(data.urgency_from) + " → " + lv(data.urgency) + "，按" + basis + "计时" + (data.deadline_at ? "，时限 " + fmtTime(data.deadline_at) : ""));
          }
          if (data.to_level) extra.push("升至" + (LEVEL[data.to_level] || data.to_level) + "级");
          if (data.hours) extra.push(data.hours + " 工作小时");
          if (data.rating) extra.push("评分 " + data.rating + " 分");
          if (h.action === "locate" && data.address) extra.push("地址编码 " + data.address + (data.grid ? "，定位到网格 " + data.grid : ""));
          if (h.action === "merge" && data.into_number && !(h.note || "").includes(data.into_number)) extra.push("主案件 " + data.into_number);
          return (
            '<li style="--c:' + esc(a.color) + '"><div><b>' + esc(h.action_label || a.label) + "</b> " +
            '<span class="when">' + esc(fmtTime(h.at)) + " · " + esc(role ? role.label : h.actor_role) + "</span></div>" +
            (h.note ? "<div>" + esc(h.note) + "</div>" : "") +
            (extra.length ? '<div class="muted small">' + esc(extra.join("；")) + "</div>" : "") +
            photosHtml(h.attachments) +
            "</li>"
          );
        })
        .join("") +
      "</ol>"
    );
  }

  function tasksHtml(tasks) {
    if (!tasks || !tasks.length) return '<div class="muted">尚未派遣</div>';
    return (
      '<table class="grid"><thead><tr><th>角色</th><th>承办</th><th>状态</th><th>反馈</th></tr></thead><tbody>' +
      tasks
        .map(
          (t) =>
            "<tr><td>" + esc(TASK_ROLE[t.role] || t.role) + "</td><td>" +
            esc((t.department_name || (t.grid_id || t.assignee_id ? "网格员" : "—")) + (t.assignee_name ? " · 指派 " + t.assignee_name : "")) + "</td><td>" + esc(TASK_STATUS[t.status] || t.status) +
            "</td><td>" + esc(t.note || "") + "</td></tr>",
        )
        .join("") +
      "</tbody></table>"
    );
  }

  /** The case's standard address: {code, name, confidence}. The detail's address_code/address_full_name may be
   * empty; the latest 确认地址 (locate) step then names the address (its note) and its code (data.address). */
  function addressInfo(ev) {
    const step = (ev.history || []).filter((h) => h.action === "locate").pop();
    return {
      id: ev.address_id == null ? null : ev.address_id,
      code: ev.address_code || (step && step.data && step.data.address) || null,
      name: ev.address_full_name || (step && step.note) || null,
      confidence: ev.address_confidence == null ? null : ev.address_confidence,
    };
  }

  /** The main case a duplicate was merged into: {id, number}, or null. The detail only carries merged_into_id;
   * the 合并重复件 step of the history names the main case's number (data.into_number). */
  function mergedInto(ev) {
    if (!ev || (ev.merged_into_id == null && ev.status !== "merged")) return null;
    const step = (ev.history || []).filter((h) => h.action === "merge").pop();
    const data = (step && step.data) || {};
    const id = ev.merged_into_id != null ? ev.merged_into_id : data.into != null ? data.into : null;
    return { id, number: data.into_number || (id != null ? "#" + id : null) };
  }

  function pct(v) {
    return Math.round(v * 100) + "%";
  }

  function addressText(ev) {
    const a = addressInfo(ev);
    if (a.id == null && !a.name) return "未匹配";
    const conf = a.confidence != null ? "置信度 " + pct(a.confidence) : "";
    if (!a.name) return "已匹配" + (conf ? "（" + conf + "）" : "");
    return a.name + (conf ? "（" + conf + "）" : "");
  }

  function summaryHtml(ch, ev) {
    const left = GG.timeLeft(ev.deadline_at);
    const chan = ch.channel[ev.channel];
    const rows = [
      ["编号", ev.number || "（待立案）"],
      ["状态", GG.statusBadge(ch, ev.status, ev.status_label) + " " + GG.slaBadge(ch, ev.sla_state), true],
      ["类别", ev.category_name ? ev.category_name + "（" + ev.category_code + "）" : "未分类"],
      ["来源", chan ? chan.label : ev.channel],
      ["层级", (LEVEL[ev.level] || ev.level) + "级 · " + (AREA[ev.area_class] || ev.area_class)],
      ["网格", ev.grid_code || "未定位"],
      ["地址", ev.address_text || "—"],
      ["标准地址", addressInfo(ev).code ? esc(addressText(ev)) + ' <a class="small" href="/building/' + encodeURIComponent(addressInfo(ev).code) + '" target="_blank" rel="noopener">一楼一档</a>' : esc(addressText(ev)), true],
      ["上报时间", fmtTime(ev.reported_at, true)],
      ["处置时限", ev.deadline_at ? fmtTime(ev.deadline_at, true) + "（" + left.text + "）" : "—"],
    ];
    const main = mergedInto(ev);
    if (main) {
      const label = main.number ? "已合并到 " + main.number : "已合并（重复上报）";
      rows.splice(2, 0, ["合并", main.id != null ? '<span class="merged-into" data-open-case="' + esc(main.id) + '">' + esc(label) + "</span>" : esc(label), true]);
    }
    if (ev.reporter_phone) rows.push(["联系电话", ev.reporter_phone]);
    if (ev.extension_requested) rows.push(["延期申请", ev.extension_requested + " 工作小时（待审批）"]);
    if (ev.return_count) rows.push(["退回次数", String(ev.return_count)]);
    if (ev.supervised_count) rows.push(["督办次数", String(ev.supervised_count)]);
    if (ev.escalation_count) rows.push(["上报上级", ev.escalation_count + " 次"]);
    if (ev.result_note) rows.push(["处置结果", ev.result_note]);
    if (ev.reject_reason) rows.push(["不立案理由", ev.reject_reason]);
    if (ev.rating) rows.push(["评价", "★".repeat(ev.rating) + (ev.rating_comment ? " " + ev.rating_comment : "")]);
    return '<dl class="kv">' + rows.map((r) => "<dt>" + esc(r[0]) + "</dt><dd>" + (r[2] ? r[1] : esc(r[1])) + "</dd>").join("") + "</dl>";
  }

  /** A searchable 小类 picker bound to an <input>; onPick(item) gets the chosen catalog item. */
  function categoryPicker(input, majors, onPick) {
    const wrap = input.parentElement;
    wrap.classList.add("cat-picker");
    const box = document.createElement("div");
    box.className = "cat-options hidden";
    wrap.appendChild(box);
    const all = [];
    (majors || []).forEach((m) => (m.items || []).forEach((it) => it.active && all.push({ it, m })));
    let shown = [];
    let active = -1;
    function render() {
      const q = input.value.trim().toLowerCase();
      shown = all
        .filter(({ it, m }) => !q || it.name.toLowerCase().includes(q) || it.code.startsWith(q) || m.name.includes(q) || (it.keywords || []).some((k) => k.includes(q)))
        .slice(0, 40);
      active = shown.length ? 0 : -1;
      box.innerHTML = shown.length
        ? shown.map(({ it, m }, i) => '<div data-i="' + i + '" class="' + (i === active ? "active" : "") + '">' + esc(it.name) + ' <span class="major">' + esc(m.name) + " · " + esc(it.code) + "</span></div>").join("")
        : '<div class="muted">没有匹配的小类</div>';
      box.classList.remove("hidden");
    }
    function pick(i) {
      const row = shown[i];
      if (!row) return;
      input.value = row.it.name + "（" + row.it.code + "）";
      input.dataset.code = row.it.code;
      box.classList.add("hidden");
      onPick && onPick(row.it);
    }
    input.addEventListener("focus", render);
    input.addEventListener("input", () => {
      input.dataset.code = "";
      render();
    });
    input.addEventListener("keydown", (e) => {
      if (box.classList.contains("hidden")) return;
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        active = Math.max(0, Math.min(shown.length - 1, active + (e.key === "ArrowDown" ? 1 : -1)));
        GG.$$("div[data-i]", box).forEach((d, i) => d.classList.toggle("active", i === active));
      } else if (e.key === "Enter") {
        e.preventDefault();
        pick(active);
      } else if (e.key === "Escape") {
        box.classList.add("hidden");
      }
    });
    box.addEventListener("mousedown", (e) => {
      const d = e.target.closest("div[data-i]");
      if (d) {
        e.preventDefault();
        pick(Number(d.dataset.i));
      }
    });
    input.addEventListener("blur", () => setTimeout(() => box.classList.add("hidden"), 150));
    return {
      set(item) {
        if (!item) {
          input.value = "";
          input.dataset.code = "";
          return;
        }
        input.value = item.name + "（" + item.code + "）";
        input.dataset.code = item.code;
      },
      code() {
        return input.dataset.code || null;
      },
      find(code) {
        const row = all.find(({ it }) => it.code === code);
        return row ? row.it : null;
      },
    };
  }

  /** Upload the files chosen in a file <input>; returns their sha256 list. Shows a preview in `preview`. */
  function photoInput(input, preview) {
    input.addEventListener("change", () => {
      if (!preview) return;
      preview.innerHTML = "";
      Array.from(input.files || []).forEach((f) => {
        const img = document.createElement("img");
        img.alt = f.name;
        img.src = URL.createObjectURL(f);
        preview.appendChild(img);
      });
    });
    return {
      async upload() {
        const files = Array.from(input.files || []);
        if (files.length > 9) throw new Error("最多上传 9 张照片");
        const out = [];
        for (const f of files) out.push((await GG.upload(f)).sha256);
        return out;
      },
      clear() {
        input.value = "";
        if (preview) preview.innerHTML = "";
      },
      count() {
        return (input.files || []).length;
      },
    };
  }

  async function act(id, action, body) {
    return GG.api("/api/events/" + id + "/actions/" + action, { method: "POST", json: body || {} });
  }

  GG.caseView = { photosHtml, loadPhotos, historyHtml, tasksHtml, summaryHtml, addressInfo, mergedInto, categoryPicker, photoInput, act, LEVEL, TASK_STATUS };
})();
