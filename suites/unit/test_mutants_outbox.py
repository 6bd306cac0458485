"""The outbox, the journal, events and webhook endpoints through the core's own API: what
is recorded for each delivery attempt, how listings filter and page, and the errors a bad
endpoint gets."""

from __future__ import annotations

import pytest
from paylab.simulator.core.clock import Clock
from paylab.simulator.core.domain import Domain
from paylab.simulator.core.errors import InvalidRequest, NotFound
from paylab.simulator.core.journal import Entry, Journal
from paylab.simulator.core.store import Store
from paylab.simulator.gateways.stripe import vocabulary as stripe_words
from paylab.suites.unit.conftest import TENANT, FakeWall


def hooked(domain: Domain, events: list[str] | None = None) -> dict:
    return domain.endpoints.create(TENANT, "stripe", url="https://shop.example/hook",
                                   enabled_events=events or ["payment.created"])


def created(domain: Domain, tenant: str = TENANT) -> dict:
    return domain.payments.create(tenant, "stripe", {"amount": 900, "currency": "usd"})


# -- attempts ---------------------------------------------------------------------------------
def test_an_attempt_records_its_answer_rounded_and_cut(domain: Domain, wall: FakeWall) -> None:
    hooked(domain)
    created(domain)
    (claimed,) = domain.outbox.claim_due(10)
    status = domain.outbox.record_attempt(claimed, started=wall.now, duration_ms=1.23456,
                                          status_code=500, response="x" * 600, error=None)
    assert status == "pending"
    (attempt,) = domain.outbox.listing()[0]["attempts"]
    assert (attempt["duration_ms"], attempt["response"]) == (1.235, "x" * 500)


@pytest.mark.parametrize(("response", "stored"), [("ok", "ok"), ("", ""), (None, None)])
def test_an_attempt_keeps_the_answer_as_given(domain: Domain, wall: FakeWall,
                                              response: str | None, stored: str | None) -> None:
    hooked(domain)
    created(domain)
    (claimed,) = domain.outbox.claim_due(10)
    domain.outbox.record_attempt(claimed, started=wall.now, duration_ms=1, status_code=200,
                                 response=response, error=None)
    assert domain.outbox.listing()[0]["attempts"][0]["response"] == stored


@pytest.mark.parametrize(("status_code", "status"), [
    (199, "pending"), (200, "delivered"), (299, "delivered"), (300, "pending"),
])
def test_only_a_2xx_answer_delivers(domain: Domain, wall: FakeWall, status_code: int,
                                    status: str) -> None:
    hooked(domain)
    created(domain)
    (claimed,) = domain.outbox.claim_due(10)
    assert domain.outbox.record_attempt(claimed, started=wall.now, duration_ms=1,
                                        status_code=status_code, response="",
                                        error=None) == status
    assert domain.outbox.backlog() == (1 if status == "pending" else 0)


# -- listings ---------------------------------------------------------------------------------
def test_delivery_listings_filter_and_page(domain: Domain, wall: FakeWall) -> None:
    endpoint = hooked(domain, ["*"])
    domain.endpoints.create("acct_other", "stripe", url="https://other.example/hook",
                            enabled_events=["*"])
    for _ in range(101):
        created(domain)
    created(domain, "acct_other")
    assert len(domain.outbox.listing()) == 100
    assert len(domain.outbox.listing(limit=200)) == 102
    assert len(domain.outbox.listing(tenant="acct_other")) == 1
    (claimed, *_) = domain.outbox.claim_due(1)
    domain.outbox.record_attempt(claimed, started=wall.now, duration_ms=1, status_code=200,
                                 response="", error=None)
    (delivered,) = domain.outbox.listing(status="delivered")
    assert delivered == {
        "id": claimed.id, "tenant": TENANT, "gateway": "stripe", "event_id": claimed.event_id,
        "endpoint_id": endpoint["id"], "status": "delivered", "attempt_count": 1,
        "next_attempt_at": None, "created": delivered["created"], "copy": 0, "effect": None,
        "attempts": delivered["attempts"]}
    assert delivered["created"] == pytest.approx(wall.now)
    assert [d["id"] for d in domain.outbox.listing(event_id=claimed.event_id)] == [claimed.id]


def test_the_journal_reads_200_entries_unless_told(domain: Domain) -> None:
    journal = Journal(Store(":memory:"))
    for n in range(201):
        journal.append(Entry(at=n, gateway="stripe", tenant="t", method="GET", path="/",
                             status=200, latency_ms=0))
    assert len(journal.read()) == 200 and len(journal.read(limit=500)) == 201


# -- events -----------------------------------------------------------------------------------
def test_event_wildcards_cover_their_family_only(domain: Domain) -> None:
    domain.payments.create(TENANT, "stripe", {"amount": 900, "currency": "usd",
                                             "payment_method": "pm_card_visa", "confirm": True})
    domain.sessions.create(TENANT, "stripe", {"success_url": "https://x/", "amount": 900})
    session = domain.sessions.page(TENANT)[0][0]
    domain.sessions.expire(TENANT, session["id"])
    charges, more = domain.events.page(TENANT, types=stripe_words.type_filter(["charge.*"]))
    assert [e["type"] for e in charges] == ["charge.succeeded"] and more is False
    assert stripe_words.type_filter(["nothing.*"]) == []
    assert domain.events.page(TENANT, types=[]) == ([], False)
    every, _ = domain.events.page(TENANT, limit=100)
    assert "checkout.expired" in [e["type"] for e in every]


def test_missing_objects_are_named_by_id(domain: Domain) -> None:
    for lookup in (lambda: domain.events.get(TENANT, "evt_x"),
                   lambda: domain.payments.get(TENANT, "pi_x"),
                   lambda: domain.endpoints.get(TENANT, "we_x"),
                   lambda: domain.refunds.get(TENANT, "re_x"),
                   lambda: domain.methods.get(TENANT, "pm_x")):
        with pytest.raises(NotFound) as caught:
            lookup()
        assert caught.value.param == "id"
    with pytest.raises(NotFound) as capture:
        domain.payments.capture(TENANT, "pi_missing")
    assert capture.value.param == "id"


# -- endpoints --------------------------------------------------------------------------------
def test_an_endpoint_needs_events_and_only_known_ones(domain: Domain) -> None:
    with pytest.raises(InvalidRequest) as missing:
        domain.endpoints.create(TENANT, "stripe", url="https://x/", enabled_events=[])
    assert (missing.value.code, missing.value.param, stripe_words.message(missing.value)) == (
        "missing_parameter", "enabled_events", "Missing required param: enabled_events.")
    with pytest.raises(InvalidRequest) as unknown:
        domain.endpoints.create(TENANT, "stripe", url="https://x/",
                                enabled_events=["*", "charge.nope"])
    assert (unknown.value.code, unknown.value.param) == ("invalid_choice", "enabled_events[1]")
    assert stripe_words.message(unknown.value).startswith(
        "Invalid enabled_events[1]: must be one of *, payment_intent.created, ")


def test_a_new_endpoint_gets_the_very_next_event(domain: Domain) -> None:
    first = hooked(domain)
    created(domain)
    second = hooked(domain)
    created(domain)
    endpoints = [d["endpoint_id"] for d in domain.outbox.listing()]
    assert sorted(endpoints) == sorted([first["id"], first["id"], second["id"]])


def test_an_endpoint_aimed_at_the_simulator_itself_is_refused(wall: FakeWall) -> None:
    from paylab.simulator.core.self_address import SelfAddress

    domain = Domain(Store(":memory:"), Clock(wall=wall), seed=7,
                    self_address=SelfAddress("127.0.0.1", 8080))
    url = "http://127.0.0.1:8080/_sim/reset"
    with pytest.raises(InvalidRequest) as refused:
        domain.endpoints.create(TENANT, "stripe", url=url, enabled_events=["*"])
    assert (refused.value.code, refused.value.param) == ("invalid_url", "url")
    assert stripe_words.code(refused.value.code) == "url_invalid"
    assert refused.value.message.startswith(f"Invalid URL: {url} points at this simulator")


# -- the clock --------------------------------------------------------------------------------
def test_the_clock_moves_by_any_amount_forward_and_none_backward() -> None:
    clock = Clock(wall=FakeWall())
    before = clock.now()
    assert clock.advance(0) == before
    assert clock.advance(0.5) == before + 0.5
    with pytest.raises(ValueError, match="forward") as backwards:
        clock.advance(-0.5)
    assert str(backwards.value) == "the clock only moves forward"
