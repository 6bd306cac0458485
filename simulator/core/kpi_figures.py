"""The figures of a KPI window row, from its summed per-second aggregates
(core/kpi_windows.py): rates, amounts, medians, latency and webhook quantiles.

Pure functions, exact to the digit, so their edges can be pinned by unit tests: rates
have RATE_DIGITS digits and are null (not 0/0) without volume; amounts are kept to
SIGNIFICANT digits for the median's distribution; latency quantiles interpolate inside
the histogram bucket as Prometheus' histogram_quantile does.
"""

from __future__ import annotations

import bisect
import math
from typing import Any

#: Upper bounds (seconds) of the latency buckets: those of /_sim/metrics' histogram.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                   10.0, 30.0)
SIGNIFICANT = 3
#: Digits kept of a rate.
RATE_DIGITS = 4

_FRAUD_CODE = "fraudulent"


def latency_figure(latency_ms: float) -> str:
    """The figure a request latency adds to: `latency:<bucket index>` (the last, past
    every bound, is +Inf)."""
    return f"latency:{bisect.bisect_left(LATENCY_BUCKETS, latency_ms / 1000)}"


def significant(amount: int, digits: int = SIGNIFICANT) -> int:
    """`amount` rounded half up to `digits` significant digits (12345 -> 12300)."""
    size = len(str(abs(amount)))
    if size <= digits:
        return amount
    step = 10 ** (size - digits)
    return (amount + step // 2) // step * step


def median(counts: dict[float, float]) -> float | None:
    """The median of a distribution {value: count}: the middle value, or the mean of the
    two middle values of an even count; None when empty."""
    total = int(sum(counts.values()))
    if total <= 0:
        return None
    ordered = sorted(counts.items())

    def nth(n: int) -> float:  # the n-th value (0-based) in ascending order
        seen = 0
        for value, count in ordered:
            seen += int(count)
            if n < seen:
                return value
        return ordered[-1][0]

    low, high = nth((total - 1) // 2), nth(total // 2)
    return (low + high) / 2


def histogram_quantile(q: float, counts: list[float]) -> float | None:
    """The q-quantile (seconds) of latency bucket counts, interpolated inside its bucket
    as Prometheus' histogram_quantile does; in the last (+Inf) bucket: the highest bound.
    None when nothing was observed."""
    total = sum(counts)
    if total <= 0:
        return None
    rank, below = q * total, 0.0
    for index, count in enumerate(counts):
        if count and below + count >= rank:
            if index >= len(LATENCY_BUCKETS):
                return LATENCY_BUCKETS[-1]
            low = LATENCY_BUCKETS[index - 1] if index else 0.0
            return low + (LATENCY_BUCKETS[index] - low) * (rank - below) / count
        below += count
    return LATENCY_BUCKETS[-1]


def nearest_rank(values: list[float], q: float) -> float | None:
    """The q-quantile of `values` by nearest rank (the smallest value with at least q of
    them at or below it); None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def rate(part: float, whole: float) -> float | None:
    """part / whole to RATE_DIGITS digits; None when whole is 0 (no 0/0)."""
    return round(part / whole, RATE_DIGITS) if whole else None


def failure(obj: dict[str, Any]) -> list[tuple[str, float]]:
    """A failed payment's or order's figures: failed, its reason, declined when the
    refusal has a decline code; fraud_blocks for an order a fraud rule refused."""
    error = obj.get("last_payment_error") or obj.get("failure") or {}
    decline = error.get("decline_code")
    reason = decline or error.get("code") or "unknown"
    adds: list[tuple[str, float]] = [("failed", 1), (f"decline:{reason}", 1)]
    if decline:
        adds.append(("declined", 1))
    if "failure" in obj and (error.get("rule") or decline == _FRAUD_CODE):
        adds.append(("fraud_blocks", 1))  # a payment's block is counted on its attempt
    return adds


def webhook_figures(lags_ms: list[float], delivered: int, failed: int, backlog: int
                     ) -> dict[str, Any]:
    p50, p99 = nearest_rank(lags_ms, 0.50), nearest_rank(lags_ms, 0.99)
    return {"delivered": delivered, "failed": failed,
            "failure_rate": rate(failed, delivered + failed),
            "lag_ms_p50": None if p50 is None else round(p50, 1),
            "lag_ms_p99": None if p99 is None else round(p99, 1), "backlog": backlog}


def row(gateway: str, method: str, sums: dict[str, float], latency: dict[str, float],
         webhooks: dict[str, Any]) -> dict[str, Any]:
    """A window's row from its summed figures."""
    n = {name: int(sums.get(name, 0)) for name in (
        "created", "succeeded", "failed", "declined", "refunds", "challenges", "fraud_blocks")}
    attempts = n["succeeded"] + n["failed"]
    amount: dict[str, int] = {}
    refunded: dict[str, int] = {}
    spread: dict[str, dict[float, float]] = {}
    declines: dict[str, int] = {}
    for figure, value in sums.items():
        name, _, rest = figure.partition(":")
        if name == "amount":
            amount[rest] = int(value)
        elif name == "refunded":
            refunded[rest] = int(value)
        elif name == "decline":
            declines[rest] = int(value)
        elif name == "amounts":
            cur, _, at = rest.partition(":")
            spread.setdefault(cur, {})[float(at)] = value
    counts = [0.0] * (len(LATENCY_BUCKETS) + 1)
    for figure, value in latency.items():
        counts[min(int(figure.partition(":")[2]), len(LATENCY_BUCKETS))] += value
    quantiles = {f"p{round(q * 100)}": histogram_quantile(q, counts) for q in (0.5, 0.95, 0.99)}
    return {
        "gateway": gateway, "method": method, "volume": n["created"],
        "amount": dict(sorted(amount.items())),
        "succeeded": n["succeeded"], "failed": n["failed"],
        "success_rate": rate(n["succeeded"], attempts),
        "failure_rate": rate(n["failed"], attempts),
        "declines": dict(sorted(declines.items())),
        "decline_rate": rate(n["declined"], attempts),
        "refunds": n["refunds"], "refund_rate": rate(n["refunds"], n["succeeded"]),
        "refunded_amount": dict(sorted(refunded.items())),
        "average_amount": {cur: round(total / sum(spread[cur].values()), 2)
                           for cur, total in sorted(amount.items()) if spread.get(cur)},
        "median_amount": {cur: median(dist) for cur, dist in sorted(spread.items())},
        "latency_ms": {**{k: None if s is None else round(s * 1000, 2)
                          for k, s in quantiles.items()}, "count": int(sum(counts))},
        "webhooks": webhooks,
        "challenges": n["challenges"], "challenge_rate": rate(n["challenges"], n["created"]),
        "fraud_blocks": n["fraud_blocks"],
    }
