"""The ECPay and NewebPay injection probes can fail: without their signing hook every probe
stops at the signature check, the gateway's or the shop's receiver's (so the hook is what
gets them to the fields), and the gateways' HTTP-200 refusals are read as refusals: one
naming another field, or the signature, or no field at all fails the probe, as does a
refused control request and an error page echoing the payload unescaped. Same engine and
verdicts as `test_injection.py`; only the app or the hook differs."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator

import pytest
from aiohttp import web
from paylab.suites.plugins.shop import Shop
from paylab.suites.plugins.simulator import LiveSimulator
from paylab.suites.plugins.webhook_sink import WebhookSink
from paylab.suites.security.injection.engine import probe_operation
from paylab.suites.security.injection.shapes import Field
from paylab.suites.security.injection.surfaces import Operation, surface

READERS = "paylab.suites.security.injection.rails"
Handler = Callable[[web.Request], web.Response]


@pytest.mark.parametrize(("name", "signature"), [("ecpay", "CheckMacValue"),
                                                 ("newebpay", "CheckValue")])
def test_without_its_signing_hook_every_probe_stops_at_the_signature(
        simulator: LiveSimulator, name: str, signature: str) -> None:
    op = dataclasses.replace(surface(name).operation("QueryTradeInfo"), sign=None)
    probes = probe_operation(simulator.url, op, "sql")
    others = [p for p in probes if p.field.name != signature]
    assert others and all(not p.verdict.ok for p in others)
    assert all(f"refused {signature!r}" in p.verdict.text or "control" in p.verdict.text
               for p in others), [p.verdict.text for p in others][:3]


def test_the_sealed_mpg_form_without_its_hook_reaches_no_field(
        simulator: LiveSimulator) -> None:
    op = dataclasses.replace(surface("newebpay").operation("MpgGateway"), sign=None)
    probes = probe_operation(simulator.url, op, "xss")
    assert probes and not any(p.verdict.ok for p in probes if p.answer is not None)


@pytest.mark.parametrize(("form", "signature"), [("NotifyEcpay", "CheckMacValue"),
                                                 ("NotifyNewebPay", "TradeSha")])
def test_unsigned_notices_to_the_shop_stop_at_its_signature_check(
        shop: Shop, form: str, signature: str) -> None:
    op = dataclasses.replace(surface("shop_rails").operation(form), sign=None)
    probes = [p for p in probe_operation(shop.url, op, "sql") if p.field.name != signature]
    assert probes and all(f"refused {signature!r}" in p.verdict.text for p in probes), \
        [p.verdict.text for p in probes][:3]


@pytest.fixture
def stub() -> Iterator[Callable[[Handler], str]]:
    """Start an app answering every request with `handler`; its base URL."""
    started: list[WebhookSink] = []

    def start(handler: Handler) -> str:
        sink = WebhookSink()

        async def handle(request: web.Request) -> web.Response:
            request["form"] = {k: str(v) for k, v in (await request.post()).items()}
            return handler(request)

        sink.handler = handle
        sink.start()
        started.append(sink)
        return sink.url

    yield start
    for sink in started:
        sink.stop()


def rail_op(reader: str, answers: str) -> Operation:
    """A one-field operation (`MerchantTradeNo`) judged by a rail's refusal reader."""
    return Operation("stub", "Rail", "POST", "/rail", (Field("MerchantTradeNo", "body"),),
                     {"MerchantTradeNo": "T0001"}, {}, {}, {}, "form", answers,
                     refusals=f"{READERS}:{reader}")


def texts(url: str, op: Operation) -> list[str]:
    """Every verdict of the sql probes (the control's first), all of which must fail."""
    probes = probe_operation(url, op, "sql")
    assert probes and not any(p.verdict.ok for p in probes), [p.verdict for p in probes]
    return [p.verdict.text for p in probes]


def test_an_ecpay_refusal_with_http_200_is_a_refusal(stub: Callable[[Handler], str]) -> None:
    url = stub(lambda _: web.Response(text="RtnCode=10200073&RtnMsg=CheckMacValue Error",
                                      content_type="text/html"))
    found = texts(url, rail_op("ecpay_refusal", "html"))
    assert "the harmless control value was refused" in found[0]
    assert all("refused 'CheckMacValue', not 'MerchantTradeNo'" in t for t in found)


def test_an_ecpay_parameter_error_about_another_field_fails(
        stub: Callable[[Handler], str]) -> None:
    url = stub(lambda _: web.Response(
        text="RtnCode=10100050&RtnMsg=Parameter Error. TimeStamp is outside the window",
        content_type="text/html"))
    assert all("refused 'TimeStamp'" in t for t in texts(url, rail_op("ecpay_refusal",
                                                                      "html")))


def test_an_ecpay_error_page_echoing_the_payload_fails(stub: Callable[[Handler], str]
                                                       ) -> None:
    def page(request: web.Request) -> web.Response:
        value = request["form"].get("MerchantTradeNo", "")
        body = ('<main data-testid="ecpay-error"><dd data-testid="error-code">10100050</dd>'
                f'<dd data-testid="error-message">Parameter Error. MerchantTradeNo {value}'
                '</dd></main>')
        return web.Response(text=body, content_type="text/html", status=400)

    probes = probe_operation(stub(page), rail_op("ecpay_refusal", "html"), "xss")
    markup = [p for p in probes if p.payload and "<" in p.payload]
    assert markup and all("echoed unescaped" in p.verdict.text for p in markup)


def test_a_newebpay_refusal_naming_another_field_fails(stub: Callable[[Handler], str]
                                                       ) -> None:
    answer = {"Status": "MEM40013", "Message": "必填欄位資料不齊全(Amt)", "Result": []}
    url = stub(lambda _: web.json_response(answer))
    assert all("refused 'Amt', not 'MerchantTradeNo'" in t
               for t in texts(url, rail_op("newebpay_refusal", "json")))


def test_a_newebpay_mpg_error_page_naming_no_field_fails(stub: Callable[[Handler], str]
                                                         ) -> None:
    page = ('<main data-testid="mpg-error"><dd data-testid="error-code">MPG03009</dd>'
            '<dd data-testid="error-message">交易失敗</dd></main>')
    url = stub(lambda _: web.Response(text=page, content_type="text/html"))
    found = texts(url, rail_op("newebpay_refusal", "html"))
    assert all("refused naming no field" in t for t in found)
    assert json.dumps(found)  # the verdicts are plain text for the report
