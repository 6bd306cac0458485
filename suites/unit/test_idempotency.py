"""Idempotency records: replay, mismatch, in-flight conflict, expiry."""

import pytest
from paylab.simulator.core.domain import Domain
from paylab.simulator.core.errors import IdempotencyInFlight, IdempotencyMismatch, InvalidRequest
from paylab.simulator.core.idempotency import RETENTION_SECONDS, fingerprint
from paylab.suites.unit.conftest import TENANT, FakeWall

EP = "POST /stripe/v1/payment_intents"


def test_fingerprint_ignores_parameter_order_but_not_values() -> None:
    a = fingerprint(EP, [("amount", "1"), ("currency", "usd")])
    assert a == fingerprint(EP, [("currency", "usd"), ("amount", "1")])
    assert a != fingerprint(EP, [("amount", "2"), ("currency", "usd")])
    assert a != fingerprint("POST /stripe/v1/refunds", [("amount", "1"), ("currency", "usd")])


def test_first_request_claims_then_retries_replay(domain: Domain) -> None:
    idem = domain.idempotency
    digest = fingerprint(EP, [("amount", "1")])
    assert idem.begin(TENANT, "k1", EP, digest) is None
    with pytest.raises(IdempotencyInFlight):
        idem.begin(TENANT, "k1", EP, digest)
    idem.finish(TENANT, "k1", 402, b'{"error":{}}')
    replay = idem.begin(TENANT, "k1", EP, digest)
    assert replay is not None and (replay.status, replay.body) == (402, b'{"error":{}}')


def test_same_key_other_parameters_or_endpoint_is_a_mismatch(domain: Domain) -> None:
    idem = domain.idempotency
    idem.begin(TENANT, "k2", EP, fingerprint(EP, [("amount", "1")]))
    idem.finish(TENANT, "k2", 200, b"{}")
    with pytest.raises(IdempotencyMismatch):
        idem.begin(TENANT, "k2", EP, fingerprint(EP, [("amount", "2")]))
    with pytest.raises(IdempotencyMismatch):
        idem.begin(TENANT, "k2", "POST /stripe/v1/refunds", fingerprint(EP, [("amount", "1")]))


def test_keys_are_per_tenant(domain: Domain) -> None:
    idem = domain.idempotency
    digest = fingerprint(EP, [])
    idem.begin(TENANT, "shared", EP, digest)
    assert idem.begin("acct_other", "shared", EP, digest) is None


def test_forgotten_claims_can_be_retried(domain: Domain) -> None:
    idem = domain.idempotency
    digest = fingerprint(EP, [])
    idem.begin(TENANT, "k3", EP, digest)
    idem.forget(TENANT, "k3")
    assert idem.begin(TENANT, "k3", EP, digest) is None


def test_keys_expire_after_a_day(domain: Domain, wall: FakeWall) -> None:
    idem = domain.idempotency
    idem.begin(TENANT, "old", EP, fingerprint(EP, [("a", "1")]))
    idem.finish(TENANT, "old", 200, b"{}")
    wall.now += RETENTION_SECONDS + 1
    assert idem.begin(TENANT, "old", EP, fingerprint(EP, [("a", "2")])) is None


def test_recover_releases_claims_of_requests_that_died(domain: Domain) -> None:
    idem = domain.idempotency
    digest = fingerprint(EP, [])
    idem.begin(TENANT, "dead", EP, digest)
    assert idem.recover() == 1
    assert idem.begin(TENANT, "dead", EP, digest) is None


@pytest.mark.parametrize("key", ["", "x" * 256])
def test_key_length_is_bounded(domain: Domain, key: str) -> None:
    with pytest.raises(InvalidRequest):
        domain.idempotency.begin(TENANT, key, EP, "d")
