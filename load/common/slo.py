"""The SLO gate: compare a run's figures with load/slo.yaml and say what was missed.

Plain Python over plain numbers, so it is unit-tested without Locust; the locustfile feeds
it Locust's stats when the run ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

SLO_FILE = Path(__file__).resolve().parent.parent / "slo.yaml"
#: A percentile of fewer requests than this is noise: reported, not judged (`min_samples`).
MIN_SAMPLES = 100


@dataclass(frozen=True)
class RequestFigures:
    """What Locust measured for one request name."""

    name: str
    requests: int
    failures: int
    p95_ms: float
    p99_ms: float


@dataclass(frozen=True)
class RunFigures:
    """What Locust measured for the whole run."""

    requests: int
    failures: int
    rps: float
    per_request: tuple[RequestFigures, ...]


@dataclass(frozen=True)
class Verdict:
    """One objective and whether the run met it."""

    objective: str
    limit: float
    measured: float
    met: bool
    judged: bool = True
    note: str = ""

    def line(self) -> str:
        """A human-readable line for the console and the report."""
        mark = "ok    " if self.met else "MISSED"
        if not self.judged:
            mark = "-     "
        text = f"{mark} {self.objective}: measured {self.measured:g}, limit {self.limit:g}"
        return f"{text} (not judged: {self.note})" if not self.judged else text


def load_slo(profile: str, path: Path = SLO_FILE) -> dict[str, Any]:
    """The objectives of one profile (an empty dict means nothing is gated)."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return dict(doc.get(profile) or {})


def evaluate(slo: dict[str, Any], run: RunFigures) -> list[Verdict]:
    """Every objective of `slo` checked against `run`, in a stable order."""
    verdicts: list[Verdict] = []
    if "error_ratio" in slo:
        ratio = run.failures / run.requests if run.requests else 1.0
        verdicts.append(Verdict("error ratio", slo["error_ratio"], round(ratio, 4),
                                ratio <= slo["error_ratio"]))
    if "min_rps" in slo:
        verdicts.append(Verdict("requests/s", slo["min_rps"], round(run.rps, 1),
                                run.rps >= slo["min_rps"]))
    if run.requests == 0:
        verdicts.append(Verdict("requests made", 1, 0, False))
    default = slo.get("default") or {}
    named = slo.get("requests") or {}
    min_samples = int(slo.get("min_samples", MIN_SAMPLES))
    setup = set(slo.get("setup_requests") or ())
    for figures in sorted(run.per_request, key=lambda f: f.name):
        limits = {**default, **named.get(figures.name, {})}
        note = ""
        if figures.name in setup:
            note = "a one-off set-up call, not part of the load"
        elif figures.requests < min_samples:
            note = (f"{figures.requests} samples, fewer than {min_samples}: a percentile of "
                    "so few is noise")
        for key, measured in (("p95", figures.p95_ms), ("p99", figures.p99_ms)):
            if key in limits:
                verdicts.append(Verdict(
                    f"{key} {figures.name} (ms)", limits[key], measured,
                    bool(note) or measured <= limits[key], judged=not note, note=note))
    return verdicts


def missed(verdicts: list[Verdict]) -> list[Verdict]:
    """The objectives the run did not meet."""
    return [v for v in verdicts if not v.met]


def not_judged(verdicts: list[Verdict]) -> list[dict[str, str]]:
    """The rows reported but not judged, each with why (few samples, a set-up call)."""
    return [{"objective": v.objective, "why": v.note} for v in verdicts if not v.judged]


def summary(profile: str, verdicts: list[Verdict]) -> str:
    """The gate's last console line: what was missed, and what was not judged and why, so
    a green run never hides that a slow row was left out."""
    judged, failed = [v for v in verdicts if v.judged], missed(verdicts)
    text = (f"SLO gate: {len(failed)} of {len(judged)} judged objectives missed for profile "
            f"{profile}" if failed else
            f"SLO gate: all {len(judged)} judged objectives met for profile {profile}")
    skipped = not_judged(verdicts)
    if skipped:
        text += f"; {len(skipped)} reported, not judged: " + "; ".join(
            f"{row['objective']} ({row['why']})" for row in skipped)
    return text


def verdict_document(profile: str, run: RunFigures, verdicts: list[Verdict], *,
                     cpu_warning: bool, workers: int,
                     failures_by_reason: list[dict[str, Any]]) -> dict[str, Any]:
    """reports/load/<profile>-slo.json: read by `paylab load` and by the Allure result."""
    return {
        "profile": profile, "passed": not missed(verdicts), "requests": run.requests,
        "failures": run.failures, "rps": round(run.rps, 1), "cpu_warning": cpu_warning,
        "workers": workers,
        "verdicts": [{"objective": v.objective, "limit": v.limit, "measured": v.measured,
                      "met": v.met, "judged": v.judged, "note": v.note} for v in verdicts],
        "not_judged": not_judged(verdicts),
        "failures_by_reason": failures_by_reason,
    }
