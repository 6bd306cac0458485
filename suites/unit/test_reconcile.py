"""`paylab reconcile`'s comparison on hand-built rows: every kind of discrepancy, exactly,
at one minor unit either way; a refund split in two; matching by reference or transaction
(inputs, reports and the command: test_reconcile_inputs.py)."""

from __future__ import annotations

from typing import Any

from paylab.simulator.reconcile.compare import reconcile
from paylab.simulator.reconcile.model import KINDS, BookEntry


def pay(ref: str | None, amount: int = 1850, *, txn: str = "", currency: str = "usd",
        fee: int | None = 84, gateway: str = "stripe", **more: Any) -> dict[str, Any]:
    """A neutral settlement payment row."""
    return {"gateway": gateway, "type": "payment", "order_ref": ref, "currency": currency,
            "transaction_id": txn or f"ch_{ref}", "amount": amount, "fee": fee, **more}


def refund(ref: str | None, amount: int, *, txn: str = "re_1", fee: int | None = 0,
           gateway: str = "stripe") -> dict[str, Any]:
    """A neutral settlement refund row (negative amount)."""
    return {"gateway": gateway, "type": "refund", "order_ref": ref, "currency": "usd",
            "transaction_id": txn, "amount": -amount, "fee": fee}


def book(ref: str, amount: int = 1850, **more: Any) -> BookEntry:
    """A paid order on stripe unless told otherwise."""
    return BookEntry(**{"order_ref": ref, "amount": amount, "currency": "usd", "paid": True,
                        "gateway": "stripe", **more})


def kinds(found: list[Any]) -> list[tuple[str, str | None]]:
    return [(d.kind, d.order_ref) for d in found]


# -- the comparison ---------------------------------------------------------------------------
def test_matching_books_and_settlement_are_clean() -> None:
    books = [book("o1"), book("o2", 2400, refunded=400, fee=99), book("o3", paid=False)]
    rows = [pay("o1"), pay("o2", 2400, fee=99), refund("o2", 400)]
    assert reconcile(books, rows) == []


def test_paid_at_the_gateway_but_pending_or_absent_in_the_books() -> None:
    found = reconcile([book("o1", paid=False, status="pending")], [pay("o1"), pay("o9", 500)])
    assert kinds(found) == [("paid_not_in_books", "o1"), ("paid_not_in_books", "o9")]
    assert found[0].books == "pending" and found[0].gateway_value == 1850
    assert found[1].books is None and found[1].transaction_id == "ch_o9"


def test_paid_in_the_books_never_at_the_gateway() -> None:
    (only,) = reconcile([book("o1", 999)], [])
    assert (only.kind, only.order_ref, only.books, only.gateway_value) == (
        "in_books_never_paid", "o1", 999, None)


def test_amount_mismatch_names_both_figures() -> None:
    (only,) = reconcile([book("o1", 1851)], [pay("o1", 1850)])
    assert (only.kind, only.books, only.gateway_value) == ("amount_mismatch", 1851, 1850)


def test_currency_mismatch_is_not_also_an_amount_mismatch() -> None:
    (only,) = reconcile([book("o1", 1000, currency="usd")], [pay("o1", 900, currency="EUR")])
    assert (only.kind, only.books, only.gateway_value) == ("currency_mismatch", "usd", "EUR")


def test_a_book_entry_twice_is_one_duplicate() -> None:
    found = reconcile([book("o1"), book("o1")], [pay("o1")])
    assert kinds(found) == [("duplicate", "o1")] and found[0].side == "books"


def test_an_order_paid_twice_at_the_gateway() -> None:
    rows = [pay("o1", txn="ch_a", created_at="2026-01-01T00:00:01"),
            pay("o1", txn="ch_b", created_at="2026-01-01T00:00:02")]
    (only,) = reconcile([book("o1")], rows)
    assert (only.kind, only.side, only.transaction_id) == ("duplicate", "gateway", "ch_b")


def test_an_order_paid_twice_and_unknown_to_the_books() -> None:
    found = reconcile([], [pay("o1", txn="ch_a"), pay("o1", txn="ch_b")])
    assert kinds(found) == [("paid_not_in_books", "o1"), ("duplicate", "o1")]


def test_refund_made_behind_the_books_back() -> None:
    (only,) = reconcile([book("o1")], [pay("o1"), refund("o1", 500)])
    assert (only.kind, only.books, only.gateway_value) == ("refund_missing_in_books", 0, 500)


def test_refund_recorded_in_the_books_but_not_made() -> None:
    (only,) = reconcile([book("o1", refunded=300)], [pay("o1")])
    assert (only.kind, only.books, only.gateway_value) == ("refund_missing_at_gateway", 300, 0)


def test_one_minor_unit_either_way_is_a_discrepancy() -> None:
    rows = [pay("o1", 1850, fee=84), refund("o1", 500, fee=0)]
    assert reconcile([book("o1", 1850, refunded=500, fee=84)], rows) == []
    for books, kind, figures in (
            (book("o1", 1849, refunded=500), "amount_mismatch", (1849, 1850)),
            (book("o1", 1851, refunded=500), "amount_mismatch", (1851, 1850)),
            (book("o1", refunded=499), "refund_missing_in_books", (499, 500)),
            (book("o1", refunded=501), "refund_missing_at_gateway", (501, 500)),
            (book("o1", refunded=500, fee=83), "fee_mismatch", (83, 84)),
            (book("o1", refunded=500, fee=85), "fee_mismatch", (85, 84))):
        (only,) = reconcile([books], rows)
        assert (only.kind, only.books, only.gateway_value) == (kind, *figures)


def test_a_refund_split_in_two_sums_up() -> None:
    rows = [pay("o1"), refund("o1", 500, txn="re_1"), refund("o1", 350, txn="re_2")]
    assert reconcile([book("o1", refunded=850)], rows) == []
    (only,) = reconcile([book("o1", refunded=500)], rows)
    assert (only.kind, only.books, only.gateway_value) == ("refund_missing_in_books", 500, 850)


def test_refund_at_the_gateway_of_an_order_the_books_do_not_have() -> None:
    (only,) = reconcile([], [refund("o7", 100)])
    assert (only.kind, only.order_ref, only.gateway_value) == (
        "refund_missing_in_books", "o7", 100)


def test_fee_is_compared_only_when_both_sides_have_one() -> None:
    (only,) = reconcile([book("o1", fee=85)], [pay("o1", fee=84)])
    assert (only.kind, only.books, only.gateway_value) == ("fee_mismatch", 85, 84)
    assert reconcile([book("o1")], [pay("o1", fee=84)]) == []
    assert reconcile([book("o1", fee=85)], [pay("o1", fee=None)]) == []


def test_fee_counts_the_refund_fees_too() -> None:
    rows = [pay("o1", fee=84), refund("o1", 1850, fee=-30)]
    assert reconcile([book("o1", fee=54, refunded=1850)], rows) == []


def test_matching_by_transaction_id_when_the_gateway_has_no_reference() -> None:
    rows = [pay(None, txn="pi_1"), refund(None, 200, txn="pi_1")]
    assert reconcile([book("o1", transaction_id="pi_1", refunded=200)], rows) == []


def test_an_entry_without_gateway_matches_any() -> None:
    rows = [pay("o1", gateway="ecpay", currency="twd", amount=500, fee=None)]
    assert reconcile([book("o1", 500, currency="twd", gateway=None)], rows) == []
    found = reconcile([book("o1", 500, currency="twd", gateway="newebpay")], rows)
    assert kinds(found) == [("paid_not_in_books", "o1"), ("in_books_never_paid", "o1")]


def test_discrepancies_come_in_kind_order() -> None:
    found = reconcile([book("b", 1), book("a", fee=1), book("z")],
                      [pay("a"), pay("b"), pay("c")])
    assert [d.kind for d in found] == ["paid_not_in_books", "in_books_never_paid",
                                       "amount_mismatch", "fee_mismatch"]
    assert {d.kind for d in found} <= set(KINDS)
