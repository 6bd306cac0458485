"""`line-pay` 0.2.0 (PyPI), LINE Pay's Python SDK, as the merchant's client against the live
simulator, unchanged but for its base URL (`api_endpoint`): it signs the bare API path
over its own `json.dumps` bytes with float amounts (gateways.md 8). Request -> the shopper
approves on the page (or through /_sim/payments/{id}/simulate) -> confirm -> details ->
refunds, and capture:false -> capture / void; every answer it returns, refusals included,
is checked against contracts/linepay. Transaction ids come back as exact integers."""

from __future__ import annotations

import urllib.parse
import uuid
from typing import Any

import pytest
from linepay import LinePayApi
from linepay.exceptions import LinePayApiError
from paylab.suites.plugins.contracts import WireContracts
from paylab.suites.plugins.evidence import EvidenceSession
from paylab.suites.plugins.simulator import Control, LiveSimulator

SHOP = "https://shop.example/linepay"


@pytest.fixture
def api(simulator: LiveSimulator, control: Control) -> LinePayApi:
    """The SDK for a fresh channel (its own tenant), pointed at the simulator."""
    made = control.post("merchants", {"gateway": "linepay"})
    client = LinePayApi(made["merchant_id"], made["hash_key"], is_sandbox=True)
    client.api_endpoint = simulator.url + "/linepay"
    return client


def options(amount: int, *, capture: bool = True) -> dict[str, Any]:
    order_id = f"SDK-{uuid.uuid4().hex[:12]}"
    return {"amount": float(amount), "currency": "TWD", "orderId": order_id,
            "packages": [{"id": "p1", "amount": float(amount), "name": "茶行",
                          "products": [{"name": "凍頂烏龍", "quantity": 1,
                                        "price": float(amount)}]}],
            "redirectUrls": {"confirmUrl": f"{SHOP}/confirm", "cancelUrl": f"{SHOP}/cancel"},
            "options": {"payment": {"capture": capture}}}


def approve_on_page(http: EvidenceSession, info: dict[str, Any]) -> dict[str, list[str]]:
    """The shopper logs in and approves; the confirmUrl's query the browser is sent to."""
    web = info["paymentUrl"]["web"]
    assert 'data-testid="line-login"' in http.get(web, timeout=10).text
    assert http.post(web, data={"action": "login"}, timeout=10).status_code == 200
    done = http.post(web, data={"action": "approve", "funding": "balance"},
                     allow_redirects=False, timeout=10)
    assert done.status_code == 303
    return urllib.parse.parse_qs(urllib.parse.urlsplit(done.headers["Location"]).query)


def test_request_approve_confirm_details_and_refunds(api: LinePayApi, http: EvidenceSession,
                                                     wire_contracts: WireContracts) -> None:
    sent = options(1200)
    requested = api.request(sent)
    wire_contracts.check("linepay/request_response", requested)
    info = requested["info"]
    tid = info["transactionId"]
    assert isinstance(tid, int) and tid > 2**53
    assert api.check_payment_status(tid)["returnCode"] == "0000"
    back = approve_on_page(http, info)
    assert back == {"transactionId": [str(tid)], "orderId": [sent["orderId"]]}
    assert api.check_payment_status(int(back["transactionId"][0]))["returnCode"] == "0110"
    confirmed = api.confirm(tid, 1200.0, "TWD")
    wire_contracts.check("linepay/confirm_response", confirmed)
    assert confirmed["info"]["transactionId"] == tid
    assert api.check_payment_status(tid)["returnCode"] == "0123"
    partial = api.refund(tid, 200)
    wire_contracts.check("linepay/refund_response", partial)
    rest = api.refund(tid)
    assert rest["info"]["refundTransactionId"] != partial["info"]["refundTransactionId"]
    details = api.payment_details(transaction_id=tid)
    wire_contracts.check("linepay/details_response", details)
    (entry,) = details["info"]
    assert [r["refundAmount"] for r in entry["refundList"]] == [-200, -1000]
    by_order = api.payment_details(order_id=sent["orderId"])
    assert by_order["info"][0]["transactionId"] == tid
    with pytest.raises(LinePayApiError) as refused:
        api.refund(tid)
    assert refused.value.return_code == "1165"
    wire_contracts.check("linepay/error", refused.value.api_response)


def test_capture_false_then_capture_or_void(api: LinePayApi, control: Control,
                                            wire_contracts: WireContracts) -> None:
    for then in ("capture", "void"):
        info = api.request(options(800, capture=False))["info"]
        tid = info["transactionId"]
        reserve_id = urllib.parse.parse_qs(urllib.parse.urlsplit(
            info["paymentUrl"]["web"]).query)["transactionReserveId"][0]
        assert control.post(f"payments/{reserve_id}/simulate",
                            {"outcome": "approved"})["status"] == "approved"
        confirmed = api.confirm(tid, 800.0, "TWD")
        assert "authorizationExpireDate" in confirmed["info"]
        status = api.payment_details(transaction_id=tid)["info"][0]["payStatus"]
        assert status == "AUTHORIZATION"
        if then == "capture":
            wire_contracts.check("linepay/capture_response", api.capture(tid, 800.0, "TWD"))
            expected = "CAPTURE"
        else:
            wire_contracts.check("linepay/answer", api.void(tid))
            expected = "VOIDED_AUTHORIZATION"
        assert api.payment_details(transaction_id=tid)["info"][0]["payStatus"] == expected


def test_refusals_reach_the_sdk_as_linepay_errors(api: LinePayApi, control: Control,
                                                  wire_contracts: WireContracts) -> None:
    info = api.request(options(500))["info"]
    tid = info["transactionId"]
    with pytest.raises(LinePayApiError) as early:
        api.confirm(tid, 500.0, "TWD")
    assert early.value.return_code == "1169"
    reserve_id = urllib.parse.parse_qs(urllib.parse.urlsplit(
        info["paymentUrl"]["web"]).query)["transactionReserveId"][0]
    control.post(f"payments/{reserve_id}/simulate", {"outcome": "approved"})
    with pytest.raises(LinePayApiError) as mismatch:
        api.confirm(tid, 499.0, "TWD")
    assert (mismatch.value.return_code, mismatch.value.status_code) == ("1153", 200)
    wire_contracts.check("linepay/error", mismatch.value.api_response)
    assert api.confirm(tid, 500.0, "TWD")["returnCode"] == "0000"
    with pytest.raises(LinePayApiError) as twice:
        api.confirm(tid, 500.0, "TWD")
    assert twice.value.return_code == "1172"
    with pytest.raises(LinePayApiError) as preapproved:
        api.pay_preapproved("RK-none", "tea", 100.0, "TWD", "PRE-1")
    assert preapproved.value.return_code == "1154"
    wire_contracts.check("linepay/error", preapproved.value.api_response)
