"""The KPI windows' families of /_sim/metrics (core/kpi_windows.py), counted from the
store at scrape time, so every process sharing it serves the same figures: declines by
reason, fraud blocks and 3-D Secure challenges per gateway and payment method, webhook
attempts by outcome, the webhook backlog (a gauge) and the webhook lag (a histogram) per
gateway. The counters run since the store's start or last reset (a reset is a counter
reset to Prometheus, as for paylab_payments_total).
"""

from __future__ import annotations

from collections import Counter

from paylab.simulator.core.kpi_windows import backlogs, run_totals, webhook_attempts
from paylab.simulator.core.store import Store

#: Upper bounds (seconds) of the webhook lag histogram: a first attempt's answer (under a
#: second) to the retry schedule's hours and a day.
LAG_BUCKETS = (0.1, 0.5, 1.0, 5.0, 30.0, 60.0, 300.0, 1800.0, 3600.0, 7200.0, 86400.0)
LAG_HISTOGRAM = "paylab_webhook_lag_seconds"


def kpi_lines(store: Store) -> list[str]:
    """Prometheus text of the KPI windows' run totals (core/kpi_windows.py), from the store
    at scrape time: declines by reason, fraud blocks and 3-D Secure challenges per gateway
    and method; webhook attempts by outcome, the backlog and the lag per gateway."""
    lines = ["# HELP paylab_declines_total Failed payment attempts per gateway, method and "
             "neutral reason (the decline code, else the failure code), since start or reset.",
             "# TYPE paylab_declines_total counter"]
    blocks = ["# HELP paylab_fraud_blocks_total Payments a fraud rule blocked, since start "
              "or reset.", "# TYPE paylab_fraud_blocks_total counter"]
    challenges = ["# HELP paylab_challenges_total 3-D Secure challenges asked of shoppers, "
                  "since start or reset.", "# TYPE paylab_challenges_total counter"]
    for gateway, method, figure, value in run_totals(
            store, ("decline:", "fraud_blocks", "challenges")):
        labels = f'gateway="{_label(gateway)}",method="{_label(method)}"'
        if figure.startswith("decline:"):
            lines.append(f'paylab_declines_total{{{labels},reason="{_label(figure[8:])}"}} '
                         f"{int(value)}")
        elif figure == "fraud_blocks":
            blocks.append(f"paylab_fraud_blocks_total{{{labels}}} {int(value)}")
        else:
            challenges.append(f"paylab_challenges_total{{{labels}}} {int(value)}")
    attempts = webhook_attempts(store)
    outcomes: Counter = Counter((g, outcome) for g, outcome, _, _ in attempts)
    deliveries = ["# HELP paylab_webhook_deliveries_total Webhook and notification attempts "
                  "per gateway by outcome (delivered: the answer accepted; failed: any "
                  "other), since start or reset.",
                  "# TYPE paylab_webhook_deliveries_total counter"]
    for gateway in sorted({g for g, _ in outcomes}):
        deliveries += [f'paylab_webhook_deliveries_total{{gateway="{_label(gateway)}",'
                       f'outcome="{o}"}} {outcomes[(gateway, o)]}' for o in ("delivered", "failed")]
    backlog = ["# HELP paylab_webhook_backlog Deliveries not yet settled (pending or in "
               "flight), per gateway.", "# TYPE paylab_webhook_backlog gauge"]
    backlog += [f'paylab_webhook_backlog{{gateway="{_label(g)}"}} {n}'
                for g, n in backlogs(store).items()]
    return lines + blocks + challenges + deliveries + backlog + lag_lines(attempts)


def lag_lines(attempts: list[tuple[str, str, float | None, float]]) -> list[str]:
    """The webhook lag histogram (virtual seconds from the event to the delivering
    attempt's end) per gateway, in Prometheus text."""
    lines = [f"# HELP {LAG_HISTOGRAM} From an event to its delivery's accepted answer "
             "(virtual seconds, retries included), per gateway.",
             f"# TYPE {LAG_HISTOGRAM} histogram"]
    lags: dict[str, list[float]] = {}
    for gateway, _, lag, _ in attempts:
        if lag is not None:
            lags.setdefault(gateway, []).append(lag)
    for gateway, seen in sorted(lags.items()):
        labels = f'gateway="{_label(gateway)}"'
        for bound in LAG_BUCKETS:
            n = sum(1 for lag in seen if lag <= bound)
            lines.append(f'{LAG_HISTOGRAM}_bucket{{{labels},le="{bound:g}"}} {n}')
        lines.append(f'{LAG_HISTOGRAM}_bucket{{{labels},le="+Inf"}} {len(seen)}')
        lines.append(f"{LAG_HISTOGRAM}_sum{{{labels}}} {sum(seen):.6f}")
        lines.append(f"{LAG_HISTOGRAM}_count{{{labels}}} {len(seen)}")
    return lines


def _label(value: str) -> str:
    """A Prometheus label value: backslash, quote and newline escaped."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
