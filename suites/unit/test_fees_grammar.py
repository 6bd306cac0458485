"""Issue 15 fee grammar: per-payment minimums, monthly fees, refund rules beyond kept and
returned, method families, amounts counted in whole units, and every gateway's file."""

from __future__ import annotations

from pathlib import Path

import pytest
from paylab.simulator.core import fees
from paylab.simulator.core.errors import InvalidRequest
from paylab.simulator.core.objects import Objects
from paylab.simulator.core.store import Store
from paylab.simulator.gateways import all_gateways

GATEWAYS = {g.name: g for g in all_gateways()}
SCHEDULES = {name: fees.load(g.fee_schedule) for name, g in GATEWAYS.items()
             if g.fee_schedule is not None}
#: The neutral methods each gateway emulates (its adapter's own method table).
EMULATED = {"stripe": {"card"}, "linepay": {"wallet"}, "jkopay": {"wallet"},
            "paypal": {"wallet"},
            "ecpay": {"card", "apple_pay", "atm", "webatm", "cvs", "barcode"},
            "newebpay": {"card", "apple_pay", "google_pay", "atm", "webatm", "cvs", "barcode"}}
ONE_PERCENT_MIN_TEN = {"methods": {"atm": {"percent": 1, "minimum": {"twd": 1000}}}}


def test_every_gateway_offers_a_sourced_schedule_for_every_method_it_emulates() -> None:
    assert set(SCHEDULES) == set(EMULATED)
    for name, schedule in SCHEDULES.items():
        assert set(schedule["methods"]) == EMULATED[name], name
        text = Path(GATEWAYS[name].fee_schedule).read_text(encoding="utf-8")
        assert "2026-12-0" in text and ("EXAMPLES" in text or "PLACEHOLDERS" in text
                                        or "stripe.com/pricing" in text), name
        for method in schedule["methods"]:
            assert fees.family_of(schedule, method) in fees.FAMILY_NAMES, (name, method)


@pytest.mark.parametrize(("amount", "expected", "parts"), [
    (99900, 1000, [("percent", 999, "1"), ("minimum", 1, None)]),  # one cent short
    (100000, 1000, [("percent", 1000, "1")]),                       # exactly the minimum
    (100100, 1001, [("percent", 1001, "1")]),                       # above it
    (500, 500, [("percent", 5, "1"), ("minimum", 995, None)]),      # capped at the amount
])
def test_the_minimum_fee_tops_up_to_its_figure(amount: int, expected: int,
                                               parts: list) -> None:
    fee = fees.compute(ONE_PERCENT_MIN_TEN, "atm", amount, "twd")
    assert fee.amount == expected
    assert [(p.kind, p.amount, p.rate) for p in fee.parts] == parts
    assert fees.compute(ONE_PERCENT_MIN_TEN, "atm", 99900, "usd").amount == 999  # per currency


@pytest.mark.parametrize(("method", "amount", "country", "expected"), [
    ("card", 100, None, 5),         # NT$2.75 -> the NT$5 minimum
    ("card", 1000, "TW", 28),       # NT$27.50 rounds half up
    ("card", 1000, "JP", 35),       # 2.75% + 0.75% for a card issued outside TW
    ("card", 1, None, 1),           # never more than the payment
    ("atm", 999, None, 10),         # 1%, at least NT$10
    ("atm", 2000, None, 20),
    ("webatm", 1500, None, 15),
    ("cvs", 500, None, 30),         # a fixed NT$30
    ("barcode", 500, None, 15),
])
def test_ecpay_fees_on_whole_twd_orders(method: str, amount: int, country: str | None,
                                        expected: int) -> None:
    assert fees.compute(SCHEDULES["ecpay"], method, amount, "twd", country,
                        decimals=0).amount == expected


def test_whole_units_round_each_part_half_up() -> None:
    fee = fees.compute(SCHEDULES["ecpay"], "card", 100, "twd", decimals=0)
    assert [(p.kind, p.amount) for p in fee.parts] == [("percent", 3), ("minimum", 2)]
    jp = fees.compute(SCHEDULES["ecpay"], "card", 1000, "twd", "JP", decimals=0)
    assert [(p.kind, p.amount) for p in jp.parts] == [("percent", 27), ("international", 8)]
    # counted in the currency's own decimals: nothing moves
    assert fees.compute(SCHEDULES["ecpay"], "card", 100000, "twd", decimals=2).amount == 2750
    assert fees.compute(SCHEDULES["paypal"], "wallet", 1000, "jpy", decimals=0).amount == 84


def test_paypal_charges_its_international_rate_and_fixed_fee_by_currency() -> None:
    assert fees.compute(SCHEDULES["paypal"], "wallet", 100000, "twd").amount == 5400
    assert fees.compute(SCHEDULES["paypal"], "wallet", 10000, "usd", "US").amount == 470
    assert fees.compute(SCHEDULES["paypal"], "wallet", 10000, "sek").amount == 440


def test_refund_rules_returned_percent_and_a_fixed_refund_fee() -> None:
    paypal = SCHEDULES["paypal"]
    assert fees.refund_fee(paypal, 5400, 100000, 50000, method="wallet", currency="twd") == -2200
    assert fees.refund_fee(paypal, 5400, 100000, 100000, method="wallet",
                           currency="TWD") == -4400
    assert fees.refund_fee(paypal, 500, 10000, 10000, method="wallet", currency="twd") == 0
    fixed = {"refund_fee": "kept", "methods": {"atm": {"refund_fixed": {"twd": 1000}}}}
    assert fees.refund_fee(fixed, 1000, 100000, 100, method="atm", currency="twd") == 1000
    assert fees.refund_fee(fixed, 1000, 100000, 100, method="atm", currency="usd") == 0
    assert fees.refund_fee(fixed, 1000, 100000, 100, method="card", currency="twd") == 0
    both = {**fixed, "refund_fee": "returned"}
    assert fees.refund_fee(both, 88, 2000, 1000, method="atm", currency="twd") == 956
    assert fees.refund_fee(both, 88, 0, 0, method="atm", currency="twd") == 1000


def test_monthly_fees_per_currency() -> None:
    schedule = {"monthly_fee": {"twd": 50000}}
    assert fees.monthly_fee(schedule, "TWD") == 50000
    assert fees.monthly_fee(schedule, "usd") == 0
    assert fees.monthly_fee(SCHEDULES["ecpay"], "twd") == 0
    assert fees.monthly_fee(fees.NO_FEES, "twd") == 0


@pytest.mark.parametrize(("doc", "param"), [
    ({"monthly_fee": {"twd": -1}}, "monthly_fee.twd"),
    ({"monthly_fee": {"twd": 1.5}}, "monthly_fee.twd"),
    ({"monthly_fee": 5}, "monthly_fee"),
    ({"methods": {"card": {"minimum": {"twd": True}}}}, "methods.card.minimum.twd"),
    ({"methods": {"atm": {"refund_fixed": {"twd": -5}}}}, "methods.atm.refund_fixed.twd"),
    ({"methods": {"card": {"fixed": {"usd": -30}}}}, "methods.card.fixed.usd"),
    ({"methods": {"card": {"family": "cash"}}}, "methods.card.family"),
])
def test_check_refuses_bad_amounts_and_families_by_path(doc: dict, param: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        fees.check(doc)
    assert caught.value.param == param
    assert caught.value.code == "invalid_value"


def test_families_map_a_method_to_the_other_gateways_method() -> None:
    ecpay, newebpay, linepay = SCHEDULES["ecpay"], SCHEDULES["newebpay"], SCHEDULES["linepay"]
    assert fees.family_of(ecpay, "atm") == "bank_transfer"
    assert fees.family_of({"methods": {"x": {"family": "wallet"}}}, "x") == "wallet"
    assert fees.family_of({}, "cash") is None
    assert fees.method_for(ecpay, "google_pay", "card") == "card"     # first of the family
    assert fees.method_for(newebpay, "google_pay", "card") == "google_pay"  # its own
    assert fees.method_for(ecpay, "wallet", "wallet") is None
    assert fees.method_for(linepay, "card", "card") is None
    assert fees.method_for(ecpay, "cash", None) is None


def test_the_tenant_wrappers_use_the_effective_schedule(tmp_path: Path) -> None:
    schedules = fees.FeeSchedules(Objects(Store(str(tmp_path / "f.db"))))
    schedules.offer("ecpay", GATEWAYS["ecpay"].fee_schedule)
    assert schedules.fee_for("t1", "ecpay", "atm", 999, "twd", decimals=0).amount == 10
    assert schedules.fee_for("t1", "ecpay", "card", 100000, "twd",
                             card_country="US").amount == 3500
    schedules.set_override("t1", "ecpay", {"methods": {"atm": {"minimum": {"twd": 2000}},
                                                       "cvs": {"refund_fixed": {"twd": 700}}},
                                           "refund_fee": "returned"}, 0)
    assert schedules.fee_for("t1", "ecpay", "atm", 999, "twd", decimals=0).amount == 20
    assert schedules.fee_for("t2", "ecpay", "atm", 999, "twd", decimals=0).amount == 10
    assert schedules.refund_fee_for("t1", "ecpay", "cvs", 50000, 3000, 25000,
                                    currency="twd") == -800
    assert schedules.refund_fee_for("t2", "ecpay", "cvs", 50000, 3000, 25000) == 0


def test_amounts_counted_in_more_decimals_than_the_currency_has() -> None:
    # JPY counted in hundredths: 1000.50 yen is priced as 1001 yen, the fee given back
    fee = fees.compute(SCHEDULES["paypal"], "wallet", 100050, "jpy", decimals=2)
    assert fee.amount == 8400
    assert [(p.kind, p.amount) for p in fee.parts] == [("percent", 4400), ("fixed", 4000)]
    assert fees.compute(SCHEDULES["paypal"], "wallet", 0, "twd", decimals=0).amount == 0
    assert fees.compute(SCHEDULES["paypal"], "card", 1000, "twd", decimals=0).parts == ()


def test_the_offered_gateways_in_offer_order(tmp_path: Path) -> None:
    schedules = fees.FeeSchedules(Objects(Store(str(tmp_path / "g.db"))))
    assert schedules.gateways() == []
    schedules.offer("b", {"methods": {}})
    schedules.offer("a", {"methods": {}})
    assert schedules.gateways() == ["b", "a"]


def test_refunds_of_amounts_counted_in_whole_units() -> None:
    paypal = SCHEDULES["paypal"]
    # NT$1,000 counted in whole dollars: fee 44 + 10; half refunded gives back half of 44
    assert fees.compute(paypal, "wallet", 1000, "twd", decimals=0).amount == 54
    assert fees.refund_fee(paypal, 54, 1000, 500, method="wallet", currency="twd",
                           decimals=0) == -22
    fixed = {"methods": {"atm": {"refund_fixed": {"twd": 1050}}}}  # NT$10.50 -> NT$11
    assert fees.refund_fee(fixed, 10, 1000, 100, method="atm", currency="twd",
                           decimals=0) == 11
    assert fees.refund_fee(fixed, 10, 1000, 100, method="atm", currency="twd",
                           decimals=2) == 1050


@pytest.mark.parametrize("name", sorted(EMULATED))
def test_every_schedule_file_meets_the_control_contract(name: str) -> None:
    from paylab.simulator.contracts import Contracts, contract_id

    problem = Contracts().problem(contract_id("control/fees#/$defs/schedule"), SCHEDULES[name])
    assert problem is None, problem
    bad = {**SCHEDULES[name], "refund_fee": "sometimes"}
    assert Contracts().problem(contract_id("control/fees#/$defs/schedule"), bad) is not None
