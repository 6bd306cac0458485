// The dashboard: polls /_sim/stats and draws it. Data goes in through textContent only.
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var pct = function (v) { return v === null || v === undefined ? "–" : (v * 100).toFixed(1) + "%"; };

  function cell(row, text, cls) {
    var td = document.createElement("td");
    td.textContent = text === null || text === undefined ? "" : String(text);
    if (cls) { td.className = cls; }
    row.appendChild(td);
  }
  function fill(table, rows, render) {
    var body = $(table).querySelector("tbody");
    body.textContent = "";
    rows.forEach(function (r) { var tr = document.createElement("tr"); render(tr, r); body.appendChild(tr); });
  }
  function chart(timeline) {
    var svg = $("chart"), w = 600, h = 170;
    var max = Math.max(1, Math.max.apply(null, timeline.map(function (p) { return p.requests; })));
    var line = function (key) {
      return timeline.map(function (p, i) {
        var x = (i / Math.max(1, timeline.length - 1)) * w;
        var y = h - (p[key] / max) * (h - 10) + 5;
        return x.toFixed(1) + "," + y.toFixed(1);
      }).join(" ");
    };
    svg.textContent = "";
    var label = document.createElementNS("http://www.w3.org/2000/svg", "text");
    label.setAttribute("x", "4"); label.setAttribute("y", "14"); label.setAttribute("class", "axis");
    label.textContent = max + "/s";
    svg.appendChild(label);
    [["requests", "req"], ["errors", "err"], ["injected", "inj"]].forEach(function (k) {
      var pl = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
      pl.setAttribute("points", line(k[0]));
      pl.setAttribute("class", "series " + k[1]);
      svg.appendChild(pl);
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
  function show(data) {
    var t = data.timeline, last = t.slice(-10);
    var rps = last.reduce(function (a, p) { return a + p.requests; }, 0) / Math.max(1, last.length);
    var m = data.methods, sum = function (k) { return m.reduce(function (a, x) { return a + (x[k] || 0); }, 0); };
    var ok = sum("succeeded"), failed = sum("failed"), refunded = sum("refunded");
    var amount = m.reduce(function (a, x) { return a + (x.average_amount || 0) * x.succeeded; }, 0);
    $("kpi-rps").textContent = rps.toFixed(1);
    $("kpi-success").textContent = ok + failed ? pct(ok / (ok + failed)) : "–";
    $("kpi-refunds").textContent = ok ? pct(refunded / ok) : "–";
    $("kpi-amount").textContent = ok ? (amount / ok / 100).toFixed(2) : "–";
    $("kpi-latency").textContent = data.latency_ms.p50 === null ? "–" :
      data.latency_ms.p50.toFixed(1) + " / " + data.latency_ms.p99.toFixed(1) + " ms";
    $("kpi-injected").textContent = t.reduce(function (a, p) { return a + p.injected; }, 0);
    $("kpi-backlog").textContent = data.webhook_backlog;
    chart(t);
    scenario(data);
    fill("methods", m, function (tr, x) {
      cell(tr, x.gateway); cell(tr, x.method); cell(tr, x.created, "num"); cell(tr, x.succeeded, "num");
      cell(tr, x.failed, "num"); cell(tr, pct(x.success_rate), "num"); cell(tr, pct(x.refund_rate), "num");
      cell(tr, x.average_amount === null ? "–" : (x.average_amount / 100).toFixed(2), "num");
    });
    fill("journal", data.journal, function (tr, e) {
      cell(tr, e.seq); cell(tr, e.method + " " + e.path); tr.lastChild.title = e.path;
      cell(tr, e.status || "—", "num");
      cell(tr, e.latency_ms.toFixed(1), "num"); cell(tr, e.effect || "", "effect");
    });
    fill("webhooks", data.webhooks, function (tr, d) {
      var a = d.attempts[d.attempts.length - 1];
      cell(tr, d.event_id + (d.copy ? " (copy)" : "")); cell(tr, d.status);
      cell(tr, d.attempt_count, "num"); cell(tr, a ? (a.status_code || "—") : "", "num");
    });
    $("live").textContent = "live";
    $("live").className = "live on";
  }
  function refresh() {
    return fetch("/_sim/stats", {cache: "no-store"}).then(guarded).then(function (r) { return r.json(); })
      .then(show).catch(function () { $("live").textContent = "offline"; $("live").className = "live off"; });
  }
  $("clear-scenario").addEventListener("click", function () { request("DELETE", "/_sim/scenario"); });
  refresh();
  setInterval(refresh, 1500);
})();
