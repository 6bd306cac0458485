"""The durable outbox: fan-out to endpoints, the retry schedule, recovery."""

from paylab.simulator.core.clock import Clock
from paylab.simulator.core.domain import Domain
from paylab.simulator.core.store import Store
from paylab.simulator.settings import Settings, parse_schedule
from paylab.suites.unit.conftest import TENANT, FakeWall


def endpoint(domain: Domain, events: list[str]) -> dict:
    return domain.endpoints.create(TENANT, "stripe", url="http://127.0.0.1:9/hook",
                                   enabled_events=events)


def pay(domain: Domain) -> dict:
    return domain.payments.create(TENANT, "stripe", {
        "amount": 2000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True})


def test_events_fan_out_only_to_subscribed_endpoints(domain: Domain) -> None:
    every = endpoint(domain, ["*"])
    succeeded = endpoint(domain, ["payment.succeeded"])
    pay(domain)
    rows = domain.outbox.listing(tenant=TENANT)
    assert sum(r["endpoint_id"] == every["id"] for r in rows) == 3
    assert sum(r["endpoint_id"] == succeeded["id"] for r in rows) == 1


def test_disabled_and_other_tenants_endpoints_get_nothing(domain: Domain) -> None:
    ep = endpoint(domain, ["*"])
    domain.endpoints.update(TENANT, ep["id"], {"disabled": True})
    domain.endpoints.create("acct_other", "stripe", url="http://x/", enabled_events=["*"])
    pay(domain)
    assert domain.outbox.listing() == []


def test_retry_schedule_then_give_up(domain: Domain, wall: FakeWall) -> None:
    endpoint(domain, ["payment.created"])
    domain.payments.create(TENANT, "stripe", {"amount": 2000, "currency": "usd"})
    outbox, schedule = domain.outbox, domain.outbox.retry_schedule
    assert schedule == (5, 300, 1800)
    due_times = []
    for attempt in range(len(schedule) + 1):
        claimed = outbox.claim_due(10)
        assert len(claimed) == 1, attempt
        assert outbox.claim_due(10) == []  # in flight: not claimable twice
        status = outbox.record_attempt(claimed[0], started=wall.now, duration_ms=1,
                                       status_code=500, response="no", error=None)
        row = outbox.listing()[0]
        if attempt < len(schedule):
            assert status == "pending"
            due_times.append(row["next_attempt_at"] - wall.now)
            assert outbox.claim_due(10) == []  # not due yet
            wall.now = row["next_attempt_at"]
        else:
            assert status == "failed"
    assert due_times == [5, 300, 1800]
    assert [a["n"] for a in outbox.listing()[0]["attempts"]] == [1, 2, 3, 4]


def test_success_settles_the_delivery(domain: Domain, wall: FakeWall) -> None:
    endpoint(domain, ["payment.created"])
    domain.payments.create(TENANT, "stripe", {"amount": 2000, "currency": "usd"})
    (claimed,) = domain.outbox.claim_due(10)
    assert domain.outbox.record_attempt(claimed, started=wall.now, duration_ms=3,
                                        status_code=204, response="", error=None) == "delivered"
    assert domain.outbox.backlog() == 0


def test_in_flight_rows_are_pending_again_after_a_crash(domain: Domain) -> None:
    endpoint(domain, ["payment.created"])
    domain.payments.create(TENANT, "stripe", {"amount": 2000, "currency": "usd"})
    assert len(domain.outbox.claim_due(10)) == 1
    assert domain.outbox.recover() == 1
    assert len(domain.outbox.claim_due(10)) == 1


def test_clock_advance_makes_retries_due(domain: Domain, wall: FakeWall) -> None:
    endpoint(domain, ["payment.created"])
    domain.payments.create(TENANT, "stripe", {"amount": 2000, "currency": "usd"})
    (claimed,) = domain.outbox.claim_due(10)
    domain.outbox.record_attempt(claimed, started=wall.now, duration_ms=1, status_code=None,
                                 response=None, error="timed out")
    assert domain.outbox.claim_due(10) == []
    domain.advance_clock(5)
    assert len(domain.outbox.claim_due(10)) == 1


def test_time_scale_makes_virtual_time_run_faster() -> None:
    from paylab.simulator.core.clock import Clock

    wall = FakeWall()
    clock = Clock(time_scale=20, wall=wall)
    start = clock.now()
    wall.now += 0.5
    assert clock.now() - start == 10.0  # half a real second is ten virtual seconds
    assert clock.real_delay(60) == 3.0
    clock.advance(100)
    assert clock.now() - start == 110.0
    clock.not_before(clock.now() + 5)
    assert clock.now() - start == 115.0


def test_a_redelivery_while_an_attempt_is_in_flight_records_both(domain: Domain,
                                                                 wall: FakeWall) -> None:
    endpoint(domain, ["payment.created"])
    domain.payments.create(TENANT, "stripe", {"amount": 2000, "currency": "usd"})
    outbox = domain.outbox
    first = outbox.claim_due(10)[0]
    assert outbox.redeliver(first.id)  # asked for again while the first is still out
    second = outbox.claim_due(10)[0]
    assert second.id == first.id
    outbox.record_attempt(first, started=wall.now, duration_ms=1, status_code=500,
                          response="no", error=None)
    outbox.record_attempt(second, started=wall.now, duration_ms=1, status_code=200,
                          response="ok", error=None)
    row = outbox.listing()[0]
    assert [a["n"] for a in row["attempts"]] == [1, 2]
    assert row["status"] == "delivered"


#: The documented default (README "Webhooks": 5 s, 5 min, 30 min, 2 h, ...), written out
#: here rather than read from the code, so a changed or shifted default fails.
DOCUMENTED_DEFAULT = [5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400]


def test_the_default_schedule_is_standard_webhooks(wall: FakeWall) -> None:
    """A domain built without a schedule retries after exactly the documented delays,
    attempt by attempt, and gives up after the tenth attempt."""
    domain = Domain(Store(":memory:"), Clock(wall=wall), seed=7)
    endpoint(domain, ["payment.created"])
    domain.payments.create(TENANT, "stripe", {"amount": 2000, "currency": "usd"})
    outbox, delays = domain.outbox, []
    for attempt in range(1, len(DOCUMENTED_DEFAULT) + 2):
        (claimed,) = outbox.claim_due(10)
        status = outbox.record_attempt(claimed, started=wall.now, duration_ms=1,
                                       status_code=500, response="no", error=None)
        row = outbox.listing()[0]
        if status == "failed":
            break
        delays.append(row["next_attempt_at"] - wall.now)
        wall.now += delays[-1] - 0.5
        assert outbox.claim_due(10) == [], f"retry {attempt} came early"
        wall.now += 0.5
    assert delays == DOCUMENTED_DEFAULT
    assert (status, attempt, row["attempt_count"]) == ("failed", 10, 10)


def test_the_settings_and_the_command_line_default_to_it() -> None:
    assert list(Settings.from_env({}).retry_schedule) == DOCUMENTED_DEFAULT
    assert list(parse_schedule("5,300,1800")) == [5, 300, 1800]
