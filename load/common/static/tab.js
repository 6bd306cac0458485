// The preset switches of the "Paylab simulator" tab in Locust's web UI. Locust renders
// the tab's figures table itself; this adds the buttons above it while the tab is open.
(function () {
  "use strict";
  const TAB = "paylab";
  let busy = false;

  function tabOpen() {
    return new URLSearchParams(window.location.search).get("tab") === TAB;
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

  function render(panel, state) {
    const list = panel.querySelector(".paylab-buttons");
    list.replaceChildren();
    for (const preset of state.presets) {
      const b = button(preset.name, "paylab-preset-" + preset.name,
                       () => post(preset.name));
      b.title = preset.description;
      b.setAttribute("aria-pressed", String(preset.name === state.active));
      list.appendChild(b);
    }
    const off = button("all off", "paylab-preset-off", () => post(null));
    off.setAttribute("aria-pressed", String(!state.active));
    list.appendChild(off);
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
    const panel = document.createElement("section");
    panel.id = "paylab-controls";
    panel.dataset.testid = "paylab-controls";
    const heading = document.createElement("h3");
    heading.textContent = "Scenario presets (the whole simulator, switched on at once)";
    const list = document.createElement("div");
    list.className = "paylab-buttons";
    const status = document.createElement("p");
    status.className = "paylab-status";
    status.dataset.testid = "paylab-status";
    panel.append(heading, list, status);
    holder.parentNode.insertBefore(panel, holder);
    refresh();
  }

  const style = document.createElement("style");
  style.textContent = [
    "#paylab-controls { padding: 12px 0 8px; font-family: inherit; }",
    "#paylab-controls h3 { margin: 0 0 8px; font-size: 15px; font-weight: 600; }",
    ".paylab-buttons { display: flex; flex-wrap: wrap; gap: 8px; }",
    ".paylab-preset { font: inherit; font-size: 13px; padding: 6px 12px; cursor: pointer;",
    "  border: 1px solid #888; border-radius: 16px; background: transparent; color: inherit; }",
    ".paylab-preset[aria-pressed=true] { background: #2e7d32; border-color: #2e7d32;",
    "  color: #fff; }",
    ".paylab-status { margin: 8px 0 0; font-size: 13px; opacity: 0.8; min-height: 1.2em; }",
  ].join("\n");
  document.head.appendChild(style);
  setInterval(mount, 300);
  setInterval(refresh, 2000);
})();
