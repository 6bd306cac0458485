"""The merchant balance pinned down where mutation testing found it loose: which events
move it, what an entry records (fee parts, net, the day funds become available), refunds
that give the fee back, the status by the clock, filtered pages and the totals."""

from __future__ import annotations

from typing import Any

import pytest
from paylab.simulator.core import balance as b
from paylab.simulator.core import vocabulary as v
from paylab.simulator.core.domain import Domain
from paylab.suites.unit.conftest import TENANT, FakeWall

SCHEDULE = {"methods": {"card": {"percent": 2, "fixed": {"usd": 30}},
                        "wallet": {"percent": 1}},
            "home_country": "US", "settlement_currencies": ["usd", "eur"],
            "refund_fee": "returned", "available_after_days": 2,
            "refund_available_after_days": 1}
#: 2023-11-14 22:13:20 UTC (the fake wall's start); that day began at MIDNIGHT.
START = 1_700_000_000
MIDNIGHT = 1_699_920_000
DAY = 86400


@pytest.fixture
def books(domain: Domain) -> b.Balance:
    domain.balance.fees.offer("stripe", SCHEDULE)
    return domain.balance


def charge(cid: str = "ch_1", amount: int = 1000, **extra: Any) -> dict[str, Any]:
    return {"id": cid, "amount_captured": amount, "currency": "usd", "captured": True,
            "payment": "pay_" + cid, "description": "order 7", "card": {"country": "US"},
            **extra}


def refund(rid: str = "re_9", amount: int = 500, of: str = "ch_1") -> dict[str, Any]:
    return {"id": rid, "charge": of, "amount": amount, "currency": "usd",
            "payment": "pay_" + of}


def test_entry_ids_keep_the_source_id_after_its_prefix() -> None:
    assert b.entry_id("ch_abc_def") == "txn_abc_def"
    assert b.entry_id("re_1") == "txn_1"


def test_available_on() -> None:
    assert b.available_on(START, 0) == START
    assert b.available_on(START, -1) == START
    assert b.available_on(START, 1) == MIDNIGHT + DAY
    assert b.available_on(START, 2) == MIDNIGHT + 2 * DAY
    assert b.available_on(MIDNIGHT, 1) == MIDNIGHT + DAY


def test_a_payment_entry_records_the_charge(books: b.Balance) -> None:
    entry = books.record_payment(TENANT, "stripe", charge())
    assert entry == {
        "id": "txn_1", "gateway": "stripe", "type": "payment", "source": "ch_1",
        "source_kind": v.CHARGE, "payment": "pay_ch_1", "amount": 1000, "currency": "usd",
        "fee": 50, "fee_parts": [{"kind": "percent", "amount": 20, "rate": "2"},
                                 {"kind": "fixed", "amount": 30, "rate": None}],
        "method": "card", "description": "order 7", "created": START, "net": 950,
        "available_on": MIDNIGHT + 2 * DAY}
    assert books.record_payment(TENANT, "stripe", charge(amount=5)) == entry  # once
    assert books.objects.children(TENANT, b.KIND, "ch_1") == [entry]
    docs, _ = books.objects.page(TENANT, b.KIND, tags=["payment:usd"])
    assert [d["id"] for d in docs] == ["txn_1"]


def test_a_payment_entry_reads_the_method_and_card(books: b.Balance) -> None:
    wallet = books.record_payment(TENANT, "stripe", charge("ch_w", method_type="wallet",
                                                           card=None))
    assert (wallet["method"], wallet["fee"], wallet["net"]) == ("wallet", 10, 990)
    abroad = books.record_payment(TENANT, "stripe", charge("ch_a", card={"country": "FR"}))
    assert abroad["fee"] == 50  # no international rate in this schedule: still a part of 0
    at_once = books.record_payment(TENANT, "stripe", charge(
        "ch_i", card={"country": "US", "available_immediately": True}))
    assert at_once["available_on"] == START


def test_a_refund_gives_back_the_refunded_share_of_the_fee(books: b.Balance) -> None:
    books.record_payment(TENANT, "stripe", charge())
    entry = books.record_refund(TENANT, "stripe", refund())
    assert entry == {
        "id": "txn_9", "gateway": "stripe", "type": "refund", "source": "re_9",
        "source_kind": v.REFUND, "payment": "pay_ch_1", "amount": -500, "currency": "usd",
        "fee": -25, "fee_parts": [{"kind": "refund", "amount": -25, "rate": None}],
        "method": "card", "description": None, "created": START, "net": -475,
        "available_on": MIDNIGHT + DAY}
    assert books.record_refund(TENANT, "stripe", refund(amount=1)) == entry  # once


def test_a_refund_of_an_unknown_charge_keeps_no_fee(books: b.Balance) -> None:
    entry = books.record_refund(TENANT, "stripe", refund(of="ch_none"))
    assert (entry["fee"], entry["fee_parts"], entry["method"], entry["net"]) == (
        0, [], "card", -500)


def test_a_kept_fee_refund_has_no_fee_and_a_wallet_refund_its_method(domain: Domain) -> None:
    domain.balance.fees.offer("stripe", {**SCHEDULE, "refund_fee": "kept"})
    books = domain.balance
    books.record_payment(TENANT, "stripe", charge(method_type="wallet"))
    entry = books.record_refund(TENANT, "stripe", refund())
    assert (entry["fee"], entry["fee_parts"], entry["method"]) == (0, [], "wallet")


@pytest.mark.parametrize(("event_type", "captured", "moves"), [
    (v.CHARGE_SUCCEEDED, True, True), (v.CHARGE_CAPTURED, True, True),
    (v.CHARGE_SUCCEEDED, False, False), (v.CHARGE_REFUNDED, True, False)])
def test_which_charge_events_move_the_balance(books: b.Balance, domain: Domain,
                                              event_type: str, captured: bool,
                                              moves: bool) -> None:
    domain.events.emit(TENANT, "stripe", event_type, v.CHARGE, charge(captured=captured))
    found = books.objects.find(TENANT, b.KIND, "txn_1")
    assert (found is not None) is moves
    if moves:
        assert found["gateway"] == "stripe"


def test_a_refund_event_moves_the_balance(books: b.Balance, domain: Domain) -> None:
    domain.events.emit(TENANT, "stripe", v.REFUND_CREATED, v.REFUND, refund())
    assert books.objects.find(TENANT, b.KIND, "txn_9")["amount"] == -500


def test_status_follows_the_clock(books: b.Balance, domain: Domain, wall: FakeWall) -> None:
    entry = books.record_payment(TENANT, "stripe", charge())
    assert books.get(TENANT, "txn_1")["status"] == b.PENDING
    wall.now = entry["available_on"] - 1
    assert books.status(entry) == b.PENDING
    wall.now = entry["available_on"]
    assert books.status(entry) == b.AVAILABLE
    assert books.read(entry) == {**entry, "status": b.AVAILABLE}
    assert books.fresh(b.KIND, entry)["status"] == b.AVAILABLE
    assert books.fresh(v.CHARGE, entry) == entry


def test_get_names_the_parameter(books: b.Balance) -> None:
    from paylab.simulator.core.errors import NotFound
    with pytest.raises(NotFound) as caught:
        books.get(TENANT, "txn_none", param="balance_transaction")
    assert caught.value.param == "balance_transaction"
    with pytest.raises(NotFound) as default:
        books.get(TENANT, "txn_none")
    assert default.value.param == "id"


def test_pages_filter_by_type_currency_and_source(books: b.Balance) -> None:
    books.record_payment(TENANT, "stripe", charge("ch_1"))
    books.record_payment(TENANT, "stripe", charge("ch_2", currency="eur"))
    books.record_refund(TENANT, "stripe", refund("re_9", of="ch_1"))

    def ids(**filters: Any) -> list[str]:
        docs, more = books.page(TENANT, **filters)
        assert more is False
        assert all("status" in d for d in docs)
        return [d["id"] for d in docs]

    assert ids() == ["txn_9", "txn_2", "txn_1"]
    assert set(ids(entry_type="payment")) == {"txn_1", "txn_2"}
    assert ids(entry_type="refund") == ["txn_9"]
    assert ids(currency="EUR") == ["txn_2"]
    assert set(ids(currency="usd")) == {"txn_1", "txn_9"}
    assert ids(entry_type="payment", currency="usd") == ["txn_1"]
    assert ids(entry_type="refund", currency="eur") == []
    assert ids(currency="jpy") == []
    assert ids(source="ch_2") == ["txn_2"]
    docs, more = books.page(TENANT, limit=1)
    assert len(docs) == 1 and more is True


def test_totals_by_status_currency_and_method(books: b.Balance, domain: Domain,
                                              wall: FakeWall) -> None:
    assert books.totals(TENANT) == {b.AVAILABLE: {}, b.PENDING: {}}
    books.record_payment(TENANT, "stripe", charge("ch_1"))                       # net 950
    books.record_payment(TENANT, "stripe", charge("ch_2", method_type="wallet"))  # net 990
    books.record_refund(TENANT, "stripe", refund("re_9", of="ch_1"))            # net -475
    books.record_payment(TENANT, "ecpay", charge("ch_3", amount=300))            # no fees
    books.record_payment("acct_other", "stripe", charge("ch_4"))
    assert books.totals(TENANT) == {b.AVAILABLE: {"usd": {"amount": 300, "methods": {
        "card": 300}}}, b.PENDING: {"usd": {"amount": 1465, "methods": {
            "card": 475, "wallet": 990}}}}
    assert books.totals(TENANT, "stripe") == {b.AVAILABLE: {}, b.PENDING: {"usd": {
        "amount": 1465, "methods": {"card": 475, "wallet": 990}}}}
    wall.now = MIDNIGHT + DAY
    assert books.totals(TENANT, "stripe") == {
        b.AVAILABLE: {"usd": {"amount": -475, "methods": {"card": -475}}},
        b.PENDING: {"usd": {"amount": 1940, "methods": {"card": 950, "wallet": 990}}}}


def test_totals_of_one_gateway_skip_the_others_wherever_they_are(books: b.Balance) -> None:
    books.record_payment(TENANT, "stripe", charge("ch_1"))
    books.record_payment(TENANT, "ecpay", charge("ch_2", amount=300))
    books.record_payment(TENANT, "stripe", charge("ch_3"))
    assert books.totals(TENANT, "ecpay") == {b.AVAILABLE: {"usd": {
        "amount": 300, "methods": {"card": 300}}}, b.PENDING: {}}
    assert books.totals(TENANT, "stripe")[b.PENDING]["usd"]["amount"] == 1900


def test_a_schedule_without_days_makes_funds_available_at_once(domain: Domain) -> None:
    domain.balance.fees.offer("stripe", {"methods": {"card": {"percent": 2}},
                                         "refund_fee": "returned"})
    books = domain.balance
    paid = books.record_payment(TENANT, "stripe", charge())
    back = books.record_refund(TENANT, "stripe", refund())
    assert (paid["available_on"], back["available_on"]) == (START, START)
    assert (paid["fee"], back["fee"]) == (20, -10)


def test_available_on_counts_days_in_utc_whatever_the_local_zone(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import time
    monkeypatch.setenv("TZ", "Asia/Taipei")
    time.tzset()
    try:
        # 22:13 UTC is already the next day (06:13) in Taipei
        assert b.available_on(START, 1) == MIDNIGHT + DAY
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
