"""When a headless profile ends: check its SLO, write the verdicts, set the exit code.

Exit 0 when every objective is met (a few failures inside the error budget are allowed),
3 when one is missed, with each verdict logged and written to
reports/load/<profile>-slo.json for the runner and the Allure report.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from locust import events
from locust.runners import WorkerRunner
from paylab.load.common import settings
from paylab.load.common.slo import (
    RequestFigures,
    RunFigures,
    evaluate,
    load_slo,
    missed,
    summary,
    verdict_document,
)

log = logging.getLogger("paylab.load.gate")
EXIT_SLO_MISSED = 3
#: Worker processes that took part (a master's count drops to 0 as they quit at the end).
_workers = {"count": 1}


@events.test_start.add_listener
def count_workers(environment: Any, **_: Any) -> None:
    """Note how many workers the run started with (1: Locust runs in one process)."""
    _workers["count"] = getattr(environment.runner, "worker_count", 1)


def run_figures(stats: Any) -> RunFigures:
    """Locust's stats as plain figures."""
    per_request = tuple(
        RequestFigures(name=entry.name, requests=entry.num_requests,
                       failures=entry.num_failures,
                       p95_ms=float(entry.get_response_time_percentile(0.95) or 0),
                       p99_ms=float(entry.get_response_time_percentile(0.99) or 0))
        for entry in stats.entries.values() if entry.num_requests)
    total = stats.total
    return RunFigures(requests=total.num_requests, failures=total.num_failures,
                      rps=float(total.total_rps), per_request=per_request)


@events.quitting.add_listener
def check_slo(environment: Any, **_: Any) -> None:
    """The gate itself; runs on the master (or the only process), not on workers."""
    profile = settings.profile_name()
    if not profile or isinstance(environment.runner, WorkerRunner):
        return
    figures = run_figures(environment.stats)
    verdicts = evaluate(load_slo(profile), figures)
    failed = missed(verdicts)
    runner = environment.runner
    cpu_warning = bool(getattr(runner, "cpu_warning_emitted", False)
                       or getattr(runner, "worker_cpu_warning_emitted", False))
    out = settings.reports_dir() / f"{profile}-slo.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    errors = sorted(({"name": e.name, "reason": str(e.error), "count": e.occurrences}
                     for e in environment.stats.errors.values()), key=lambda e: -e["count"])
    out.write_text(json.dumps(verdict_document(
        profile, figures, verdicts, cpu_warning=cpu_warning, workers=_workers["count"],
        failures_by_reason=errors), indent=2), encoding="utf-8")
    for verdict in verdicts:
        (log.error if not verdict.met else log.info)("SLO %s", verdict.line())
    (log.error if failed else log.info)("%s", summary(profile, verdicts))
    environment.process_exit_code = EXIT_SLO_MISSED if failed else 0
