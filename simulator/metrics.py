"""Live figures for the dashboard and /_sim/metrics, kept in memory per second.

Fed by the domain's events (payments, refunds) and by the journal middleware (every
request's status, latency and injected effect). Only the last few minutes are kept, in
fixed-size buckets, so memory stays flat however long a load test runs.
"""

from __future__ import annotations

import random
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

WINDOW_SECONDS = 300
RESERVOIR = 256  # latencies kept per second for percentiles


@dataclass
class _Second:
    """Everything counted in one wall-clock second."""

    at: int
    requests: Counter = field(default_factory=Counter)   # (gateway, outcome) -> n
    payments: Counter = field(default_factory=Counter)   # (gateway, method, kind) -> n
    amounts: Counter = field(default_factory=Counter)    # (gateway, method) -> sum
    latencies: list[float] = field(default_factory=list)
    seen: int = 0


class Metrics:
    """Per-second counters over a sliding window, plus totals since start."""

    def __init__(self, clock: Any = time.time) -> None:
        self._clock = clock
        self._seconds: deque[_Second] = deque()
        self.totals: Counter = Counter()
        self._rng = random.Random(0)  # reservoir sampling only; not part of any scenario

    def _now(self) -> _Second:
        second = int(self._clock())
        if not self._seconds or self._seconds[-1].at != second:
            self._seconds.append(_Second(second))
            while self._seconds and self._seconds[0].at <= second - WINDOW_SECONDS:
                self._seconds.popleft()
        return self._seconds[-1]

    # -- inputs ---------------------------------------------------------------------------
    def request(self, gateway: str, status: int, latency_ms: float, effect: str | None) -> None:
        """One request a gateway answered (or did not: status 0)."""
        bucket = self._now()
        outcome = "ok" if 200 <= status < 400 else ("client_error" if 400 <= status < 500
                                                    else "server_error")
        bucket.requests[(gateway, outcome)] += 1
        if effect:
            bucket.requests[(gateway, "injected")] += 1
            self.totals[("injected", gateway)] += 1
        self.totals[("requests", gateway, outcome)] += 1
        bucket.seen += 1
        if len(bucket.latencies) < RESERVOIR:
            bucket.latencies.append(latency_ms)
        else:
            slot = self._rng.randrange(bucket.seen)
            if slot < RESERVOIR:
                bucket.latencies[slot] = latency_ms

    def event(self, tenant: str, event: dict[str, Any]) -> None:
        """A domain event (subscribed to the event stream)."""
        kind = {"payment_intent.created": "created", "payment_intent.succeeded": "succeeded",
                "payment_intent.payment_failed": "failed", "refund.created": "refunded",
                "payment_intent.canceled": "canceled"}.get(event["type"])
        if kind is None:
            return
        obj = event["object"]
        method = (obj.get("payment_method_types") or ["card"])[0]
        key = (event["gateway"], method)
        bucket = self._now()
        bucket.payments[(*key, kind)] += 1
        self.totals[("payments", *key, kind)] += 1
        if kind == "succeeded":
            bucket.amounts[key] += obj.get("amount_received") or obj.get("amount") or 0

    # -- outputs --------------------------------------------------------------------------
    def snapshot(self, seconds: int = 60) -> dict[str, Any]:
        """KPIs over the last `seconds`, and per-second series for charts."""
        self._now()
        horizon = int(self._clock()) - seconds
        recent = [s for s in self._seconds if s.at > horizon]
        requests: Counter = Counter()
        payments: Counter = Counter()
        amounts: Counter = Counter()
        latencies: list[float] = []
        for s in recent:
            requests.update(s.requests)
            payments.update(s.payments)
            amounts.update(s.amounts)
            latencies.extend(s.latencies)
        latencies.sort()
        series = {s.at: s for s in recent}
        timeline = [{"t": t,
                     "requests": sum(v for (_, o), v in series[t].requests.items()
                                     if o != "injected") if t in series else 0,
                     "errors": sum(v for (_, o), v in series[t].requests.items()
                                   if o in ("server_error",)) if t in series else 0,
                     "injected": sum(v for (_, o), v in series[t].requests.items()
                                     if o == "injected") if t in series else 0}
                    for t in range(horizon + 1, horizon + seconds + 1)]
        return {
            "window_seconds": seconds,
            "requests": {f"{g}:{o}": n for (g, o), n in sorted(requests.items())},
            "latency_ms": {"p50": _pct(latencies, 0.50), "p99": _pct(latencies, 0.99)},
            "methods": _methods(payments, amounts),
            "timeline": timeline,
        }

    def prometheus(self) -> str:
        """Totals since start in Prometheus text format."""
        lines = ["# HELP paylab_requests_total Gateway requests by outcome.",
                 "# TYPE paylab_requests_total counter"]
        for key, n in sorted(self.totals.items()):
            if key[0] == "requests":
                lines.append(f'paylab_requests_total{{gateway="{key[1]}",outcome="{key[2]}"}} {n}')
        lines += ["# HELP paylab_injected_total Requests a scenario effect touched.",
                  "# TYPE paylab_injected_total counter"]
        for key, n in sorted(self.totals.items()):
            if key[0] == "injected":
                lines.append(f'paylab_injected_total{{gateway="{key[1]}"}} {n}')
        lines += ["# HELP paylab_payments_total Payment lifecycle events.",
                  "# TYPE paylab_payments_total counter"]
        for key, n in sorted(self.totals.items()):
            if key[0] == "payments":
                lines.append(f'paylab_payments_total{{gateway="{key[1]}",method="{key[2]}",'
                             f'event="{key[3]}"}} {n}')
        return "\n".join(lines) + "\n"


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    return round(values[min(len(values) - 1, int(len(values) * q))], 2)


def _methods(payments: Counter, amounts: Counter) -> list[dict[str, Any]]:
    keys = sorted({(g, m) for g, m, _ in payments})
    out = []
    for gateway, method in keys:
        count = {k: payments[(gateway, method, k)] for k in
                 ("created", "succeeded", "failed", "refunded", "canceled")}
        attempts = count["succeeded"] + count["failed"]
        out.append({
            "gateway": gateway, "method": method, **count,
            "success_rate": round(count["succeeded"] / attempts, 4) if attempts else None,
            "refund_rate": round(count["refunded"] / count["succeeded"], 4)
            if count["succeeded"] else None,
            "average_amount": round(amounts[(gateway, method)] / count["succeeded"])
            if count["succeeded"] else None,
        })
    return out
