"""Mutation-testing kills for request nonces (the prune every PRUNE_EVERY claims) and the
merchants' per-gateway alphabets (key text, merchant id text, and how errors spell them)."""

from __future__ import annotations

import pytest
from paylab.simulator.core.domain import Domain
from paylab.simulator.core.errors import InvalidRequest
from paylab.simulator.core.nonces import PRUNE_EVERY


# -- nonces ---------------------------------------------------------------------------------
def _rows(domain: Domain) -> list[str]:
    return [v for (v,) in domain.store.all("SELECT value FROM nonces ORDER BY value")]


def test_expired_nonces_are_pruned_on_every_prune_every_th_claim(domain: Domain) -> None:
    nonces = domain.nonces
    assert nonces.claim("t", "s", "old", 1)
    domain.advance_clock(2)  # "old" has expired, but its row stays until a prune
    for i in range(2, PRUNE_EVERY):
        assert nonces.claim("t", "s", f"n{i:04d}", 3600)
        assert "old" in _rows(domain), i
    assert len(_rows(domain)) == PRUNE_EVERY - 1
    assert nonces.claim("t", "s", "last", 3600)  # claim number PRUNE_EVERY
    rows = _rows(domain)
    assert "old" not in rows
    assert len(rows) == PRUNE_EVERY - 1
    assert not nonces.claim("t", "s", "last", 3600)  # pruning kept the live ones


def test_a_prune_keeps_the_nonces_still_alive(domain: Domain) -> None:
    nonces = domain.nonces
    for i in range(PRUNE_EVERY - 1):
        assert nonces.claim("t", "s", f"n{i:04d}", 3600)
    domain.advance_clock(10)
    assert nonces.claim("t", "s", "last", 3600)
    assert len(_rows(domain)) == PRUNE_EVERY
    assert not nonces.claim("t", "s", "n0000", 3600)


# -- merchants: per-gateway alphabets -------------------------------------------------------
def test_a_key_in_the_gateways_own_alphabet_is_kept(domain: Domain) -> None:
    key = ("Ab_-" * 22)[:86]  # '_' and '-' are jkopay's, not the default alphabet
    made = domain.merchants.register("jkopay", hash_key=key)
    assert made.hash_key == key
    assert domain.merchants.get("jkopay", made.merchant_id) == made


def test_a_key_outside_the_gateways_alphabet_is_refused_with_the_pattern(domain: Domain) -> None:
    before = domain.merchants.listing("jkopay")
    with pytest.raises(InvalidRequest) as err:
        domain.merchants.register("jkopay", hash_key=("Ab+" * 30)[:86])
    assert (err.value.code, err.value.message, err.value.param) == (
        "key_invalid", "A jkopay hash_key is 86 characters matching [A-Za-z0-9_-]+.", "hash_key")
    assert domain.merchants.listing("jkopay") == before


def test_a_default_alphabet_key_error_says_letters_and_digits(domain: Domain) -> None:
    with pytest.raises(InvalidRequest) as err:
        domain.merchants.register("ecpay", hash_key="a_" * 8)
    assert (err.value.code, err.value.message, err.value.param) == (
        "key_invalid", "A ecpay hash_key is 16 letters and digits.", "hash_key")


def test_a_merchant_id_outside_the_gateways_alphabet_is_refused_with_the_pattern(
        domain: Domain) -> None:
    with pytest.raises(InvalidRequest) as err:
        domain.merchants.register("linepay", "abc")  # letters: not a LINE Pay channel id
    assert (err.value.code, err.value.message, err.value.param) == (
        "merchant_id_invalid", "A linepay merchant id is 1 to 10 characters matching [0-9]+.",
        "merchant_id")
    assert domain.merchants.get("linepay", "abc") is None


def test_a_merchant_id_in_the_gateways_own_alphabet_is_kept(domain: Domain) -> None:
    made = domain.merchants.register("paypal", "app_id-1")  # '_' and '-': PayPal's alphabet
    assert (made.merchant_id, made.tenant) == ("app_id-1", "paypal-app_id-1")


def test_a_one_key_gateway_takes_an_empty_second_key_given_explicitly(domain: Domain) -> None:
    merchant = domain.merchants.register("linepay", hash_key="a" * 32, hash_iv="")
    assert (merchant.hash_key, merchant.hash_iv) == ("a" * 32, "")
