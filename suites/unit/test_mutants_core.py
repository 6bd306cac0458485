"""The core's small building blocks, pinned down where mutation testing found them loose:
money limits, ids, the clock, credentials, the journal, timers, the ledger, lists."""

from __future__ import annotations

import string

import pytest
from paylab.simulator.core import money
from paylab.simulator.core.clock import Clock
from paylab.simulator.core.credentials import new_credential, same_credential
from paylab.simulator.core.domain import Domain
from paylab.simulator.core.errors import CardDeclined, InvalidRequest, InvalidState, NotFound
from paylab.simulator.core.events import event_matches
from paylab.simulator.core.journal import Entry, Journal
from paylab.simulator.core.ledger import ledger
from paylab.simulator.core.lifecycle import check_transition
from paylab.simulator.core.origin import NOWHERE, Origin
from paylab.simulator.core.rand import Rand, fresh_seed
from paylab.simulator.core.store import Store
from paylab.simulator.gateways.stripe import vocabulary as stripe_words
from paylab.suites.unit.conftest import TENANT, FakeWall

BASE62 = set(string.ascii_letters + string.digits)


# -- money ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("amount", "currency", "accepted"), [
    (50, "usd", True), (49, "usd", False), (30, "gbp", True), (29, "gbp", False),
    (1000, "twd", True), (400, "hkd", True), (399, "hkd", False), (50, "sgd", True),
    (99_999_999, "usd", True), (100_000_000, "usd", False),
])
def test_amount_limits_are_inclusive(amount: int, currency: str, accepted: bool) -> None:
    if accepted:
        money.check_amount(amount, currency)
    else:
        with pytest.raises(InvalidRequest):
            money.check_amount(amount, currency)


def test_the_largest_amount_is_named_in_the_currency() -> None:
    with pytest.raises(InvalidRequest) as caught:
        money.check_amount(100_000_000, "usd")
    assert (caught.value.code, caught.value.param) == ("amount_too_large", "amount")
    assert caught.value.message == "Amount must be no more than 999,999.99 USD"


@pytest.mark.parametrize(("amount", "currency", "text"), [
    (-1000, "jpy", "-1,000 JPY"), (0, "usd", "0.00 USD"), (7, "kwd", "0.007 KWD"),
    (123456789, "usd", "1,234,567.89 USD"),
])
def test_format_amount_edges(amount: int, currency: str, text: str) -> None:
    assert money.format_amount(amount, currency) == text


@pytest.mark.parametrize(("amount", "currency", "text"), [
    (-4690, "usd", "-$46.90"), (1500, "krw", "₩1,500"), (99, "gbp", "£0.99"),
    (1000, "hkd", "HK$10.00"), (-5, "chf", "-0.05 CHF"),
])
def test_display_amount_edges(amount: int, currency: str, text: str) -> None:
    assert money.display_amount(amount, currency) == text


# -- ids and randomness -----------------------------------------------------------------------
def test_ids_carry_generation_and_counter_then_random_characters() -> None:
    rand = Rand(11, generation=1)
    first, second = rand.new_id("pi"), rand.new_id("pi")
    assert first.startswith("pi_01000001") and second.startswith("pi_01000002")
    assert len(first) == len("pi_") + 24 and set(first[3:]) <= BASE62
    assert first < second  # ids issued later sort later
    long_id = rand.new_id("cs_test", 58)
    assert len(long_id) == len("cs_test_") + 58
    assert len(rand.token()) == 24 and len(rand.token(5)) == 5
    assert set(rand.token(200)) <= BASE62 and len(set(rand.token(200))) > 30


def test_the_seeded_stream_is_reproducible_and_bounded() -> None:
    a, b = Rand(3), Rand(3)
    draws = [a.random() for _ in range(50)]
    assert draws == [b.random() for _ in range(50)]
    assert all(0.0 <= d < 1.0 for d in draws)
    ints = [a.randint(2, 4) for _ in range(100)]
    assert set(ints) == {2, 3, 4}
    a.reseed(0)
    assert a.random() == Rand(3).random()
    assert Rand(3, generation=1).new_id("x") != Rand(3).new_id("x")
    seeds = [fresh_seed() for _ in range(20)]
    assert all(0 <= s < 2**31 for s in seeds) and max(seeds) > 2**20


# -- the clock --------------------------------------------------------------------------------
def test_the_clock_refuses_nonsense_and_only_moves_forward() -> None:
    with pytest.raises(ValueError, match="time_scale must be positive"):
        Clock(0)
    wall = FakeWall()
    clock = Clock(wall=wall)
    heard: list[float] = []
    clock.subscribe(lambda: heard.append(clock.now()))
    with pytest.raises(ValueError, match="the clock only moves forward"):
        clock.advance(-1)
    assert clock.advance(30) == wall.now + 30 == clock.now()
    assert heard == [wall.now + 30] and clock.offset == 30
    assert clock.wall() == wall.now
    clock.not_before(clock.now() - 100)  # already later: nothing changes
    assert clock.offset == 30
    clock.set_offset(5)
    assert clock.now() == wall.now + 5
    assert clock.real_delay(-3) == 0.0 and clock.real_delay(4) == 4.0


# -- credentials ------------------------------------------------------------------------------
def test_credentials_are_base62_of_the_asked_length_and_never_repeat() -> None:
    made = {new_credential() for _ in range(20)}
    assert len(made) == 20
    assert all(len(c) == 32 and set(c) <= BASE62 for c in made)
    assert len(new_credential(8)) == 8


@pytest.mark.parametrize(("expected", "given", "same"), [
    ("tok", "tok", True), ("tok", "tok ", False), ("tok", "", False), ("tok", None, False),
    (None, "tok", False), ("", "", False), (None, None, False), ("ключ", "ключ", True),
    ("ключ", "ключи", False),
])
def test_credentials_compare_any_text_safely(expected: str | None, given: str | None,
                                             same: bool) -> None:
    assert same_credential(expected, given) is same


def test_credentials_compare_undecodable_bytes_safely() -> None:
    # not a parameter: a lone surrogate in a test id breaks the Allure result file
    assert same_credential("tok", "t\udcffk") is False


# -- the transition table ---------------------------------------------------------------------
def test_a_forbidden_transition_says_which() -> None:
    with pytest.raises(InvalidState) as caught:
        check_transition("succeeded", "canceled")
    assert caught.value.code == "invalid_state"
    assert caught.value.message == "A payment cannot move from succeeded to canceled."
    assert (caught.value.context["status"], caught.value.context["target"]) == (
        "succeeded", "canceled")
    assert stripe_words.message(caught.value) == (
        "A PaymentIntent cannot move from succeeded to canceled.")
    check_transition("pending", "succeeded")


def test_event_subscriptions_match_exactly_or_everything() -> None:
    assert event_matches(["*"], "charge.refunded")
    assert event_matches(["charge.refunded"], "charge.refunded")
    assert not event_matches(["charge.succeeded"], "charge.refunded")
    assert not event_matches([], "charge.refunded")


# -- the journal ------------------------------------------------------------------------------
def entry(n: int, **changes: object) -> Entry:
    fields: dict = {"at": 1000.0 + n, "gateway": "stripe", "tenant": "acct_a", "method": "POST",
                    "path": f"/stripe/v1/x/{n}", "status": 200, "latency_ms": 1.23456,
                    **changes}
    return Entry(**fields)


def test_the_journal_reads_back_in_order_with_filters() -> None:
    journal = Journal(Store(":memory:"))
    journal.append(entry(1, request_id="req_1", run_id="r1", idempotency_key="k",
                         effect="x:latency=1ms"))
    journal.append(entry(2, tenant="acct_b", gateway="ecpay"))
    journal.append(entry(3, direction="out", run_id="r1"))
    rows = journal.read()
    assert [r["path"] for r in rows] == ["/stripe/v1/x/1", "/stripe/v1/x/2", "/stripe/v1/x/3"]
    first = rows[0]
    assert first == {"seq": first["seq"], "at": 1001.0, "gateway": "stripe", "tenant": "acct_a",
                     "method": "POST", "path": "/stripe/v1/x/1", "status": 200,
                     "latency_ms": 1.235, "request_id": "req_1", "run_id": "r1",
                     "idempotency_key": "k", "effect": "x:latency=1ms", "direction": "in"}
    paths = [[r["path"][-1] for r in journal.read(**kw)] for kw in (
        {"tenant": "acct_b"}, {"gateway": "stripe"}, {"run_id": "r1"}, {"direction": "out"},
        {"after": first["seq"]}, {"limit": 2})]
    assert paths == [["2"], ["1", "3"], ["1", "3"], ["3"], ["2", "3"], ["1", "2"]]


def test_the_journal_trims_its_oldest_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    from paylab.simulator.core import journal as journal_module

    monkeypatch.setattr(journal_module, "MAX_ROWS", 10)
    journal = Journal(Store(":memory:"))
    for n in range(4999):
        journal.append(entry(n))
    assert len(journal.read(limit=10_000)) == 4999
    journal.append(entry(4999))
    kept = journal.read(limit=10_000)
    assert [r["path"] for r in kept] == [f"/stripe/v1/x/{n}" for n in range(4990, 5000)]


# -- timers -----------------------------------------------------------------------------------
def test_timers_fire_in_due_order(domain: Domain, wall: FakeWall) -> None:
    woken: list[int] = []
    domain.timers.on_schedule(lambda: woken.append(1))
    assert domain.timers.next_due() is None
    domain.timers.schedule(TENANT, "b", "ref_b", 20, {"n": 2})
    domain.timers.schedule(TENANT, "a", "ref_a", 10, {"n": 1})
    domain.timers.schedule(TENANT, "c", "ref_c", 30, {"n": 3})
    assert woken == [1, 1, 1]
    assert domain.timers.next_due() == wall.now + 10
    assert domain.timers.due() == []
    wall.now += 20
    due = domain.timers.due()
    assert [(t.kind, t.ref, t.tenant, t.payload) for t in due] == [
        ("a", "ref_a", TENANT, {"n": 1}), ("b", "ref_b", TENANT, {"n": 2})]
    assert [t.kind for t in domain.timers.due(limit=1)] == ["a"]
    domain.timers.done(due[0].id)
    assert [t.kind for t in domain.timers.due()] == ["b"]
    assert domain.timers.next_due() == wall.now


# -- the ledger -------------------------------------------------------------------------------
def test_the_ledger_sums_per_currency_from_stored_state(domain: Domain) -> None:
    pay = domain.payments.create(TENANT, "stripe", {
        "amount": 2000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True})
    held = domain.payments.create(TENANT, "stripe", {
        "amount": 3000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True,
        "capture_method": "manual"})
    domain.payments.create("acct_other", "stripe", {
        "amount": 500, "currency": "eur", "payment_method": "pm_card_visa", "confirm": True})
    domain.refunds.create(TENANT, {"payment": pay["id"], "amount": 700})
    domain.refunds.create(TENANT, {"payment": pay["id"], "amount": 300})
    mine = ledger(domain.objects, TENANT)
    assert mine["totals"] == {"usd": {"authorized": 5000, "captured": 2000, "refunded": 1000}}
    rows = {r["id"]: r for r in mine["payments"]}
    assert rows[pay["id"]] == {
        "id": pay["id"], "tenant": TENANT, "gateway": "stripe", "status": "succeeded",
        "currency": "usd", "amount": 2000, "authorized": 2000, "captured": 2000,
        "refunded": 1000, "refund_count": 2}
    assert (rows[held["id"]]["authorized"], rows[held["id"]]["captured"]) == (3000, 0)
    assert (rows[held["id"]]["refunded"], rows[held["id"]]["refund_count"]) == (0, 0)
    everyone = ledger(domain.objects)
    assert set(everyone["totals"]) == {"usd", "eur"} and len(everyone["payments"]) == 3


# -- documents and lists ----------------------------------------------------------------------
@pytest.mark.parametrize("limit", [0, 101])
def test_list_limits_are_between_1_and_100(domain: Domain, limit: int) -> None:
    with pytest.raises(InvalidRequest) as caught:
        domain.payments.page(TENANT, limit=limit)
    assert (caught.value.code, caught.value.param) == ("out_of_range", "limit")
    assert caught.value.message == "Invalid limit: must be between 1 and 100"


def test_limits_of_1_and_100_are_fine(domain: Domain) -> None:
    for _ in range(2):
        domain.payments.create(TENANT, "stripe", {"amount": 900, "currency": "usd"})
    assert len(domain.payments.page(TENANT, limit=1)[0]) == 1
    assert domain.payments.page(TENANT, limit=1)[1] is True
    assert domain.payments.page(TENANT, limit=100)[1] is False


def test_documents_are_found_by_tenant_kind_tag_and_parent(domain: Domain) -> None:
    objects = domain.objects
    objects.insert(TENANT, "thing", {"id": "t1", "created": 1, "v": 1}, parent="p", tag="x")
    objects.insert(TENANT, "thing", {"id": "t2", "created": 2, "v": 2}, parent="p", tag="x")
    objects.insert("acct_other", "thing", {"id": "t3", "created": 3}, parent="p", tag="x")
    assert [d["id"] for d in objects.children(TENANT, "thing", "p")] == ["t1", "t2"]
    assert objects.tagged(TENANT, "thing", "x")["id"] == "t2"
    assert objects.tagged(TENANT, "thing", "y") is None
    objects.retag(TENANT, "thing", "t1", "y")
    assert objects.tagged(TENANT, "thing", "y")["id"] == "t1"
    assert objects.find_any("thing", "t3") == ("acct_other", {"id": "t3", "created": 3})
    assert objects.find_any("thing", "t9") is None
    assert [t for t, _ in objects.all_of("thing")] == [TENANT, TENANT, "acct_other"]
    assert [d["id"] for _, d in objects.all_of("thing", TENANT)] == ["t1", "t2"]
    objects.update(TENANT, "thing", {"id": "t1", "created": 1, "v": 9})
    assert objects.find(TENANT, "thing", "t1")["v"] == 9
    with pytest.raises(NotFound) as caught:
        objects.update(TENANT, "thing", {"id": "t3", "created": 3})
    assert caught.value.message == "No such thing: 't3'" and caught.value.param == "id"
    objects.delete(TENANT, "thing", "t1")
    assert objects.find(TENANT, "thing", "t1") is None
    assert objects.find("acct_other", "thing", "t3") is not None


def test_parent_and_tag_filters_page_together(domain: Domain) -> None:
    objects = domain.objects
    for n, (parent, tag) in enumerate([("p1", "a"), ("p1", "b"), ("p2", "a"), (None, "c")]):
        objects.insert(TENANT, "thing", {"id": f"t{n}", "created": n}, parent=parent, tag=tag)
    ids = [[d["id"] for d in objects.page(TENANT, "thing", **kw)[0]] for kw in (
        {"parent": "p1"}, {"tags": ["a"]}, {"tags": ["a", "c"]}, {"parent": "p1", "tags": ["a"]},
        {"created": {"gt": 0, "lt": 3}}, {"created": {"gte": 1, "lte": 1}})]
    assert ids == [["t1", "t0"], ["t2", "t0"], ["t3", "t2", "t0"], ["t0"], ["t2", "t1"], ["t1"]]


# -- payments, sessions and the domain through the core's own API ------------------------------
def card_payment(domain: Domain, card: str = "pm_card_visa", *, origin: Origin = NOWHERE,
                 **extra: object) -> dict:
    return domain.payments.create(TENANT, "stripe", {
        "amount": 2000, "currency": "usd", "payment_method": card, "confirm": True, **extra},
        origin=origin)


def test_only_a_pending_challenge_can_be_authenticated(domain: Domain) -> None:
    paid = card_payment(domain)
    with pytest.raises(InvalidState) as caught:
        domain.payments.authenticate(TENANT, paid["id"], "passed")
    assert stripe_words.message(caught.value) == (
        "You cannot authenticate this PaymentIntent because it has a status of succeeded. "
        "Only a PaymentIntent with one of the following statuses may be authenticated: "
        "requires_action.")
    assert caught.value.context["payment"]["id"] == paid["id"]
    challenged = card_payment(domain, "pm_card_threeDSecure2Required")
    domain.payments.cancel(TENANT, challenged["id"])
    with pytest.raises(InvalidState) as canceled:
        domain.payments.authenticate(TENANT, challenged["id"], "passed")
    assert stripe_words.message(canceled.value).startswith(
        "You cannot authenticate this PaymentIntent because it has a status of canceled.")
    assert domain.charges.page(TENANT, payment=challenged["id"])[0] == []


def test_canceling_after_a_decline_leaves_the_failed_charge_alone(domain: Domain) -> None:
    with pytest.raises(CardDeclined) as declined:
        card_payment(domain, "pm_card_chargeDeclined")
    payment = declined.value.context["payment"]
    canceled = domain.payments.cancel(TENANT, payment["id"], "abandoned")
    assert canceled["status"] == "canceled"
    charge = domain.charges.get(TENANT, payment["latest_charge"])
    assert (charge["refunded"], charge["amount_refunded"]) == (False, 0)
    types = [e["type"] for e in domain.events.page(TENANT, limit=100)[0]]
    assert "charge.refunded" not in types


def test_completing_a_session_is_idempotent_and_needs_a_payment(domain: Domain) -> None:
    session = domain.sessions.create(TENANT, "stripe", {
        "success_url": "https://shop.example/ok", "amount": 1500, "currency": "usd"})
    with pytest.raises(NotFound) as unpaid:
        domain.sessions.complete(TENANT, session["id"])
    assert unpaid.value.message == "No such payment: ''"
    assert stripe_words.message(unpaid.value) == "No such payment_intent: ''"
    _, payment = domain.sessions.pay(TENANT, session["id"], {
        "number": "4000000000003220", "exp_month": 12, "exp_year": 2040, "cvc": "123"},
        name="Mei", email=None, return_url="https://x/")
    assert payment["status"] == "needs_action"
    with pytest.raises(InvalidState) as pending:
        domain.sessions.complete(TENANT, session["id"])
    assert (pending.value.code, stripe_words.message(pending.value)) == (
        "checkout_unpaid", "This Checkout Session has not been paid.")
    domain.payments.authenticate(TENANT, payment["id"], "passed")
    assert domain.sessions.get(TENANT, session["id"])["status"] == "complete"
    again = domain.sessions.complete(TENANT, session["id"])
    assert again["status"] == "complete"
    completed = domain.events.page(TENANT, types=["checkout.completed"])[0]
    assert len(completed) == 1 and completed[0]["gateway"] == "stripe"


def test_a_review_can_be_fetched_by_its_tenant_only(domain: Domain) -> None:
    payment = card_payment(domain)
    charge = domain.charges.get(TENANT, payment["latest_charge"])
    review = domain.reviews.open(TENANT, payment, charge, "big-orders")
    assert domain.reviews.get(TENANT, review["id"]) == review
    with pytest.raises(NotFound):
        domain.reviews.get("acct_other", review["id"])
    opened = domain.events.page(TENANT, types=["review.opened"])[0][0]
    assert opened["gateway"] == "stripe" and opened["object"]["id"] == review["id"]


def test_revocations_and_the_clock_survive_a_restart(tmp_path: object) -> None:
    path = f"{tmp_path}/d.db"
    first = Domain(Store(path), Clock(), seed=1)
    first.revoke("acct_gone")
    first.revoke("acct_back")
    first.revoke("acct_back", revoked=False)
    first.advance_clock(500)
    first.store.close()
    again = Domain(Store(path), Clock(), seed=1)
    assert again.revoked == {"acct_gone"}
    assert again.clock.offset == pytest.approx(500, abs=1)


def test_a_full_reset_starts_the_clock_and_the_id_stream_over(tmp_path: object) -> None:
    path = f"{tmp_path}/d.db"
    for _ in range(3):  # three boots, each drawing one id: the counter goes on
        booted = Domain(Store(path), Clock(), seed=1)
        booted.rand.new_id("pi")
        booted.store.close()
    assert booted.store.path and Store(path).get_meta("boots") == "3"
    wall = FakeWall()
    domain = Domain(Store(path), Clock(wall=wall), seed=1)
    first = domain.rand.new_id("pi")
    assert first.startswith("pi_00000004")
    domain.advance_clock(100)
    domain.reset()
    assert domain.clock.now() == wall.now and domain.clock.offset == 0.0
    assert domain.rand.new_id("pi").startswith("pi_00000001")
    domain.store.close()
    restarted = Domain(Store(path), Clock(wall=wall), seed=1)
    assert restarted.rand.new_id("pi").startswith("pi_00000002")


def test_a_tenant_reset_keeps_everyone_else(domain: Domain) -> None:
    mine = card_payment(domain)
    theirs = domain.payments.create("acct_other", "stripe", {"amount": 900, "currency": "usd"})
    domain.advance_clock(60)
    domain.reset(TENANT)
    assert domain.objects.find(TENANT, "payment", mine["id"]) is None
    assert domain.objects.find("acct_other", "payment", theirs["id"]) == theirs
    assert domain.clock.offset == 60


def test_a_claim_in_flight_is_refused_as_a_double_click(domain: Domain) -> None:
    from paylab.simulator.core.errors import IdempotencyInFlight

    domain.idempotency.begin(TENANT, "k", "POST /x", "d")
    with pytest.raises(IdempotencyInFlight) as caught:
        domain.idempotency.begin(TENANT, "k", "POST /x", "d")
    assert caught.value.code == "idempotency_key_in_use"
    assert caught.value.message == (
        "There is currently another in-progress request using this Idempotency-Key "
        "(probably means you clicked twice). Please retry the request.")


def test_an_idempotency_key_lives_exactly_a_day(domain: Domain, wall: FakeWall) -> None:
    from paylab.simulator.core.idempotency import RETENTION_SECONDS

    domain.idempotency.begin(TENANT, "k", "POST /x", "d1")
    domain.idempotency.finish(TENANT, "k", 200, b"{}")
    wall.now += RETENTION_SECONDS
    replay = domain.idempotency.begin(TENANT, "k", "POST /x", "d1")
    assert replay is not None and replay.body == b"{}"


def test_a_deleted_endpoint_gets_no_more_deliveries(domain: Domain) -> None:
    endpoint = domain.endpoints.create(TENANT, "stripe", url="https://shop.example/hook",
                                       enabled_events=["*"])
    domain.payments.create(TENANT, "stripe", {"amount": 900, "currency": "usd"})
    assert len(domain.outbox.listing(tenant=TENANT)) == 1
    domain.endpoints.delete(TENANT, endpoint["id"])
    domain.payments.create(TENANT, "stripe", {"amount": 900, "currency": "usd"})
    assert len(domain.outbox.listing(tenant=TENANT)) == 1


def test_an_abandoned_delivery_records_an_instant_attempt(domain: Domain) -> None:
    domain.endpoints.create(TENANT, "stripe", url="https://shop.example/hook",
                            enabled_events=["*"])
    domain.payments.create(TENANT, "stripe", {"amount": 900, "currency": "usd"})
    (delivery,) = domain.outbox.claim_due(10)
    domain.outbox.abandon(delivery, "endpoint deleted")
    (row,) = domain.outbox.listing(tenant=TENANT)
    assert (row["status"], row["attempt_count"], row["next_attempt_at"]) == ("abandoned", 1,
                                                                           None)
    assert row["attempts"] == [{"n": 1, "started": row["attempts"][0]["started"],
                                "duration_ms": 0.0, "status_code": None, "response": None,
                                "error": "endpoint deleted"}]
    assert domain.outbox.backlog() == 0


def test_metadata_updates_follow_stripe(domain: Domain) -> None:
    from paylab.simulator.core.endpoints import merge_metadata

    assert merge_metadata({"a": "1", "b": "2"}, {"a": "", "c": "3"}) == {"b": "2", "c": "3"}
    assert merge_metadata({"a": "1"}, {"gone": ""}) == {"a": "1"}
    assert merge_metadata({"a": "1"}, "") == {}
    original = {"a": "1"}
    merge_metadata(original, {"a": "2"})
    assert original == {"a": "1"}


def test_timers_expire_open_sessions_and_settle_processing_payments(domain: Domain,
                                                                    wall: FakeWall) -> None:
    from paylab.simulator.core.cards import Behaviour, behaviour_doc
    from paylab.simulator.scheduler import Scheduler

    session = domain.sessions.create(TENANT, "stripe", {
        "success_url": "https://shop.example/ok", "amount": 1500, "currency": "usd",
        "expires_at": int(wall.now) + 1800})
    paid = domain.sessions.create(TENANT, "stripe", {
        "success_url": "https://shop.example/ok", "amount": 1500, "currency": "usd",
        "expires_at": int(wall.now) + 1800})
    domain.sessions.pay(TENANT, paid["id"], {"number": "4242424242424242", "exp_month": 1,
                                             "exp_year": 2040}, name="Mei", email=None,
                        return_url="https://x/")
    processing = Behaviour(outcome="processing", delay=60, then=Behaviour())
    slow = card_payment(domain, origin=Origin(override=processing))
    assert slow["status"] == "pending"
    assert domain.timers.due() == []  # nothing due yet
    wall.now += 1800
    scheduler = Scheduler(domain)
    assert scheduler.fire_due() == 3  # two expiries (one a no-op) and the settlement
    assert domain.sessions.get(TENANT, session["id"])["status"] == "expired"
    assert domain.sessions.get(TENANT, paid["id"])["status"] == "complete"
    assert domain.payments.get(TENANT, slow["id"])["status"] == "succeeded"
    assert domain.payments.settle(TENANT, slow["id"], {"then": behaviour_doc(Behaviour())}) \
        == domain.payments.get(TENANT, slow["id"])  # settled already: nothing more happens
    assert domain.payments.settle(TENANT, "pi_gone", {"then": {}}) is None
    expired = domain.events.page(TENANT, types=["checkout.expired"])[0]
    assert [e["object"]["id"] for e in expired] == [session["id"]]


# -- the outbox's redelivery, lookups and replays ---------------------------------------------
def delivered_row(domain: Domain, wall: FakeWall) -> int:
    domain.endpoints.create(TENANT, "stripe", url="https://shop.example/hook",
                            enabled_events=["payment.created"])
    domain.payments.create(TENANT, "stripe", {"amount": 900, "currency": "usd"})
    (claimed,) = domain.outbox.claim_due(10)
    domain.outbox.record_attempt(claimed, started=wall.now, duration_ms=1, status_code=200,
                                 response="ok", error=None, signed_at=1234)
    return claimed.id


def test_asking_again_for_a_delivery_already_due_books_nothing(domain: Domain,
                                                                wall: FakeWall) -> None:
    from paylab.simulator.core.outbox import REDELIVERY_BURST

    delivery = delivered_row(domain, wall)
    assert domain.outbox.redeliver(delivery)  # books one slot: due now
    for _ in range(REDELIVERY_BURST * 2):  # already due: left as it is, nothing booked
        assert domain.outbox.redeliver(delivery)
    (claimed,) = domain.outbox.claim_due(10)
    domain.outbox.record_attempt(claimed, started=wall.now, duration_ms=1, status_code=200,
                                 response="ok", error=None)
    assert domain.outbox.redeliver(delivery)
    assert domain.outbox.listing()[0]["next_attempt_at"] == domain.clock.now()


def test_asking_for_a_delivery_that_is_due_anyway_books_no_redelivery(
        domain: Domain, wall: FakeWall) -> None:
    from paylab.simulator.core.outbox import REDELIVERY_BURST

    domain.endpoints.create(TENANT, "stripe", url="https://shop.example/hook",
                            enabled_events=["payment.created"])
    domain.payments.create(TENANT, "stripe", {"amount": 900, "currency": "usd"})
    (row,) = domain.outbox.listing()
    assert domain.outbox.redeliver(row["id"])  # never sent, due now: left as it is
    for _ in range(REDELIVERY_BURST):  # each sent and answered, then asked for again
        (claimed,) = domain.outbox.claim_due(10)
        domain.outbox.record_attempt(claimed, started=wall.now, duration_ms=1,
                                     status_code=200, response="ok", error=None)
        domain.outbox.redeliver(row["id"])
    assert domain.outbox.listing()[0]["next_attempt_at"] == domain.clock.now()


def test_a_throttled_redelivery_waits_its_wall_time_on_a_fast_clock(wall: FakeWall) -> None:
    from paylab.simulator.core.outbox import REDELIVERY_BURST, REDELIVERY_WINDOW

    domain = Domain(Store(":memory:"), Clock(time_scale=20, wall=wall), seed=7,
                    retry_schedule=(5,))
    delivery = delivered_row(domain, wall)
    for _ in range(REDELIVERY_BURST):
        domain.outbox.redeliver(delivery)
        (claimed,) = domain.outbox.claim_due(10)
        domain.outbox.record_attempt(claimed, started=wall.now, duration_ms=1,
                                     status_code=200, response="ok", error=None)
    domain.outbox.redeliver(delivery)
    waiting = domain.outbox.listing()[0]["next_attempt_at"] - domain.clock.now()
    assert waiting == pytest.approx(REDELIVERY_WINDOW * 20)


def test_a_delivery_is_read_back_as_claimed_with_its_last_signature_time(
        domain: Domain, wall: FakeWall) -> None:
    domain.endpoints.create(TENANT, "stripe", url="https://shop.example/hook",
                            enabled_events=["payment.created"])
    domain.outbox.chaos = lambda tenant, event, endpoint: _OneCopyChaos()
    domain.payments.create(TENANT, "stripe", {"amount": 900, "currency": "usd"})
    (claimed,) = domain.outbox.claim_due(10)
    assert claimed.chaos == {"delay": 0, "note": "c"}
    assert domain.outbox.last_signed_at(claimed.id) is None
    domain.outbox.record_attempt(claimed, started=wall.now, duration_ms=1, status_code=500,
                                 response="no", error=None, signed_at=1111)
    domain.outbox.record_attempt(claimed, started=wall.now, duration_ms=1, status_code=None,
                                 response=None, error="dropped")
    assert domain.outbox.last_signed_at(claimed.id) == 1111
    again = domain.outbox.delivery(claimed.id)
    assert again == claimed.__class__(**{**claimed.__dict__, "attempts": 2})
    assert domain.outbox.delivery(999_999) is None


class _OneCopyChaos:
    duplicate = 0

    def for_copy(self, copy: int) -> dict:
        return {"delay": 0, "note": "c"}


def test_the_expiry_timer_leaves_sessions_that_are_no_longer_open(domain: Domain) -> None:
    session = domain.sessions.create(TENANT, "stripe", {
        "success_url": "https://shop.example/ok", "amount": 1500, "currency": "usd"})
    domain.sessions.expire(TENANT, session["id"])
    domain.sessions.expire_due(TENANT, session["id"], {})  # already expired: nothing happens
    domain.sessions.expire_due(TENANT, "cs_test_gone", {})
    assert len(domain.events.page(TENANT, types=["checkout.expired"])[0]) == 1


def test_zero_is_not_negative_on_display() -> None:
    assert money.display_amount(0, "usd") == "$0.00"
    assert money.display_amount(-1, "usd") == "-$0.01"


def test_line_items_need_price_data_and_default_to_one_unnamed_item(domain: Domain) -> None:
    with pytest.raises(InvalidRequest) as caught:
        domain.sessions.create(TENANT, "stripe", {"success_url": "https://x/", "line_items": [
            {"price_data": {"currency": "usd", "unit_amount": 500}}, {"quantity": 2}]})
    assert (caught.value.code, caught.value.param) == (
        "missing_parameter", ("line_items", 1, "price_data"))
    assert caught.value.message == "Missing required param: line_items[1][price_data]."
    assert stripe_words.message(caught.value) == caught.value.message
    session = domain.sessions.create(TENANT, "stripe", {"success_url": "https://x/",
                                                        "line_items": [{"price_data": {
                                                            "currency": "USD",
                                                            "unit_amount": 700}}]})
    assert session["line_items"] == [{"name": "Item", "description": None, "quantity": 1,
                                      "unit_amount": 700, "currency": "usd"}]
    assert session["amount_total"] == 700


class _AlwaysChallenge:
    """A risk assessor whose every verdict is: ask for 3-D Secure."""

    def assess(self, attempt: object) -> object:
        from paylab.simulator.core.risk import Decision

        return Decision("require_3ds", "always", 65, "elevated")


def test_a_settled_payment_remembers_whether_it_was_authenticated(domain: Domain,
                                                                 wall: FakeWall) -> None:
    from paylab.simulator.core.cards import Behaviour
    from paylab.simulator.scheduler import Scheduler

    processing = Origin(override=Behaviour(outcome="processing", delay=30, then=Behaviour()))
    try:
        plain = card_payment(domain, origin=processing)
        domain.payments.risk = _AlwaysChallenge()
        challenged = card_payment(domain, origin=processing)
    finally:
        domain.payments.risk = None
    assert (plain["status"], challenged["status"]) == ("pending", "needs_action")
    assert domain.payments.authenticate(TENANT, challenged["id"], "passed")["status"] == \
        "pending"
    wall.now += 30
    assert Scheduler(domain).fire_due() == 2
    secure = {}
    for payment in (plain, challenged):
        settled = domain.payments.get(TENANT, payment["id"])
        assert settled["status"] == "succeeded"
        secure[payment["id"]] = domain.charges.get(TENANT, settled["latest_charge"])[
            "three_d_secure"]
    assert secure == {plain["id"]: None,
                      challenged["id"]: {"authenticated": True, "result": "authenticated"}}


# -- sessions paid twice, expiry edges, refunds of older charges -------------------------------
CARD = {"number": "4242424242424242", "exp_month": 1, "exp_year": 2040}


def open_session(domain: Domain, **params: object) -> dict:
    return domain.sessions.create(TENANT, "stripe", {
        "success_url": "https://shop.example/ok", "amount": 1500, "currency": "usd", **params})


@pytest.mark.parametrize(("capture", "processing", "status"), [
    ("automatic", False, "succeeded"), ("manual", False, "authorized"),
    ("automatic", True, "pending"),
])
def test_a_second_payment_of_a_paid_session_charges_nothing(
        domain: Domain, capture: str, processing: bool, status: str) -> None:
    from paylab.simulator.core.cards import Behaviour

    session = open_session(domain, payment_data={"capture_method": capture})
    origin = Origin(override=Behaviour(outcome="processing", delay=60) if processing else None)
    _, first = domain.sessions.pay(TENANT, session["id"], CARD, name="Mei", email=None,
                                   return_url="https://x/", origin=origin)
    charges = domain.charges.page(TENANT, payment=first["id"])[0]
    again, second = domain.sessions.pay(TENANT, session["id"], CARD, name="Mei",
                                        email=None, return_url="https://x/", origin=origin)
    assert first["status"] == second["status"] == status and second["id"] == first["id"]
    assert again == domain.sessions.get(TENANT, session["id"])
    assert domain.charges.page(TENANT, payment=first["id"])[0] == charges
    assert len(domain.payments.page(TENANT)[0]) == 1


def test_a_session_is_closed_to_payment_from_its_expiry_time(domain: Domain,
                                                             wall: FakeWall) -> None:
    session = open_session(domain, expires_at=int(wall.now) + 1800)
    wall.now = session["expires_at"]
    with pytest.raises(InvalidState) as late:
        domain.sessions.pay(TENANT, session["id"], CARD, name="Mei", email=None,
                            return_url="https://x/")
    assert (late.value.code, stripe_words.message(late.value)) == (
        "checkout_expired", "This Checkout Session has expired.")
    expired = open_session(domain)
    domain.sessions.expire(TENANT, expired["id"])
    with pytest.raises(InvalidState):
        domain.sessions.pay(TENANT, expired["id"], CARD, name="Mei", email=None,
                            return_url="https://x/")


def test_expiring_a_session_abandons_a_pending_challenge(domain: Domain) -> None:
    session = open_session(domain)
    _, payment = domain.sessions.pay(TENANT, session["id"], {**CARD,
                                                             "number": "4000000000003220"},
                                     name="Mei", email=None, return_url="https://x/")
    assert payment["status"] == "needs_action"
    domain.sessions.expire(TENANT, session["id"])
    canceled = domain.payments.get(TENANT, payment["id"])
    assert (canceled["status"], canceled["cancellation_reason"]) == ("canceled", "abandoned")


def test_a_challenge_after_a_decline_clears_the_old_error(domain: Domain) -> None:
    with pytest.raises(CardDeclined) as declined:
        card_payment(domain, "pm_card_chargeDeclined")
    payment = declined.value.context["payment"]
    again = domain.payments.confirm(TENANT, payment["id"],
                                    {"payment_method": "pm_card_threeDSecure2Required"})
    assert (again["status"], again["last_payment_error"]) == ("needs_action", None)


def test_refunds_down_to_the_last_minor_unit(domain: Domain) -> None:
    payment = card_payment(domain)
    domain.refunds.create(TENANT, {"payment": payment["id"], "amount": 1999})
    last = domain.refunds.create(TENANT, {"payment": payment["id"]})
    assert last["amount"] == 1
    with pytest.raises(InvalidRequest) as done:
        domain.refunds.create(TENANT, {"payment": payment["id"]})
    assert done.value.code == "already_refunded"


def test_a_charge_stored_before_releases_were_recorded_refunds_in_full(domain: Domain) -> None:
    payment = card_payment(domain)
    charge = domain.charges.get(TENANT, payment["latest_charge"])
    del charge["amount_released"]  # as an older version stored it
    domain.charges.save(TENANT, charge)
    assert domain.refunds.create(TENANT, {"charge": charge["id"]})["amount"] == 2000


def test_refusing_a_failed_charge_names_its_payment(domain: Domain) -> None:
    with pytest.raises(CardDeclined) as declined:
        card_payment(domain, "pm_card_chargeDeclined")
    charge_id = declined.value.context["charge"]
    payment_id = declined.value.context["payment"]["id"]
    with pytest.raises(InvalidRequest) as refused:
        domain.refunds.create(TENANT, {"charge": charge_id})
    assert refused.value.context["id"] == payment_id
    assert stripe_words.message(refused.value) == (
        f"This PaymentIntent ({payment_id}) does not have a successful charge to refund.")
