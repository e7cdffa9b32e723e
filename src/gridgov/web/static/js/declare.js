/* 自主申报 (no login): a landlord, property company or agent declares a tenant's move-in or move-out; the answer is
 * the declaration's number and the grid whose worker will verify it on site. One idempotency key per form, so a
 * double tap or a retry after a lost answer files one declaration. */
(function () {
  "use strict";
  const { $, $$, esc, api } = GG;
  const state = { idem: GG.uuid() };

  function show(view) {
    $$("[data-view]").forEach((s) => s.classList.toggle("hidden", s.dataset.view !== view));
    window.scrollTo(0, 0);
  }

  function kindChanged() {
    const out = $("#d-kind").value === "move_out";
    $("#d-out-wrap").classList.toggle("hidden", !out);
  }

  async function submit(e) {
    e.preventDefault();
    const err = $("#d-error");
    err.textContent = "";
    const body = {
      kind: $("#d-kind").value,
      declarant_role: $("#d-role").value,
      declarant_name: $("#d-dname").value.trim(),
      declarant_phone: $("#d-dphone").value.trim(),
      address: $("#d-addr").value.trim(),
      room: $("#d-room").value.trim(),
      tenant_name: $("#d-tname").value.trim(),
      id_type: $("#d-idtype").value,
      id_number: $("#d-idno").value.trim(),
      phone: $("#d-tphone").value.trim(),
      move_in: $("#d-in").value,
      move_out: $("#d-kind").value === "move_out" ? $("#d-out").value : "",
      idempotency_key: state.idem,
    };
    if (!body.declarant_name) return (err.textContent = "请填写申报人姓名或单位名称");
    if (!body.declarant_phone) return (err.textContent = "请填写申报人电话");
    if (!body.address) return (err.textContent = "请填写房屋地址");
    if (!body.tenant_name) return (err.textContent = "请填写租客姓名");
    if (!body.id_number) return (err.textContent = "请填写证件号码");
    const btn = $("#d-submit");
    btn.disabled = true;
    try {
      const r = await api("/api/public/declarations", { method: "POST", json: body, anon: true });
      $("#dc-number").textContent = r.number;
      $("#dc-kind").textContent = r.kind_label;
      $("#dc-tenant").textContent = r.tenant_name + (r.phone_masked ? "（" + r.phone_masked + "）" : "");
      $("#dc-id").textContent = r.id_masked || "";
      $("#dc-grid").textContent = r.grid_name || "";
      $("#dc-status").innerHTML = esc(r.status_label) + '<span class="muted small">（网格员将上门核查）</span>';
      state.idem = GG.uuid();
      show("receipt");
    } catch (ex) {
      err.textContent = ex.message;
    } finally {
      btn.disabled = false;
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("#d-kind").addEventListener("change", kindChanged);
    $("#declare-form").addEventListener("submit", submit);
    $("#dc-again").addEventListener("click", () => {
      $("#declare-form").reset();
      kindChanged();
      show("form");
    });
    kindChanged();
  });
})();
