"""The "Paylab" tab of the Locust web UI: the simulator's dashboard figures beside
Locust's own, and buttons that switch scenario presets on and off mid-run.

The figures use Locust's extension points (an extended tab whose table rows ride on
/stats/requests); the preset buttons are a small script the tab loads, talking to routes
here that forward to the simulator's control API (so the browser never needs to reach
the simulator itself).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import requests
from flask import Blueprint, jsonify, request
from locust import events
from paylab.load.common import settings

log = logging.getLogger("paylab.load.webui")
TAB = "paylab"
STATIC = Path(__file__).resolve().parent / "static"
SCRIPT = '<script src="/paylab/static/tab.js" defer></script>'
CACHE_SECONDS = 1.0


class SimulatorView:
    """The simulator's /_sim/stats, fetched at most once a second."""

    def __init__(self, base: str) -> None:
        self.base = base
        self._at = 0.0
        self._stats: dict[str, Any] | None = None
        self._error = ""

    def stats(self) -> dict[str, Any] | None:
        """The latest figures, or None when the simulator does not answer."""
        if time.monotonic() - self._at >= CACHE_SECONDS:
            self._at = time.monotonic()
            try:
                answer = requests.get(f"{self.base}/_sim/stats", timeout=2,
                                      headers=settings.control_headers())
                answer.raise_for_status()
                self._stats, self._error = answer.json(), ""
            except (requests.RequestException, ValueError) as exc:
                self._stats, self._error = None, f"{type(exc).__name__}: {exc}"
        return self._stats

    def rows(self) -> list[dict[str, str]]:
        """The tab's table: one figure per row."""
        stats = self.stats()
        if stats is None:
            return [{"figure": "simulator", "value": f"not answering at {self.base} "
                                                    f"({self._error})"}]
        recent = stats["timeline"][-5:] or [{"requests": 0, "errors": 0, "injected": 0}]
        per_second = {k: sum(t[k] for t in recent) / len(recent)
                      for k in ("requests", "errors", "injected")}
        scenario = stats["scenario"]
        rows = [
            {"figure": "simulator", "value": self.base},
            {"figure": "requests/s (last 5 s)", "value": f"{per_second['requests']:.0f}"},
            {"figure": "errors/s (last 5 s)", "value": f"{per_second['errors']:.0f}"},
            {"figure": "injected effects/s (last 5 s)",
             "value": f"{per_second['injected']:.0f}"},
            {"figure": f"time in the simulator p50 / p99 (last {stats['window_seconds']} s)",
             "value": f"{stats['latency_ms']['p50']} / {stats['latency_ms']['p99']} ms"},
            {"figure": "webhook backlog", "value": str(stats["webhook_backlog"])},
            {"figure": "scenario (whole simulator)",
             "value": (scenario.get("scenario") or {}).get("name") or "none"},
        ]
        rows += [{"figure": f"rule {rule['name']} ({rule['phase']})",
                  "value": f"matched {rule['matches']}, applied {rule['applied']}"}
                 for rule in scenario.get("rules", [])]
        return rows

    def presets(self) -> dict[str, Any]:
        """The presets (with their descriptions), which one is active and its timed
        windows (with the wall-clock seconds left), for the tab's buttons."""
        stats = self.stats() or {}
        active = ((stats.get("scenario") or {}).get("scenario") or {}).get("name")
        return {"presets": [{"name": p["name"], "description": p["description"]}
                            for p in stats.get("presets", [])], "active": active,
                "windows": stats.get("scenario_windows", [])}

    def figures(self) -> dict[str, Any]:
        """The simulator's per-second series and headline figures, for the tab's chart."""
        stats = self.stats()
        if stats is None:
            return {"error": f"simulator not answering at {self.base} ({self._error})"}
        health = stats.get("health") or {}
        return {"series": health.get("series", []),
                "success_rate": health.get("success_rate"),
                "error_rate": health.get("error_rate"),
                "faults": health.get("faults"), "latency_only": health.get("latency_only"),
                "latency_ms": stats["latency_ms"], "backlog": stats["webhook_backlog"]}

    def switch(self, preset: str | None) -> tuple[dict[str, Any], int]:
        """Activate `preset` for the whole simulator, or clear the scenario (None)."""
        try:
            if preset:
                answer = requests.put(f"{self.base}/_sim/scenario", params={"preset": preset},
                                      timeout=5, headers=settings.control_headers())
            else:
                answer = requests.delete(f"{self.base}/_sim/scenario", timeout=5,
                                         headers=settings.control_headers())
        except requests.RequestException as exc:
            return {"error": f"simulator not answering: {exc}"}, 502
        self._at = 0.0  # show the change at once
        log.info("scenario preset %s: HTTP %s", preset or "off", answer.status_code)
        try:
            body = answer.json()
        except ValueError:
            body = {"error": answer.text[:200]}
        return body, answer.status_code


def install(environment: Any, view: SimulatorView) -> None:
    """Add the tab, its data and its routes to Locust's web UI."""
    web_ui = environment.web_ui
    web_ui.template_args["extended_tabs"] = [{"title": "Paylab simulator", "key": TAB}]
    web_ui.template_args["extended_tables"] = [{"key": TAB, "structure": [
        {"key": "figure", "title": "Figure"}, {"key": "value", "title": "Value"}]}]
    blueprint = Blueprint("paylab", __name__, static_folder=str(STATIC),
                          static_url_path="/paylab/static")

    @blueprint.route("/paylab/presets")
    def presets() -> Any:
        return jsonify(view.presets())

    @blueprint.route("/paylab/figures")
    def figures() -> Any:
        return jsonify(view.figures())

    @blueprint.route("/paylab/scenario", methods=["POST"])
    def switch() -> Any:
        body, status = view.switch((request.get_json(silent=True) or {}).get("preset"))
        return jsonify(body), status

    web_ui.app.register_blueprint(blueprint)

    @web_ui.app.after_request
    def extend(response: Any) -> Any:
        if request.path == "/stats/requests" and response.is_json:
            data = response.get_json()
            data["extended_stats"] = [{"key": TAB, "data": view.rows()}]
            response.set_data(jsonify(data).get_data())
        elif request.path == "/" and response.mimetype == "text/html":
            response.set_data(response.get_data(as_text=True).replace(
                "</body>", f"{SCRIPT}</body>"))
        return response


@events.init.add_listener
def _on_init(environment: Any, **_: Any) -> None:
    if environment.web_ui is not None:
        install(environment, SimulatorView(settings.gateway_url()))
