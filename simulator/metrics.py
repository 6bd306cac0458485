"""Live figures for the dashboard and /_sim/metrics.

Fed by the domain's events (payments, orders, refunds) and by the journal middleware
(every request's status, latency and injected effect). Everything is kept in the database,
so every worker process sharing it adds to and serves the same figures: the dashboard's
per-second figures (`metric_seconds`, the last five minutes only, so the file stays flat
however long a load test runs; latency percentiles from fine log buckets, within 12 %),
the request counters (`metric_totals`) and the latency histograms of /_sim/metrics (one
row per gateway, method, route template and bucket), which survive a restart and a reset
as Prometheus counters should. Observations of one event-loop tick are summed in memory
and written together right after it.
The payment figures of /_sim/metrics (per gateway and payment method) are counted from the
stored payments and orders at scrape time (core/kpis.py), never in process memory.
"""

from __future__ import annotations

import asyncio
import bisect
import logging
import math
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from paylab.simulator.alerts.requests import call_figures  # issue16: C
from paylab.simulator.core import vocabulary as v
from paylab.simulator.core.errors import StorageUnavailable
from paylab.simulator.core.kpi_windows import LATENCY_UPSERT, latency_figure, virtual_now
from paylab.simulator.core.kpis import UNSELECTED
from paylab.simulator.core.store import Store
from paylab.simulator.kpi_metrics import kpi_lines
from paylab.simulator.payment_figures import PaymentFigures

log = logging.getLogger("paylab.metrics")

#: Core event kinds counted as payment lifecycle outcomes, and their metric label.
_PAYMENT_EVENTS = {v.PAYMENT_CREATED: "created", v.PAYMENT_SUCCEEDED: "succeeded",
                   v.PAYMENT_FAILED: "failed", v.REFUND_CREATED: "refunded",
                   v.PAYMENT_CANCELED: "canceled",
                   # the orders of the form-post gateways (ECPay, NewebPay), in the same terms
                   "order.created": "created", "order.paid": "succeeded",
                   "order.captured": "succeeded", "order.failed": "failed",
                   "order.refunded": "refunded", "order.voided": "canceled"}

WINDOW_SECONDS = 300
#: Dashboard latency buckets per tenfold (bucket k holds latencies up to 10**(k/20) ms).
_LAT_STEPS = 20
#: Upper bounds (seconds) of the latency histogram's buckets: Prometheus' defaults with
#: 1 ms below (most simulator answers) and 30 s above (injected hangs). Fixed, so every
#: process and every scrape agree on them.
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
           30.0)
HISTOGRAM = "paylab_request_duration_seconds"
_OBSERVE = (
    "INSERT INTO latency_buckets (gateway, method, route, bucket, count, sum_ms) "
    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (gateway, method, route, bucket) "
    "DO UPDATE SET count = count + excluded.count, sum_ms = sum_ms + excluded.sum_ms"
)

_SECOND = ("INSERT INTO metric_seconds (second, series, value) VALUES (?, ?, ?) "
           "ON CONFLICT (second, series) DO UPDATE SET value = value + excluded.value")
_TOTAL = ("INSERT INTO metric_totals (series, value) VALUES (?, ?) "
          "ON CONFLICT (series) DO UPDATE SET value = value + excluded.value")


class Metrics:
    """Per-second figures over a sliding window, totals and histograms, in the store."""

    def __init__(self, clock: Any = time.time, store: Store | None = None,
                 virtual: Callable[[], float] | None = None) -> None:
        """`store`: where the latency histograms are kept (none: no histograms);
        `virtual`: the domain's virtual clock, which files latencies into the KPI windows
        (none: the wall clock plus the store's persisted clock offset)."""
        self._clock = clock
        self.store = store
        self._virtual = virtual
        self._mapping: tuple[float, float] | None = None  # (wall, virtual) when last read
        self._pending: dict[tuple[str, str, str, int], tuple[int, float]] = {}
        self._kpi_pending: Counter = Counter()  # (tenant, gateway, second, figure) -> n
        self._flush_handle: asyncio.Handle | None = None
        # the dashboard's figures and the counters (without a store: a private one)
        self._db = store if store is not None else Store(":memory:")
        self._dash: Counter = Counter()  # (wall second, series) -> value
        self._totals: Counter = Counter()  # series -> n
        self._pruned = 0
        self.payment_figures = PaymentFigures(self._clock)

    @property
    def totals(self) -> Counter:
        """Request counters of every process, as (kind, gateway[, outcome]) -> n."""
        self.flush()
        return Counter({tuple(series.split("\t")): n for series, n in
                        self._db.all("SELECT series, value FROM metric_totals")})

    def _schedule(self) -> None:
        if self._flush_handle is None:
            try:
                self._flush_handle = asyncio.get_running_loop().call_soon(self.flush)
            except RuntimeError:
                self.flush()  # no event loop (tools, unit tests): write now

    # -- inputs ---------------------------------------------------------------------------
    def request(self, gateway: str, status: int, latency_ms: float, effect: str | None, *,
                method: str = "", route: str = "", tenant: str | None = None) -> None:
        """One request a gateway answered (or did not: status 0); `route` is the route
        template (`/v1/payment_intents/{intent}`), so ids do not multiply the series;
        `tenant`: whose request it was, for the KPI windows (None: unknown)."""
        if self.store is not None:
            # issue16: C - the call (and whether it failed outright) beside its latency, in
            # the KPI figures the alert rules judge outages by (alerts.requests)
            second = (tenant or "", gateway, int(self._virtual_now()))
            self._kpi_pending[(*second, latency_figure(latency_ms))] += 1
            for figure in call_figures(status):
                self._kpi_pending[(*second, figure)] += 1
            self._observe(gateway, method, route, latency_ms)
        second = int(self._clock())
        outcome = "ok" if 200 <= status < 400 else ("client_error" if 400 <= status < 500
                                                    else "server_error")
        dash, totals = self._dash, self._totals
        dash[(second, f"req\t{gateway}\t{outcome}")] += 1
        if effect:
            dash[(second, f"req\t{gateway}\tinjected")] += 1
            totals[f"injected\t{gateway}"] += 1
        totals[f"requests\t{gateway}\t{outcome}"] += 1
        dash[(second, f"lat\t{_latency_bucket(latency_ms)}")] += 1
        self._schedule()

    def _observe(self, gateway: str, method: str, route: str, latency_ms: float) -> None:
        """Count one latency in its histogram bucket. Observations of one event-loop tick
        are summed here and written together right after it (one upsert per bucket
        touched, not one per request: a request costs a dict update)."""
        key = (gateway, method, route, bisect.bisect_left(BUCKETS, latency_ms / 1000))
        count, total = self._pending.get(key, (0, 0.0))
        self._pending[key] = (count + 1, total + latency_ms)
        self._schedule()

    def _virtual_now(self) -> float:
        """Now by the virtual clock: the one given, else by the clock mapping the domain
        notes in the store (read again after every flush)."""
        if self._virtual is not None:
            return self._virtual()
        wall = self._clock()
        if self._mapping is None and self.store is not None:
            self._mapping = (wall, virtual_now(self.store, wall))
        at, virtual = self._mapping or (wall, wall)
        return virtual + (wall - at)

    def flush(self) -> None:
        """Write the pending observations into the store's current batch."""
        self._flush_handle = None
        pending, self._pending = self._pending, {}
        seconds, self._kpi_pending = self._kpi_pending, Counter()
        dash, self._dash = self._dash, Counter()
        totals, self._totals = self._totals, Counter()
        self._mapping = None  # the clock may have been advanced since
        try:
            if dash or totals:
                self._flush_dashboard(dash, totals)
            if not (pending or seconds) or self.store is None:
                return
            if pending:
                self.store.write_many(_OBSERVE, [(*key, count, total)
                                                 for key, (count, total) in pending.items()])
            if seconds:
                self.store.write_many(LATENCY_UPSERT, [(*key, n) for key, n in seconds.items()])
        except StorageUnavailable as exc:
            # the answers have been decided; a full disk loses observations, not answers
            log.warning("%d latencies not recorded: %s", len(pending), exc)

    def _flush_dashboard(self, dash: Counter, totals: Counter) -> None:
        """issue16: S - the dashboard's seconds and the counters, summed in the store;
        seconds older than the window are dropped once a second."""
        if dash:
            self._db.write_many(_SECOND, [(*key, value) for key, value in dash.items()])
        if totals:
            self._db.write_many(_TOTAL, list(totals.items()))
        now = int(self._clock())
        if now != self._pruned:
            self._pruned = now
            self._db.write("DELETE FROM metric_seconds WHERE second <= ?",
                           (now - WINDOW_SECONDS,))

    def event(self, tenant: str, event: dict[str, Any]) -> None:
        """A domain event (subscribed to the event stream)."""
        kind = _PAYMENT_EVENTS.get(event["type"])
        if kind is None:
            return
        obj = event["object"]
        if event.get("object_kind") == "order":
            offered = obj.get("methods") or []
            method = obj.get("method") or (offered[0] if len(offered) == 1 else UNSELECTED)
        else:
            method = (obj.get("payment_method_types") or ["card"])[0]
        second, gateway = int(self._clock()), event["gateway"]
        self._dash[(second, f"pay\t{gateway}\t{method}\t{kind}")] += 1
        if kind == "succeeded":
            self._dash[(second, f"amt\t{gateway}\t{method}")] += (
                obj.get("amount_received") or obj.get("captured_amount") or obj.get("amount")
                or 0)
        self._schedule()

    # -- outputs --------------------------------------------------------------------------
    def snapshot(self, seconds: int = 60) -> dict[str, Any]:
        """KPIs over the last `seconds`, and per-second series for charts."""
        self.flush()
        horizon = int(self._clock()) - seconds
        requests: Counter = Counter()
        payments: Counter = Counter()
        amounts: Counter = Counter()
        latencies: Counter = Counter()
        per_second: dict[int, Counter] = {}
        for at, series, value in self._db.all(
                "SELECT second, series, value FROM metric_seconds WHERE second > ?",
                (horizon,)):
            kind, *labels = series.split("\t")
            if kind == "req":
                requests[tuple(labels)] += int(value)
                per_second.setdefault(at, Counter())[labels[1]] += int(value)
            elif kind == "pay":
                payments[tuple(labels)] += int(value)
            elif kind == "amt":
                amounts[tuple(labels)] += value
            elif kind == "lat":
                latencies[int(labels[0])] += int(value)
        timeline = []
        for t in range(horizon + 1, horizon + seconds + 1):
            counts = per_second.get(t, Counter())
            timeline.append({"t": t,
                             "requests": sum(n for o, n in counts.items() if o != "injected"),
                             "errors": counts["server_error"], "injected": counts["injected"]})
        return {
            "window_seconds": seconds,
            "requests": {f"{g}:{o}": n for (g, o), n in sorted(requests.items())},
            "latency_ms": {"p50": _pct(latencies, 0.50), "p99": _pct(latencies, 0.99)},
            "methods": _methods(payments, amounts),
            "timeline": timeline,
        }

    def prometheus(self, figures: list[dict[str, Any]] | None = None) -> str:
        """Request totals since start, the payment figures of the store (`figures`, else
        counted now) and the latency histograms, in Prometheus text format."""
        lines = ["# HELP paylab_requests_total Gateway requests by outcome (every worker, "
                 "since the database was created).",
                 "# TYPE paylab_requests_total counter"]
        totals = self.totals
        for key, n in sorted(totals.items()):
            if key[0] == "requests":
                lines.append(f'paylab_requests_total{{gateway="{key[1]}",outcome="{key[2]}"}} {n}')
        lines += ["# HELP paylab_injected_total Requests a scenario effect touched.",
                  "# TYPE paylab_injected_total counter"]
        for key, n in sorted(totals.items()):
            if key[0] == "injected":
                lines.append(f'paylab_injected_total{{gateway="{key[1]}"}} {n}')
        kpis = kpi_lines(self.store) if self.store is not None else []
        payments = self._payments() if figures is None else payment_lines(figures)
        return "\n".join(lines + payments + self._histograms() + kpis) + "\n"

    def _payments(self) -> list[str]:
        """Payments and orders per gateway and method, counted in the store."""
        if self.store is None:
            return []
        return payment_lines(self.figures(self.store)[1])

    async def figures_apart(self, store: Store) -> tuple[float, list[dict[str, Any]]]:
        """The payment figures, counted off the event loop (see simulator.payment_figures)."""
        return await self.payment_figures.apart(store)

    def figures(self, store: Store) -> tuple[float, list[dict[str, Any]]]:
        """The payment figures, counted on this thread (see simulator.payment_figures)."""
        return self.payment_figures.now(store)

    def _histograms(self) -> list[str]:
        """The latency histograms in Prometheus text (cumulative buckets, sum, count)."""
        if self.store is None:
            return []
        self.flush()  # this tick's observations too
        lines = [f"# HELP {HISTOGRAM} Time from a gateway request's arrival to its answer "
                 "(injected latency included), by gateway, method and route.",
                 f"# TYPE {HISTOGRAM} histogram"]
        rows = self.store.all("SELECT gateway, method, route, bucket, count, sum_ms "
                              "FROM latency_buckets ORDER BY gateway, method, route")
        series: dict[tuple[str, str, str], tuple[list[int], float]] = {}
        for gateway, method, route, index, count, sum_ms in rows:
            counts, total = series.get((gateway, method, route), ([0] * (len(BUCKETS) + 1), 0.0))
            counts[min(index, len(BUCKETS))] += count
            series[(gateway, method, route)] = (counts, total + sum_ms)
        for (gateway, method, route), (counts, sum_ms) in series.items():
            labels = (f'gateway="{_label(gateway)}",method="{_label(method)}",'
                      f'route="{_label(route)}"')
            running = 0
            for bound, count in zip((*(f"{b:g}" for b in BUCKETS), "+Inf"), counts,
                                    strict=True):
                running += count
                lines.append(f'{HISTOGRAM}_bucket{{{labels},le="{bound}"}} {running}')
            lines.append(f"{HISTOGRAM}_sum{{{labels}}} {sum_ms / 1000:.6f}")
            lines.append(f"{HISTOGRAM}_count{{{labels}}} {running}")
        return lines


#: paylab_payments_total's `outcome` label -> the kpis row field it counts.
OUTCOMES = {"created": "volume", "paid": "paid", "authorized": "authorized", "open": "open",
            "code_pending": "pending_codes", "failed": "failed", "declined": "declines",
            "expired": "expired", "canceled": "canceled", "refunded": "refunds"}


def payment_lines(rows: list[dict[str, Any]]) -> list[str]:
    """Prometheus text for kpis rows: payments by outcome, amounts paid and refunded."""
    lines = ["# HELP paylab_payments_total Stored payments and orders per gateway and payment "
             "method: created (all), by current state (paid, authorized, open, code_pending, "
             "failed, expired, canceled), declined attempts and refunds. From the store at "
             "scrape time, so a reset lowers them (a counter reset).",
             "# TYPE paylab_payments_total counter"]
    amounts = ["# HELP paylab_payment_amount_total Amounts paid and refunded per gateway, "
               "method and currency, in the gateway's units (decimals: the currency's "
               "minor-unit digits as stored).",
               "# TYPE paylab_payment_amount_total counter"]
    counts: dict[tuple[str, str], Counter] = {}
    for row in rows:  # one series per gateway and method, whatever the currencies
        counts.setdefault((row["gateway"], row["method"]), Counter()).update(
            {outcome: row[name] for outcome, name in OUTCOMES.items()})
    for (gateway, method), by_outcome in counts.items():
        labels = f'gateway="{_label(gateway)}",method="{_label(method)}"'
        lines += [f'paylab_payments_total{{{labels},outcome="{outcome}"}} {by_outcome[outcome]}'
                  for outcome in OUTCOMES]
    for row in rows:
        labels = f'gateway="{_label(row["gateway"])}",method="{_label(row["method"])}"'
        money = f'{labels},currency="{_label(row["currency"])}",decimals="{row["decimals"]}"'
        amounts.append(f'paylab_payment_amount_total{{{money},kind="paid"}} {row["amount"]}')
        amounts.append(f'paylab_payment_amount_total{{{money},kind="refunded"}} '
                       f'{row["refunded_amount"]}')
    return lines + amounts


def _label(value: str) -> str:
    """A Prometheus label value: backslash, quote and newline escaped."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _latency_bucket(latency_ms: float) -> int:
    """The dashboard bucket of a latency: k such that it is at most 10**(k/20) ms."""
    if latency_ms <= 0.01:
        return -2 * _LAT_STEPS
    return math.ceil(round(_LAT_STEPS * math.log10(latency_ms), 9))


def _pct(buckets: Counter, q: float) -> float | None:
    """The q-quantile of bucketed latencies (the element of rank n*q, as the bucket's
    upper bound: within 12 % above the value)."""
    total = sum(buckets.values())
    if not total:
        return None
    rank, running = min(total - 1, int(total * q)), 0
    for bucket in sorted(buckets):
        running += buckets[bucket]
        if running > rank:
            return round(10 ** (bucket / _LAT_STEPS), 2)
    return None  # not reached: the ranks stop at total - 1


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
