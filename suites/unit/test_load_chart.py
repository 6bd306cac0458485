"""A load run's chart over time: drawn from Locust's stats history and attached to the
run's Allure result right after the SLO table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from paylab.load.common.allure_result import write_result
from paylab.load.common.chart import read_history, render

HEADER = ("Timestamp,User Count,Type,Name,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,"
          "99%,99.9%,99.99%,100%,Total Request Count,Total Failure Count,Total Median "
          "Response Time,Total Average Response Time,Total Min Response Time,Total Max "
          "Response Time,Total Average Content Size\n")


def _row(t: int, name: str, rps: float, p95: str, count: int = 0, mean: float = 0) -> str:
    return (f"{t},32,POST,{name},{rps},0.5,10,11,12,13,14,{p95},16,17,18,19,20,"
            f"{count},1,10,{mean},1,20,300\n")


#: Running totals: 100 requests at 10 ms, then 100 more at 30 ms (mean 20), then none.
TOTALS = [(0, 0), (100, 10), (200, 20), (200, 20), (200, 20)]


def _history(path: Path, seconds: int = 5) -> Path:
    rows = "".join(_row(1000 + t, "/v1/refunds", 999, "999") + _row(
        1000 + t, "Aggregated", 100 + t, "N/A" if t == 0 else str(20 + t), *TOTALS[t])
        for t in range(seconds))
    path.write_text(HEADER + rows, encoding="utf-8")
    return path


def test_only_the_aggregated_rows_are_read(tmp_path: Path) -> None:
    history = read_history(_history(tmp_path / "smoke_stats_history.csv"))
    assert history.seconds == [0, 1, 2, 3, 4]
    assert history.rps == [100, 101, 102, 103, 104]
    assert history.latency["95%"] == [None, 21, 22, 23, 24], "N/A is a gap, not zero"
    assert history.interval_mean == [None, 10, 30, None, None], "each second's own mean"


def test_the_chart_is_a_png(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib", reason="matplotlib (dev extras) draws the chart")
    out = render(_history(tmp_path / "h.csv"), tmp_path / "h.png", "smoke")
    assert out is not None and out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert out.stat().st_size > 5_000, "an empty canvas, not a chart"


def test_a_run_too_short_to_draw_gets_no_chart(tmp_path: Path) -> None:
    assert render(_history(tmp_path / "h.csv", seconds=1), tmp_path / "h.png", "x") is None
    assert render(tmp_path / "missing.csv", tmp_path / "m.png", "x") is None


def test_the_result_carries_the_chart_after_the_slo_table(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib", reason="matplotlib (dev extras) draws the chart")
    stats = tmp_path / "smoke_stats.csv"
    stats.write_text("Type,Name\n", encoding="utf-8")
    html = tmp_path / "smoke.html"
    html.write_text("<html></html>", encoding="utf-8")
    _history(tmp_path / "smoke_stats_history.csv")
    results = tmp_path / "results"
    write_result(results, name="smoke profile", passed=True, message="ok", start_ms=1,
                 stop_ms=2, files=[stats, html], verdicts=[], parameters={})
    (result,) = (json.loads(p.read_text()) for p in results.glob("*-result.json"))
    names = [(a["name"], a["type"]) for a in result["attachments"]]
    assert names == [("SLO table", "text/csv"),
                     ("throughput and latency over time", "image/png"),
                     ("smoke_stats.csv", "text/csv")], "Locust's HTML only when failed"
    write_result(results, name="smoke profile", passed=False, message="missed", start_ms=1,
                 stop_ms=2, files=[stats, html], verdicts=[], parameters={})
    failed = next(json.loads(p.read_text()) for p in results.glob("*-result.json")
                  if json.loads(p.read_text())["status"] == "failed")
    assert "smoke.html" in [a["name"] for a in failed["attachments"]]
