"""The create+confirm hot path made cheaper (issue 16, helper C2) keeps every answer:
a captured charge's balance entry written once when its event comes again, a firing
alert refreshed through its partial index, test-token cards validated once a day without
sharing their nested facts, and an event's KPI figures written in one statement."""

from __future__ import annotations

from typing import Any

import pytest
from paylab.simulator.alerts.model import FIRING
from paylab.simulator.alerts.state import REFRESH
from paylab.simulator.core import methods as m
from paylab.simulator.core import vocabulary as v
from paylab.simulator.core.kpi_windows import _upsert_rows
from paylab.suites.unit.inprocess import ClientFactory, Sim, start


@pytest.fixture
async def sim(aiohttp_client: ClientFactory) -> Sim:
    return await start(aiohttp_client)


def _entries(sim: Sim, source: str) -> list[Any]:
    return sim.domain.store.all(
        "SELECT id FROM objects WHERE tenant = ? AND kind = ? AND parent = ?",
        (sim.tenant, v.BALANCE_ENTRY, source))


async def test_a_captured_charge_seen_again_keeps_its_one_balance_entry(sim: Sim) -> None:
    pay = (await sim.pay(2000, expand=["latest_charge"])).body
    charge = pay["latest_charge"]
    domain = sim.domain
    first = domain.objects.find(sim.tenant, v.BALANCE_ENTRY, "txn_" + charge["id"][3:])
    assert first is not None
    stored = domain.charges.get(sim.tenant, charge["id"])
    with domain.store.atomic():  # the same charge's event again: no second entry, no error
        domain.events.emit(sim.tenant, pay.get("gateway", "stripe"),
                           v.CHARGE_CAPTURED, "charge", stored)
        domain.store.write("INSERT INTO meta (key, value) VALUES ('c2-probe', 'kept')")
    assert [r[0] for r in _entries(sim, charge["id"])] == [first["id"]]
    assert domain.objects.find(sim.tenant, v.BALANCE_ENTRY, first["id"]) == first
    # the failed insert undid itself only: the rest of the transaction stands
    assert domain.store.get_meta("c2-probe") == "kept"


async def test_a_burst_refreshes_its_firing_alert_through_the_partial_index(sim: Sim) -> None:
    conn = sim.domain.store.conn
    fp = "f" * 16
    conn.execute("INSERT INTO alerts (tenant, fingerprint, status, kind, starts_at, "
                 "last_breach, hold, data) VALUES ('', ?, ?, 'frequency', 1, 1, 600, '{}')",
                 (fp, FIRING))
    plan = conn.execute("EXPLAIN QUERY PLAN " + REFRESH, (1.0, 600, 7, fp)).fetchall()
    assert any("alerts_firing" in row[-1] for row in plan), plan
    for _ in range(9):  # card-burst fires at the 7th attempt, then is refreshed
        assert (await sim.pay(2000)).status == 200
    rows = conn.execute("SELECT status, starts_at, last_breach, json_extract(data, '$.value') "
                        "FROM alerts WHERE fingerprint != ?", (fp,)).fetchall()
    assert len(rows) == 1  # one alert, refreshed by the 8th and 9th attempts
    status, starts_at, last_breach, value = rows[0]
    assert (status, value) == (FIRING, 7)  # counted up to one past the limit
    assert last_breach > starts_at


def test_a_token_card_is_validated_once_a_day_and_shares_no_nested_facts() -> None:
    import datetime as dt
    day = dt.date(2030, 1, 2)
    first = m._token_card("pm_card_cvcCheckFail", day)
    second = m._token_card("pm_card_cvcCheckFail", day)
    assert first == second
    assert first.extra["checks"] is not second.extra["checks"]
    assert m._token_card_cached("pm_card_cvcCheckFail", day) is m._token_card_cached(
        "pm_card_cvcCheckFail", day)
    plain = m._token_card("pm_card_visa", day)
    assert plain is m._token_card("pm_card_visa", day)  # nothing nested: no copy made
    assert m._token_card("pm_card_visa", dt.date(2031, 1, 2)).exp_year == 2034


def test_an_events_figures_go_in_one_statement_and_add_up() -> None:
    import sqlite3
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE kpi_seconds (tenant, gateway, method, second, figure, value, "
                 "PRIMARY KEY (tenant, gateway, method, second, figure))")
    sql = _upsert_rows(3)
    assert sql.count("(?, ?, ?, ?, ?, ?)") == 3
    rows = [("t", "g", "card", 5, "succeeded", 1), ("t", "g", "card", 5, "amount:usd", 20),
            ("t", "g", "card", 5, "succeeded", 1)]
    conn.execute(sql, [x for row in rows for x in row])
    assert dict(conn.execute("SELECT figure, value FROM kpi_seconds")) == {
        "succeeded": 2, "amount:usd": 20}
