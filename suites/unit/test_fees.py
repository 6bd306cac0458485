"""Fee schedules as data: Stripe's published standard US pricing, the arithmetic of
`compute` (rounding, surcharges, fallbacks), refund rules and per-tenant overrides kept
in the store."""

from __future__ import annotations

from pathlib import Path

import pytest
from paylab.simulator.core import fees
from paylab.simulator.core.errors import InvalidRequest
from paylab.simulator.core.objects import Objects
from paylab.simulator.core.store import Store
from paylab.simulator.gateways.stripe import FEE_SCHEDULE

STRIPE = fees.load(FEE_SCHEDULE)


def test_stripe_schedule_is_the_published_us_pricing() -> None:
    card = STRIPE["methods"]["card"]
    assert (card["percent"], card["fixed"]["usd"]) == (2.9, 30)
    assert (card["international_percent"], card["conversion_percent"]) == (1.5, 1)
    assert (STRIPE["home_country"], STRIPE["settlement_currencies"]) == ("US", ["usd"])
    assert STRIPE["refund_fee"] == "kept"
    assert "stripe.com/pricing" in Path(FEE_SCHEDULE).read_text(encoding="utf-8")


@pytest.mark.parametrize(("amount", "currency", "country", "expected"), [
    (2000, "usd", "US", 88),          # 58 + 30
    (100, "usd", "US", 33),           # 2.9 rounds to 3, + 30
    (150, "usd", None, 34),           # 4.35 rounds to 4; no country: domestic
    (10000, "usd", "GB", 470),        # 290 + 30 + 150 international
    (10000, "eur", "US", 415),        # 290 + 25 (EUR fixed) + 100 conversion
    (10000, "eur", "FR", 565),        # both surcharges
    (10000, "twd", "TW", 540),        # no published fixed fee: the fallback (0)
    (10, "usd", "US", 10),            # never more than the amount
])
def test_compute_card_fees(amount: int, currency: str, country: str | None,
                           expected: int) -> None:
    fee = fees.compute(STRIPE, "card", amount, currency, country)
    assert fee.amount == expected
    assert fee.amount == min(sum(p.amount for p in fee.parts), amount)


def test_compute_names_its_parts_and_skips_unknown_methods() -> None:
    fee = fees.compute(STRIPE, "card", 10000, "eur", "FR")
    assert [(p.kind, p.amount, p.rate) for p in fee.parts] == [
        ("percent", 290, "2.9"), ("fixed", 25, None), ("international", 150, "1.5"),
        ("conversion", 100, "1")]
    assert fees.compute(STRIPE, "wallet", 10000, "usd").amount == 0
    assert fees.compute(fees.NO_FEES, "card", 10000, "usd").amount == 0
    assert fees.compute(STRIPE, "card", 0, "usd").amount == 0


def test_half_cents_round_up() -> None:
    schedule = {"methods": {"card": {"percent": 2.5}}}
    assert fees.compute(schedule, "card", 100, "usd").amount == 3  # 2.5 -> 3
    assert fees.compute(schedule, "card", 60, "usd").amount == 2   # 1.5 -> 2


def test_refund_fee_rules() -> None:
    assert fees.refund_fee(STRIPE, 88, 2000, 1000) == 0
    returned = {**STRIPE, "refund_fee": "returned"}
    assert fees.refund_fee(returned, 88, 2000, 1000) == -44
    assert fees.refund_fee(returned, 88, 2000, 2000) == -88
    assert fees.refund_fee(returned, 88, 0, 0) == 0


def test_merge_lays_an_override_over_the_default() -> None:
    merged = fees.merge(STRIPE, {"methods": {"card": {"percent": 1.5}},
                                 "settlement_currencies": ["usd", "eur"]})
    assert merged["methods"]["card"]["percent"] == 1.5
    assert merged["methods"]["card"]["fixed"]["usd"] == 30  # kept
    assert merged["settlement_currencies"] == ["usd", "eur"]  # lists replace
    assert STRIPE["methods"]["card"]["percent"] == 2.9  # the default is untouched


def test_check_refuses_what_compute_cannot_use() -> None:
    with pytest.raises(InvalidRequest):
        fees.check({"refund_fee": "sometimes"})
    with pytest.raises(InvalidRequest):
        fees.check({"methods": {"card": {"percent": -1}}})


def test_overrides_live_in_the_store_per_tenant_and_gateway(tmp_path: Path) -> None:
    store = Store(tmp_path / "fees.db")
    schedules = fees.FeeSchedules(Objects(store))
    schedules.offer("stripe", FEE_SCHEDULE)
    assert schedules.offered("stripe") and not schedules.offered("ecpay")
    effective = schedules.set_override("t1", "stripe", {"methods": {"card": {"percent": 1}}}, 0)
    assert effective["methods"]["card"]["percent"] == 1
    store.commit()
    again = fees.FeeSchedules(Objects(store))  # a restart: defaults offered anew
    again.offer("stripe", FEE_SCHEDULE)
    assert again.effective("t1", "stripe")["methods"]["card"]["percent"] == 1
    assert again.effective("t2", "stripe")["methods"]["card"]["percent"] == 2.9
    assert again.effective("t1", "ecpay") == fees.NO_FEES
    assert again.clear_override("t1", "stripe") and not again.clear_override("t1", "stripe")
    assert again.effective("t1", "stripe") == STRIPE
    with pytest.raises(InvalidRequest):
        again.set_override("t1", "stripe", {"refund_fee": "never"}, 0)
    store.close()
