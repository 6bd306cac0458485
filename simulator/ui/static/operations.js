// The dashboard's operations view (issue 15): KPIs per gateway and method over a window,
// charts per method over time, the alert banner and the alerts panel. dashboard.js polls
// /_sim/stats and hands each answer over in a "paylab:stats" event; this file asks
// /_sim/alerts at the same pace. Data goes in through textContent and setAttribute only.
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var SVG = "http://www.w3.org/2000/svg";
  // currencies without minor units (amounts are minor units: these are whole units already)
  var ZERO_DECIMAL = ["bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf",
                      "ugx", "vnd", "vuv", "xaf", "xof", "xpf"];
  var RATE_KINDS = ["failure_rate", "refund_rate"];
  var RECENT = 12;  // alerts in the panel
  var chosen = "15m", last = null, decimals = {};

  var none = function (v) { return v === null || v === undefined; };
  var pct = function (v) { return none(v) ? "–" : (v * 100).toFixed(1) + "%"; };
  var plural = function (n, one) { return n + " " + one + (n === 1 ? "" : "s"); };
  var ms = function (v) { return none(v) ? "–" : Number(v).toFixed(v >= 100 ? 0 : 1); };
  function node(tag, cls, text) {
    var n = document.createElement(tag);
    if (cls) { n.className = cls; }
    if (!none(text)) { n.textContent = String(text); }
    return n;
  }
  function el(name, attrs, text) {
    var n = document.createElementNS(SVG, name);
    Object.keys(attrs).forEach(function (k) { n.setAttribute(k, attrs[k]); });
    if (!none(text)) { n.textContent = String(text); }
    return n;
  }
  // a cell with a main figure and, optionally, a muted line under it
  function cell(tr, text, cls, sub, subCls) {
    var td = node("td", cls, text);
    if (sub) { td.appendChild(node("span", "sub" + (subCls ? " " + subCls : ""), sub)); }
    tr.appendChild(td);
    return td;
  }
  function digits(gateway, currency) {
    var known = decimals[gateway + "\u0000" + String(currency).toLowerCase()];
    if (!none(known)) { return known; }
    return ZERO_DECIMAL.indexOf(String(currency).toLowerCase()) >= 0 ? 0 : 2;
  }
  // {"usd": 123450} -> "1,234.50 USD"; several currencies side by side, never added up
  function money(amounts, gateway) {
    var keys = Object.keys(amounts || {}).sort();
    if (!keys.length) { return "–"; }
    return keys.map(function (c) {
      var d = digits(gateway, c), v = Number(amounts[c]) / Math.pow(10, d);
      return v.toLocaleString("en-US", {minimumFractionDigits: d, maximumFractionDigits: d}) +
        " " + String(c).toUpperCase();
    }).join(" · ");
  }
  function topReasons(declines) {
    var pairs = Object.keys(declines || {}).map(function (k) { return [k, declines[k]]; });
    pairs.sort(function (a, b) { return b[1] - a[1] || (a[0] < b[0] ? -1 : 1); });
    return pairs.slice(0, 2).map(function (p) { return p[0] + " " + p[1]; }).join(", ");
  }
  function clock(t) {
    var d = new Date(t * 1000), two = function (n) { return (n < 10 ? "0" : "") + n; };
    return two(d.getHours()) + ":" + two(d.getMinutes()) + ":" + two(d.getSeconds());
  }
  function hm(t) { return clock(t).slice(0, 5); }
  // the gateway's own minor-unit digits per currency (an order's NT$ has none), from the
  // stored figures of dashboard.js's table
  function learnDecimals(figures) {
    (figures || []).forEach(function (x) {
      if (!none(x.decimals) && x.currency) {
        decimals[x.gateway + "\u0000" + String(x.currency).toLowerCase()] = x.decimals;
      }
    });
  }

  function table(rows) {
    var body = $("ops").querySelector("tbody");
    body.textContent = "";
    rows.forEach(function (x, i) {
      var tr = document.createElement("tr"), first = i === 0 || rows[i - 1].gateway !== x.gateway;
      if (first && i) { tr.className = "group"; }
      tr.setAttribute("data-testid", "ops-" + x.gateway + "-" + x.method);
      var wh = x.webhooks || {}, lat = x.latency_ms || {};
      cell(tr, x.gateway, first ? "gw" : "gw again");
      cell(tr, x.method, "method");
      cell(tr, x.volume || 0, "num");
      cell(tr, money(x.amount, x.gateway), "num wide");
      var finished = (x.succeeded || 0) + (x.failed || 0), delivered = (wh.delivered || 0) + (wh.failed || 0);
      cell(tr, pct(x.success_rate), "num", finished ? x.succeeded + " ok · " + (x.failed || 0) + " failed" : "");
      cell(tr, pct(x.decline_rate), "num" + (x.decline_rate ? " warn" : ""), topReasons(x.declines), "reasons");
      cell(tr, pct(x.refund_rate), "num wide", x.refunds ? x.refunds + " · " + money(x.refunded_amount, x.gateway) : "");
      var median = money(x.median_amount, x.gateway);
      cell(tr, money(x.average_amount, x.gateway), "num wide", median === "–" ? "" : "median " + median);
      cell(tr, lat.count ? ms(lat.p50) + " / " + ms(lat.p95) + " / " + ms(lat.p99) : "–", "num wide",
           lat.count ? plural(lat.count, "call") : "");
      cell(tr, none(wh.lag_ms_p50) ? "–" : ms(wh.lag_ms_p50) + " / " + ms(wh.lag_ms_p99), "num wide",
           (delivered ? pct(wh.failure_rate) + " failed · " : "") + (wh.backlog ? wh.backlog + " queued" : ""));
      cell(tr, pct(x.challenge_rate), "num wide", x.challenges ? x.challenges + " challenged" : "");
      cell(tr, x.fraud_blocks ? String(x.fraud_blocks) : "–", "num wide" + (x.fraud_blocks ? " warn" : ""));
      body.appendChild(tr);
    });
    $("ops-empty").hidden = rows.length > 0;
  }

  // one small chart per (gateway, method): payments per minute as bars (failed ones in
  // red at the bottom), the success rate as a line on its own 0-100% axis
  function chart(key, points, span) {
    var width = 340, height = 150, left = 30, right = width - 38, top = 12, bottom = height - 22;
    var svg = el("svg", {viewBox: "0 0 " + width + " " + height, role: "img"});
    svg.appendChild(el("title", {}, "Payments per minute and success rate of " + key));
    var byMinute = {};
    points.forEach(function (p) { byMinute[p.minute] = p; });
    var peak = Math.max(1, Math.max.apply(null, points.map(function (p) { return p.volume || 0; })));
    var step = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000].filter(function (s) { return s * 4 >= peak; })[0] || Math.ceil(peak / 4);
    var max = step * Math.ceil(peak / step);
    var slot = (right - left) / span.length, bar = Math.max(1, slot * 0.7);
    var y = function (v) { return bottom - (v / max) * (bottom - top); };
    var yr = function (r) { return bottom - r * (bottom - top); };
    for (var v = 0; v <= max; v += step) {
      svg.appendChild(el("line", {x1: left, x2: right, y1: y(v), y2: y(v), "class": "grid"}));
      svg.appendChild(el("text", {x: left - 5, y: y(v) + 4, "class": "axis", "text-anchor": "end"}, v));
    }
    [0, 0.5, 1].forEach(function (r) {
      svg.appendChild(el("text", {x: right + 5, y: yr(r) + 4, "class": "axis"}, Math.round(r * 100) + "%"));
    });
    svg.appendChild(el("line", {x1: left, x2: right, y1: bottom, y2: bottom, "class": "baseline"}));
    var line = [], marks = [];
    span.forEach(function (m, i) {
      var p = byMinute[m], cx = left + slot * (i + 0.5);
      if (i === 0 || i === span.length - 1 || (span.length > 20 && i % 15 === 0 && span.length - i > 8)) {
        svg.appendChild(el("text", {x: cx, y: bottom + 15, "class": "axis",
                                    "text-anchor": i === 0 ? "start" : (i === span.length - 1 ? "end" : "middle")}, hm(m)));
      }
      if (!p) { line.push(null); return; }
      var vol = p.volume || 0, failed = p.failed || 0, finished = (p.succeeded || 0) + failed;
      if (vol) { svg.appendChild(el("rect", {x: cx - bar / 2, y: y(vol), width: bar, height: bottom - y(vol), "class": "bar-volume"})); }
      if (failed) { svg.appendChild(el("rect", {x: cx - bar / 2, y: y(failed), width: bar, height: bottom - y(failed), "class": "bar-failed"})); }
      if (!finished) { line.push(null); return; }
      var rate = (p.succeeded || 0) / finished;
      line.push([cx, yr(rate)]);
      marks.push(el("circle", {cx: cx, cy: yr(rate), r: 3, "class": "mark s-success"}));
    });
    // the line breaks where a minute has no finished attempt
    var run = [];
    line.concat([null]).forEach(function (pt) {
      if (pt) { run.push(pt[0].toFixed(1) + "," + pt[1].toFixed(1)); return; }
      if (run.length > 1) { svg.appendChild(el("polyline", {points: run.join(" "), "class": "series s-success"})); }
      run = [];
    });
    marks.forEach(function (m) { svg.appendChild(m); });
    return svg;
  }
  function charts(series, at) {
    var box = $("op-charts"), groups = {}, order = [];
    (series || []).forEach(function (p) {
      var key = p.gateway + " · " + p.method;
      if (!groups[key]) { groups[key] = {gateway: p.gateway, method: p.method, points: []}; order.push(key); }
      groups[key].points.push(p);
    });
    box.textContent = "";
    $("op-charts-empty").hidden = order.length > 0;
    if (!order.length) { return; }
    var minutes = series.map(function (p) { return p.minute; });
    var end = Math.max(Math.max.apply(null, minutes), none(at) ? 0 : Math.floor(at / 60) * 60);
    // the last hour at most, ten minutes at least (a short run still gets a time axis)
    var start = Math.min(Math.max(Math.min.apply(null, minutes), end - 59 * 60), end - 9 * 60);
    var span = [];
    for (var m = start; m <= end; m += 60) { span.push(m); }
    order.sort().forEach(function (key) {
      var g = groups[key], fig = node("figure", "op-chart");
      fig.setAttribute("data-testid", "ops-chart-" + g.gateway + "-" + g.method);
      var total = g.points.reduce(function (a, p) { return a + (p.volume || 0); }, 0);
      var head = node("h3", "", key);
      head.appendChild(node("span", "muted small", " " + plural(total, "payment")));
      fig.appendChild(head);
      fig.appendChild(chart(key, g.points, span));
      box.appendChild(fig);
    });
  }

  function figure(alert, v) {
    if (none(v)) { return "–"; }
    if (RATE_KINDS.indexOf(alert.kind) >= 0) { return pct(v); }
    if (alert.kind === "latency_p99_above") { return ms(v) + " ms"; }
    return typeof v === "number" ? String(Math.round(v * 1000) / 1000) : String(v);
  }
  function labelText(labels) {
    return Object.keys(labels || {}).filter(function (k) { return k !== "alertname"; }).sort()
      .map(function (k) { return k + "=" + labels[k]; }).join(" ");
  }
  function since(alert) {
    var text = "since " + clock(alert.starts_at);
    if (alert.status === "resolved" && !none(alert.ends_at)) { text = clock(alert.starts_at) + " – " + clock(alert.ends_at); }
    return text;
  }
  function describe(li, alert) {
    li.setAttribute("data-kind", String(alert.kind || ""));
    li.appendChild(node("span", "chip " + (alert.status === "firing" ? "firing" : "resolved"), alert.status));
    li.appendChild(node("span", "rule", alert.rule));
    var labels = labelText(alert.labels);
    if (labels) { li.appendChild(document.createTextNode(" ")); li.appendChild(node("span", "labels", labels)); }
    li.appendChild(document.createTextNode(" · " + figure(alert, alert.value) + " vs threshold " +
                                           figure(alert, alert.threshold) + " · " + since(alert)));
  }
  // the banner: every alert firing now; the panel: the latest ones, firing or resolved
  function alerts(firingBody, recentBody) {
    var firing = ((firingBody && firingBody.alerts) || []).filter(function (a) { return a.status === "firing"; });
    var list = (recentBody && recentBody.alerts) || [];
    var banner = $("alert-banner"), items = $("alert-banner-list");
    items.textContent = "";
    firing.forEach(function (a) {
      var li = node("li");
      li.setAttribute("data-testid", "alert-firing");
      describe(li, a);
      var note = a.annotations && a.annotations.summary;
      if (note) { li.appendChild(node("span", "muted", " — " + note)); }
      items.appendChild(li);
    });
    $("alert-banner-title").textContent = plural(firing.length, "alert") + " firing";
    banner.hidden = firing.length === 0;
    var panel = $("alerts-list");
    panel.textContent = "";
    list.forEach(function (a) {
      var li = node("li");
      li.setAttribute("data-testid", "alert-" + a.status);
      describe(li, a);
      panel.appendChild(li);
    });
    $("alerts-empty").hidden = list.length > 0;
    $("alerts-empty").textContent = recentBody ? "No alerts yet." : "No alert data yet.";
  }
  function ask(url) {
    return fetch(url, {cache: "no-store"}).then(function (r) { return r.ok ? r.json() : null; });
  }
  function pollAlerts() {
    Promise.all([ask("/_sim/alerts?status=firing&limit=100"), ask("/_sim/alerts?status=all&limit=" + RECENT)])
      .then(function (both) { alerts(both[0], both[1]); })
      .catch(function () { alerts(null, null); });
  }

  function draw() {
    var kpis = last && last.kpis, windows = (kpis && kpis.windows) || {};
    table(windows[chosen] || []);
    charts((kpis && kpis.series) || [], kpis && kpis.at);
    $("ops-note").textContent = kpis && !none(kpis.at) ? "virtual clock, now " + clock(kpis.at) : "no data yet";
  }
  Array.prototype.forEach.call($("ops-windows").querySelectorAll("button"), function (b) {
    b.addEventListener("click", function () {
      chosen = b.getAttribute("data-window");
      Array.prototype.forEach.call($("ops-windows").children, function (o) {
        o.classList.toggle("on", o === b);
        o.setAttribute("aria-pressed", String(o === b));
      });
      draw();
    });
  });
  document.addEventListener("paylab:stats", function (ev) {
    last = ev.detail || {};
    learnDecimals(last.gateway_methods);
    try { draw(); } catch (e) { $("ops-note").textContent = "no data yet"; }
    pollAlerts();
  });
})();
