"""One Allure result for a headless load run, written straight into allure-results, so a
`paylab load` run shows up in the next `paylab report` with its CSV, HTML and verdicts."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path
from typing import Any

MIME = {".csv": "text/csv", ".html": "text/html", ".json": "application/json",
        ".txt": "text/plain"}


def write_result(results: Path, *, name: str, passed: bool, message: str, start_ms: int,
                 stop_ms: int, files: list[Path], verdicts: list[dict[str, Any]],
                 parameters: dict[str, str]) -> Path:
    """Write the result and copies of `files` as its attachments; returns the result file."""
    results.mkdir(parents=True, exist_ok=True)
    attachments = []
    for path in files:
        if not path.exists():
            continue
        source = f"{uuid.uuid4()}-attachment{path.suffix}"
        shutil.copy(path, results / source)
        attachments.append({"name": path.name, "source": source,
                            "type": MIME.get(path.suffix, "text/plain")})
    steps = [{"name": f"{_mark(v)}: {v['objective']} = {v['measured']} (limit {v['limit']})"
                      + (f"; not judged: {v['note']}" if not v.get("judged", True) else ""),
              "status": ("skipped" if not v.get("judged", True)
                         else "passed" if v["met"] else "failed"), "stage": "finished",
              "start": stop_ms, "stop": stop_ms} for v in verdicts]
    result = {
        "uuid": str(uuid.uuid4()), "historyId": f"paylab-load-{name}", "name": name,
        "fullName": f"load.{name}", "status": "passed" if passed else "failed",
        "statusDetails": {"message": message}, "stage": "finished",
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
