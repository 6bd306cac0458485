"""Settlement files against a live simulator: a Stripe payment (through the SDK) in the
neutral rows and in Stripe's payout reconciliation CSV, and ECPay's TradeNoAio download
signed by the merchant (and refused in ECPay's own shape when the signature is wrong).
Every control response is checked against contracts/control/settlements by the layer."""

from __future__ import annotations

import csv
import io
import re

import stripe
from paylab.suites.contract.ecpay_merchant import EcpayMerchant
from paylab.suites.plugins.evidence import EvidenceSession
from paylab.suites.plugins.simulator import Control

WIDE = {"BeginDate": "2000-01-01", "EndDate": "2100-12-31"}


def table(text: str) -> list[dict[str, str]]:
    """CSV rows as dicts, past a leading `#` note line and byte-order mark."""
    lines = text.lstrip("\ufeff").splitlines()
    return list(csv.DictReader(io.StringIO("\n".join(
        lines[1:] if lines and lines[0].startswith("#") else lines))))


def test_a_stripe_payment_settles_with_its_fee(stripe_client: stripe.StripeClient,
                                              control: Control, http: EvidenceSession,
                                              api_key: str) -> None:
    pi = stripe_client.v1.payment_intents.create(params={
        "amount": 2000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True,
        "metadata": {"order_id": "SET-1"}})
    body = control.get("settlements", tenant=api_key, gateway="stripe")
    (row,) = [r for r in body["rows"] if r["order_ref"] == "SET-1"]
    assert (row["transaction_id"], row["amount"], row["fee"], row["net"], row["type"]) == (
        pi.latest_charge, 2000, 88, 1912, "payment")
    report = http.get(f"{control.url}/_sim/settlements/stripe.csv",
                      params={"tenant": api_key}, timeout=10)
    assert report.status_code == 200 and report.headers["Content-Type"].startswith("text/csv")
    (line,) = [r for r in table(report.text) if r["source_id"] == pi.latest_charge]
    assert (line["gross"], line["fee"], line["net"], line["reporting_category"]) == (
        "20.00", "0.88", "19.12", "charge")


def test_ecpay_trade_no_aio_is_signed_and_answers_the_csv(ecpay: EcpayMerchant,
                                                          control: Control) -> None:
    cashier = ecpay.checkout(ChoosePayment="ATM")
    page = ecpay.choose(cashier, "ATM")
    order = re.search(r"/Cashier/Order/([A-Za-z0-9_]+)/", page.url + cashier.text)
    assert order, "the cashier's links name the order"
    control.post(f"payments/{order.group(1)}/simulate", {"outcome": "paid"})
    form = {"MerchantID": ecpay.merchant_id, "DateType": "2", "MediaFormated": "1", **WIDE}
    answer, _ = ecpay.api("/PaymentMedia/TradeNoAio", form)
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/csv")
    (line,) = table(answer.text)
    (row,) = control.get("settlements", tenant=ecpay.tenant)["rows"]
    assert (line["綠界訂單編號"], line["特店訂單編號"], line["交易金額"], line["交易手續費"]) == (
        row["transaction_id"], row["order_ref"], "500", str(row["fee"]))
    assert row["fee"] == 10  # 1% of NT$500 is 5, below the NT$10 minimum for ATM
    forged, fields = ecpay.api("/PaymentMedia/TradeNoAio",
                               {**form, "CheckMacValue": "0" * 64}, sign=False)
    assert forged.status_code == 200 and fields["RtnCode"] == "10200073", forged.text
