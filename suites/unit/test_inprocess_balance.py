"""Balance transactions, the balance and nested expand through the HTTP API of an
in-process simulator: fees from Stripe's schedule (and a tenant's override), entries for
captures and refunds, pending -> available by the virtual clock, Stripe's expand rules."""

from __future__ import annotations

from typing import Any

import pytest
from paylab.simulator.contracts import contract_id
from paylab.simulator.core import vocabulary as v
from paylab.suites.unit.inprocess import Answer, ClientFactory, Sim, contracts, start

DAY = 86400


@pytest.fixture
async def sim(aiohttp_client: ClientFactory) -> Sim:
    return await start(aiohttp_client)


def ok(answer: Answer, contract: str | None = None) -> Any:
    """The body of a 200 answer, valid against `contract` if given."""
    assert answer.status == 200, answer.body
    if contract is not None:
        problem = contracts().problem(contract_id(contract), answer.body)
        assert problem is None, problem
    return answer.body


def refused(answer: Answer, status: int, code: str, message: str, param: str | None) -> None:
    assert answer.status == status, answer.body
    error = answer.error
    assert (error["type"], error["code"], error["message"], error.get("param")) == (
        "invalid_request_error", code, message, param)


async def paid_charge(sim: Sim, amount: int = 2000, card: str = "pm_card_visa",
                      currency: str = "usd") -> dict[str, Any]:
    pay = ok(await sim.pay(amount, currency, card, expand=["latest_charge"]))
    return pay["latest_charge"]


# -- fees --------------------------------------------------------------------------------
async def test_a_captured_charge_has_an_entry_with_stripe_standard_fee(sim: Sim) -> None:
    charge = await paid_charge(sim, 2000)
    txn = charge["balance_transaction"]
    assert txn == "txn_" + charge["id"].removeprefix("ch_")
    body = ok(await sim.stripe("GET", f"/v1/balance_transactions/{txn}"),
              "stripe/balance_transaction")
    # 2.9% of 20.00 is 0.58, plus 0.30
    assert (body["amount"], body["fee"], body["net"]) == (2000, 88, 1912)
    assert (body["type"], body["reporting_category"], body["source"]) == (
        "charge", "charge", charge["id"])
    assert body["fee_details"] == [{"amount": 88, "application": None, "currency": "usd",
                                    "description": "Stripe processing fees",
                                    "type": "stripe_fee"}]
    assert body["status"] == "pending" and body["available_on"] > body["created"]
    assert body["available_on"] % DAY == 0  # midnight UTC, two days on


async def test_international_cards_and_other_currencies_pay_surcharges(sim: Sim) -> None:
    gb = await paid_charge(sim, 10000, "pm_card_gb")
    fee = ok(await sim.stripe("GET", f"/v1/balance_transactions/{gb['balance_transaction']}"))
    assert fee["fee"] == 290 + 30 + 150  # +1.5% for a card issued outside the US
    eur = await paid_charge(sim, 10000, "pm_card_visa", "eur")
    entry = ok(await sim.stripe("GET",
                                f"/v1/balance_transactions/{eur['balance_transaction']}"))
    assert (entry["currency"], entry["fee"]) == ("eur", 290 + 25 + 100)  # EUR 0.25, +1%


async def test_an_uncaptured_charge_has_no_entry_until_it_is_captured(sim: Sim) -> None:
    pay = ok(await sim.pay(5000, capture_method="manual"))
    charge = ok(await sim.stripe("GET", f"/v1/charges/{pay['latest_charge']}"))
    assert charge["balance_transaction"] is None
    listed = ok(await sim.stripe("GET", "/v1/balance_transactions"))
    assert listed["data"] == []
    ok(await sim.stripe("POST", f"/v1/payment_intents/{pay['id']}/capture",
                        {"amount_to_capture": 3000}))
    charge = ok(await sim.stripe("GET", f"/v1/charges/{pay['latest_charge']}",
                                 {"expand": ["balance_transaction"]}), "stripe/charge")
    entry = charge["balance_transaction"]
    assert (entry["amount"], entry["fee"], entry["net"]) == (3000, 117, 2883)  # 87 + 30


async def test_a_refund_has_a_negative_entry_and_stripe_keeps_its_fee(sim: Sim) -> None:
    charge = await paid_charge(sim, 2000)
    refund = ok(await sim.stripe("POST", "/v1/refunds", {
        "charge": charge["id"], "amount": 500, "expand": ["balance_transaction"]}),
        "stripe/refund")
    entry = refund["balance_transaction"]
    assert entry["id"] == "txn_" + refund["id"].removeprefix("re_")
    assert (entry["amount"], entry["fee"], entry["net"], entry["fee_details"]) == (
        -500, 0, -500, [])
    assert (entry["type"], entry["reporting_category"], entry["status"]) == (
        "refund", "refund", "available")
    listed = ok(await sim.stripe("GET", "/v1/balance_transactions", {"type": "refund"}),
                "stripe/list#/$defs/balance_transactions")
    assert [t["id"] for t in listed["data"]] == [entry["id"]]
    by_source = ok(await sim.stripe("GET", "/v1/balance_transactions",
                                    {"source": charge["id"]}))
    assert [t["id"] for t in by_source["data"]] == [charge["balance_transaction"]]
    everything = ok(await sim.stripe("GET", "/v1/balance_transactions"))
    assert [t["type"] for t in everything["data"]] == ["refund", "charge"]
    none = ok(await sim.stripe("GET", "/v1/balance_transactions", {"type": "payout"}))
    assert none["data"] == [] and not none["has_more"]
    eur = ok(await sim.stripe("GET", "/v1/balance_transactions", {"currency": "EUR"}))
    assert eur["data"] == []


async def test_the_balance_moves_from_pending_to_available_with_the_clock(sim: Sim) -> None:
    empty = ok(await sim.stripe("GET", "/v1/balance"), "stripe/balance")
    assert empty["available"] == empty["pending"] == [
        {"amount": 0, "currency": "usd", "source_types": {"card": 0}}]
    await paid_charge(sim, 2000)
    charge = await paid_charge(sim, 1000)  # fee 59: net 941
    ok(await sim.stripe("POST", "/v1/refunds", {"charge": charge["id"], "amount": 100}))
    now = ok(await sim.stripe("GET", "/v1/balance"), "stripe/balance")
    assert now["pending"][0]["amount"] == 1912 + 941
    assert now["available"][0]["amount"] == -100  # refunds leave at once
    ok(await sim.control("POST", "/clock/advance", {"seconds": 3 * DAY}))
    later = ok(await sim.stripe("GET", "/v1/balance"), "stripe/balance")
    assert later["pending"][0]["amount"] == 0
    assert later["available"][0] == {"amount": 1912 + 941 - 100, "currency": "usd",
                                      "source_types": {"card": 1912 + 941 - 100}}
    entry = ok(await sim.stripe("GET", f"/v1/balance_transactions/{charge['balance_transaction']}"))
    assert entry["status"] == "available"


@pytest.mark.parametrize("card", ["pm_card_bypassPending", "pm_card_bypassPendingInternational"])
async def test_the_bypass_pending_cards_add_to_the_available_balance_at_once(
        sim: Sim, card: str) -> None:
    charge = await paid_charge(sim, 2000, card)
    entry = ok(await sim.stripe("GET", f"/v1/balance_transactions/{charge['balance_transaction']}"))
    assert entry["status"] == "available" and entry["available_on"] == entry["created"]
    balance = ok(await sim.stripe("GET", "/v1/balance"), "stripe/balance")
    assert balance["available"][0]["amount"] == entry["net"]
    assert balance["pending"][0]["amount"] == 0


async def test_unknown_entries_and_payouts_are_resource_missing(sim: Sim) -> None:
    missing = await sim.stripe("GET", "/v1/balance_transactions/txn_nothing")
    assert missing.status == 404 and missing.error["code"] == "resource_missing"
    assert missing.error["param"] == "transaction"
    payout = await sim.stripe("GET", "/v1/balance_transactions", {"payout": "po_123"})
    assert payout.status == 404 and payout.error["code"] == "resource_missing"
    bad = await sim.stripe("GET", "/v1/balance_transactions", {"type": "nonsense"})
    assert bad.status == 400 and bad.error["param"] == "type"


# -- a tenant's fee schedule -----------------------------------------------------------------
async def test_a_tenant_override_changes_the_next_fee_only(sim: Sim) -> None:
    first = await paid_charge(sim, 2000)
    put = await sim.control("PUT", "/fees", {"methods": {"card": {"percent": 1.5,
                                                                 "fixed": {"usd": 10}}}},
                            query={"tenant": sim.key})
    state = ok(put, "control/fees#/$defs/state")
    assert state["overridden"] and state["schedule"]["methods"]["card"]["percent"] == 1.5
    assert state["schedule"]["methods"]["card"]["international_percent"] == 1.5  # merged
    second = await paid_charge(sim, 2000)
    fees = []
    for charge in (first, second):
        entry = ok(await sim.stripe("GET",
                                    f"/v1/balance_transactions/{charge['balance_transaction']}"))
        fees.append(entry["fee"])
    assert fees == [88, 40]  # the first entry keeps its fee
    assert sim.domain.store.one(
        "SELECT COUNT(*) FROM objects WHERE kind = 'fee_schedule'")[0] == 1  # in the store
    cleared = ok(await sim.control("DELETE", "/fees", query={"credential": sim.key}))
    assert cleared["cleared"] and not cleared["overridden"]
    third = await paid_charge(sim, 2000)
    entry = ok(await sim.stripe("GET", f"/v1/balance_transactions/{third['balance_transaction']}"))
    assert entry["fee"] == 88


async def test_fee_overrides_are_validated_and_scoped(sim: Sim) -> None:
    await sim.pay()
    bad = await sim.control("PUT", "/fees", {"methods": {"card": {"percent": -1}}},
                            query={"tenant": sim.key})
    assert bad.status == 400, bad.body
    unknown = await sim.control("PUT", "/fees", {"refund_fee": "sometimes"},
                                query={"tenant": sim.key})
    assert unknown.status == 400
    nobody = await sim.control("GET", "/fees")
    assert nobody.status == 400
    stranger = await sim.control("GET", "/fees", query={"tenant": "sk_test_never_seen"})
    assert stranger.status == 404
    gateway = await sim.control("GET", "/fees", query={"tenant": sim.key, "gateway": "nope"})
    assert gateway.status == 400
    state = ok(await sim.control("GET", "/fees", query={"tenant": sim.key}),
               "control/fees#/$defs/state")
    assert not state["overridden"] and state["schedule"] == state["default"]


async def test_a_returned_refund_fee_is_schedule_data(sim: Sim) -> None:
    ok(await sim.control("PUT", "/fees", {"refund_fee": "returned"},
                         query={"tenant": sim.key, "ahead": "true"}))
    charge = await paid_charge(sim, 2000)
    refund = ok(await sim.stripe("POST", "/v1/refunds", {
        "charge": charge["id"], "amount": 1000, "expand": ["balance_transaction"]}))
    entry = refund["balance_transaction"]
    assert (entry["amount"], entry["fee"], entry["net"]) == (-1000, -44, -956)


async def test_every_gateway_gets_entries_without_a_schedule_no_fee(sim: Sim) -> None:
    balance = sim.domain.balance
    doc = balance.record_payment(sim.tenant, "elsewhere", {
        "id": "ch_x1", "amount_captured": 500, "currency": "twd", "payment": "p",
        "card": {"country": "TW"}})
    assert (doc["fee"], doc["net"], doc["gateway"]) == (0, 500, "elsewhere")
    assert balance.record_payment(sim.tenant, "elsewhere", {"id": "ch_x1"}) == doc
    assert balance.fresh(v.BALANCE_ENTRY, doc)["status"] == "available"


# -- nested expand -----------------------------------------------------------------------------
async def test_nested_expand_reaches_the_balance_transaction_and_its_source(sim: Sim) -> None:
    pay = ok(await sim.pay(2000))
    got = ok(await sim.stripe("GET", f"/v1/payment_intents/{pay['id']}", {"expand": [
        "latest_charge", "latest_charge.balance_transaction.source.payment_intent"]}),
        "stripe/payment_intent")
    txn = got["latest_charge"]["balance_transaction"]
    assert (txn["object"], txn["fee"]) == ("balance_transaction", 88)
    assert txn["source"]["object"] == "charge"
    assert txn["source"]["payment_intent"]["id"] == pay["id"]
    listed = ok(await sim.stripe("GET", "/v1/payment_intents", {
        "expand": ["data.latest_charge.balance_transaction.source"]}))
    assert listed["data"][0]["latest_charge"]["balance_transaction"]["source"]["id"] == (
        pay["latest_charge"])
    txns = ok(await sim.stripe("GET", "/v1/balance_transactions",
                               {"expand": ["data.source"]}))
    assert txns["data"][0]["source"]["id"] == pay["latest_charge"]


async def test_a_refund_source_expands_to_the_refund(sim: Sim) -> None:
    charge = await paid_charge(sim)
    refund = ok(await sim.stripe("POST", "/v1/refunds", {"charge": charge["id"]}))
    txn = ok(await sim.stripe("GET", f"/v1/balance_transactions/{refund['balance_transaction']}",
                              {"expand": ["source.charge"]}), "stripe/balance_transaction")
    assert txn["source"]["object"] == "refund" and txn["source"]["charge"]["id"] == charge["id"]


async def test_expand_refuses_five_levels_and_unknown_fields(sim: Sim) -> None:
    pay = ok(await sim.pay(2000))
    url = f"/v1/payment_intents/{pay['id']}"
    deep = "latest_charge.balance_transaction.source.payment_intent.latest_charge"
    refused(await sim.stripe("GET", url, {"expand": [deep]}), 400,
            "property_expansion_max_depth",
            f"You cannot expand more than 4 levels of a property. Property: {deep}", "expand")
    listed = "data.latest_charge.balance_transaction.source.customer"
    refused(await sim.stripe("GET", "/v1/payment_intents", {"expand": [listed]}), 400,
            "property_expansion_max_depth",
            f"You cannot expand more than 4 levels of a property. Property: {listed}", "expand")
    for path in ("latest_charge.outcome", "metadata", "latest_charge.balance_transaction.fee"):
        refused(await sim.stripe("GET", url, {"expand": [path]}), 400,
                "parameter_invalid_string", f"This property cannot be expanded ({path}).",
                "expand")
    refused(await sim.stripe("GET", "/v1/payment_intents", {"expand": ["data"]}), 400,
            "parameter_invalid_string", "This property cannot be expanded (data).", "expand")
    refused(await sim.stripe("GET", "/v1/balance", {"expand": ["available"]}), 400,
            "parameter_invalid_string", "This property cannot be expanded (available).",
            "expand")


async def test_a_customer_expands_on_the_payment_and_a_missing_one_stays_an_id(sim: Sim) -> None:
    pay = ok(await sim.pay(2000))
    got = ok(await sim.stripe("GET", f"/v1/payment_intents/{pay['id']}",
                              {"expand": ["customer", "latest_charge.customer"]}))
    assert got["customer"] is None and got["latest_charge"]["customer"] is None
    txn_id = got["latest_charge"]["balance_transaction"]
    sim.domain.objects.delete(sim.tenant, v.BALANCE_ENTRY, txn_id)
    again = ok(await sim.stripe("GET", f"/v1/charges/{pay['latest_charge']}",
                                {"expand": ["balance_transaction"]}))
    assert again["balance_transaction"] == txn_id  # a reference to nothing stays the id


async def test_a_create_with_a_bad_expand_creates_nothing(sim: Sim) -> None:
    answer = await sim.pay(2000, expand=["latest_charge.nothing"])
    assert answer.status == 400, answer.body
    listed = ok(await sim.stripe("GET", "/v1/payment_intents"))
    assert listed["data"] == []
