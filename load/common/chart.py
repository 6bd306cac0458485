"""A load run over time as a PNG: throughput (requests and failures per second, users) and
latency (p50/p95/p99) from Locust's `<prefix>_stats_history.csv`, for the Allure report.

Locust writes one "Aggregated" history row a second (and, with --csv-full-history, one per
request name: those are ignored). Its percentiles there are since the start of the run, so
they are drawn as such; the mean response time of each second is worked out from the
running totals (count x average), so a slow patch shows where it happened. matplotlib runs
headless (Agg) in the `paylab load` process, never inside Locust's gevent-patched one.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

#: The percentile columns drawn, as Locust names them.
PERCENTILES = ("50%", "95%", "99%")


@dataclass
class History:
    """The Aggregated rows of a stats history, as columns (seconds since the first row)."""

    seconds: list[float] = field(default_factory=list)
    users: list[float] = field(default_factory=list)
    rps: list[float] = field(default_factory=list)
    failures: list[float] = field(default_factory=list)
    latency: dict[str, list[float | None]] = field(
        default_factory=lambda: {p: [] for p in PERCENTILES})
    #: the mean response time of the requests completed since the previous row
    interval_mean: list[float | None] = field(default_factory=list)


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text not in (None, "", "N/A") else None
    except ValueError:
        return None


def read_history(path: Path) -> History:
    """The Aggregated rows of `path` (Locust's history CSV); empty if it has none."""
    history = History()
    with path.open(newline="", encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(handle) if row.get("Name") == "Aggregated"]
    if not rows:
        return history
    start = float(rows[0]["Timestamp"])
    count, total = 0.0, 0.0
    for row in rows:
        history.seconds.append(float(row["Timestamp"]) - start)
        history.users.append(_number(row.get("User Count")) or 0.0)
        history.rps.append(_number(row.get("Requests/s")) or 0.0)
        history.failures.append(_number(row.get("Failures/s")) or 0.0)
        for name in PERCENTILES:
            history.latency[name].append(_number(row.get(name)))
        now_count = _number(row.get("Total Request Count")) or 0.0
        now_total = now_count * (_number(row.get("Total Average Response Time")) or 0.0)
        done = now_count - count
        history.interval_mean.append((now_total - total) / done if done > 0 else None)
        count, total = now_count, now_total
    return history


def _gaps(values: list[float | None]) -> list[float]:
    return [v if v is not None else float("nan") for v in values]


def render(history_csv: Path, out: Path, title: str) -> Path | None:
    """Draw `history_csv` into `out` (PNG); None when there is nothing to draw or
    matplotlib is not installed (it is in the dev extras), so a report is never lost
    for want of a chart."""
    history = read_history(history_csv) if history_csv.exists() else History()
    if len(history.seconds) < 2:
        return None
    try:
        import matplotlib

        matplotlib.use("Agg")  # no display: files only
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 6), sharex=True, dpi=90)
    try:
        top.plot(history.seconds, history.rps, label="requests/s", color="tab:blue")
        top.plot(history.seconds, history.failures, label="failures/s", color="tab:red")
        top.set_ylabel("per second")
        users = top.twinx()
        users.step(history.seconds, history.users, where="post", color="tab:gray",
                   linestyle="--", label="users")
        users.set_ylabel("users")
        lines = top.get_legend_handles_labels()
        more = users.get_legend_handles_labels()
        top.legend(lines[0] + more[0], lines[1] + more[1], loc="upper left", fontsize=8)
        bottom.plot(history.seconds, _gaps(history.interval_mean), color="tab:blue",
                    label="mean of each second")
        for name, color in zip(PERCENTILES, ("tab:green", "tab:orange", "tab:purple"),
                               strict=True):
            bottom.plot(history.seconds, _gaps(history.latency[name]), color=color,
                        linestyle=":", label=f"p{name.rstrip('%')} since the start")
        bottom.set_ylabel("response time (ms)")
        bottom.set_xlabel("seconds since the run started")
        bottom.legend(loc="upper left", fontsize=8)
        for axis in (top, bottom):
            axis.grid(True, alpha=0.3)
        top.set_title(title)
        fig.tight_layout()
        out.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(out, format="png")
    finally:
        plt.close(fig)
    return out
