"""ECPay's CheckMacValue in the adapter, both directions on the published vectors (the
simulator signs what ECPay would, and accepts what a merchant signs, the documented example
form included); its form reading, error wording, raw answers and notifier contract."""

from __future__ import annotations

import dataclasses
import urllib.parse
from typing import Any

import pytest
from paylab.simulator.contracts import Problem
from paylab.simulator.core.merchants import Merchant
from paylab.simulator.gateways.ecpay import checkmac, render, wire
from paylab.simulator.gateways.ecpay.notify import EcpayNotifier
from paylab.simulator.webhooks.signing import verify_ecpay
from paylab.suites.unit.ecpay_kit import AIO, TENANT, shown
from paylab.suites.unit.inprocess import ClientFactory, start


def merchant(case: dict[str, Any]) -> Merchant:
    return Merchant("ecpay", "M", "ecpay-M", case["hash_key"], case["hash_iv"], 0.0)


def test_the_adapter_signs_every_vector(vectors: dict) -> None:
    for case in vectors["ecpay_check_mac_value"]:
        got = checkmac.sign(case["params"], merchant(case), case["encrypt_type"])
        assert got == case["expected"], case["name"]
        assert checkmac.signed(case["params"], merchant(case),
                               case["encrypt_type"])["CheckMacValue"] == case["expected"]


def test_the_adapter_verifies_every_vector_and_refuses_any_change(vectors: dict) -> None:
    for case in vectors["ecpay_check_mac_value"]:
        fields = {**case["params"], "CheckMacValue": case["expected"]}
        assert checkmac.verify(fields, merchant(case), case["encrypt_type"]), case["name"]
        lower = {**fields, "CheckMacValue": case["expected"].lower()}
        assert checkmac.verify(lower, merchant(case), case["encrypt_type"])
        for key in case["params"]:
            changed = {**fields, key: fields[key] + "1"}
            assert not checkmac.verify(changed, merchant(case), case["encrypt_type"]), key
        other = 1 - case["encrypt_type"]
        assert not checkmac.verify(fields, merchant(case), other)
        wrong = dataclasses.replace(merchant(case), hash_key="x" * 16)
        assert not checkmac.verify(fields, wrong, case["encrypt_type"])
        assert not checkmac.verify(case["params"], merchant(case), case["encrypt_type"])


async def test_the_documented_example_form_is_accepted_by_the_simulator(
        vectors: dict, aiohttp_client: ClientFactory) -> None:
    sim = await start(aiohttp_client)
    official = vectors["ecpay_check_mac_value"][0]
    form = {**official["params"], "CheckMacValue": official["expected"]}
    answer = await sim.page("POST", AIO, form)
    assert answer.status == 200, answer.text[-500:]
    order = sim.domain.orders.find_by_merchant_order(TENANT, form["MerchantTradeNo"])
    assert order["amount"] == int(form["TotalAmount"])
    # the node SDK's example signs correctly but uses a '-' ECPay refuses in MerchantTradeNo
    node = vectors["ecpay_check_mac_value"][3]
    refused = await sim.page("POST", AIO, {**node["params"], "CheckMacValue": node["expected"]})
    assert shown(refused, "error-code") == "10200052"


def test_forms_are_read_strictly() -> None:
    assert wire.parse_form(b"A=1&B=&C=a+b%26c") == [("A", "1"), ("B", ""),
                                                            ("C", "a b&c")]
    with pytest.raises(wire.EcpayError) as twice:
        wire.parse_form(b"A=1&A=2")
    assert twice.value.code == "10100050" and twice.value.message == \
        "Parameter Error. A is given more than once"
    with pytest.raises(wire.EcpayError):
        wire.parse_form(b"A=%ff")
    with pytest.raises(wire.EcpayError):
        wire.parse_form(b"A=\xff")
    assert wire.decode([("A", "1"), ("B", "")]) == {"A": "1"}


@pytest.mark.parametrize(("problem", "code", "message"), [
    (Problem(("ReturnURL",), "required", ""), "10100050", "Parameter Error. ReturnURL is required"),
    (Problem(("X",), "additionalProperties", ""), "10100050", "Parameter Error. X Not In Spec"),
    (Problem(("MerchantTradeNo",), "pattern", ""), "10200052", "MerchantTradeNo Error"),
    (Problem(("MerchantTradeNo",), "required", ""), "10100050",
     "Parameter Error. MerchantTradeNo is required"),
    (Problem(("Remark",), "maxLength", "", 100), "10100050",
     "Parameter Error. Remark is longer than 100 characters"),
    (Problem(("EncryptType",), "enum", "", [0, 1]), "10100050",
     "Parameter Error. EncryptType must be one of 0, 1"),
])
def test_contract_problems_become_ecpay_refusals(problem: Problem, code: str, message: str
                                                 ) -> None:
    error = wire.violation(problem)
    assert (error.code, error.message) == (code, message)


def test_answers_carry_raw_values() -> None:
    assert render.urlencoded({"A": "a b", "B": "x+y&", "C": "綠"}) == "A=a b&B=x+y&&C=綠".encode()


def test_times_are_taiwan_time() -> None:
    assert wire.taiwan_time(0) == "1970/01/01 08:00:00"
    assert wire.taiwan_date(16 * 3600) == "1970/01/02"
    assert wire.taiwan_time(None) == ""


ORDER = {
    "id": "ord_1", "gateway": "ecpay", "merchant_order_no": "T1", "amount": 500,
    "reference": "2612021000001234", "method": "cvs", "status": "paid", "paid_at": 0,
    "authorized_at": None, "created": 0, "simulated": True, "card": None,
    "authentication": None, "expires_at": 3600, "description": "Tea",
    "code": {"payment_no": "GW000000000001"},
    "extra": {"MerchantID": "3002607", "CustomField1": "c1", "EncryptType": "1"},
}


class _Outbox:
    def __init__(self, attempts: int) -> None:
        self.attempts = attempts

    def attempts_for(self, event_id: str, target_id: str) -> int:
        return self.attempts


class _Merchants:
    def for_tenant(self, tenant: str) -> Merchant | None:
        keys = ("pwFHCqoQZGmho4w6", "EkRm7iFT261dpevs")
        return Merchant("ecpay", "3002607", tenant, *keys, 0.0) if tenant == TENANT else None


def notifier(attempts: int = 0) -> EcpayNotifier:
    domain: Any = type("D", (), {})()
    domain.outbox, domain.merchants = _Outbox(attempts), _Merchants()
    return EcpayNotifier(domain)


EVENT = {"id": "evt_1", "type": "order.paid", "object": ORDER}
RETURN = {"id": "cb_1", "tenant": TENANT, "metadata": {"role": "return"}}
INFO = {"id": "cb_2", "tenant": TENANT, "metadata": {"role": "payment_info"}}
KEYS = ("pwFHCqoQZGmho4w6", "EkRm7iFT261dpevs")


def _form(body: bytes) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(body.decode(), keep_blank_values=True))


def test_notices_are_signed_forms_that_say_paid_on_resends() -> None:
    body, headers = notifier().render(EVENT, RETURN, 0)
    first = _form(body)
    assert headers == {"Content-Type": "application/x-www-form-urlencoded"}
    assert verify_ecpay(first, *KEYS)
    assert (first["RtnCode"], first["RtnMsg"], first["SimulatePaid"]) == ("1", "交易成功", "1")
    assert (first["PaymentDate"], first["CustomField1"]) == ("1970/01/01 08:00:00", "c1")
    assert _form(notifier(attempts=1).render(EVENT, RETURN, 0)[0])["RtnMsg"] == "paid"
    info = _form(notifier().render(EVENT, INFO, 0)[0])
    assert (info["RtnCode"], info["PaymentNo"]) == ("10100073", "GW000000000001")
    assert info["ExpireDate"] == "1970/01/01 09:00:00" and verify_ecpay(info, *KEYS)
    bad = _form(notifier().render(EVENT, RETURN, 0, bad_signature=True)[0])
    assert not verify_ecpay(bad, *KEYS)


def test_forged_notices_fail_verification_and_genuine_ones_pass() -> None:
    forge = notifier().forge
    assert verify_ecpay(_form(forge("genuine", EVENT, RETURN, 0, None)[0]), *KEYS)
    assert verify_ecpay(_form(forge("replay", EVENT, RETURN, 0, 0)[0]), *KEYS)
    tampered = _form(forge("tampered", EVENT, RETURN, 0, None)[0])
    assert tampered["TradeAmt"] == "1" and not verify_ecpay(tampered, *KEYS)
    assert not verify_ecpay(_form(forge("wrong_secret", EVENT, RETURN, 0, None)[0]), *KEYS)
    assert "CheckMacValue" not in _form(forge("missing_signature", EVENT, RETURN, 0, None)[0])
    for attack in ("stale", "future", "v0_only"):
        with pytest.raises(LookupError):
            forge(attack, EVENT, RETURN, 0, None)


@pytest.mark.parametrize(("status", "body", "accepted"), [
    (200, "1|OK", True), (200, "1|OK\n", True), (200, "OK", False), (200, "0|error", False),
    (201, "1|OK", False), (500, "1|OK", False), (200, "1|ok", False)])
def test_only_1_ok_on_200_stops_the_resends(status: int, body: str, accepted: bool) -> None:
    assert notifier().accepts(status, body) is accepted


def test_the_resend_schedule_is_four_more_tries() -> None:
    assert notifier().retry_schedule == (600.0, 600.0, 600.0, 600.0)
