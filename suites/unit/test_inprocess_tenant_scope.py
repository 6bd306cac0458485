"""A tenant named on the control API must be one the simulator knows: a mistyped key on
the scenario endpoints or on reset is refused with a 404 naming it, instead of scoping a
scenario (or a reset) to nobody; `ahead=true` sets a tenant up before its first call."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from paylab.simulator.core.clock import Clock
from paylab.simulator.core.errors import StorageUnavailable
from paylab.simulator.core.store import Store
from paylab.simulator.core.tenants import Tenants
from paylab.simulator.gateways.stripe.wire import tenant_for_key
from paylab.suites.unit.inprocess import OTHER_KEY, Answer, ClientFactory, Sim, start

TYPO = "sk_test_inprocess_unti"  # KEY with two letters swapped
NEVER_CALLED = "sk_test_inprocess_never_called"
SCENARIO = json.dumps({"name": "t", "rules": [
    {"name": "r", "match": {"path": "/v1/payment_intents*"},
     "effects": [{"error": {"status": 503}}]}]})


@pytest.fixture
async def sim(aiohttp_client: ClientFactory) -> Sim:
    return await start(aiohttp_client)


def refused(answer: Answer, value: str, field: str = "tenant") -> None:
    assert answer.status == 404, answer.body
    error = answer.body["error"]
    assert error["code"] == "unknown_tenant" and error["field"] == field
    assert value in error["message"] and "ahead=true" in error["message"]


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
async def test_a_tenant_never_seen_is_refused_on_the_scenario_endpoints(sim: Sim,
                                                                      method: str) -> None:
    await sim.pay()  # KEY is known now; its typo is not
    answer = await sim.control(method, "/scenario", query={"tenant": TYPO},
                               raw=SCENARIO if method == "PUT" else None)
    refused(answer, TYPO)
    assert sim.engine.scopes() == []  # nothing was loaded for nobody
    preset = await sim.control("PUT", "/scenario",
                               query={"tenant": tenant_for_key(TYPO), "preset": "slow-gateway"})
    refused(preset, tenant_for_key(TYPO))
    assert sim.engine.scopes() == []


async def test_a_tenant_never_seen_is_refused_on_reset(sim: Sim) -> None:
    await sim.pay()
    for field, value in (("api_key", TYPO), ("tenant", "acct_0000000000000000")):
        refused(await sim.control("POST", "/reset", {field: value}), value, field)
    assert len(await sim.events()) == 3  # KEY's state is untouched


async def test_a_tenant_that_called_is_known(sim: Sim) -> None:
    assert (await sim.pay()).status == 200
    loaded = await sim.control("PUT", "/scenario", query={"tenant": sim.key}, raw=SCENARIO)
    assert loaded.status == 200 and loaded.body["scope"] == sim.tenant
    assert (await sim.control("GET", "/scenario", query={"tenant": sim.tenant})).status == 200
    assert (await sim.pay()).status == 503
    assert (await sim.control("DELETE", "/scenario", query={"tenant": sim.key})).body == {
        "cleared": True, "scope": sim.tenant}
    assert (await sim.control("POST", "/reset", {"api_key": sim.key})).status == 200


async def test_ahead_sets_a_tenant_up_before_its_first_call(sim: Sim) -> None:
    loaded = await sim.control("PUT", "/scenario", raw=SCENARIO,
                               query={"tenant": OTHER_KEY, "ahead": "true"})
    assert loaded.status == 200 and loaded.body["scope"] == tenant_for_key(OTHER_KEY)
    # named once with ahead=true, it is known from then on
    assert (await sim.control("GET", "/scenario", query={"tenant": OTHER_KEY})).status == 200
    assert (await sim.pay(key=OTHER_KEY)).status == 503
    assert (await sim.pay()).status == 200
    assert (await sim.control("POST", "/reset", {"api_key": NEVER_CALLED, "ahead": True})
            ).status == 200


async def test_ahead_false_is_no_escape_and_bad_values_are_refused(sim: Sim) -> None:
    refused(await sim.control("GET", "/scenario", query={"tenant": TYPO, "ahead": "false"}),
            TYPO)
    bad = await sim.control("GET", "/scenario", query={"tenant": TYPO, "ahead": "yes please"})
    assert bad.status == 400 and bad.body["error"]["field"] == "ahead"


async def test_a_reset_forgets_the_tenant(sim: Sim) -> None:
    await sim.pay()
    assert (await sim.control("POST", "/reset", {"api_key": sim.key})).status == 200
    refused(await sim.control("GET", "/scenario", query={"tenant": sim.key}), sim.key)
    await sim.pay()
    assert (await sim.control("POST", "/reset", {})).body == {"reset": "all"}
    refused(await sim.control("GET", "/scenario", query={"tenant": sim.key}), sim.key)


async def test_known_tenants_live_in_the_store(sim: Sim) -> None:
    await sim.pay()
    await sim.domain.store.durable()
    rows = sim.domain.store.all("SELECT tenant FROM tenants WHERE tenant NOT IN "
                                "(SELECT tenant FROM merchants)")  # those are seeded
    assert rows == [(sim.tenant,)]  # a digest, never the key


async def test_no_tenant_is_still_the_global_scope(sim: Sim) -> None:
    assert (await sim.control("PUT", "/scenario", raw=SCENARIO)).body["scope"] == "*"
    assert (await sim.control("POST", "/reset", {})).status == 200



async def test_a_refused_scenario_sets_nobody_up(sim: Sim) -> None:
    bad = await sim.control("PUT", "/scenario", raw="rules: [{name: x, effects: nope}]",
                            query={"tenant": NEVER_CALLED, "ahead": "true"})
    assert bad.status == 400
    refused(await sim.control("GET", "/scenario", query={"tenant": NEVER_CALLED}),
            NEVER_CALLED)


def test_a_tenant_the_disk_refused_is_tried_again(tmp_path: Path) -> None:
    store = Store(tmp_path / "t.db")
    tenants = Tenants(store, Clock())
    real = store.write
    calls: list[str] = []

    def full_disk(sql: str, params: Sequence[Any] = ()) -> Any:
        calls.append(sql)
        raise StorageUnavailable("storage_unavailable", "disk full")

    store.write = full_disk  # type: ignore[method-assign]
    tenants.seen("acct_a")  # logged, not raised: the call that named it goes on
    assert not tenants.known("acct_a")
    def counted(sql: str, params: Sequence[Any] = ()) -> Any:
        calls.append(sql)
        return real(sql, params)

    store.write = counted  # type: ignore[method-assign]
    tenants.seen("acct_a")
    tenants.seen("acct_a")  # once written, this process does not write it again
    assert len(calls) == 2 and tenants.known("acct_a")
    assert store.all("SELECT tenant FROM tenants") == [("acct_a",)]
    store.reset("acct_a")
    tenants.forget("acct_a")
    assert not tenants.known("acct_a")
    store.close()
