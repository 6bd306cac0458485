"""JKOPay's digest on the published vector, both ways: the simulator's signer reproduces it,
and its verifier (the whole pipeline, in process) accepts the vector's exact bytes and
refuses the same body with any one byte changed, another key's digest, or none."""

from __future__ import annotations

import pytest
from paylab.simulator.gateways.jkopay import wire
from paylab.simulator.webhooks.signing import jkopay_digest
from paylab.suites.unit.inprocess import ClientFactory, Sim, start
from paylab.suites.unit.jkopay_client import JkoPay, sign, vector


@pytest.fixture
async def jko(aiohttp_client: ClientFactory) -> JkoPay:
    sim: Sim = await start(aiohttp_client)
    return JkoPay(sim)


def test_the_signers_reproduce_the_published_vector() -> None:
    case = vector()
    body = case["body"].encode()
    assert wire.digest(case["secret"], body) == case["expected"]
    assert jkopay_digest(case["secret"], body) == case["expected"]
    assert sign(case["secret"], body) == case["expected"]


def test_the_compare_accepts_only_the_exact_digest() -> None:
    case = vector()
    assert wire.same_digest(case["expected"], case["expected"])
    assert not wire.same_digest(case["expected"], case["expected"][:-1] + "0")
    assert not wire.same_digest(case["expected"], case["expected"].upper()[:-1])
    assert not wire.same_digest(case["expected"], "")
    assert not wire.same_digest(case["expected"], None)


async def test_the_verifier_accepts_the_vectors_bytes(jko: JkoPay) -> None:
    case = vector()
    answer = await jko.post("/platform/entry", raw=case["body"].encode(),
                            digest=case["expected"])
    assert (answer.status, answer.body["result"]) == (200, "000"), answer.body


@pytest.mark.parametrize("position", [0, 17, 60, 105, -2])
async def test_the_verifier_refuses_a_one_byte_change(jko: JkoPay, position: int) -> None:
    case = vector()
    body = bytearray(case["body"].encode())
    body[position] = ord(" ") if body[position] != ord(" ") else ord("\t")
    answer = await jko.post("/platform/entry", raw=bytes(body), digest=case["expected"])
    assert (answer.status, answer.body["result"]) == (403, "201"), answer.body
    assert answer.body["result_object"] is None
    assert jko.sim.domain.orders.find_by_merchant_order(jko.tenant, "demo-order-001") is None


async def test_a_missing_or_foreign_digest_and_an_unknown_key_are_refused(jko: JkoPay
                                                                         ) -> None:
    body = vector()["body"].encode()
    assert (await jko.post("/platform/entry", raw=body, digest="")).status == 403
    foreign = sign("another-stores-secret", body)
    assert (await jko.post("/platform/entry", raw=body, digest=foreign)).status == 403
    unknown = await jko.post("/platform/entry", raw=body, api_key="not-a-key")
    assert (unknown.status, unknown.body["result"]) == (401, "201")
    assert jko.sim.domain.orders.find_by_merchant_order(jko.tenant, "demo-order-001") is None
