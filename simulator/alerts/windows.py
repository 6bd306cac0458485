"""Judging window rules on the KPI window figures (core.kpi_windows rows).

A row is one (gateway, method) over a window of the virtual clock; a rule breaches per row
(its alert carries the row's gateway and method as labels), so one failing method fires
its own alert and resolves on its own. A rate breaches when it is strictly above the
threshold and the row has at least `min_volume` attempts behind the rate. `failure_rate`
without a method also judges each gateway as a whole (method `*`) by the share of its API
calls that failed outright (alerts.requests): an outage moves no payment figure.
"""

from __future__ import annotations

from typing import Any

from paylab.simulator.alerts.model import Breach, Rule
from paylab.simulator.alerts.requests import RequestOutcomes

#: Defaults of the optional parameters (the contract documents the same figures).
DEFAULT_MIN_VOLUME = 10
DEFAULT_LATENCY_MIN_VOLUME = 20
#: The method label of a figure of a gateway as a whole.
ALL_METHODS = "*"


def window_breaches(kpis: Any, calls: RequestOutcomes, rule: Rule,
                    tenant: str | None) -> list[Breach]:
    """Every breach of one window rule on `tenant`'s figures (None: all traffic); `kpis`
    None (no KPI windows): only what the gateway calls show."""
    params = rule.params
    out: list[Breach] = []
    if rule.kind == "failure_rate" and "method" not in params:
        out += _outages(calls, rule, tenant)
    if kpis is None:
        return out
    if rule.kind == "webhook_backlog_above":
        return _backlog(kpis, rule, tenant)
    rows = kpis.rows(tenant, float(params["window"]), gateway=params.get("gateway"),
                     method=params.get("method"))
    judge = {"failure_rate": _failure_rate, "refund_rate": _refund_rate,
             "latency_p99_above": _latency}[rule.kind]
    for row in rows:
        breach = judge(rule, tenant, row)
        if breach is not None:
            out.append(breach)
    return out


def _outages(calls: RequestOutcomes, rule: Rule, tenant: str | None) -> list[Breach]:
    """A gateway as a whole (method `*`): the share of its API calls that got a server
    error or no answer."""
    above = rule.params["above"]
    out = []
    for seen in calls.window(tenant, float(rule.params["window"]), rule.params.get("gateway")):
        total, errors = seen["requests"], seen["errors"]
        if total < rule.params.get("min_volume", DEFAULT_MIN_VOLUME) or errors / total <= above:
            continue
        share = errors / total
        out.append(Breach(rule, tenant, round(share, 4), above,
                          {"gateway": seen["gateway"], "method": ALL_METHODS},
                          f"{seen['gateway']}: {share:.0%} of {total} API calls got a server "
                          f"error or no answer (above {above:.0%})"))
    return out


def _labels(row: dict[str, Any]) -> dict[str, str]:
    return {"gateway": str(row.get("gateway")), "method": str(row.get("method"))}


def _failure_rate(rule: Rule, tenant: str | None, row: dict[str, Any]) -> Breach | None:
    rate = row.get("failure_rate")
    finished = int(row.get("succeeded") or 0) + int(row.get("failed") or 0)
    above = rule.params["above"]
    if rate is None or finished < rule.params.get("min_volume", DEFAULT_MIN_VOLUME):
        return None
    if rate <= above:
        return None
    labels = _labels(row)
    return Breach(rule, tenant, round(float(rate), 4), above, labels,
                  f"{labels['gateway']} {labels['method']}: {rate:.0%} of {finished} "
                  f"attempts failed (above {above:.0%})")


def _refund_rate(rule: Rule, tenant: str | None, row: dict[str, Any]) -> Breach | None:
    rate = row.get("refund_rate")
    paid = int(row.get("succeeded") or 0)
    above = rule.params["above"]
    if rate is None or paid < rule.params.get("min_volume", DEFAULT_MIN_VOLUME):
        return None
    if rate <= above:
        return None
    labels = _labels(row)
    return Breach(rule, tenant, round(float(rate), 4), above, labels,
                  f"{labels['gateway']} {labels['method']}: {rate:.0%} of {paid} payments "
                  f"refunded (above {above:.0%})")


def _latency(rule: Rule, tenant: str | None, row: dict[str, Any]) -> Breach | None:
    latency = row.get("latency_ms") or {}
    p99, count = latency.get("p99"), int(latency.get("count") or 0)
    limit = rule.params["ms"]
    if p99 is None or count < rule.params.get("min_volume", DEFAULT_LATENCY_MIN_VOLUME):
        return None
    if p99 <= limit:
        return None
    labels = _labels(row)
    return Breach(rule, tenant, float(p99), limit, labels,
                  f"{labels['gateway']} {labels['method']}: p99 latency {p99:g} ms "
                  f"(above {limit:g} ms)")


def _backlog(kpis: Any, rule: Rule, tenant: str | None) -> list[Breach]:
    gateway = rule.params.get("gateway")
    backlog = int(kpis.webhook_backlog(tenant, gateway))
    limit = rule.params["count"]
    if backlog <= limit:
        return []
    labels = {"gateway": gateway} if gateway else {}
    return [Breach(rule, tenant, backlog, limit, labels,
                   f"{backlog} webhook deliveries waiting (more than {limit})")]
