"""Payment figures over sliding windows of the virtual clock (last minute, 15 minutes,
hour, the whole run), per tenant, gateway and payment method, kept in the store.

A listener on the domain's events adds to per-second aggregates (table `kpi_seconds`)
inside the emitting transaction: payments created, gone through (paid or authorised:
a later capture is not counted again), failed (by neutral reason: the decline code, else
the failure code), declined (failures that carry a decline code), refunds (count and
amount per currency), 3-D Secure challenges, fraud blocks, and the amounts of the
payments that went through (sum per currency, and a distribution for the median: each
amount kept to 3 significant digits, so a median is exact to 0.5 %). The request latency
histograms (the buckets of /_sim/metrics) are added per second by the metrics recorder
(`LATENCY_UPSERT`), per gateway (method ''), under the request's tenant ('' unknown), with
the calls and those that failed outright (`CALLS`, `CALLS_FAILED`: a server error or no
answer, which no payment event records; `failure_rate` alert rules judge a gateway by them).
Webhook figures are read from the outbox's tables when asked (attempts by the virtual time
they ended; lag = end of the delivering attempt minus the delivery's creation, in
virtual seconds: how the wall clock maps to the virtual one is kept in `kpi_clock`).

Nothing is counted in process memory: every process sharing the database sees the same
figures. A window of `s` seconds holds what happened in the `s` seconds up to now,
(now - s, now]; `run` holds everything since the store was created or reset. Seconds
older than the longest window fold into one row per hour (`compact`), which only `run`
still sums, so the table stays small however long a store lives.
"""

from __future__ import annotations

import functools
import time
from typing import Any

from paylab.simulator.core import vocabulary as v
from paylab.simulator.core.clock import Clock
from paylab.simulator.core.kpi_figures import (
    LATENCY_BUCKETS,
    failure,
    histogram_quantile,
    latency_figure,
    median,
    nearest_rank,
    rate,
    row,
    significant,
    webhook_figures,
)
from paylab.simulator.core.kpis import UNSELECTED
from paylab.simulator.core.objects import Objects
from paylab.simulator.core.store import Store

__all__ = ["ALL_METHODS", "CALLS", "CALLS_FAILED", "LATENCY_BUCKETS", "LATENCY_UPSERT",
           "WINDOWS", "KpiWindows", "backlogs", "call_counts", "histogram_quantile",
           "latency_figure", "median", "nearest_rank", "rate", "run_totals", "significant",
           "webhook_attempts"]

#: The windows, in seconds of virtual time (None: the whole run).
WINDOWS: dict[str, int | None] = {"1m": 60, "15m": 900, "1h": 3600, "run": None}
#: The virtual time of a wall time `wall` (SQL), by the mapping noted last at or before
#: `at`, else the wall time itself.
_VIRTUAL = ("COALESCE((SELECT k.virtual + ({wall} - k.wall) * k.scale FROM kpi_clock k "
            "WHERE k.wall <= {at} ORDER BY k.wall DESC LIMIT 1), {wall})")
#: A snapshot that took this long (s) is reused for REUSE times as long (same second).
SLOW_SECONDS = 0.05
REUSE = 10
#: Seconds kept one by one: the longest finite window, and the series' extra minute.
KEEP_SECONDS = max(s for s in WINDOWS.values() if s is not None) + 60
_FOLD = (
    "INSERT INTO kpi_seconds (tenant, gateway, method, second, figure, value) "
    "SELECT tenant, gateway, method, second / 3600 * 3600, figure, SUM(value) "
    "FROM kpi_seconds WHERE second < ? AND second % 3600 != 0 GROUP BY 1, 2, 3, 4, 5 "
    "ON CONFLICT (tenant, gateway, method, second, figure) "
    "DO UPDATE SET value = value + excluded.value"
)
#: Before any second (the `run` window's lower bound).
_EVER = -1e300
#: A gateway's row when it had requests or webhooks but no payment in the window.
ALL_METHODS = "*"
_UPSERT = (
    "INSERT INTO kpi_seconds (tenant, gateway, method, second, figure, value) "
    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (tenant, gateway, method, second, figure) "
    "DO UPDATE SET value = value + excluded.value"
)


@functools.lru_cache(maxsize=16)
def _upsert_rows(count: int) -> str:
    """`_UPSERT` over `count` rows in one statement (a figure named twice adds up, as
    each row is upserted in turn)."""
    return _UPSERT.replace("(?, ?, ?, ?, ?, ?)", ", ".join(["(?, ?, ?, ?, ?, ?)"] * count))


#: One latency observation batch: (tenant, gateway, second, "latency:<bucket>", count).
LATENCY_UPSERT = _UPSERT.replace("(?, ?, ?, ?, ?, ?)", "(?, ?, '', ?, ?, ?)")
#: The figures (method '') of every gateway call, and of those that failed outright.
CALLS, CALLS_FAILED = "calls", "calls_failed"
_CREATED = {v.PAYMENT_CREATED, "order.created"}
_THROUGH = {v.PAYMENT_SUCCEEDED, v.PAYMENT_AUTHORIZED, "order.paid", "order.authorized"}
_FAILED = {v.PAYMENT_FAILED, "order.failed"}
_CHALLENGES = {v.PAYMENT_NEEDS_ACTION, "order.needs_action"}


class KpiWindows:
    """Write the per-second aggregates as events happen; read them over windows."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self._objects = Objects(store)  # documents read as stored, whatever their form
        self.clock = clock
        self._compacted = -1  # the minute (of an event) this process last compacted in
        self._reuse: dict[tuple[Any, ...], tuple[float, dict[str, Any]]] = {}
        self._note_clock()
        clock.subscribe(self._note_clock)

    # -- writing -----------------------------------------------------------------------
    def _note_clock(self) -> None:
        """Remember how the wall clock maps to the virtual one from now on (for what is
        stamped by the wall clock: webhook attempts, request latencies)."""
        self.store.write("INSERT OR REPLACE INTO kpi_clock (wall, virtual, scale) "
                         "VALUES (?, ?, ?)",
                         (self.clock.wall(), self.clock.now(), self.clock.time_scale))

    def reset(self, tenant: str | None = None) -> None:
        """Forget the figures (all, or one tenant's), as the store's reset does its state."""
        if tenant is None:
            self.store.write("DELETE FROM kpi_seconds")
            self.store.write("DELETE FROM kpi_clock")
            self._note_clock()
        else:
            self.store.write("DELETE FROM kpi_seconds WHERE tenant = ?", (tenant,))

    def on_event(self, tenant: str, event: dict[str, Any]) -> None:
        """Add a domain event's figures (subscribed to the event stream; runs inside the
        emitting transaction)."""
        figures = self._figures(tenant, event)
        if not figures:
            return
        method, adds = figures
        second = int(event["created"])
        # issue16: C2 - one statement for all of the event's figures (atomic by itself: no
        # savepoint, no executemany loop)
        gateway = event["gateway"]
        self.store.write(_upsert_rows(len(adds)),
                         [x for name, n in adds for x in (tenant, gateway, method, second,
                                                          name, n)])
        if second // 60 != self._compacted:
            self._compacted = second // 60
            self.compact(second)

    def compact(self, now: float) -> None:
        """Fold the seconds older than the longest window (and a minute) into one row per
        hour: only `run` still sums them, and it sums the same. Keeps the table at an
        hour of seconds plus a row per hour, however long the store lives."""
        before = now - KEEP_SECONDS
        with self.store.atomic() as conn:
            conn.execute(_FOLD, (before,))
            conn.execute("DELETE FROM kpi_seconds WHERE second < ? AND second % 3600 != 0",
                         (before,))

    def _figures(self, tenant: str, event: dict[str, Any]
                 ) -> tuple[str, list[tuple[str, float]]] | None:
        kind, obj = event["type"], event["object"]
        previous = (event.get("previous_attributes") or {}).get("status")
        if kind in _CREATED:
            return self._method(tenant, event), [("created", 1)]
        if kind in _THROUGH:
            if previous == v.AUTHORIZED:  # a capture: counted when it was authorised
                return None
            cur, amount = obj.get("currency"), int(obj.get("amount") or 0)
            return self._method(tenant, event), [("succeeded", 1)] + ([
                (f"amount:{cur}", amount), (f"amounts:{cur}:{significant(amount)}", 1)]
                if cur else [])
        if kind in _FAILED:
            return self._method(tenant, event), failure(obj)
        if kind in _CHALLENGES:
            return self._method(tenant, event), [("challenges", 1)]
        if kind == v.REFUND_CREATED:
            return (self._payment_method(tenant, obj.get("payment")),
                    _refund(obj.get("currency"), int(obj.get("amount") or 0)))
        if kind == "order.refunded":
            before = (event.get("previous_attributes") or {}).get("refunded_amount") or 0
            return self._method(tenant, event), _refund(
                obj.get("currency"), int(obj.get("refunded_amount") or 0) - int(before))
        if kind == v.CHARGE_FAILED and (obj.get("outcome") or {}).get("type") == "blocked":
            return self._payment_method(tenant, obj.get("payment")), [("fraud_blocks", 1)]
        return None

    def _method(self, tenant: str, event: dict[str, Any]) -> str:
        """The payment method of an event's payment or order (as core/kpis.py counts it)."""
        obj = event["object"]
        if event.get("object_kind") == v.PAYMENT:
            return (obj.get("payment_method_types") or ["card"])[0]
        offered = obj.get("methods") or []
        return obj.get("method") or (offered[0] if len(offered) == 1 else UNSELECTED)

    def _payment_method(self, tenant: str, payment: str | None) -> str:
        doc = self._objects.find(tenant, v.PAYMENT, payment) if payment else None
        return ((doc or {}).get("payment_method_types") or ["card"])[0]

    # -- reading -----------------------------------------------------------------------
    def rows(self, tenant: str | None, seconds: float | None, *, gateway: str | None = None,
             method: str | None = None) -> list[dict[str, Any]]:
        """One row per (gateway, method) with figures in the last `seconds` of virtual time
        (None: the whole run), sorted; of one tenant, or of all (None). A gateway with
        requests or webhooks but no payment in the window has one row, method `*`."""
        return self.windows(tenant, [seconds], gateway=gateway, method=method)[0]

    def windows(self, tenant: str | None, windows: list[float | None], *,
                gateway: str | None = None, method: str | None = None
                ) -> list[list[dict[str, Any]]]:
        """`rows` of several windows at once (one scan of the figures and attempts)."""
        now = self.clock.now()
        sinces = [_EVER if s is None else now - s for s in windows]
        where, args = _scope(tenant, gateway, min(sinces, default=_EVER))
        sums: list[dict[tuple[str, str], dict[str, float]]] = [{} for _ in sinces]
        columns = ", ".join("SUM(CASE WHEN second > ? THEN value ELSE 0 END)" for _ in sinces)
        for g, m, figure, *values in self.store.all(
                f"SELECT gateway, method, figure, {columns} FROM kpi_seconds "  # noqa: S608
                f"WHERE {where} GROUP BY 1, 2, 3", (*sinces, *args)):
            for window, value in zip(sums, values, strict=True):
                if value:
                    window.setdefault((g, m), {})[figure] = value
        attempts = webhook_attempts(self.store, tenant, gateway, min(sinces, default=_EVER))
        queued = {g: n for g, n in backlogs(self.store, tenant).items()
                  if gateway is None or g == gateway}
        return [self._rows(window, _webhooks([a for a in attempts if a[3] > since], queued),
                           method) for window, since in zip(sums, sinces, strict=True)]

    @staticmethod
    def _rows(sums: dict[tuple[str, str], dict[str, float]], hooks: dict[str, dict[str, Any]],
              method: str | None) -> list[dict[str, Any]]:
        latency = {g: {f: n for f, n in figures.items() if f.startswith("latency:")}
                   for (g, m), figures in sums.items() if m == ""}
        keys = {key for key in sums if key[1] != ""}
        for g in set(latency) | set(hooks):
            if not any(key[0] == g for key in keys):
                keys.add((g, ALL_METHODS))
        return [row(g, m, sums.get((g, m), {}), latency.get(g, {}),
                    hooks.get(g) or webhook_figures([], 0, 0, 0))
                for g, m in sorted(keys) if method is None or m == method]

    def snapshot(self, tenant: str | None, minutes: int = 60) -> dict[str, Any]:
        """`kpis` of /_sim/stats: every window's rows, the per-minute series, and the
        virtual time they were counted at (`at`). Counted afresh unless counting took
        SLOW_SECONDS or more (a store grown by a long load test): then the count is
        reused within the same virtual second for REUSE times as long as it took, so a
        dashboard polling it cannot hog the event loop."""
        at = self.clock.now()
        key = (tenant, minutes, int(at))
        reused = self._reuse.get(key)
        if reused is not None and time.monotonic() < reused[0]:
            return reused[1]
        started = time.monotonic()
        rows = self.windows(tenant, list(WINDOWS.values()))
        out = {"windows": dict(zip(WINDOWS, rows, strict=True)),
               "series": self.series(tenant, minutes), "at": round(at, 3)}
        cost = time.monotonic() - started
        self._reuse = {key: (time.monotonic() + cost * REUSE, out)} if (
            cost >= SLOW_SECONDS) else {}
        return out

    def series(self, tenant: str | None, minutes: int = 60) -> list[dict[str, Any]]:
        """Per minute (virtual) of the last `minutes` whole minutes, the current one
        included, per (gateway, method): the minutes that had payments only, oldest first."""
        first = (int(self.clock.now()) // 60 - minutes + 1) * 60
        where, args = _scope(tenant, None, first - 1)
        points: dict[tuple[int, str, str], dict[str, Any]] = {}
        for minute, g, m, figure, value in self.store.all(
                "SELECT second / 60 * 60, gateway, method, figure, SUM(value) "  # noqa: S608
                f"FROM kpi_seconds WHERE {where} AND method != '' AND (figure IN "
                "('created', 'succeeded', 'failed', 'refunds') OR figure LIKE 'amount:%') "
                "GROUP BY 1, 2, 3, 4", args):
            point = points.setdefault((minute, g, m), {
                "minute": minute, "gateway": g, "method": m, "volume": 0, "succeeded": 0,
                "failed": 0, "refunds": 0, "amount": {}})
            name = "volume" if figure == "created" else figure
            if name.startswith("amount:"):
                point["amount"][name[7:]] = int(value)
            else:
                point[name] = int(value)
        return [points[k] for k in sorted(points)]

    def webhook_backlog(self, tenant: str | None, gateway: str | None = None) -> int:
        """Deliveries not settled yet (pending or in flight), of a tenant and gateway."""
        where, args = ["status IN ('pending', 'in_flight')"], []
        for column, value in (("tenant", tenant), ("gateway", gateway)):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        row = self.store.one("SELECT COUNT(*) FROM deliveries "  # noqa: S608
                             f"WHERE {' AND '.join(where)}", tuple(args))
        return int(row[0]) if row else 0


def backlogs(store: Store, tenant: str | None = None) -> dict[str, int]:
    """Unsettled deliveries (pending or in flight) per gateway, of a tenant or all."""
    scope, args = ("AND tenant = ?", (tenant,)) if tenant else ("", ())
    return {g: int(n) for g, n in store.all(
        "SELECT gateway, COUNT(*) FROM deliveries WHERE status IN "  # noqa: S608
        f"('pending', 'in_flight') {scope} GROUP BY 1 ORDER BY 1", args)}


def webhook_attempts(store: Store, tenant: str | None = None, gateway: str | None = None,
                     since: float | None = None
                     ) -> list[tuple[str, str, float | None, float]]:
    """Every webhook attempt that ended after `since` (virtual; None: any): (gateway,
    outcome delivered|failed, lag in virtual seconds for the delivering attempt, else
    None, when it ended). An attempt ends at its wall start plus its duration, mapped to
    the virtual clock as it ran then (`kpi_clock`); the lag runs from the delivery's
    creation."""
    where, args = [], []
    for column, value in (("d.tenant", tenant), ("d.gateway", gateway)):
        if value is not None:
            where.append(f"{column} = ?")
            args.append(value)
    rows = store.all(
        "SELECT d.gateway, d.status = 'delivered' AND a.n = d.attempts, d.created, "  # noqa: S608
        f"{_VIRTUAL.format(wall='a.started + a.duration_ms / 1000.0', at='a.started')} "
        "FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id "
        + (f"WHERE {' AND '.join(where)}" if where else ""), tuple(args))
    return [(g, "delivered" if ok else "failed", max(0.0, ended - created) if ok else None,
             ended) for g, ok, created, ended in rows if since is None or ended > since]


def _webhooks(attempts: list[tuple[str, str, float | None, float]], queued: dict[str, int]
              ) -> dict[str, dict[str, Any]]:
    """Webhook figures per gateway: of the attempts given, and the backlog."""
    by_gateway: dict[str, list[tuple[str, float | None]]] = {}
    for g, outcome, lag, _ in attempts:
        by_gateway.setdefault(g, []).append((outcome, lag))
    out = {}
    for g in set(by_gateway) | set(queued):
        seen = by_gateway.get(g, [])
        lags = [lag * 1000 for _, lag in seen if lag is not None]
        failed = sum(1 for outcome, _ in seen if outcome == "failed")
        out[g] = webhook_figures(lags, len(seen) - failed, failed, queued.get(g, 0))
    return out


def run_totals(store: Store, prefixes: tuple[str, ...]) -> list[tuple[str, str, str, float]]:
    """(gateway, method, figure, total) since the store's start or reset, of every tenant,
    for the figures named or starting with one of `prefixes` (`decline:`, `challenges`)."""
    like = " OR ".join("figure LIKE ?" for _ in prefixes)
    return [(g, m, f, value) for g, m, f, value in store.all(
        "SELECT gateway, method, figure, SUM(value) FROM kpi_seconds "  # noqa: S608
        f"WHERE method != '' AND ({like}) GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
        tuple(p + "%" if p.endswith(":") else p for p in prefixes))]


def call_counts(store: Store, tenant: str | None, since: float,
                gateway: str | None = None) -> list[dict[str, Any]]:
    """Per gateway: its calls and those that failed outright after virtual second `since`
    (exclusive), of one tenant or of all (None)."""
    where, args = _scope(tenant, gateway, since)
    rows = store.all(
        "SELECT gateway, SUM(CASE WHEN figure = ? THEN value ELSE 0 END), "  # noqa: S608
        "SUM(CASE WHEN figure = ? THEN value ELSE 0 END) FROM kpi_seconds "
        f"WHERE {where} AND method = '' AND figure IN (?, ?) GROUP BY gateway "
        "ORDER BY gateway", (CALLS, CALLS_FAILED, *args, CALLS, CALLS_FAILED))
    return [{"gateway": g, "requests": int(n), "errors": int(e)} for g, n, e in rows if n]


def _refund(currency: str | None, amount: int) -> list[tuple[str, float]]:
    """A refund's figures (its amount only under a known currency)."""
    return [("refunds", 1)] + ([(f"refunded:{currency}", amount)] if currency else [])


def virtual_now(store: Store, wall: float) -> float:
    """The virtual time of wall time `wall` by the latest clock mapping noted at or
    before it (the wall time itself before any)."""
    row = store.one(f"SELECT {_VIRTUAL.format(wall='?', at='?')}", (wall, wall, wall))
    return float(row[0]) if row and row[0] is not None else wall


def _scope(tenant: str | None, gateway: str | None, since: float | None
           ) -> tuple[str, tuple[Any, ...]]:
    where, args = ["1 = 1"], []
    if tenant is not None:
        where.append("tenant = ?")
        args.append(tenant)
    if gateway is not None:
        where.append("gateway = ?")
        args.append(gateway)
    if since is not None:
        where.append("second > ?")
        args.append(since)
    return " AND ".join(where), tuple(args)
