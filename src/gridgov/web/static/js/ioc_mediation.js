// /ioc: the mediation panel — the caller's area's mediation figures (success rate, time to agreement, judicial
// confirmations, referrals by destination; CSV/Excel exports per centre or mediator) and the open high-risk
// disputes with the explanation of each flag. Reads /api/mediation; hidden for a role that may not read disputes.
(function () {
  "use strict";
  const { $, esc, api } = GG;
  const REFRESH_MS = 30000;
  const DEST = { arbitration: "仲裁", admin_ruling: "行政裁决", litigation: "诉讼", petition: "信访" };

  function kpis(t) {
    const rate = t.success_rate === null ? "—" : (t.success_rate * 100).toFixed(1) + "%";
    const days = t.mean_days_to_agreement === null ? "—" : t.mean_days_to_agreement + " 天";
    const refer = Object.keys(DEST).map((k) => DEST[k] + " " + (t.referrals[k] || 0)).join(" · ");
    return (
      "<div class='kpis' style='grid-template-columns:repeat(4,1fr)'>" +
      [["受理", t.registered], ["调解成功率", rate], ["平均达成协议", days], ["司法确认", t.confirmed]]
        .map((k) => "<div class='kpi'><div class='label'>" + k[0] + "</div><div class='value'>" + esc(String(k[1])) + "</div></div>")
        .join("") +
      "</div><div class='muted small'>转入：" + esc(refer) + "</div>"
    );
  }

  function risks(list) {
    $("#med-risk-count").textContent = list.length ? list.length + " 件高风险" : "";
    return list.length
      ? list
          .slice(0, 20)
          .map(
            (d) =>
              "<li style='display:block'><span class='tag' style='white-space:nowrap;background:#f5222d'>高风险 " + d.risk_score + "</span> " + esc(d.title) +
              " <span class='muted small'>" + esc(d.number) + " · " + esc(d.stage_label) + "</span>" +
              "<br><span class='small'>" + d.flags.map((f) => esc(f.label) + "：" + esc(f.explanation)).join("；") + "</span></li>"
          )
          .join("")
      : "<li class='muted'>暂无高风险纠纷</li>";
  }

  async function refresh() {
    const panel = $("#med-panel");
    if (!panel) return;
    try {
      const [fig, high] = await Promise.all([api("/api/mediation/figures?by=centre"), api("/api/mediation/high-risk")]);
      panel.hidden = false;
      $("#med-figures").innerHTML = kpis(fig.total);
      $("#med-risks").innerHTML = risks(high);
    } catch (e) {
      panel.hidden = true; // a role without access to disputes: no panel
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    refresh();
    setInterval(refresh, REFRESH_MS);
  });
})();
