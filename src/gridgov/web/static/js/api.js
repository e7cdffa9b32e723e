/* gridgov shared browser client: the JSON API, Chinese error messages, small DOM helpers. Everything lives on
 * window.GG. The sign-in is a pair of HttpOnly cookies the script never sees (a short access token and a
 * refresh token); state-changing requests carry the CSRF token from the readable gg_csrf cookie, and the access
 * token is refreshed silently before it runs out (and once more on a 401), so a wall screen or a dispatcher's
 * page stays signed in through a shift. localStorage keeps only who is signed in (name, role, when the access
 * token ends) and is cleared at login and logout — except the anonymous 随手拍 receipts of this device
 * (RECEIPTS_KEY: case numbers and follow-up tokens), which belong to whoever holds the phone, not to an account. */
(function () {
  "use strict";
  const AUTH_KEY = "gridgov.auth";
  const RECEIPTS_KEY = "gridgov.receipts";
  const HOMES = {
    admin: "/admin",
    leader: "/ioc",
    dispatcher: "/dispatch",
    community_staff: "/dispatch",
    handler: "/handler",
    grid_worker: "/grid",
    resident: "/resident",
  };
  const HTTP_ZH = {
    400: "请求有误",
    401: "登录已过期，请重新登录",
    403: "没有权限执行该操作",
    404: "请求的内容不存在",
    409: "操作与当前状态冲突",
    413: "文件过大",
    422: "提交的内容有误",
    429: "操作过于频繁，请稍后再试",
    500: "服务器内部错误，请稍后再试",
    502: "服务暂不可用",
    503: "服务暂不可用",
  };

  class ApiError extends Error {
    constructor(message, status, body) {
      super(message);
      this.status = status;
      this.body = body || {};
      const err = (body && body.error) || {};
      this.code = err.code || null;
      this.field = err.field || null;
    }
  }

  function auth() {
    try {
      return JSON.parse(localStorage.getItem(AUTH_KEY) || "null");
    } catch (_e) {
      return null;
    }
  }

  function setAuth(value) {
    const receipts = localStorage.getItem(RECEIPTS_KEY);
    localStorage.clear();
    sessionStorage.clear();
    if (receipts) localStorage.setItem(RECEIPTS_KEY, receipts);
    if (value) localStorage.setItem(AUTH_KEY, JSON.stringify(value));
  }

  function toLogin() {
    const next = location.pathname + location.search;
    setAuth(null);
    location.href = "/login" + (next && next !== "/login" ? "?next=" + encodeURIComponent(next) : "");
  }

  async function logout() {
    try {
      await api("/api/auth/logout", { method: "POST", noRedirect: true });
    } catch (_e) {
      /* already signed out */
    }
    setAuth(null);
    location.href = "/login";
  }

  function cookie(name) {
    const hit = document.cookie.split("; ").find((c) => c.startsWith(name + "="));
    return hit ? decodeURIComponent(hit.slice(name.length + 1)) : "";
  }

  // --- silent refresh: one request at a time in this tab; the server accepts a second tab's refresh with the
  // token just replaced for a few seconds, so tabs do not sign each other out.
  let refreshing = null;
  let refreshTimer = null;
  function scheduleRefresh(expiresAt) {
    clearTimeout(refreshTimer);
    const left = new Date(expiresAt).getTime() - Date.now();
    if (!isFinite(left)) return;
    const delay = left > 120000 ? left - 60000 : Math.max(500, left * 0.7);
    refreshTimer = setTimeout(() => refresh().catch(() => {}), delay);
  }

  function refresh() {
    if (!refreshing) {
      refreshing = fetch("/api/auth/refresh", {
        method: "POST",
        headers: { Accept: "application/json", "X-CSRF-Token": cookie("gg_csrf") },
        cache: "no-store",
      })
        .then(async (res) => {
          if (!res.ok) throw new ApiError(HTTP_ZH[401], res.status, null);
          const data = await res.json();
          const a = auth();
          if (a) {
            a.access_expires_at = data.access_expires_at;
            localStorage.setItem(AUTH_KEY, JSON.stringify(a));
          }
          scheduleRefresh(data.access_expires_at);
          return data;
        })
        .finally(() => {
          refreshing = null;
        });
    }
    return refreshing;
  }

  function query(params) {
    if (!params) return "";
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) {
      if (v === undefined || v === null || v === "") continue;
      if (Array.isArray(v)) v.forEach((x) => q.append(k, x));
      else q.append(k, v);
    }
    const s = q.toString();
    return s ? "?" + s : "";
  }

  // Chinese names of request fields, for the validation messages ("字段 phone：…" → "手机号：…").
  const FIELD_ZH = {
    title: "标题",
    description: "描述",
    phone: "手机号",
    reporter_phone: "联系电话",
    address_text: "地点",
    lon: "位置",
    lat: "位置",
    attachments: "照片",
    file: "照片",
    rating: "评分",
    note: "说明",
    token: "查询凭证",
    number: "案件编号",
    category_code: "事件小类",
    address_code: "标准地址",
    grid_code: "网格",
  };

  function messageOf(status, body) {
    const err = body && body.error;
    if (err && err.code === "invalid_input" && err.field && Array.isArray(err.errors) && err.errors.length) {
      const first = err.errors[0];
      const name = FIELD_ZH[String(first.field).split(".")[0]];
      if (name) return name + "：" + first.message;
    }
    if (err && err.message) {
      if (err.field && err.code !== "invalid_input" && !String(err.message).includes(err.field)) {
        return err.message + "（字段：" + err.field + "）";
      }
      return err.message;
    }
    if (body && typeof body.detail === "string") return body.detail;
    return (HTTP_ZH[status] || "请求失败") + "（HTTP " + status + "）";
  }

  /** fetch wrapper: api(path, {method, json, form, formData, params, headers, raw, noRedirect, anon});
   * `anon`: no token is sent and a 401 does not lead to the login page (the public 随手拍 endpoints). */
  async function api(path, opts) {
    opts = opts || {};
    const headers = Object.assign({ Accept: "application/json" }, opts.headers || {});
    const method = opts.method || (opts.json !== undefined || opts.form || opts.formData ? "POST" : "GET");
    if (!opts.anon && method !== "GET" && method !== "HEAD") headers["X-CSRF-Token"] = cookie("gg_csrf");
    let body;
    if (opts.json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(opts.json);
    } else if (opts.form) {
      body = new URLSearchParams(opts.form);
    } else if (opts.formData) {
      body = opts.formData;
    }
    let res;
    try {
      res = await fetch(path + query(opts.params), {
        method,
        headers,
        body,
        cache: "no-store",
        credentials: opts.anon ? "omit" : "same-origin",
        signal: opts.signal,
      });
    } catch (e) {
      if (e && e.name === "AbortError") throw e;
      throw new ApiError("网络连接失败，请检查网络后重试", 0, null);
    }
    if (opts.raw && res.ok) return res;
    let data = null;
    const text = await res.text();
    if (text) {
      try {
        data = JSON.parse(text);
      } catch (_e) {
        data = null;
      }
    }
    if (!res.ok) {
      const code = data && data.error && data.error.code;
      if (res.status === 401 && !opts.anon && !opts.retried && auth()) {
        // the access token ran out (or its cookie did): refresh once, then ask again
        const again = await refresh().then(
          () => true,
          () => false,
        );
        if (again) return api(path, Object.assign({}, opts, { retried: true }));
      }
      if (res.status === 401 && !opts.noRedirect && !opts.anon) {
        toLogin();
      }
      if (res.status === 403 && code === "password_change_required" && !opts.noRedirect) {
        location.href = "/login?change=1";
      }
      throw new ApiError(messageOf(res.status, data), res.status, data);
    }
    return data;
  }

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const b = new Uint8Array(16);
    (window.crypto || {}).getRandomValues ? crypto.getRandomValues(b) : b.forEach((_, i) => (b[i] = Math.random() * 256));
    return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  }

  async function upload(file) {
    const fd = new FormData();
    fd.append("file", file, file.name || "photo.jpg");
    return api("/api/attachments", { method: "POST", formData: fd });
  }

  const blobCache = new Map();
  /** An object URL for an attachment (fetched through api(), which refreshes an expired sign-in first). */
  async function attachmentUrl(sha) {
    if (blobCache.has(sha)) return blobCache.get(sha);
    const res = await api("/api/attachments/" + encodeURIComponent(sha), { raw: true, headers: { Accept: "*/*" } });
    const url = URL.createObjectURL(await res.blob());
    blobCache.set(sha, url);
    return url;
  }

  // --- enumerations (labels and colours from /api/choices), cached for this page only ------------------
  let choicesPromise = null;
  function choices() {
    if (!choicesPromise) {
      choicesPromise = api("/api/choices").then((c) => {
        const maps = {};
        for (const [k, list] of Object.entries(c)) {
          maps[k] = {};
          list.forEach((x) => (maps[k][x.value] = x));
        }
        return maps;
      });
    }
    return choicesPromise;
  }

  let catalogPromise = null;
  function catalog() {
    if (!catalogPromise) catalogPromise = api("/api/catalog");
    return catalogPromise;
  }

  /** Category suggestions: score every active 小类 by the keywords (and its name) found in the text. */
  function suggestCategories(majors, text, limit) {
    text = (text || "").toLowerCase();
    if (!text) return [];
    const scored = [];
    for (const major of majors || []) {
      for (const item of major.items || []) {
        if (!item.active) continue;
        let score = 0;
        const hits = [];
        for (const kw of [item.name].concat(item.keywords || [])) {
          if (kw && text.includes(kw.toLowerCase())) {
            score += kw.length;
            hits.push(kw);
          }
        }
        if (score > 0) scored.push({ item, major, score, hits });
      }
    }
    scored.sort((a, b) => b.score - a.score || a.item.code.localeCompare(b.item.code));
    return scored.slice(0, limit || 3);
  }

  // --- formatting -------------------------------------------------------------------------------------
  const pad = (n) => String(n).padStart(2, "0");
  function fmtTime(iso, withYear) {
    if (!iso) return "—";
    const d = new Date(iso);
    if (isNaN(d)) return "—";
    const md = pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " + pad(d.getHours()) + ":" + pad(d.getMinutes());
    return withYear ? d.getFullYear() + "-" + md : md;
  }

  function timeLeft(iso) {
    if (!iso) return { text: "未计时", overdue: false, ms: Infinity };
    const ms = new Date(iso).getTime() - Date.now();
    const abs = Math.abs(ms);
    const h = Math.floor(abs / 3600000);
    const m = Math.floor((abs % 3600000) / 60000);
    const span = h >= 48 ? Math.floor(h / 24) + "天" + (h % 24) + "小时" : h > 0 ? h + "小时" + m + "分" : m + "分钟";
    return { text: ms >= 0 ? "剩余 " + span : "已超时 " + span, overdue: ms < 0, ms };
  }

  function fmtNum(v, digits) {
    if (v === null || v === undefined || v === "") return "—";
    if (typeof v === "number" && digits !== undefined) return v.toFixed(digits);
    return typeof v === "number" ? v.toLocaleString("zh-CN") : String(v);
  }

  function fmtPct(v) {
    if (v === null || v === undefined) return "—";
    return (v * 100).toFixed(1) + "%";
  }

  // --- DOM --------------------------------------------------------------------------------------------
  function esc(s) {
    return String(s === null || s === undefined ? "" : s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  }

  function $(sel, root) {
    return (root || document).querySelector(sel);
  }
  function $$(sel, root) {
    return Array.from((root || document).querySelectorAll(sel));
  }

  function toast(message, kind) {
    let box = $("#toasts");
    if (!box) {
      box = document.createElement("div");
      box.id = "toasts";
      box.setAttribute("role", "status");
      box.setAttribute("aria-live", "polite");
      document.body.appendChild(box);
    }
    const t = document.createElement("div");
    t.className = "toast " + (kind || "ok");
    t.textContent = message;
    box.appendChild(t);
    setTimeout(() => t.remove(), kind === "error" ? 8000 : 3500);
  }

  function showError(e, where) {
    const msg = e && e.message ? e.message : String(e);
    if (where) {
      where.innerHTML = '<div class="msg error">' + esc(msg) + "</div>";
    } else {
      toast(msg, "error");
    }
    return msg;
  }

  function badge(text, color, cls) {
    return '<span class="badge ' + (cls || "") + '" style="--c:' + esc(color || "#888") + '">' + esc(text) + "</span>";
  }

  function slaBadge(ch, state) {
    if (!state || state === "normal") return "";
    const c = ch.sla_state[state] || { label: state, color: "#888" };
    return badge(c.label, c.color, "sla-" + state);
  }

  function statusBadge(ch, status, label) {
    const c = ch.status[status] || { label: label || status, color: "#888" };
    return badge(label || c.label, c.color, "st-" + status);
  }

  /** Who is logged in; redirects to /login without a token. `roles`: the roles this page is meant for. */
  async function requireLogin(roles) {
    const a = auth();
    if (!a) {
      toLogin();
      return new Promise(() => {});
    }
    const me = await api("/api/me");
    if (me.must_change_password) {
      location.href = "/login?change=1";
      return new Promise(() => {});
    }
    if (a.access_expires_at) scheduleRefresh(a.access_expires_at);
    const who = $("#who");
    if (who) who.textContent = (a.display_name || me.username) + " · " + me.role_label;
    if (roles && !roles.includes(me.role)) {
      const main = $("main") || document.body;
      const home = HOMES[me.role] || "/login";
      const note = document.createElement("div");
      note.className = "msg warn";
      note.innerHTML =
        "当前账号（" + esc(me.role_label) + "）不是本页面的使用角色，部分功能不可用。" +
        '<a href="' + home + '">前往我的工作台</a>';
      main.prepend(note);
    }
    return me;
  }

  function wireLogout() {
    const b = $("#logout");
    if (b) b.addEventListener("click", logout);
  }

  function vendorReady(names) {
    const have = { leaflet: !!window.L, echarts: !!window.echarts, heat: !!(window.L && L.heatLayer) };
    return (names || ["leaflet", "echarts"]).every((n) => have[n]);
  }

  function vendorMessage(el, what) {
    if (!el) return;
    el.innerHTML =
      '<div class="msg warn vendor-missing">' + esc(what || "地图/图表组件") +
      "未安装：请在项目目录运行 <code>make install</code>（frontend/ 下 npm ci 并复制到 static/vendor）。</div>";
  }

  let uiConfigPromise = null;
  function uiConfig() {
    if (!uiConfigPromise) uiConfigPromise = api("/api/ui-config").catch(() => ({ map_tile_url: null }));
    return uiConfigPromise;
  }

  /** A Leaflet map on a plain background; adds the optional tile layer from /api/ui-config. */
  async function makeMap(el, options) {
    if (!window.L) {
      vendorMessage(el, "地图组件（Leaflet）");
      return null;
    }
    const map = L.map(el, Object.assign({ zoomControl: true, attributionControl: true, preferCanvas: true }, options || {}));
    map.attributionControl.setPrefix("");
    map.setView([22.55, 114.05], 12);
    const cfg = await uiConfig();
    if (cfg.map_tile_url) {
      L.tileLayer(cfg.map_tile_url, { attribution: cfg.map_tile_attribution || "", maxZoom: 19 }).addTo(map);
    }
    return map;
  }

  function debounce(fn, ms) {
    let t = null;
    return function (...args) {
      clearTimeout(t);
      t = setTimeout(() => fn.apply(this, args), ms);
    };
  }

  function isTyping(e) {
    const t = e.target;
    return t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
  }

  window.GG = {
    HOMES,
    RECEIPTS_KEY,
    FIELD_ZH,
    ApiError,
    api,
    auth,
    setAuth,
    logout,
    refresh,
    scheduleRefresh,
    toLogin,
    uuid,
    upload,
    attachmentUrl,
    choices,
    catalog,
    suggestCategories,
    fmtTime,
    timeLeft,
    fmtNum,
    fmtPct,
    esc,
    $,
    $$,
    toast,
    showError,
    badge,
    slaBadge,
    statusBadge,
    requireLogin,
    wireLogout,
    vendorReady,
    vendorMessage,
    uiConfig,
    makeMap,
    debounce,
    isTyping,
  };
  document.addEventListener("DOMContentLoaded", wireLogout);
})();
