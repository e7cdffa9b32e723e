/* The notification bell of every page: the caller's unread count and latest notifications from
 * /api/notify/inbox, refreshed every POLL_MS (and when the tab comes back into view); a click on a notification
 * marks it read and opens its case, 全部已读 marks all. Shown only to a logged-in user. */
(function () {
  "use strict";
  const POLL_MS = 15000;
  const { $, esc, api } = GG;
  let timer = null;
  let items = [];

  function signedIn() {
    const a = GG.auth();
    return Boolean(a && a.role); // the tokens themselves are HttpOnly cookies
  }

  function render(data) {
    const count = $("#bell-count");
    count.hidden = data.unread === 0;
    count.textContent = data.unread > 99 ? "99+" : String(data.unread);
    $("#bell").title = data.unread ? "通知（" + data.unread + " 条未读）" : "通知";
    items = data.items;
    $("#bell-list").innerHTML = items.length
      ? items
          .map(
            (n) =>
              '<li data-id="' + n.id + '" class="' + (n.read ? "" : "unread") + (n.urgent ? " urgent" : "") + '">' +
              '<div class="bell-title">' + esc(n.title) + "</div>" +
              '<div class="bell-body">' + esc(n.body) + "</div>" +
              '<div class="bell-meta">' + esc(n.kind_label) + " · " + esc(GG.fmtTime(n.created_at)) + "</div></li>",
          )
          .join("")
      : '<li class="empty">暂无通知</li>';
  }

  async function refresh() {
    if (!signedIn()) return;
    try {
      render(await api("/api/notify/inbox", { params: { limit: 20 }, noRedirect: true }));
    } catch (_e) {
      /* offline or signed out: the next round tries again */
    }
  }

  function toggle(open) {
    const panel = $("#bell-panel");
    const show = open === undefined ? panel.hidden : open;
    panel.hidden = !show;
    $("#bell").setAttribute("aria-expanded", String(show));
    if (show) refresh();
  }

  async function markRead(ids) {
    const r = await api("/api/notify/read", { json: ids ? { ids } : {} });
    await refresh();
    return r;
  }

  function start() {
    if (!$("#bell-wrap") || !signedIn()) return;
    $("#bell-wrap").hidden = false;
    $("#bell").addEventListener("click", (e) => {
      e.stopPropagation();
      toggle();
    });
    $("#bell-panel").addEventListener("click", (e) => e.stopPropagation());
    document.addEventListener("click", () => toggle(false));
    $("#bell-all-read").addEventListener("click", () => markRead(null).catch((x) => GG.showError(x)));
    $("#bell-list").addEventListener("click", async (e) => {
      const li = e.target.closest("li[data-id]");
      if (!li) return;
      const n = items.find((x) => String(x.id) === li.dataset.id);
      if (!n) return;
      try {
        if (!n.read) await markRead([n.id]);
      } catch (x) {
        GG.showError(x);
        return;
      }
      if (n.link && n.link !== location.pathname + location.search) location.href = n.link;
    });
    document.addEventListener("visibilitychange", () => {
      if (!document.hidden) refresh();
    });
    refresh();
    timer = setInterval(refresh, POLL_MS);
  }

  GG.bell = { refresh, markRead, stop: () => clearInterval(timer) };
  document.addEventListener("DOMContentLoaded", start);
})();
