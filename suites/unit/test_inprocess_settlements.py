"""Settlement files through an in-process simulator: the neutral rows at /_sim/settlements
(JSON, CSV, filters, the control API's errors), Stripe's payout reconciliation CSV and
ECPay's signed TradeNoAio download (and its refusals in ECPay's shape)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import urllib.parse
from typing import Any

import pytest
from paylab.simulator.contracts import contract_id
from paylab.simulator.core.settlements import Naming
from paylab.simulator.gateways.kit.settlement import settlement_module
from paylab.suites.unit import linepay_client as lp
from paylab.suites.unit import paypal_kit as pp
from paylab.suites.unit.ecpay_kit import MERCHANT, TENANT, api, checkout, choose, pay_card
from paylab.suites.unit.inprocess import Answer, ClientFactory, Sim, contracts, start

DAY = 86400
AIO = "/PaymentMedia/TradeNoAio"


@pytest.fixture
async def sim(aiohttp_client: ClientFactory) -> Sim:
    return await start(aiohttp_client)


def valid(answer: Answer) -> dict[str, Any]:
    assert answer.status == 200, answer.body
    problem = contracts().problem(contract_id("control/settlements"), answer.body)
    assert problem is None, problem
    return answer.body


def table(text: str) -> list[list[str]]:
    """CSV lines, without a leading `#` note line or byte-order mark."""
    lines = text.lstrip("\ufeff").splitlines()
    if lines and lines[0].startswith("#"):
        lines = lines[1:]
    return list(csv.reader(io.StringIO("\n".join(lines))))


async def stripe_paid(sim: Sim, amount: int = 2000, order: str = "A-1") -> dict[str, Any]:
    answer = await sim.pay(amount, "usd", "pm_card_visa", expand=["latest_charge"],
                           metadata={"order_id": order})
    assert answer.status == 200, answer.body
    return answer.body["latest_charge"]


async def ecpay_paid(sim: Sim, no: str = "T0001") -> dict[str, Any]:
    await pay_card(sim, await choose(sim, await checkout(sim, no), "Credit"))
    return sim.domain.orders.find_by_merchant_order(TENANT, no)


async def ecpay_closed(sim: Sim, no: str = "T0001", refund: int | None = None
                       ) -> dict[str, Any]:
    """A 500 TWD card trade closed (captured) with DoAction C, then partly refunded."""
    order = await ecpay_paid(sim, no)
    for act, amount in (("C", 500), ("R", refund)):
        if amount is None:
            continue
        answer, fields = await api(sim, "/CreditDetail/DoAction", {
            "MerchantID": MERCHANT, "MerchantTradeNo": no, "TradeNo": order["reference"],
            "Action": act, "TotalAmount": amount})
        assert fields.get("RtnCode") == "1", answer.text
    return sim.domain.orders.find_by_merchant_order(TENANT, no)


def aio_form(**fields: Any) -> dict[str, Any]:
    form = {"MerchantID": MERCHANT, "DateType": "2", "BeginDate": "2000-01-01",
            "EndDate": "2100-01-01", "MediaFormated": "1", **fields}
    return {k: v for k, v in form.items() if v is not None}


# -- /_sim/settlements -------------------------------------------------------------------
async def test_stripe_rows_payment_and_partial_refund(sim: Sim) -> None:
    charge = await stripe_paid(sim, 2000, "A-1")
    refund = await sim.stripe("POST", "/v1/refunds", {"charge": charge["id"], "amount": 500})
    assert refund.status == 200, refund.body
    body = valid(await sim.control("GET", "/settlements", query={"gateway": "stripe"}))
    pay, back = body["rows"]
    created = charge["created"]
    two_days = (created - created % DAY) + 2 * DAY
    assert pay == {"gateway": "stripe", "tenant": sim.tenant, "merchant_id": sim.tenant,
                   "type": "payment", "transaction_id": charge["id"], "order_ref": "A-1",
                   "method": "card", "amount": 2000, "currency": "usd", "decimals": 2,
                   "fee": 88, "net": 1912, "created_at": created, "settled_at": two_days,
                   "settlement_date": pay["settlement_date"]}
    assert (back["type"], back["transaction_id"], back["amount"], back["fee"], back["net"],
            back["order_ref"]) == ("refund", refund.body["id"], -500, 0, -500, "A-1")
    assert back["settled_at"] == back["created_at"]  # refunds leave the balance at once
    assert body["totals"] == [{"gateway": "stripe", "currency": "usd", "count": 2,
                               "amount": 1500, "fee": 88, "net": 1412}]


async def test_ecpay_rows_after_the_close_with_its_fee(sim: Sim) -> None:
    order = await ecpay_closed(sim, "T0001", refund=200)
    body = valid(await sim.control("GET", "/settlements", query={"gateway": "ecpay"}))
    pay, back = body["rows"]
    # 2.75% of NT$500 is 13.75: NT$14 (rounded half up), above the NT$5 minimum
    assert (pay["transaction_id"], pay["order_ref"], pay["merchant_id"], pay["amount"],
            pay["fee"], pay["net"], pay["decimals"], pay["currency"]) == (
        order["reference"], "T0001", MERCHANT, 500, 14, 486, 0, "twd")
    assert pay["settled_at"] == pay["created_at"] - pay["created_at"] % DAY + 4 * DAY
    assert (back["amount"], back["fee"], back["net"]) == (-200, 0, -200)


async def test_an_authorised_or_failed_trade_has_no_row(sim: Sim) -> None:
    await ecpay_paid(sim, "T0001")  # authorised, not closed: nothing settles yet
    await pay_card(sim, await choose(sim, await checkout(sim, "T0002"), "Credit"),
                   "4000000000000002")  # declined
    body = valid(await sim.control("GET", "/settlements"))
    assert body["rows"] == [] and body["count"] == 0


async def test_dates_filter_by_settlement_or_created_day(sim: Sim) -> None:
    charge = await stripe_paid(sim)
    body = valid(await sim.control("GET", "/settlements"))
    day = body["rows"][0]["settlement_date"]
    created = body["rows"][0]["created_at"]
    for query, count in (({"date": day}, 1), ({"from": day, "to": day}, 1),
                         ({"to": "2000-01-01"}, 0), ({"from": "2999-01-01"}, 0),
                         ({"date": day, "by": "created_date"}, 0)):
        got = valid(await sim.control("GET", "/settlements", query=query))
        assert got["count"] == count, query
    assert charge["created"] == created


async def test_csv_format_has_the_neutral_columns(sim: Sim) -> None:
    await stripe_paid(sim)
    answer = await sim.control("GET", "/settlements", query={"format": "csv"})
    assert answer.status == 200 and answer.headers["Content-Type"].startswith("text/csv")
    header, line = table(answer.text)
    assert header[:5] == ["gateway", "tenant", "merchant_id", "type", "transaction_id"]
    assert dict(zip(header, line, strict=True))["net"] == "1912"


@pytest.mark.parametrize(("query", "status", "code", "field"), [
    ({"gateway": "nope"}, 400, "gateway_unknown", "gateway"),
    ({"date": "2026-12-01", "from": "2026-12-01"}, 400, "conflicting_parameters", "date"),
    ({"from": "2026-12-02", "to": "2026-12-01"}, 400, "invalid_range", "from"),
    ({"date": "2026-13-01"}, 400, "invalid_parameter", "date"),
    ({"format": "xml"}, 400, "invalid_parameter", "format"),
    ({"tenant": "acct_never_seen"}, 404, "unknown_tenant", "tenant"),
])
async def test_bad_queries_get_the_control_error(sim: Sim, query: dict[str, str], status: int,
                                                 code: str, field: str) -> None:
    answer = await sim.control("GET", "/settlements", query=query)
    assert answer.status == status, answer.body
    assert (answer.body["error"]["code"], answer.body["error"].get("field")) == (code, field)


# -- each gateway's file -----------------------------------------------------------------
async def test_stripe_payout_reconciliation_csv(sim: Sim) -> None:
    charge = await stripe_paid(sim, 2000, "A-1")
    answer = await sim.control("GET", "/settlements/stripe.csv")
    assert answer.status == 200 and answer.headers["Content-Type"].startswith("text/csv")
    header, line = table(answer.text)
    row = dict(zip(header, line, strict=True))
    assert (row["balance_transaction_id"], row["source_id"], row["gross"], row["fee"],
            row["net"], row["reporting_category"], row["currency"],
            row["payment_metadata[order_id]"]) == (
        charge["balance_transaction"], charge["id"], "20.00", "0.88", "19.12", "charge",
        "usd", "A-1")


async def test_every_gateway_offers_a_file_and_others_are_404(sim: Sim) -> None:
    for name in ("stripe", "ecpay", "newebpay", "linepay", "jkopay", "paypal"):
        answer = await sim.control("GET", f"/settlements/{name}.csv")
        assert answer.status == 200, (name, answer.body)
    for name in ("stripe.pdf", "nope.csv", "csv"):
        answer = await sim.control("GET", f"/settlements/{name}")
        assert answer.status == 404, name
        assert answer.body["error"]["code"] == "not_found"


async def test_ecpay_trade_no_aio_signed_request_answers_the_csv(sim: Sim) -> None:
    order = await ecpay_closed(sim)
    answer, _ = await api(sim, AIO, aio_form())
    assert answer.status == 200 and answer.headers["Content-Type"].startswith("text/csv")
    assert answer.text.startswith("\ufeff# ECPay TradeNoAio")  # labelled: our reading
    header, line = table(answer.text)
    row = dict(zip(header, line, strict=True))
    assert (row["綠界訂單編號"], row["特店訂單編號"], row["付款方式"], row["交易金額"],
            row["交易手續費"], row["撥款金額"], row["交易狀態"], row["撥款狀態"]) == (
        order["reference"], "T0001", "Credit_CreditCard", "500", "14", "486", "已付款",
        "未撥款")
    # the same file from /_sim
    mirror = await sim.control("GET", "/settlements/ecpay.csv")
    assert table(mirror.text) == [header, line]


@pytest.mark.parametrize(("fields", "count"), [
    ({"PaymentType": "01"}, 1), ({"PaymentType": "03"}, 0), ({"PaymentStatus": "0"}, 0),
    ({"AllocateStatus": "0"}, 1), ({"AllocateStatus": "1"}, 0),
    ({"DateType": "4", "EndDate": "2000-01-02"}, 0),
])
async def test_ecpay_trade_no_aio_filters(sim: Sim, fields: dict[str, str], count: int) -> None:
    await ecpay_closed(sim)
    answer, _ = await api(sim, AIO, aio_form(**fields))
    assert answer.status == 200, answer.text
    assert len(table(answer.text)) - 1 == count


async def test_ecpay_trade_no_aio_disbursed_after_four_days(sim: Sim) -> None:
    await ecpay_closed(sim)
    await sim.control("POST", "/clock/advance", {"seconds": 5 * DAY})
    answer, _ = await api(sim, AIO, aio_form(AllocateStatus="1"))
    assert table(answer.text)[1][-1] == "已撥款"


@pytest.mark.parametrize(("fields", "sign", "code"), [
    ({}, False, "10200073"),                              # no CheckMacValue
    ({"CheckMacValue": "0" * 64}, False, "10200073"),     # a wrong one
    ({"DateType": "3"}, True, None),                      # not 2, 4 or 6
    ({"BeginDate": "2026/12/01"}, True, None),            # not yyyy-MM-dd
    ({"BeginDate": "2026-12-02", "EndDate": "2026-12-01"}, True, None),
    ({"MediaFormated": None}, True, None),                # required
])
async def test_ecpay_trade_no_aio_refusals_in_ecpay_shape(sim: Sim, fields: dict[str, Any],
                                                          sign: bool, code: str | None) -> None:
    await ecpay_closed(sim)
    answer, parsed = await api(sim, AIO, aio_form(**fields), sign=sign)
    assert answer.status == 200 and "text/html" in answer.headers["Content-Type"], answer.text
    assert parsed["RtnCode"] != "1" and "綠界訂單編號" not in answer.text
    if code is not None:
        assert parsed["RtnCode"] == code


# -- wallets: the adapters' names ------------------------------------------------------------
async def test_linepay_rows_carry_transaction_and_refund_ids(sim: Sim) -> None:
    info = await lp.paid(sim, "LP-1", 1000)
    refund = await lp.call(sim, "POST", f"/v3/payments/{info['transactionId']}/refund",
                           {"refundAmount": 300})
    assert refund.body["returnCode"] == "0000", refund.body
    body = valid(await sim.control("GET", "/settlements", query={"gateway": "linepay"}))
    pay, back = body["rows"]
    assert (pay["transaction_id"], pay["order_ref"], pay["method"], pay["amount"],
            pay["currency"]) == (str(info["transactionId"]), "LP-1", "wallet", 1000, "twd")
    assert pay["fee"] == 30 and pay["net"] == 970          # 3% of NT$1000
    assert pay["settled_at"] == pay["created_at"] - pay["created_at"] % DAY + 7 * DAY
    assert (back["transaction_id"], back["amount"]) == (
        str(refund.body["info"]["refundTransactionId"]), -300)
    header, *lines = table((await sim.control("GET", "/settlements/linepay.csv")).text)
    assert [dict(zip(header, line, strict=True))["transactionType"] for line in lines] == [
        "PAYMENT", "PAYMENT_REFUND"]


async def test_paypal_rows_carry_capture_refund_and_invoice(sim: Sim) -> None:
    access = await pp.bearer(sim)
    order = await pp.create(sim, access, value="12.50", invoice_id="INV-7")
    await pp.approve(sim, order)
    captured = await pp.api(sim, access, "POST", f"/v2/checkout/orders/{order['id']}/capture")
    capture_id = captured.body["purchase_units"][0]["payments"]["captures"][0]["id"]
    refund = await pp.api(sim, access, "POST", f"/v2/payments/captures/{capture_id}/refund",
                          {"amount": {"currency_code": "USD", "value": "2.50"}})
    assert refund.status == 201, refund.body
    body = valid(await sim.control("GET", "/settlements", query={"gateway": "paypal"}))
    pay, back = body["rows"]
    assert (pay["transaction_id"], pay["order_ref"], pay["amount"], pay["decimals"],
            pay["currency"]) == (capture_id, "INV-7", 1250, 2, "usd")
    assert (back["transaction_id"], back["amount"], back["order_ref"]) == (
        refund.body["id"], -250, "INV-7")
    assert pay["net"] == 1250 - pay["fee"] and back["net"] == -250 - back["fee"]
    header, line, _ = table((await sim.control("GET", "/settlements/paypal.csv")).text)
    row = dict(zip(header, line, strict=True))
    assert (row["Transaction ID"], row["Gross"], row["Invoice Number"]) == (
        capture_id, "12.50", "INV-7")
    assert row["Net"] == f"{(1250 - pay['fee']) / 100:.2f}"


async def test_newebpay_and_jkopay_name_their_trades(sim: Sim) -> None:
    domain = sim.domain
    rows = []
    for gateway, extra in (("newebpay", {"MerchantID": "MS1"}), ("jkopay", {"store_id": "S1"})):
        order = domain.orders.create("t-" + gateway, gateway, merchant_order_no="N-1",
                                     amount=1000, currency="twd", methods=["webatm"],
                                     extra=extra)
        domain.orders.pay_direct("t-" + gateway, order["id"], "webatm")
        domain.orders.refund("t-" + gateway, order["id"], 100, reference="x")
        module = settlement_module(gateway)
        assert module is not None
        rows.append((order, module.names(domain, "t-" + gateway, domain.orders.get(
            "t-" + gateway, order["id"]))))
    (neweb, neweb_names), (jko, jko_names) = rows
    reference = neweb["reference"]
    assert neweb_names == Naming(reference + str(sum(map(int, reference)) % 10), "N-1", "MS1")
    assert jko_names == Naming(jko["reference"], "N-1", "S1", (f"R{jko['reference']}01",))
    for name in ("newebpay.csv", "jkopay.csv"):
        header, *lines = table((await sim.control("GET", f"/settlements/{name}")).text)
        assert len(lines) == 2 and len(header) == 10, name


# -- PayPal Transaction Search -----------------------------------------------------------------
SEARCH = "/v1/reporting/transactions"


async def paypal_captured_and_refunded(sim: Sim) -> tuple[str, str, str]:
    """(access token, capture id, refund id) of a 12.50 USD order refunded 2.50."""
    access = await pp.bearer(sim)
    order = await pp.create(sim, access, value="12.50", invoice_id="INV-9")
    await pp.approve(sim, order)
    captured = await pp.api(sim, access, "POST", f"/v2/checkout/orders/{order['id']}/capture")
    capture_id = captured.body["purchase_units"][0]["payments"]["captures"][0]["id"]
    refund = await pp.api(sim, access, "POST", f"/v2/payments/captures/{capture_id}/refund",
                          {"amount": {"currency_code": "USD", "value": "2.50"}})
    return access, capture_id, refund.body["id"]


def stamp(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S%z")


def window(sim: Sim, before: int = 3600, after: int = 3600, **extra: str) -> str:
    now = sim.domain.clock.now()
    query = {"start_date": stamp(now - before), "end_date": stamp(now + after), **extra}
    return SEARCH + "?" + urllib.parse.urlencode(query)


async def test_paypal_transaction_search_lists_capture_and_refund(sim: Sim) -> None:
    access, capture_id, refund_id = await paypal_captured_and_refunded(sim)
    answer = await pp.api(sim, access, "GET", window(sim))
    assert answer.status == 200, answer.body
    assert contracts().problem(contract_id("paypal/transaction_search"), answer.body) is None
    infos = [d["transaction_info"] for d in answer.body["transaction_details"]]
    rows = valid(await sim.control("GET", "/settlements", query={"gateway": "paypal"}))["rows"]
    assert [(i["transaction_id"], i["transaction_event_code"], i["transaction_amount"],
             i["invoice_id"]) for i in infos] == [
        (capture_id, "T0006", {"currency_code": "USD", "value": "12.50"}, "INV-9"),
        (refund_id, "T1107", {"currency_code": "USD", "value": "-2.50"}, "INV-9")]
    assert infos[0]["fee_amount"]["value"] == f"-{rows[0]['fee'] / 100:.2f}"
    assert (answer.body["total_items"], answer.body["total_pages"], answer.body["page"]) == (
        2, 1, 1)
    paged = await pp.api(sim, access, "GET", window(sim, page_size="1", page="2"))
    assert [d["transaction_info"]["transaction_id"]
            for d in paged.body["transaction_details"]] == [refund_id]
    assert paged.body["total_pages"] == 2
    one = await pp.api(sim, access, "GET", window(sim, transaction_id=capture_id))
    assert len(one.body["transaction_details"]) == 1
    earlier = await pp.api(sim, access, "GET", window(sim, before=7200, after=-3600))
    assert earlier.body["transaction_details"] == [] and earlier.body["total_pages"] == 1


@pytest.mark.parametrize(("query", "field", "issue"), [
    ({"end_date": "2026-12-01T00:00:00Z"}, "start_date", "MISSING_REQUIRED_PARAMETER"),
    ({"start_date": "2026-12-01", "end_date": "2026-12-02T00:00:00Z"}, "start_date",
     "INVALID_PARAMETER_SYNTAX"),
    ({"start_date": "2026-11-01T00:00:00Z", "end_date": "2026-12-02T00:00:01Z"}, "end_date",
     "INVALID_PARAMETER_VALUE"),                          # 31 days and a second
    ({"start_date": "2026-12-02T00:00:00Z", "end_date": "2026-12-01T00:00:00Z"}, "end_date",
     "INVALID_PARAMETER_VALUE"),
    ({"start_date": "2026-12-01T00:00:00Z", "end_date": "2026-12-02T00:00:00Z",
      "page_size": "501"}, "page_size", "INVALID_PARAMETER_VALUE"),
    ({"start_date": "2026-12-01T00:00:00Z", "end_date": "2026-12-02T00:00:00Z",
      "nope": "1"}, "nope", "UNKNOWN_FIELD"),
])
async def test_paypal_transaction_search_refusals(sim: Sim, query: dict[str, str], field: str,
                                                  issue: str) -> None:
    access = await pp.bearer(sim)
    answer = await pp.api(sim, access, "GET", SEARCH + "?" + urllib.parse.urlencode(query))
    assert answer.status == 400, answer.body
    (detail,) = answer.body["details"]
    assert (detail["field"], detail["issue"], detail["location"]) == (field, issue, "query")


async def test_paypal_transaction_search_31_days_is_the_limit(sim: Sim) -> None:
    access = await pp.bearer(sim)
    query = {"start_date": "2026-11-01T00:00:00Z", "end_date": "2026-12-02T00:00:00Z"}
    answer = await pp.api(sim, access, "GET", SEARCH + "?" + urllib.parse.urlencode(query))
    assert answer.status == 200 and answer.body["total_items"] == 0, answer.body
