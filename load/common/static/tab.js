// The "Paylab simulator" tab in Locust's web UI. Locust renders the tab's figures table
// itself; this adds, above it while the tab is open: a live chart of the simulator's own
// figures, the preset switches with what each preset does, and the time left in the
// active scenario's timed window. Every value goes in through textContent.
(function () {
  "use strict";
  const TAB = "paylab";
  const SVG = "http://www.w3.org/2000/svg";
  // key in the simulator's per-second series, label, colour, dash, marker
  const SERIES = [["calls", "calls", "#4f46e5", "", "circle"],
                  ["failed", "failed", "#c0392b", "7 3", "square"],
                  ["faults", "injected faults", "#b45309", "2 3", "triangle"],
                  ["latency", "slowed only", "#0f766e", "10 3 2 3", "diamond"]];
  let busy = false;

  function tabOpen() {
    return new URLSearchParams(window.location.search).get("tab") === TAB;
  }

  function node(name, attrs, text) {
    const el = document.createElementNS(SVG, name);
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
    if (text !== undefined) el.textContent = text;
    return el;
  }

  function marker(shape, x, y, colour) {
    if (shape === "circle") return node("circle", {cx: x, cy: y, r: 3, fill: colour});
    if (shape === "square") return node("rect", {x: x - 3, y: y - 3, width: 6, height: 6, fill: colour});
    const d = shape === "triangle" ? [[0, -4], [4, 4], [-4, 4]] : [[0, -4], [4, 0], [0, 4], [-4, 0]];
    return node("path", {d: "M" + d.map(([dx, dy]) => (x + dx) + " " + (y + dy)).join(" L") + " Z",
                         fill: colour});
  }

  function clock(t) {
    return new Date(t * 1000).toTimeString().slice(0, 8);
  }

  // 1, 2 or 5 times a power of ten: axis labels a reader can add up
  function niceStep(raw) {
    const power = Math.pow(10, Math.floor(Math.log10(Math.max(1, raw))));
    for (const m of [1, 2, 5, 10]) if (m * power >= raw) return m * power;
    return 10 * power;
  }

  function button(label, testid, onClick) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = label;
    b.dataset.testid = testid;
    b.className = "paylab-preset";
    b.addEventListener("click", onClick);
    return b;
  }

  // The simulator's calls per second over the last minute, with a time axis.
  function chart(svg, figures) {
    const series = figures.series || [];
    const width = Math.max(300, Math.round(svg.getBoundingClientRect().width) || 700);
    const height = 180, left = 36, right = width - 10, top = 14, bottom = height - 26;
    svg.setAttribute("viewBox", "0 0 " + width + " " + height);
    svg.replaceChildren(node("title", {}, "The simulator's calls, failed calls, injected faults " +
                                           "and latency-only effects per second, last 60 s"));
    const step = niceStep(Math.max(1, ...series.map((p) => p.calls)) / 4);
    const max = step * Math.max(1, Math.ceil(Math.max(1, ...series.map((p) => p.calls)) / step));
    const x = (i) => left + (i / Math.max(1, series.length - 1)) * (right - left);
    const y = (v) => bottom - (v / max) * (bottom - top);
    for (let v = 0; v <= max; v += step) {
      svg.append(node("line", {x1: left, x2: right, y1: y(v), y2: y(v), stroke: "#8884", "stroke-width": 1}),
                 node("text", {x: left - 6, y: y(v) + 4, "text-anchor": "end", class: "paylab-axis"}, String(v)));
    }
    series.forEach((p, i) => {
      const ago = series.length - 1 - i;
      if (ago % 15 === 0) {
        svg.append(node("text", {x: x(i), y: bottom + 18, class: "paylab-axis",
                                 "text-anchor": ago === 0 ? "end" : "middle"},
                        ago === 0 ? "now " + clock(p.t) : clock(p.t)));
      }
    });
    for (const [key, , colour, dash, shape] of SERIES) {
      svg.append(node("polyline", {points: series.map((p, i) => x(i).toFixed(1) + "," + y(p[key]).toFixed(1)).join(" "),
                                   fill: "none", stroke: colour, "stroke-width": 2, "stroke-dasharray": dash}));
      series.forEach((p, i) => {
        if (p[key] > 0 || (series.length - 1 - i) % 5 === 0) svg.append(marker(shape, x(i), y(p[key]), colour));
      });
    }
  }

  function legend() {
    const list = document.createElement("ul");
    list.className = "paylab-legend";
    list.dataset.testid = "paylab-legend";
    for (const [, label, colour, dash, shape] of SERIES) {
      const li = document.createElement("li");
      const sw = node("svg", {width: 28, height: 10, viewBox: "0 0 28 10", "aria-hidden": "true"});
      sw.append(node("line", {x1: 0, y1: 5, x2: 28, y2: 5, stroke: colour, "stroke-width": 2, "stroke-dasharray": dash}),
                marker(shape, 14, 5, colour));
      li.append(sw, document.createTextNode(label));
      list.appendChild(li);
    }
    return list;
  }

  function pct(v) { return v === null || v === undefined ? "–" : (v * 100).toFixed(1) + "%"; }

  async function figures() {
    const panel = document.getElementById("paylab-controls");
    if (!panel) return;
    try {
      const data = await (await fetch("/paylab/figures")).json();
      const summary = panel.querySelector(".paylab-summary");
      if (data.error) { summary.textContent = data.error; return; }
      summary.textContent = "success " + pct(data.success_rate) + " · errors " + pct(data.error_rate) +
        " · injected faults " + data.faults + " · slowed only " + data.latency_only +
        " · p50/p99 " + data.latency_ms.p50 + " / " + data.latency_ms.p99 + " ms · webhook backlog " + data.backlog;
      chart(panel.querySelector(".paylab-chart"), data);
    } catch (err) {
      panel.querySelector(".paylab-summary").textContent = "could not load the figures: " + err;
    }
  }

  async function post(preset) {
    busy = true;
    const status = document.querySelector("#paylab-controls .paylab-status");
    status.textContent = preset ? "switching on " + preset + "…" : "switching off…";
    try {
      const answer = await fetch("/paylab/scenario", {
        method: "POST", headers: {"Content-Type": "application/json"},
        body: JSON.stringify({preset: preset}),
      });
      const body = await answer.json();
      status.textContent = answer.ok
        ? (preset ? preset + " is on" : "no scenario: normal behaviour")
        : "refused: " + ((body.error && (body.error.message || body.error)) || answer.status);
    } catch (err) {
      status.textContent = "could not reach Locust: " + err;
    } finally {
      busy = false;
      refresh();
    }
  }

  function windowText(w) {
    const name = "rule " + w.rule + " window";
    if (w.state === "pending") return name + " starts in " + Math.round(w.starts_in) + " s";
    if (w.state === "closed") return name + " is over (the rule no longer applies)";
    return name + (w.ends_in === null ? " is open" : ": " + Math.max(0, Math.round(w.ends_in)) + " s left");
  }

  function render(panel, state) {
    const list = panel.querySelector(".paylab-buttons");
    const described = panel.querySelector(".paylab-descriptions");
    list.replaceChildren();
    described.replaceChildren();
    for (const preset of state.presets) {
      const b = button(preset.name, "paylab-preset-" + preset.name, () => post(preset.name));
      b.title = preset.description;
      b.setAttribute("aria-pressed", String(preset.name === state.active));
      list.appendChild(b);
      const dt = document.createElement("dt"), dd = document.createElement("dd");
      dt.textContent = preset.name;
      dd.textContent = preset.description;
      dd.dataset.testid = "paylab-description-" + preset.name;
      if (preset.name === state.active) { dt.className = dd.className = "on"; }
      described.append(dt, dd);
    }
    const off = button("all off", "paylab-preset-off", () => post(null));
    off.setAttribute("aria-pressed", String(!state.active));
    list.appendChild(off);
    const timer = panel.querySelector(".paylab-window");
    const windows = state.windows || [];
    timer.textContent = windows.length ? (state.active || "scenario") + " · " +
      windows.map(windowText).join(" · ") : "";
    timer.hidden = !windows.length;
  }

  async function refresh() {
    const panel = document.getElementById("paylab-controls");
    if (!panel || busy) return;
    try {
      const answer = await fetch("/paylab/presets");
      render(panel, await answer.json());
    } catch (err) {
      panel.querySelector(".paylab-status").textContent = "could not load presets: " + err;
    }
  }

  function element(tag, cls, testid) {
    const el = document.createElement(tag);
    if (cls) el.className = cls;
    if (testid) el.dataset.testid = testid;
    return el;
  }

  function mount() {
    const mounted = document.getElementById("paylab-controls");
    if (!tabOpen()) {
      if (mounted) mounted.remove();  // Locust reuses the panel for its other tabs
      return;
    }
    if (mounted) return;
    const table = document.querySelector("main table, table");
    if (!table) return;
    const holder = table.closest(".MuiTableContainer-root") || table;
    const panel = element("section", "", "paylab-controls");
    panel.id = "paylab-controls";
    const chartHeading = element("h3");
    chartHeading.textContent = "The simulator, live (per second, last 60 s)";
    const svg = node("svg", {class: "paylab-chart", role: "img", "data-testid": "paylab-chart"});
    const heading = element("h3");
    heading.textContent = "Scenario presets (the whole simulator, switched on at once)";
    const details = element("details", "paylab-details");
    const summary = element("summary");
    summary.textContent = "What each preset does";
    details.open = true;  // what a preset does matters before switching it on
    details.append(summary, element("dl", "paylab-descriptions", "paylab-descriptions"));
    const timer = element("p", "paylab-window", "paylab-window");
    timer.hidden = true;
    panel.append(chartHeading, element("p", "paylab-summary", "paylab-summary"), svg, legend(),
                 heading, element("div", "paylab-buttons"), timer, details,
                 element("p", "paylab-status", "paylab-status"));
    holder.parentNode.insertBefore(panel, holder);
    refresh();
    figures();
  }

  const style = document.createElement("style");
  style.textContent = [
    "#paylab-controls { padding: 12px 0 8px; font-family: inherit; }",
    "#paylab-controls h3 { margin: 12px 0 8px; font-size: 15px; font-weight: 600; }",
    ".paylab-chart { width: 100%; height: auto; display: block; max-width: 1100px; }",
    ".paylab-axis { font-size: 11px; fill: currentColor; opacity: 0.75; }",
    ".paylab-summary { margin: 0 0 6px; font-size: 13px; }",
    ".paylab-legend { list-style: none; display: flex; flex-wrap: wrap; gap: 6px 16px; padding: 0; margin: 6px 0; font-size: 13px; }",
    ".paylab-legend li { display: flex; align-items: center; gap: 6px; }",
    ".paylab-buttons { display: flex; flex-wrap: wrap; gap: 8px; }",
    ".paylab-preset { font: inherit; font-size: 13px; padding: 6px 12px; cursor: pointer;",
    "  border: 1px solid #888; border-radius: 16px; background: transparent; color: inherit; }",
    ".paylab-preset[aria-pressed=true] { background: #2e7d32; border-color: #2e7d32;",
    "  color: #fff; }",
    ".paylab-window { margin: 10px 0 0; padding: 6px 10px; font-size: 14px; font-weight: 600;",
    "  border-left: 4px solid #b45309; background: #b4530918; }",
    ".paylab-details { margin: 10px 0 0; font-size: 13px; }",
    ".paylab-details summary { cursor: pointer; }",
    ".paylab-descriptions { display: grid; grid-template-columns: max-content 1fr; gap: 4px 14px; margin: 8px 0 0; }",
    ".paylab-descriptions dt { font-weight: 600; } .paylab-descriptions dd { margin: 0; opacity: 0.85; }",
    ".paylab-descriptions .on { color: #2e7d32; }",
    ".paylab-status { margin: 8px 0 0; font-size: 13px; opacity: 0.8; min-height: 1.2em; }",
  ].join("\n");
  document.head.appendChild(style);
  setInterval(mount, 300);
  setInterval(refresh, 1000);
  setInterval(figures, 1500);
})();
