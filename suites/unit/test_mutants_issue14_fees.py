"""Fee schedules pinned down where mutation testing found them loose: the defaults a
schedule may leave out, the errors `check` raises, letter case of countries and
currencies, zero parts, rounding of refunded fees, and overrides kept apart from the
gateway's default."""

from __future__ import annotations

from pathlib import Path

import pytest
from paylab.simulator.core import fees
from paylab.simulator.core.errors import InvalidRequest
from paylab.simulator.core.objects import Objects
from paylab.simulator.core.store import Store

SCHEDULE = {"methods": {"card": {"percent": 2, "fixed": {"usd": 30}, "fixed_fallback": 10,
                                 "international_percent": 1, "conversion_percent": 3}},
            "home_country": "US", "settlement_currencies": ["usd"], "refund_fee": "kept",
            "available_after_days": 2}


# -- check ------------------------------------------------------------------------------------
def test_a_schedule_may_leave_out_every_part() -> None:
    fees.check({})
    fees.check({"methods": None})
    fees.check({"methods": {"card": {}}})
    fees.check({"refund_fee": "returned"})
    fees.check({"methods": {"card": {"percent": 0, "international_percent": 0,
                                     "conversion_percent": 0}}})


def test_an_unknown_refund_rule_names_the_rules_and_the_parameter() -> None:
    with pytest.raises(InvalidRequest) as caught:
        fees.check({"refund_fee": "sometimes"})
    assert caught.value.param == "refund_fee"
    assert caught.value.code == "invalid_value"
    assert caught.value.message == ("refund_fee must be one of "
                                     "('kept', 'returned', 'returned_percent').")


@pytest.mark.parametrize("key", ["percent", "international_percent", "conversion_percent"])
def test_a_negative_rate_is_refused_by_its_path(key: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        fees.check({"methods": {"card": {"percent": 1}, "wallet": {key: "-0.1"}}})
    assert caught.value.param == f"methods.wallet.{key}"
    assert caught.value.code == "invalid_value"
    assert caught.value.message == f"methods.wallet.{key} may not be negative."


# -- compute ----------------------------------------------------------------------------------
def test_a_method_with_no_rates_keeps_nothing() -> None:
    assert fees.compute({"methods": {"card": {}}}, "card", 1000, "usd") == fees.Fee(0)
    assert fees.compute({"methods": None}, "card", 1000, "usd") == fees.Fee(0)


def test_a_payment_of_nothing_has_no_parts() -> None:
    assert fees.compute(SCHEDULE, "card", 0, "usd") == fees.Fee(0, ())
    assert fees.compute(SCHEDULE, "card", -5, "usd") == fees.Fee(0, ())


def test_rates_left_out_count_as_zero_and_zero_parts_are_left_out() -> None:
    only_fixed = {"methods": {"card": {"fixed": {"usd": 30}}}}
    fee = fees.compute(only_fixed, "card", 1000, "usd")
    assert fee == fees.Fee(30, (fees.FeePart("fixed", 30),))
    only_percent = {"methods": {"card": {"percent": 2}}}
    fee = fees.compute(only_percent, "card", 1000, "usd")
    assert fee == fees.Fee(20, (fees.FeePart("percent", 20, "2"),))


def test_the_fixed_fee_falls_back_for_other_currencies() -> None:
    assert fees.compute(SCHEDULE, "card", 1000, "usd", "US").parts[1] == fees.FeePart(
        "fixed", 30)
    eur = fees.compute({**SCHEDULE, "settlement_currencies": []}, "card", 1000, "eur", "US")
    assert eur == fees.Fee(30, (fees.FeePart("percent", 20, "2"), fees.FeePart("fixed", 10)))
    none_at_all = {"methods": {"card": {"percent": 2, "fixed": None}}}
    assert fees.compute(none_at_all, "card", 1000, "eur").amount == 20


def test_currencies_and_countries_compare_in_any_letter_case() -> None:
    domestic = fees.compute(SCHEDULE, "card", 1000, "USD", "us")
    assert domestic == fees.Fee(50, (fees.FeePart("percent", 20, "2"),
                                     fees.FeePart("fixed", 30)))
    shouting = {**SCHEDULE, "home_country": "us", "settlement_currencies": ["USD"]}
    assert fees.compute(shouting, "card", 1000, "usd", "US").amount == 50
    abroad = fees.compute(shouting, "card", 1000, "usd", "gb")
    assert abroad.parts[-1] == fees.FeePart("international", 10, "1")
    assert abroad.amount == 60


def test_surcharges_use_their_own_rates() -> None:
    fee = fees.compute(SCHEDULE, "card", 1000, "eur", "FR")
    assert fee.parts == (fees.FeePart("percent", 20, "2"), fees.FeePart("fixed", 10),
                         fees.FeePart("international", 10, "1"),
                         fees.FeePart("conversion", 30, "3"))
    assert fee.amount == 70
    no_home = {**SCHEDULE, "home_country": None}
    assert [p.kind for p in fees.compute(no_home, "card", 1000, "usd", "FR").parts] == [
        "percent", "fixed"]
    no_rate = {"methods": {"card": {"percent": 2}}, "home_country": "US",
               "settlement_currencies": ["usd"]}
    assert fees.compute(no_rate, "card", 1000, "eur", "FR").amount == 20


def test_a_fee_never_exceeds_the_amount_but_may_equal_it() -> None:
    assert fees.compute(SCHEDULE, "card", 31, "usd", "US").amount == 31
    assert fees.compute(SCHEDULE, "card", 29, "usd", "US").amount == 29


def test_a_fee_part_as_stored() -> None:
    assert fees.FeePart("percent", 20, "2").doc() == {"kind": "percent", "amount": 20,
                                                      "rate": "2"}
    assert fees.FeePart("fixed", 30).doc() == {"kind": "fixed", "amount": 30, "rate": None}


# -- refunds ----------------------------------------------------------------------------------
def test_a_returned_fee_is_the_refunded_share_rounded_half_up() -> None:
    returned = {"refund_fee": "returned"}
    assert fees.refund_fee(returned, 3, 2, 1) == -2        # 1.5 -> 2
    assert fees.refund_fee(returned, 88, 2000, 1) == 0     # 0.044 -> 0
    assert fees.refund_fee(returned, 88, 2000, 12) == -1   # 0.528 -> 1
    assert fees.refund_fee(returned, 10, -1, 1) == 0
    assert fees.refund_fee({}, 88, 2000, 2000) == 0


# -- merge and overrides ----------------------------------------------------------------------
def test_merge_copies_and_replaces_what_is_not_a_mapping_on_both_sides() -> None:
    base = {"a": {"b": 1, "c": [1]}, "d": 5}
    override = {"a": {"c": [2]}, "d": {"e": 1}}
    merged = fees.merge(base, override)
    assert merged == {"a": {"b": 1, "c": [2]}, "d": {"e": 1}}
    merged["a"]["c"].append(3)
    merged["d"]["e"] = 2
    assert override == {"a": {"c": [2]}, "d": {"e": 1}}
    assert base == {"a": {"b": 1, "c": [1]}, "d": 5}


def test_offer_checks_a_document_and_default_hands_out_copies(tmp_path: Path) -> None:
    store = Store(tmp_path / "fees.db")
    schedules = fees.FeeSchedules(Objects(store))
    with pytest.raises(InvalidRequest):
        schedules.offer("stripe", {"refund_fee": "never"})
    assert not schedules.offered("stripe")
    schedules.offer("stripe", SCHEDULE)
    schedules.default("stripe")["methods"]["card"]["percent"] = 99
    assert schedules.default("stripe") == SCHEDULE
    schedules.default("other")["methods"]["card"] = {}
    assert schedules.default("other") == fees.NO_FEES
    assert fees.NO_FEES["methods"] == {}
    store.close()


def test_an_override_is_stored_replaced_and_cleared(tmp_path: Path) -> None:
    store = Store(tmp_path / "fees.db")
    objects = Objects(store)
    schedules = fees.FeeSchedules(objects)
    schedules.offer("stripe", SCHEDULE)
    assert schedules.override("t1", "stripe") is None
    first = schedules.set_override("t1", "stripe", {"available_after_days": 5}, 100)
    assert first["available_after_days"] == 5
    stored = objects.find("t1", fees.OVERRIDE_KIND, "stripe")
    assert stored == {"id": "stripe", "created": 100, "schedule": {"available_after_days": 5}}
    second = schedules.set_override("t1", "stripe", {"refund_fee": "returned"}, 200)
    assert second["available_after_days"] == 2  # replaced, not merged with the first
    assert second["refund_fee"] == "returned"
    assert schedules.override("t1", "stripe") == {"refund_fee": "returned"}
    assert objects.find("t1", fees.OVERRIDE_KIND, "stripe")["created"] == 200
    assert schedules.override("t2", "stripe") is None
    assert schedules.clear_override("t1", "stripe") is True
    assert schedules.clear_override("t1", "stripe") is False
    assert schedules.effective("t1", "stripe") == SCHEDULE
    store.close()


def test_merge_never_shares_nested_values_with_its_inputs() -> None:
    base = {"kept": {"inner": {"n": 1}}, "swapped": {"inner": 1}}
    override = {"new": {"inner": {"n": 1}}, "listed": [[1]], "swapped": 7}
    merged = fees.merge(base, override)
    assert merged == {"kept": {"inner": {"n": 1}}, "swapped": 7, "new": {"inner": {"n": 1}},
                      "listed": [[1]]}
    merged["kept"]["inner"]["n"] = 2
    merged["new"]["inner"]["n"] = 2
    merged["listed"][0].append(2)
    assert base == {"kept": {"inner": {"n": 1}}, "swapped": {"inner": 1}}
    assert override == {"new": {"inner": {"n": 1}}, "listed": [[1]], "swapped": 7}


def test_overrides_of_two_tenants_stay_apart(tmp_path: Path) -> None:
    store = Store(tmp_path / "fees.db")
    schedules = fees.FeeSchedules(Objects(store))
    schedules.offer("stripe", SCHEDULE)
    schedules.set_override("t2", "stripe", {"available_after_days": 9}, 50)
    schedules.set_override("t1", "stripe", {"available_after_days": 5}, 100)
    assert schedules.override("t1", "stripe") == {"available_after_days": 5}
    assert schedules.override("t2", "stripe") == {"available_after_days": 9}
    store.close()


def test_the_smallest_payments_and_refunds() -> None:
    assert fees.compute(SCHEDULE, "card", 1, "usd", "US") == fees.Fee(
        1, (fees.FeePart("fixed", 30),))
    assert fees.refund_fee({"refund_fee": "returned"}, 1, 1, 1) == -1


def test_a_returned_half_rounds_up_not_to_even() -> None:
    assert fees.refund_fee({"refund_fee": "returned"}, 5, 2, 1) == -3   # 2.5 -> 3
    assert fees.compute({"methods": {"card": {"percent": 2.5}}}, "card", 100, "usd").amount == 3
