"""The outbox's callback targets and per-gateway delivery rules, on the domain alone:
which callbacks an event reaches, finding a target by its id, the gateway's verdict and
schedule in `record_attempt`, and an explicit schedule overriding every gateway's."""

from __future__ import annotations

from paylab.simulator.core.clock import Clock
from paylab.simulator.core.domain import Domain
from paylab.simulator.core.objects import Doc
from paylab.simulator.core.outbox import DEFAULT_RETRY_SCHEDULE, Delivery
from paylab.simulator.core.store import Store
from paylab.suites.unit.conftest import TENANT, FakeWall

URL = "http://127.0.0.1:9/notify"


def emit(domain: Domain, subject: str, kind: str = "order.paid", gateway: str = "fakegw"
         ) -> Doc:
    return domain.events.emit(TENANT, gateway, kind, "order", {"id": subject})


def claim(domain: Domain) -> Delivery:
    claimed = domain.outbox.claim_due(10)
    assert len(claimed) == 1
    return claimed[0]


def event(n: int, subject: str | None, kind: str = "order.paid", gateway: str = "fakegw"
          ) -> Doc:
    """An event as the outbox is handed it (not emitted: no other listener sees it)."""
    return {"id": f"evt_{n}", "gateway": gateway, "type": kind,
            "object": {"id": subject} if subject else {}}


def test_an_event_reaches_the_callbacks_of_its_object_gateway_and_kind(domain: Domain) -> None:
    paid = domain.callbacks.register(TENANT, "fakegw", "ord_1", URL, ["order.paid"])
    every = domain.callbacks.register(TENANT, "fakegw", "ord_1", URL, ["*"])
    domain.callbacks.register(TENANT, "fakegw", "ord_2", URL, ["*"])
    domain.callbacks.register("acct_other", "fakegw", "ord_1", URL, ["*"])
    outbox = domain.outbox
    assert outbox.enqueue_event(TENANT, event(1, "ord_1")) == 2
    assert outbox.enqueue_event(TENANT, event(2, "ord_1", "order.issued")) == 1
    assert outbox.enqueue_event(TENANT, event(3, "ord_1", gateway="other")) == 0
    assert outbox.enqueue_event(TENANT, event(4, None)) == 0  # no object id: no callback
    rows = outbox.listing(tenant=TENANT)
    assert sorted((r["event_id"], r["endpoint_id"]) for r in rows) == sorted(
        [("evt_1", paid["id"]), ("evt_1", every["id"]), ("evt_2", every["id"])])
    assert outbox.target(TENANT, paid["id"]) == paid
    assert outbox.target("acct_other", paid["id"]) is None
    assert outbox.target(TENANT, "cb_missing") is None


def test_endpoints_and_callbacks_share_an_event(domain: Domain) -> None:
    endpoint = domain.endpoints.create(TENANT, "fakegw", url=URL, enabled_events=["*"])
    callback = domain.callbacks.register(TENANT, "fakegw", "ord_1", URL, ["*"])
    emit(domain, "ord_1")  # the domain's events feed the outbox
    assert sorted(r["endpoint_id"] for r in domain.outbox.listing()) == sorted(
        [endpoint["id"], callback["id"]])
    assert domain.outbox.target(TENANT, endpoint["id"]) == endpoint


def test_the_verdict_and_schedule_come_from_the_gateway(wall: FakeWall) -> None:
    domain = Domain(Store(":memory:"), Clock(wall=wall), seed=7,
                    retry_schedule=DEFAULT_RETRY_SCHEDULE)
    assert not domain.outbox.uniform
    assert domain.outbox.schedule_for((30, 60)) == (30, 60)
    assert domain.outbox.schedule_for(None) == DEFAULT_RETRY_SCHEDULE
    domain.callbacks.register(TENANT, "fakegw", "ord_1", URL, ["*"])
    emit(domain, "ord_1")
    outbox = domain.outbox
    refused = outbox.record_attempt(claim(domain), started=wall.now, duration_ms=1,
                                    status_code=200, response="0|error", error=None,
                                    accepted=False, schedule=(30, 60))
    assert refused == "pending"
    assert outbox.listing()[0]["next_attempt_at"] == domain.clock.now() + 30
    wall.now += 30
    assert outbox.record_attempt(claim(domain), started=wall.now, duration_ms=1,
                                 status_code=None, response=None, error="timed out",
                                 accepted=True, schedule=(30, 60)) == "pending"
    assert outbox.listing()[0]["next_attempt_at"] == domain.clock.now() + 60
    wall.now += 60
    assert outbox.record_attempt(claim(domain), started=wall.now, duration_ms=1,
                                 status_code=500, response="1|OK", error=None,
                                 accepted=False, schedule=(30, 60)) == "failed"
    row = outbox.listing()[0]
    assert [a["response"] for a in row["attempts"]] == ["0|error", None, "1|OK"]
    outbox.redeliver(row["id"])
    wall.now += 1
    assert outbox.record_attempt(claim(domain), started=wall.now, duration_ms=1,
                                 status_code=200, response="1|OK", error=None,
                                 accepted=True, schedule=(30, 60)) == "delivered"


def test_without_a_verdict_any_2xx_is_accepted(domain: Domain, wall: FakeWall) -> None:
    domain.callbacks.register(TENANT, "fakegw", "ord_1", URL, ["*"])
    emit(domain, "ord_1")
    assert domain.outbox.record_attempt(claim(domain), started=wall.now, duration_ms=1,
                                        status_code=204, response="", error=None) == "delivered"


def test_an_explicit_schedule_overrides_every_gateways(domain: Domain, wall: FakeWall) -> None:
    assert domain.outbox.uniform  # the unit domain runs on (5, 300, 1800)
    assert domain.outbox.schedule_for((30, 60)) == (5, 300, 1800)
    domain.callbacks.register(TENANT, "fakegw", "ord_1", URL, ["*"])
    emit(domain, "ord_1")
    domain.outbox.record_attempt(claim(domain), started=wall.now, duration_ms=1,
                                 status_code=200, response="0|error", error=None,
                                 accepted=False, schedule=(30, 60))
    assert domain.outbox.listing()[0]["next_attempt_at"] == domain.clock.now() + 5
