// The dashboard: polls /_sim/stats and draws it. Data goes in through textContent only.
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var SVG = "http://www.w3.org/2000/svg";
  var pct = function (v) { return v === null || v === undefined ? "–" : (v * 100).toFixed(1) + "%"; };
  // an amount in its gateway's units: `decimals` minor-unit digits (0 for an order's NT$)
  var money = function (amount, decimals, currency) {
    var whole = amount / Math.pow(10, decimals);
    return whole.toLocaleString("en-US", {minimumFractionDigits: decimals, maximumFractionDigits: decimals}) +
      " " + currency.toUpperCase();
  };
  var count = function (n) { return n ? String(n) : "–"; };
  // series: key in health.series, css class, marker shape (colour is never the only cue)
  var SERIES = [["calls", "s-calls", "circle"], ["failed", "s-failed", "square"],
                ["faults", "s-faults", "triangle"], ["latency", "s-latency", "diamond"]];
  var opened = null;  // the journal row shown with its bodies
  // polls overlap (a timer, filters, a click): an answer older than the one on screen is
  // stale, and only an answer asked for the opened row may close it
  var asked = 0, onScreen = 0;

  function cell(row, text, cls) {
    var td = document.createElement("td");
    td.textContent = text === null || text === undefined ? "" : String(text);
    if (cls) { td.className = cls; }
    row.appendChild(td);
    return td;
  }
  function fill(table, rows, render) {
    var body = $(table).querySelector("tbody");
    body.textContent = "";
    rows.forEach(function (r, i) { var tr = document.createElement("tr"); render(tr, r, i); body.appendChild(tr); });
  }
  function el(name, attrs, text) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }
  function marker(shape, x, y, cls) {
    if (shape === "circle") { return el("circle", {cx: x, cy: y, r: 3, "class": "mark " + cls}); }
    if (shape === "square") { return el("rect", {x: x - 3, y: y - 3, width: 6, height: 6, "class": "mark " + cls}); }
    var d = shape === "triangle" ? [[0, -4], [4, 4], [-4, 4]] : [[0, -4], [4, 0], [0, 4], [-4, 0]];
    return el("path", {d: "M" + d.map(function (p) { return (x + p[0]) + " " + (y + p[1]); }).join(" L") + " Z",
                       "class": "mark " + cls});
  }
  // 1, 2 or 5 times a power of ten: axis labels a reader can add up
  function niceStep(raw) {
    var power = Math.pow(10, Math.floor(Math.log10(Math.max(1, raw))));
    var found = [1, 2, 5, 10].filter(function (m) { return m * power >= raw; })[0];
    return found * power;
  }
  function clock(t) {
    var d = new Date(t * 1000), two = function (n) { return (n < 10 ? "0" : "") + n; };
    return two(d.getHours()) + ":" + two(d.getMinutes()) + ":" + two(d.getSeconds());
  }
  // A y axis (0, half, max per second) and a time axis (clock time every 15 s).
  function chart(series) {
    // drawn in the svg's own pixels, so text and markers keep their size on a phone
    var svg = $("chart"), width = Math.max(280, Math.round(svg.getBoundingClientRect().width) || 600);
    var height = Math.min(220, Math.max(170, Math.round(width / 3)));
    var left = 34, right = width - 8, top = 20, bottom = height - 28;
    var every = width < 480 ? 30 : 15;
    svg.setAttribute("viewBox", "0 0 " + width + " " + height);
    var title = svg.querySelector("title");
    svg.textContent = "";
    svg.appendChild(title);
    var top1 = Math.max(1, Math.max.apply(null, series.map(function (p) { return p.calls; })));
    var step = niceStep(top1 / 4), max = step * Math.ceil(top1 / step);
    var x = function (i) { return left + (i / Math.max(1, series.length - 1)) * (right - left); };
    var y = function (v) { return bottom - (v / max) * (bottom - top); };
    for (var v = 0; v <= max; v += step) {
      svg.appendChild(el("line", {x1: left, x2: right, y1: y(v), y2: y(v), "class": "grid"}));
      svg.appendChild(el("text", {x: left - 6, y: y(v) + 4, "class": "axis", "text-anchor": "end"}, String(v)));
    }
    svg.appendChild(el("line", {x1: left, x2: right, y1: bottom, y2: bottom, "class": "baseline"}));
    series.forEach(function (p, i) {
      var ago = series.length - 1 - i;
      if (ago % every === 0) {
        svg.appendChild(el("line", {x1: x(i), x2: x(i), y1: bottom, y2: bottom + 4, "class": "baseline"}));
        svg.appendChild(el("text", {x: x(i), y: bottom + 18, "class": "axis",
                                    "text-anchor": i === 0 ? "start" : (ago === 0 ? "end" : "middle")},
                           ago === 0 ? "now " + clock(p.t) : clock(p.t)));
      }
    });
    svg.appendChild(el("text", {x: left - 6, y: 9, "class": "axis unit", "text-anchor": "end"}, "/s"));
    SERIES.forEach(function (s) {
      var points = series.map(function (p, i) { return x(i).toFixed(1) + "," + y(p[s[0]]).toFixed(1); });
      svg.appendChild(el("polyline", {points: points.join(" "), "class": "series " + s[1]}));
      series.forEach(function (p, i) {
        // a marker every 5 s and wherever the series is not zero: shapes tell lines apart
        if (p[s[0]] > 0 || (series.length - 1 - i) % 5 === 0) { svg.appendChild(marker(s[2], x(i), y(p[s[0]]), s[1])); }
      });
    });
  }
  // A token-guarded simulator answers 401 once the session has expired: log in again.
  function guarded(r) {
    if (r.status === 401) { window.location.assign("/_sim/login"); throw new Error("login"); }
    return r;
  }
  function request(method, url) {
    return fetch(url, {method: method}).then(guarded).then(function () { refresh(); });
  }
  function scenario(data) {
    var s = data.scenario && data.scenario.scenario;
    $("scenario-name").textContent = s ? (s.name || "unnamed") : "none";
    $("scenario-desc").textContent = s ? (s.description || "") : "Everything behaves normally.";
    var rules = $("scenario-rules");
    rules.textContent = "";
    (data.scenario.rules || []).forEach(function (r) {
      var li = document.createElement("li");
      li.textContent = r.name + " (" + r.phase + "): " + r.applied + " of " + r.matches;
      rules.appendChild(li);
    });
    var box = $("presets");
    if (!box.childElementCount) {
      data.presets.forEach(function (p) {
        var b = document.createElement("button");
        b.type = "button"; b.className = "preset"; b.textContent = p.name; b.title = p.description;
        b.setAttribute("data-testid", "preset-" + p.name);
        b.addEventListener("click", function () { request("PUT", "/_sim/scenario?preset=" + encodeURIComponent(p.name)); });
        box.appendChild(b);
      });
    }
    Array.prototype.forEach.call(box.children, function (b) {
      b.classList.toggle("on", !!s && s.name === b.textContent);
      b.setAttribute("aria-pressed", String(!!s && s.name === b.textContent));
    });
    var others = data.scenario_scopes.filter(function (x) { return x !== "*"; }).length;
    $("scopes").textContent = others ? others + " tenant(s) have their own scenario." : "";
  }
  function gateways(names) {
    var select = $("f-gateway");
    if (select.options.length > 1) { return; }
    names.forEach(function (n) { var o = document.createElement("option"); o.value = n; o.textContent = n; select.appendChild(o); });
  }
  function openRow(seq) {
    opened = seq;
    refresh();
  }
  function showOpened(found) {
    var box = $("opened");
    if (!found) { box.hidden = true; return; }
    var e = found.entry;
    $("opened-title").textContent = "#" + e.seq + " " + e.method + " " + e.path;
    var meta = $("opened-meta");
    meta.textContent = "";
    [["time", new Date(e.at * 1000).toISOString()], ["direction", e.direction === "out" ? "webhook (out)" : "request (in)"],
     ["event", found.event_type], ["gateway", e.gateway], ["tenant", e.tenant], ["status", e.status || "no answer"],
     ["latency", e.latency_ms.toFixed(1) + " ms"], ["effect", e.effect], ["request id", e.request_id],
     ["idempotency key", e.idempotency_key], ["run", e.run_id]].forEach(function (pair) {
      if (pair[1] === null || pair[1] === undefined || pair[1] === "") { return; }
      var dt = document.createElement("dt"), dd = document.createElement("dd");
      dt.textContent = pair[0]; dd.textContent = String(pair[1]);
      meta.appendChild(dt); meta.appendChild(dd);
    });
    $("opened-request").textContent = found.request || "(no body)";
    $("opened-response").textContent = found.response || (e.direction === "out" ?
      "(see the webhook deliveries for the receiver's answer)" : "(no body kept)");
    box.hidden = false;
  }
  function show(data, askedOpen) {
    var h = data.health, m = data.methods;
    var sum = function (k) { return m.reduce(function (a, x) { return a + (x[k] || 0); }, 0); };
    var last = h.series.slice(-10), ok = sum("succeeded"), failedPayments = sum("failed");
    $("kpi-rps").textContent = (last.reduce(function (a, p) { return a + p.calls; }, 0) / Math.max(1, last.length)).toFixed(1);
    $("kpi-calls").textContent = h.calls + " calls";
    $("kpi-success").textContent = pct(h.success_rate);
    $("kpi-errors").textContent = pct(h.error_rate);
    $("kpi-errors-note").textContent = h.calls ? h.failed + " of " + h.calls + " calls: " + h.no_answer + " no answer, " +
      h.server_errors + " 5xx" : "no answer, 5xx or fault";
    $("kpi-injected").textContent = h.faults;
    $("kpi-slowed").textContent = h.latency_only;
    $("kpi-latency").textContent = data.latency_ms.p50 === null ? "–" :
      data.latency_ms.p50.toFixed(1) + " / " + data.latency_ms.p99.toFixed(1);
    $("kpi-payments").textContent = ok + failedPayments ? pct(ok / (ok + failedPayments)) : "–";
    $("kpi-refunds").textContent = ok ? pct(sum("refunded") / ok) : "–";
    // amounts of several currencies and units do not average: counts only
    $("kpi-amount").textContent = ok ? sum("refunded") + " refunds of " + ok + " paid" : "\u00a0";
    $("kpi-backlog").textContent = data.webhook_backlog;
    chart(h.series);
    scenario(data);
    gateways(data.gateways || []);
    var figures = data.gateway_methods || [];
    fill("methods", figures, function (tr, x, i) {
      var first = i === 0 || figures[i - 1].gateway !== x.gateway;
      if (first && i) { tr.className = "group"; }
      tr.setAttribute("data-testid", "methods-" + x.gateway + "-" + x.method);
      cell(tr, x.gateway, first ? "gw" : "gw again"); cell(tr, x.method);
      cell(tr, x.volume, "num wide"); cell(tr, x.paid, "num");
      cell(tr, x.paid ? money(x.amount, x.decimals, x.currency) : "–", "num wide");
      cell(tr, pct(x.success_rate), "num");
      cell(tr, count(x.declines), "num wide" + (x.declines ? " warn" : ""));
      cell(tr, count(x.authorized), "num wide");
      cell(tr, count(x.pending_codes), "num wide");
      cell(tr, count(x.expired_codes), "num wide");
      cell(tr, x.refunds ? x.refunds + " · " + money(x.refunded_amount, x.decimals, x.currency) : "–", "num wide");
    });
    $("methods-empty").hidden = figures.length > 0;
    // a large store is counted every few seconds, not on every poll: say how old it is
    var age = Math.round(data.gateway_methods_age || 0);
    $("methods-age").textContent = age > 2 ? "· counted " + age + " s ago" : "";
    var labels = data.journal_labels || {};
    fill("journal", data.journal, function (tr, e) {
      var first = cell(tr, ""), b = document.createElement("button");
      b.type = "button"; b.className = "link"; b.textContent = e.seq;
      b.setAttribute("aria-label", "Open journal row " + e.seq);
      b.setAttribute("data-testid", "open-" + e.seq);
      b.addEventListener("click", function () { openRow(e.seq); });
      first.appendChild(b);
      cell(tr, e.gateway, "wide");
      var what = e.direction === "out" ? "→ " + (labels[e.seq] || "webhook") + " " + e.path : e.method + " " + e.path;
      var req = cell(tr, what, e.direction === "out" ? "out" : "");
      req.title = what + (e.tenant ? "\ntenant " + e.tenant : "");
      cell(tr, e.status || "—", "num" + (e.status === 0 || e.status >= 500 ? " bad" : ""));
      cell(tr, e.latency_ms.toFixed(1), "num wide"); cell(tr, e.effect || "", "effect wide").title = e.effect || "";
      if (e.seq === opened) { tr.className = "is-open"; }
    });
    var hooks = data.webhook_labels || {};
    fill("webhooks", data.webhooks, function (tr, d) {
      var a = d.attempts[d.attempts.length - 1], label = hooks[d.id] || {};
      // a callback's target already says which notice it is: show what happened instead
      var callback = label.target && label.target !== "endpoint";
      var event = (callback ? label.event_kind : label.event_type) || label.event_type || d.event_id;
      cell(tr, d.gateway, "wide");
      cell(tr, event + (d.copy ? " (copy)" : "")).title = (label.event_type || "") + " " + d.event_id;
      cell(tr, label.target || "", "wide");
      cell(tr, label.endpoint_url || d.endpoint_id, "wide").title = label.endpoint_url || d.endpoint_id;
      cell(tr, d.status, "status-" + d.status);
      cell(tr, d.attempt_count, "num"); cell(tr, a ? (a.status_code || "—") : "", "num");
    });
    if (askedOpen === opened) {
      if (opened !== null && !data.opened) { opened = null; }  // trimmed or reset away
      showOpened(data.opened);
    }
    $("live").textContent = "live";
    $("live").className = "live on";
    // operations.js draws the KPI windows, charts per method and alerts from the same poll
    document.dispatchEvent(new CustomEvent("paylab:stats", {detail: data}));
  }
  function query() {
    var q = new URLSearchParams();
    ["tenant", "gateway", "status", "effect"].forEach(function (k) {
      var v = $("f-" + k).value.trim();
      if (v) { q.set(k, v); }
    });
    if (opened !== null) { q.set("open", String(opened)); }
    return q.toString();
  }
  function refresh() {
    var q = query(), mine = ++asked, askedOpen = opened;
    return fetch("/_sim/stats" + (q ? "?" + q : ""), {cache: "no-store"}).then(guarded).then(function (r) {
      return r.json().then(function (body) {
        if (mine < onScreen) { return; }
        onScreen = mine;
        if (!r.ok) {  // a filter the API refused (an unknown tenant...): say why, keep polling
          $("filter-error").textContent = (body.error && body.error.message) || "refused";
          return;
        }
        $("filter-error").textContent = "";
        show(body, askedOpen);
      });
    }).catch(function () { $("live").textContent = "offline"; $("live").className = "live off"; });
  }
  $("clear-scenario").addEventListener("click", function () { request("DELETE", "/_sim/scenario"); });
  $("opened-close").addEventListener("click", function () { opened = null; $("opened").hidden = true; refresh(); });
  $("journal-filters").addEventListener("submit", function (ev) { ev.preventDefault(); refresh(); });
  ["f-gateway", "f-status", "f-effect"].forEach(function (id) { $(id).addEventListener("change", function () { refresh(); }); });
  $("f-tenant").addEventListener("change", function () { refresh(); });
  refresh();
  setInterval(refresh, 1500);
})();
