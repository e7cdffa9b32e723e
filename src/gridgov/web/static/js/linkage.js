/* 一人一档 on the building page: 关联档案 on a resident opens the person cluster the record belongs to (its stable
 * key, the golden record with the rule that chose each field, the member records from every department), and for
 * any two members the match-weight waterfall — the prior, then each comparison's Bayes factor, drawn with ECharts
 * from /api/blockdata/waterfall. ID numbers and phones arrive masked. */
(function () {
  "use strict";
  const { $, esc, api } = GG;
  const FIELDS = { name: "姓名", id_number: "身份证号", dob: "出生日期", sex: "性别", phone: "电话", address_code: "地址编码", address: "地址" };
  const COLUMNS = { prior: "先验", name: "姓名", id_number: "身份证号", dob: "出生日期", sex: "性别", phone: "电话", address_code: "地址" };
  let chart = null;

  function goldenTable(g) {
    const rows = Object.keys(FIELDS)
      .filter((f) => g[f] !== undefined)
      .map((f) => "<tr><td>" + esc(FIELDS[f]) + '</td><td class="pii">' + esc(g[f]) + '</td><td class="muted small">记录 ' + esc(g[f + "_from"] || "—") + "</td><td>" + esc(g[f + "_why"] || "") + "</td></tr>");
    return '<table class="grid" id="link-golden"><thead><tr><th>字段</th><th>标准值</th><th>来源</th><th>理由</th></tr></thead><tbody>' + rows.join("") + "</tbody></table>";
  }

  function membersTable(c, focus) {
    const rows = c.records.map(
      (r) =>
        "<tr><td>" + esc(r.id) + "</td><td>" + esc(r.name) + "</td><td>" + esc(r.department) + '</td><td class="pii">' + esc(r.id_masked || "—") + "</td><td>" + esc(r.address_text || "—") + "</td><td>" +
        (r.id !== focus ? '<button type="button" class="btn ghost small" data-waterfall="' + focus + ":" + r.id + '">匹配解释</button>' : '<span class="muted small">当前记录</span>') +
        "</td></tr>"
    );
    return '<table class="grid" id="link-members"><thead><tr><th>记录</th><th>姓名</th><th>来源部门</th><th>证件</th><th>地址</th><th></th></tr></thead><tbody>' + rows.join("") + "</tbody></table>";
  }

  async function openCluster(personId) {
    const box = $("#bld-link");
    box.innerHTML = '<div class="loading">加载中…</div>';
    box.closest("section").hidden = false;
    try {
      const c = await api("/api/blockdata/person/" + personId + "/cluster");
      box.innerHTML =
        '<p>人员编号 <b id="link-key">' + esc(c.key) + "</b> · " + esc(c.record_count) + " 条记录（来源：" + esc(c.golden.sources || "—") + "）</p>" +
        "<h3>标准档案</h3>" + goldenTable(c.golden) + "<h3>成员记录</h3>" + membersTable(c, personId) +
        '<h3>匹配权重瀑布图</h3><div id="link-fall-note" class="muted small">选择一条成员记录的「匹配解释」，或输入任意两条记录编号：</div>' +
        '<form class="row" id="link-pair"><input id="link-left" type="number" min="1" value="' + personId + '"><input id="link-right" type="number" min="1" placeholder="另一条记录编号"><button class="btn" type="submit">比较</button></form>' +
        '<div id="link-chart" style="height:320px"></div><div id="link-steps"></div>';
      const other = c.records.find((r) => r.id !== personId);
      if (other) showWaterfall(personId, other.id);
    } catch (x) {
      GG.showError(x, box);
    }
  }

  function draw(fall) {
    const el = $("#link-chart");
    if (!window.echarts) {
      el.innerHTML = '<div class="empty">图表组件未加载（见下表）</div>';
      return;
    }
    const names = fall.steps.map((s) => COLUMNS[s.column] || s.column).concat(["最终"]);
    // floating bars (a candlestick per step: open = the weight before, close = after) so that steps below zero
    // are drawn where they are; the prior starts from 0, the last bar is the final weight from 0
    const bars = [];
    let before = 0;
    fall.steps.forEach((s) => {
      const after = s.cumulative_weight;
      bars.push([before, after, Math.min(before, after), Math.max(before, after)]);
      before = after;
    });
    bars.push([0, fall.match_weight, Math.min(0, fall.match_weight), Math.max(0, fall.match_weight)]);
    chart = chart || echarts.init(el);
    chart.setOption({
      animation: false,
      grid: { left: 56, right: 16, top: 28, bottom: 28 },
      tooltip: {
        trigger: "axis",
        formatter: (ps) => {
          const p = ps[0], [, open, close] = p.data;
          return esc(p.name) + "<br>" + (close - open >= 0 ? "+" : "") + (close - open).toFixed(2) + " → " + close.toFixed(2);
        },
      },
      xAxis: { type: "category", data: names },
      yAxis: { type: "value", name: "匹配权重（log2）" },
      series: [
        {
          type: "candlestick",
          data: bars,
          barMaxWidth: 48,
          itemStyle: { color: "#52c41a", color0: "#f5222d", borderColor: "#52c41a", borderColor0: "#f5222d" },
        },
        {
          type: "scatter",
          symbolSize: 0,
          data: bars.map((b, i) => [i, b[3]]),
          label: { show: true, position: "top", formatter: (p) => (bars[p.dataIndex][1] - bars[p.dataIndex][0]).toFixed(2) },
          tooltip: { show: false },
        },
      ],
    });
  }

  async function showWaterfall(left, right) {
    $("#link-right").value = right;
    try {
      const fall = await api("/api/blockdata/waterfall", { params: { left, right } });
      draw(fall);
      $("#link-fall-note").textContent =
        "记录 " + left + "（" + (fall.left_cluster || "未关联") + "） 与 记录 " + right + "（" + (fall.right_cluster || "未关联") + "）：匹配权重 " + fall.match_weight.toFixed(2) + "，同一人的概率 " + (fall.match_probability * 100).toFixed(2) + "%";
      $("#link-steps").innerHTML =
        '<table class="grid" id="link-step-table"><thead><tr><th>比较项</th><th>结果</th><th>左</th><th>右</th><th>贝叶斯因子</th><th>累计权重</th></tr></thead><tbody>' +
        fall.steps
          .map((s) => "<tr><td>" + esc(COLUMNS[s.column] || s.column) + "</td><td>" + esc(s.label) + '</td><td class="pii">' + esc(s.left ?? "—") + '</td><td class="pii">' + esc(s.right ?? "—") + "</td><td>" + esc(s.bayes_factor.toPrecision(3)) + "</td><td>" + esc(s.cumulative_weight.toFixed(2)) + "</td></tr>")
          .join("") +
        "</tbody></table>";
    } catch (x) {
      GG.showError(x, $("#link-steps"));
    }
  }

  document.addEventListener("click", (e) => {
    const open = e.target.closest("[data-cluster]");
    if (open) openCluster(Number(open.dataset.cluster));
    const pair = e.target.closest("[data-waterfall]");
    if (pair) {
      const [l, r] = pair.dataset.waterfall.split(":").map(Number);
      showWaterfall(l, r);
    }
  });
  document.addEventListener("submit", (e) => {
    if (e.target.id !== "link-pair") return;
    e.preventDefault();
    const l = Number($("#link-left").value), r = Number($("#link-right").value);
    if (l && r) showWaterfall(l, r);
  });
})();
