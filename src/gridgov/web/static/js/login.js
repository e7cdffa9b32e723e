/* Login: OAuth2 password form → token in localStorage → each role's home page. */
(function () {
  "use strict";
  const form = GG.$("#login-form");
  const errBox = GG.$("#login-error");
  const params = new URLSearchParams(location.search);

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
      const r = await GG.api("/api/auth/token", { method: "POST", form: { username, password }, noRedirect: true });
      GG.setAuth({ token: r.access_token, role: r.role, display_name: r.display_name, username });
      const home = GG.HOMES[r.role] || "/resident";
      let next = params.get("next");
      if (next && next.startsWith("/resident") && r.role !== "resident") next = null; // staff: their own home
      location.href = next && next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/login") ? next : home;
    } catch (err) {
      errBox.textContent = err.status === 401 ? "用户名或密码不正确" : err.message;
      btn.disabled = false;
      btn.textContent = "登录";
    }
  });
})();
