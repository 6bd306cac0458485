"""The simulate control on wallet orders (whatever wallet gateway made them): the shopper's
approval (`approved`, or `paid`, which means the same there), a decline, a cancel, an
expiry; and the wallet-only outcomes refused on a code payment."""

from __future__ import annotations

from typing import Any

import pytest
from paylab.suites.unit.inprocess import ClientFactory, Sim, start

TENANT = "wallet-unit"


@pytest.fixture
async def sim(aiohttp_client: ClientFactory) -> Sim:
    return await start(aiohttp_client)


def _order(sim: Sim, no: str, *, confirm: bool = True, methods: Any = ("wallet",)) -> str:
    return sim.domain.orders.create(
        TENANT, "wallet-gw", merchant_order_no=no, amount=700, currency="TWD",
        methods=list(methods), confirm=confirm,
        expires_at=sim.domain.clock.now() + 600)["id"]


async def _simulate(sim: Sim, oid: str, outcome: str) -> Any:
    return await sim.control("POST", f"/payments/{oid}/simulate", {"outcome": outcome})


@pytest.mark.parametrize(("outcome", "confirm", "status"),
                         [("approved", True, "approved"), ("paid", True, "approved"),
                          ("approved", False, "paid"), ("failed", True, "failed"),
                          ("canceled", True, "canceled"), ("expired", True, "expired")])
async def test_each_outcome_moves_a_waiting_wallet_order(sim: Sim, outcome: str, confirm: bool,
                                                         status: str) -> None:
    oid = _order(sim, f"W-{outcome}-{confirm}", confirm=confirm)
    answer = await _simulate(sim, oid, outcome)
    assert answer.status == 200, answer.body
    assert (answer.body["status"], answer.body["gateway"]) == (status, "wallet-gw")
    assert sim.domain.orders.get(TENANT, oid)["status"] == status


async def test_an_approved_order_is_not_approved_again(sim: Sim) -> None:
    oid = _order(sim, "W-twice")
    assert (await _simulate(sim, oid, "approved")).status == 200
    again = await _simulate(sim, oid, "approved")
    assert (again.status, again.body["error"]["code"]) == (409, "order_not_payable")


@pytest.mark.parametrize("outcome", ["approved", "canceled"])
async def test_wallet_outcomes_are_refused_on_a_code_payment(sim: Sim, outcome: str) -> None:
    oid = _order(sim, f"C-{outcome}", methods=("atm",))
    answer = await _simulate(sim, oid, outcome)
    assert (answer.status, answer.body["error"]["code"]) == (409, "not_a_wallet_payment")
    assert sim.domain.orders.get(TENANT, oid)["status"] == "created"
