"""The run's KPI figures in the Allure report: one table per layer's session.

Every session-scoped simulator the session starts (a `LiveSimulator` with a process,
such as `paylab_simulator`) is asked for `/_sim/stats` just before it is stopped (a
finalizer that runs before the fixture's own teardown), and its `kpis.windows.run` rows
are kept. At the end of the session they are attached to the Allure results as one
global attachment, an HTML table and the same figures as CSV. A simulator pointed at
with --gateway-url is not this session's, so its figures are left out. Nothing here may
fail a run: a simulator already gone, or one that answers something else, is skipped.
"""

from __future__ import annotations

import csv
import functools
import html
import io
import json
import os
import urllib.request
from collections.abc import Iterator
from typing import Any

import allure
import pytest

from paylab.testing.server import CONTROL_TOKEN_ENV, LiveSimulator

#: Captured (simulator URL, rows) of this session.
CAPTURED = pytest.StashKey[list[tuple[str, list[dict[str, Any]]]]]()
#: Seconds a simulator may take to answer before its figures are given up.
TIMEOUT = 5.0
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))
COLUMNS = ("simulator", "gateway", "method", "volume", "succeeded", "failed", "success_rate",
           "decline_rate", "declines", "refunds", "refund_rate", "amount", "refunded_amount",
           "average_amount", "median_amount", "latency_p50_ms", "latency_p95_ms",
           "latency_p99_ms", "requests", "webhooks_delivered", "webhooks_failed",
           "webhook_failure_rate", "webhook_lag_p50_ms", "webhook_lag_p99_ms",
           "webhook_backlog", "challenges", "challenge_rate", "fraud_blocks")


def run_rows(url: str, token: str | None = None) -> list[dict[str, Any]] | None:
    """`kpis.windows.run` of the simulator at `url`, or None when it cannot say (gone,
    refused, not a paylab simulator of this version)."""
    request = urllib.request.Request(f"{url}/_sim/stats", headers=(  # noqa: S310 - loopback
        {"Authorization": f"Bearer {token}"} if token else {}))
    try:
        with _NO_PROXY.open(request, timeout=TIMEOUT) as response:
            rows = json.loads(response.read())["kpis"]["windows"]["run"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return rows if isinstance(rows, list) else None


def flat(simulator: str, row: dict[str, Any]) -> dict[str, str]:
    """One table line of a row: every figure as text (maps as `key: value` lists)."""
    def text(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, dict):
            return ", ".join(f"{k}: {v}" for k, v in value.items())
        return str(value)

    latency, hooks = row.get("latency_ms") or {}, row.get("webhooks") or {}
    values = {**row, "simulator": simulator, "latency_p50_ms": latency.get("p50"),
              "latency_p95_ms": latency.get("p95"), "latency_p99_ms": latency.get("p99"),
              "requests": latency.get("count"), "webhooks_delivered": hooks.get("delivered"),
              "webhooks_failed": hooks.get("failed"),
              "webhook_failure_rate": hooks.get("failure_rate"),
              "webhook_lag_p50_ms": hooks.get("lag_ms_p50"),
              "webhook_lag_p99_ms": hooks.get("lag_ms_p99"),
              "webhook_backlog": hooks.get("backlog")}
    return {column: text(values.get(column)) for column in COLUMNS}


def as_csv(captured: list[tuple[str, list[dict[str, Any]]]]) -> str:
    """The figures as CSV, a header line first."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for url, rows in captured:
        writer.writerows(flat(url, row) for row in rows)
    return out.getvalue()


def as_html(captured: list[tuple[str, list[dict[str, Any]]]]) -> str:
    """The figures as one HTML table (values escaped)."""
    head = "".join(f"<th>{html.escape(c)}</th>" for c in COLUMNS)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in flat(url, row).values())
        + "</tr>" for url, rows in captured for row in rows)
    return (f"<html><body><p>KPIs of the whole run (since each simulator started), per "
            f"gateway and payment method</p><table border=\"1\"><thead><tr>{head}</tr>"
            f"</thead><tbody>{body}</tbody></table></body></html>")


def capture(config: pytest.Config, sim: LiveSimulator) -> None:
    """Keep a simulator's run figures (before it stops); never raises."""
    try:
        rows = run_rows(sim.url, os.environ.get(CONTROL_TOKEN_ENV))
        if rows is not None:
            config.stash.setdefault(CAPTURED, []).append((sim.url, rows))
    except Exception:  # noqa: S110 - figures are a courtesy, never a failure
        pass


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_fixture_setup(fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest
                         ) -> Iterator[None]:
    """A session fixture that started a simulator: read its figures before it stops (this
    finalizer is added after the fixture's teardown, so it runs first; outermost, so
    Allure does not list it among the fixture's tear-downs)."""
    outcome = yield
    if fixturedef.scope != "session" or outcome.excinfo is not None:
        return
    value = outcome.get_result()
    if isinstance(value, LiveSimulator) and value.process is not None:
        fixturedef.addfinalizer(functools.partial(capture, request.config, value))


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Attach the session's figures to the Allure results (a no-op without Allure)."""
    captured = session.config.stash.get(CAPTURED, [])
    if not captured:
        return
    try:
        allure.global_attach(as_html(captured), name="KPI figures of the run",
                             attachment_type=allure.attachment_type.HTML)
        allure.global_attach(as_csv(captured), name="KPI figures of the run (CSV)",
                             attachment_type=allure.attachment_type.CSV)
    except Exception:  # noqa: S110 - a report without the table, not a failed run
        pass
