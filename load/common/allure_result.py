"""One Allure result for a headless load run, written straight into allure-results, so a
`paylab load` run shows up in the next `paylab report` with its CSV, HTML and verdicts."""

from __future__ import annotations

import csv
import io
import json
import shutil
import uuid
from pathlib import Path
from typing import Any

from paylab.load.common.chart import render

MIME = {".csv": "text/csv", ".html": "text/html", ".json": "application/json",
        ".txt": "text/plain", ".png": "image/png"}
#: Locust's CSV of a run's figures second by second, drawn as a chart next to its stats.
HISTORY_SUFFIX = "_stats_history.csv"


def slo_table(verdicts: list[dict[str, Any]]) -> str:
    """The verdicts as CSV (Allure shows text/csv as a table): every objective, its limit
    and measure, met / MISSED / not judged, and why a row was not judged."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["objective", "limit", "measured", "verdict", "why not judged"])
    for v in verdicts:
        judged = v.get("judged", True)
        writer.writerow([v["objective"], f"{v['limit']:g}", f"{v['measured']:g}",
                         _mark(v) if judged else "not judged", "" if judged else v["note"]])
    return out.getvalue()


def slo_markdown(verdicts: list[dict[str, Any]]) -> str:
    """The same table in Markdown, for the result's description (shown on its page)."""
    rows = list(csv.reader(slo_table(verdicts).splitlines()))
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
    # the reason's head only ("29 samples, fewer than 100"): the page is narrow
    for row in rows[1:]:
        cells = [*row[:4], row[4].split(":")[0]]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines)


def _attach(results: Path, name: str, source_path: Path, mime: str) -> dict[str, str]:
    source = f"{uuid.uuid4()}-attachment{source_path.suffix}"
    shutil.copy(source_path, results / source)
    return {"name": name, "source": source, "type": mime}


def _attachments(results: Path, name: str, files: list[Path],
                 verdicts: list[dict[str, Any]], passed: bool) -> list[dict[str, str]]:
    """The SLO table and the chart first (what a reader looks at), then the run's files;
    Locust's HTML report (1 MB, mostly its own script) only when the run failed, since
    the table and the chart tell a passed run's story and the file stays in reports/load."""
    table = results / f"{uuid.uuid4()}-attachment.csv"
    table.write_text(slo_table(verdicts), encoding="utf-8")
    attachments = [{"name": "SLO table", "source": table.name, "type": "text/csv"}]
    for path in files:
        history = path.with_name(path.name.replace("_stats.csv", HISTORY_SUFFIX))
        if path.name.endswith("_stats.csv") and history.exists():
            chart = render(history, history.with_suffix(".png"),
                           f"{name}: throughput and latency over time")
            if chart:
                attachments.insert(1, _attach(results, "throughput and latency over time",
                                              chart, "image/png"))
        if path.exists() and (path.suffix != ".html" or not passed):
            attachments.append(_attach(results, path.name, path,
                                       MIME.get(path.suffix, "text/plain")))
    return attachments


def write_result(results: Path, *, name: str, passed: bool, message: str, start_ms: int,
                 stop_ms: int, files: list[Path], verdicts: list[dict[str, Any]],
                 parameters: dict[str, str]) -> Path:
    """Write the result and copies of `files` as its attachments, led by the SLO table and,
    for a Locust `<prefix>_stats.csv` with its history beside it, a chart of the run over
    time; returns the result file."""
    results.mkdir(parents=True, exist_ok=True)
    attachments = _attachments(results, name, files, verdicts, passed)
    steps = [{"name": f"{_mark(v)}: {v['objective']} = {v['measured']} (limit {v['limit']})"
                      + (f"; not judged: {v['note']}" if not v.get("judged", True) else ""),
              "status": ("skipped" if not v.get("judged", True)
                         else "passed" if v["met"] else "failed"), "stage": "finished",
              "start": stop_ms, "stop": stop_ms} for v in verdicts]
    result = {
        "uuid": str(uuid.uuid4()), "historyId": f"paylab-load-{name}", "name": name,
        "fullName": f"load.{name}", "status": "passed" if passed else "failed",
        "statusDetails": {"message": message}, "stage": "finished",
        "description": slo_markdown(verdicts) if verdicts else message,
        "start": start_ms, "stop": stop_ms, "steps": steps, "attachments": attachments,
        "parameters": [{"name": k, "value": v} for k, v in parameters.items()],
        "labels": [{"name": "parentSuite", "value": "load"},
                   {"name": "suite", "value": "paylab load"},
                   {"name": "layer", "value": "load"}, {"name": "framework", "value": "locust"}],
    }
    out = results / f"{result['uuid']}-result.json"
    out.write_text(json.dumps(result, indent=1), encoding="utf-8")
    return out


def _mark(verdict: dict[str, Any]) -> str:
    if not verdict.get("judged", True):
        return "reported"
    return "met" if verdict["met"] else "MISSED"
