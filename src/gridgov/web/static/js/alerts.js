/* 重特大 alerts where leaders and dispatchers work (/ioc, /dispatch): the caller's unacknowledged alerts in a red
 * bar, each with a 确认收到 button (POST /api/alerts/{id}/acknowledge). Polled every 10 s; an alert sent again
 * (the sweeper repeats what nobody acknowledged) shows how many times it was sent. */
(function () {
  "use strict";
  const { esc, api } = GG;
  const POLL_MS = 10000;

  function render(bar, items) {
    bar.hidden = items.length === 0;
    bar.innerHTML = items
      .map(
        (a) =>
          `<div class="alert-item" data-id="${a.id}"><b>${esc(a.kind_label)}</b> ` +
          `<span>${esc(a.number || "")} ${esc(a.title)}</span>` +
          (a.about ? ` <span class="muted">（${esc(a.about)}未确认）</span>` : "") +
          ` <span class="muted small">${esc(a.tier_label)} · ${GG.fmtTime(a.raised_at)} · 已提醒${a.sent_count}次</span>` +
          ` <button type="button" class="btn small danger" data-ack="${a.id}">确认收到</button></div>`
      )
      .join("");
  }

  async function refresh(bar) {
    try {
      render(bar, await api("/api/me/alerts", { params: { open: true } }));
    } catch (e) {
      /* a missed poll is retried by the next one */
    }
  }

  GG.alertBar = function (bar) {
    bar.classList.add("alert-bar");
    bar.hidden = true;
    bar.addEventListener("click", async (e) => {
      const b = e.target.closest("button[data-ack]");
      if (!b) return;
      b.disabled = true;
      try {
        await api(`/api/alerts/${b.dataset.ack}/acknowledge`, { method: "POST" });
        GG.toast("已确认收到", "ok");
      } catch (err) {
        GG.showError(err);
      }
      refresh(bar);
    });
    refresh(bar);
    setInterval(() => refresh(bar), POLL_MS);
  };
})();
