/* Login: the cookie sign-in (POST /api/auth/login) → each role's home page, or the page in ?next= when it is a
 * path of this site; an account that must first choose its own password gets the change form. */
(function () {
  "use strict";
  const form = GG.$("#login-form");
  const errBox = GG.$("#login-error");
  const params = new URLSearchParams(location.search);

  /** `value` when it is a same-site path, else null: no "//" or "/\" (a browser reads "\" as "/"), no control
   * characters (tabs and newlines are dropped inside URLs), no scheme — also after percent-decoding. The server
   * applies the same rule (common/redirects.py). */
  function safeNext(value) {
    if (!value || value.length > 2000) return null;
    let text = value;
    for (let i = 0; i < 4; i++) {
      if (!text.startsWith("/") || text.startsWith("//") || text.includes("\\")) return null;
      if (/[\u0000-\u001f\u007f]/.test(text)) return null;
      const first = text.split(/[?#]/, 1)[0].slice(1).split("/", 1)[0];
      if (first.includes(":")) return null;
      let decoded;
      try {
        decoded = decodeURIComponent(text);
      } catch (_e) {
        return null;
      }
      if (decoded === text) break;
      if (i === 3) return null;
      text = decoded;
    }
    if (text === "/login" || text.startsWith("/login?") || text.startsWith("/login/")) return null;
    return value;
  }

  function go(role, serverNext) {
    const home = GG.HOMES[role] || "/resident";
    let next = safeNext(params.get("next")) && safeNext(serverNext);
    if (next && next.startsWith("/resident") && role !== "resident") next = null; // staff: their own home
    location.href = next || home;
  }

  function showChange(role) {
    form.classList.add("hidden");
    const change = GG.$("#change-form");
    change.classList.remove("hidden");
    GG.$("#cur-password").focus();
    change.addEventListener("submit", async (e) => {
      e.preventDefault();
      const box = GG.$("#change-error");
      box.textContent = "";
      const current_password = GG.$("#cur-password").value;
      const new_password = GG.$("#new-password").value;
      if (new_password !== GG.$("#new-password2").value) {
        box.textContent = "两次输入的新密码不一致";
        return;
      }
      try {
        const r = await GG.api("/api/auth/password", { method: "POST", json: { current_password, new_password }, noRedirect: true });
        const a = GG.auth() || {};
        a.access_expires_at = r.access_expires_at;
        localStorage.setItem("gridgov.auth", JSON.stringify(a));
        go(r.role || role, params.get("next"));
      } catch (err) {
        box.textContent = err.message;
      }
    });
  }

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    errBox.textContent = "";
    const username = GG.$("#username").value.trim();
    const password = GG.$("#password").value;
    if (!username || !password) {
      errBox.textContent = "请输入用户名和密码";
      return;
    }
    const btn = GG.$("#login-btn");
    btn.disabled = true;
    btn.textContent = "登录中…";
    try {
      GG.setAuth(null); // never carry anything over from the previous user
      const next = safeNext(params.get("next"));
      const r = await GG.api("/api/auth/login", { method: "POST", json: { username, password, next }, noRedirect: true });
      GG.setAuth({ role: r.role, display_name: r.display_name, username, access_expires_at: r.access_expires_at });
      if (r.must_change_password) {
        showChange(r.role);
        return;
      }
      go(r.role, r.next);
    } catch (err) {
      errBox.textContent = err.status === 401 ? "用户名或密码不正确" : err.message;
      btn.disabled = false;
      btn.textContent = "登录";
    }
  });

  if (params.get("change") === "1" && GG.auth()) showChange(GG.auth().role);
  GG.safeNext = safeNext; // for the browser test
})();
