"""Mutation-testing kills for the merchants service (simulator/core/merchants.py): generated
ids step over taken ones on the seeded stream, merchant id lengths at their bounds, and the
exact refusal when another process took the id first."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from paylab.simulator.core.domain import Domain
from paylab.simulator.core.errors import InvalidRequest


def _digits(domain: Domain, monkeypatch: pytest.MonkeyPatch, *numbers: str
            ) -> list[tuple[int, int]]:
    """Make the seeded stream yield these digits in turn; returns the draws' bounds."""
    stream: Iterator[str] = iter("".join(numbers))
    calls: list[tuple[int, int]] = []

    def randint(low: int, high: int) -> int:
        calls.append((low, high))
        return int(next(stream))

    monkeypatch.setattr(domain.rand, "randint", randint)
    return calls


def test_a_generated_id_steps_over_one_the_gateway_has(domain: Domain,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    domain.merchants.seed_published()
    calls = _digits(domain, monkeypatch, "3002607", "0012345")  # 3002607 is published
    made = domain.merchants.register("ecpay")
    assert (made.merchant_id, made.tenant) == ("0012345", "ecpay-0012345")
    assert calls == [(0, 9)] * 14


@pytest.mark.parametrize(("gateway", "merchant_id"), [("ecpay", "7"), ("ecpay", "1234567890"),
                                                      ("newebpay", "M" * 15)])
def test_merchant_ids_at_their_length_bounds_are_kept(domain: Domain, gateway: str,
                                                      merchant_id: str) -> None:
    made = domain.merchants.register(gateway, merchant_id)
    assert domain.merchants.get(gateway, merchant_id) == made


@pytest.mark.parametrize(("gateway", "merchant_id", "limit"), [
    ("ecpay", "", 10), ("ecpay", "12345678901", 10), ("newebpay", "M" * 16, 15),
    ("ecpay", "12-34", 10)])
def test_merchant_ids_past_their_bounds_are_refused(domain: Domain, gateway: str,
                                                    merchant_id: str, limit: int) -> None:
    with pytest.raises(InvalidRequest) as err:
        domain.merchants.register(gateway, merchant_id)
    assert (err.value.code, err.value.message, err.value.param) == (
        "merchant_id_invalid", f"A {gateway} merchant id is 1 to {limit} letters and digits.",
        "merchant_id")


def test_an_id_taken_meanwhile_is_refused_with_the_message(
        domain: Domain, monkeypatch: pytest.MonkeyPatch) -> None:
    domain.merchants.register("ecpay", "5550001")
    real_get = domain.merchants.get

    def get(gateway: str, merchant_id: str) -> Any:  # the other process was not seen yet
        return None if merchant_id == "5550001" else real_get(gateway, merchant_id)

    monkeypatch.setattr(domain.merchants, "get", get)
    with pytest.raises(InvalidRequest) as err:
        domain.merchants.register("ecpay", "5550001")
    assert (err.value.code, err.value.message, err.value.param) == (
        "merchant_exists", "The ecpay merchant 5550001 already exists.", "merchant_id")


def test_seeding_counts_what_it_added_and_unknown_tenants_are_no_merchants(
        domain: Domain) -> None:
    specs = [{"merchant_id": f"990000{i}", "hash_key": "k" * 16, "hash_iv": "v" * 16}
             for i in range(3)]
    assert domain.merchants.ensure_stage("ecpay", specs) == 3
    assert domain.merchants.ensure_stage("ecpay", specs) == 0
    assert domain.merchants.for_tenant("ecpay-9900001") == domain.merchants.get("ecpay",
                                                                                 "9900001")
    assert domain.merchants.for_tenant("acct_nobody") is None
