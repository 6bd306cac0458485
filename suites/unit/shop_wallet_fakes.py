"""Small fakes of the three wallets for the reference shop's unit tests, each an aiohttp
app mounted as the simulator mounts the wallet (/linepay, /jkopay, /paypal), run by
`shop_wallets.wallet_shop` as a test server. They check what the shop sends with the
project's own verifiers (the simulator's signing functions), record every call, and
answer as the wallets' documents say; each test sets what the next answer is.

The credentials are the shop's defaults (the simulator's stage merchants).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web
from paylab.shop.settings import ShopSettings
from paylab.shop.wallets import paypal
from paylab.shop.wallets.http import Http
from paylab.simulator.webhooks.signing import jkopay_digest, linepay_signature
from paylab.suites.unit.shop_wallets import Seen, answer, raw_json

_STAGE = ShopSettings()
CHANNEL, CHANNEL_SECRET = _STAGE.linepay_channel_id, _STAGE.linepay_channel_secret
STORE, SECRET_KEY, API_KEY = _STAGE.jkopay_store_id, _STAGE.jkopay_secret_key, \
    _STAGE.jkopay_api_key
CLIENT_ID, CLIENT_SECRET = _STAGE.paypal_client_id, _STAGE.paypal_client_secret
#: A LINE Pay transactionId above 2**53: read as a double it would come back as ...848.
TX = 2026120212345678901
LINEPAY_URL = "http://wallet.test/linepay/pay/1?token=t0k"
JKOPAY_URL = "http://wallet.test/jkopay/pay/1?token=t0k"
APPROVE = "http://wallet.test/paypal/checkoutnow?token="


class FakeLinePay:
    """LINE Pay's request, confirm and details under /linepay, checking every signature
    (over the path without the mount) and nonce with the simulator's own function."""

    def __init__(self) -> None:
        self.seen, self.nonces = Seen(), set[str]()
        self.request_status, self.confirm_code, self.message = 200, "0000", "Success."
        self.details: Any = None

    def signed(self, request: web.Request, path: str, payload: str) -> bool:
        nonce = request.headers.get("X-LINE-Authorization-Nonce", "")
        fresh = nonce not in self.nonces
        self.nonces.add(nonce)
        return fresh and request.headers.get("X-LINE-ChannelId") == CHANNEL and \
            request.headers.get("X-LINE-Authorization") == linepay_signature(
                CHANNEL_SECRET, path, payload, nonce)

    def app(self) -> web.Application:
        async def request_api(request: web.Request) -> web.Response:
            body = await self.seen.record(request)
            if self.request_status != 200:
                return web.Response(status=self.request_status, text="down")
            if not self.signed(request, "/v3/payments/request", body.decode()):
                return answer({"returnCode": "1106", "returnMessage": "Header info error."})
            return raw_json('{"returnCode":"0000","returnMessage":"Success.","info":{'
                            f'"transactionId":{TX},"paymentAccessToken":"187568751124",'
                            f'"paymentUrl":{{"web":"{LINEPAY_URL}","app":"line://pay/payment/1"}}}}}}')

        async def confirm(request: web.Request) -> web.Response:
            body = await self.seen.record(request)
            path = request.path.removeprefix("/linepay")
            if not self.signed(request, path, body.decode()):
                return answer({"returnCode": "1106", "returnMessage": "Header info error."})
            await asyncio.sleep(0.01)  # a confirm takes a moment: returns may overlap
            return raw_json(json.dumps({"returnCode": self.confirm_code,
                                        "returnMessage": self.message, "info": {
                                            "orderId": "x", "transactionId": 0}})
                            .replace('"transactionId": 0', f'"transactionId": {TX}'))

        async def details(request: web.Request) -> web.Response:
            await self.seen.record(request)
            if not self.signed(request, "/v3/payments", request.query_string):
                return answer({"returnCode": "1106", "returnMessage": "Header info error."})
            return answer(self.details)

        app = web.Application()
        app.add_routes([web.post("/linepay/v3/payments/request", request_api),
                        web.post("/linepay/v3/payments/{tx}/confirm", confirm),
                        web.get("/linepay/v3/payments", details)])
        return app



class FakeJKOPay:
    """JKOPay's entry and inquiry under /jkopay, checking api-key and digest with the
    simulator's own function."""

    def __init__(self) -> None:
        self.seen = Seen()
        self.inquiry: dict[str, Any] | None = None

    def signed(self, request: web.Request, payload: bytes) -> bool:
        return request.headers.get("api-key") == API_KEY and \
            request.headers.get("digest") == jkopay_digest(SECRET_KEY, payload)

    def app(self) -> web.Application:
        async def entry(request: web.Request) -> web.Response:
            body = await self.seen.record(request)
            if not self.signed(request, body):
                return answer({"result": "201", "message": "digest"})
            return answer({"result": "000", "message": "成功", "result_object": {
                "payment_url": JKOPAY_URL, "qr_img": f"{JKOPAY_URL}&qr=1", "qr_timeout": 1}})

        async def inquiry(request: web.Request) -> web.Response:
            await self.seen.record(request)
            if self.inquiry is None or not self.signed(request, request.query_string.encode()):
                return web.Response(status=503, text="down")
            return answer({"result": "000", "message": "成功",
                           "result_object": {"transactions": [self.inquiry]}})

        app = web.Application()
        app.add_routes([web.post("/jkopay/platform/entry", entry),
                        web.get("/jkopay/platform/inquiry", inquiry)])
        return app



class FakePayPal:
    """PayPal's token, orders, capture, webhooks and webhook verification under /paypal,
    Bearer and PayPal-Request-Id checked, answers kept per request id."""

    def __init__(self) -> None:
        self.seen, self.tokens, self.by_request = Seen(), 0, dict[str, tuple[int, Any]]()
        self.orders: dict[str, dict[str, Any]] = {}
        self.capture: dict[str, Any] = {"status": "COMPLETED"}
        self.capture_error: tuple[int, Any] | None = None
        self.webhooks: list[dict[str, Any]] = []
        self.signed: dict[str, bytes] = {}
        self.verify_status, self.lifetime = 200, 32400

    def authorised(self, request: web.Request) -> bool:
        return request.headers.get("Authorization") == f"Bearer A21.token-{self.tokens}"

    def app(self) -> web.Application:
        async def token(request: web.Request) -> web.Response:
            body = await self.seen.record(request)
            basic = paypal.PayPal(Http(), "", CLIENT_ID, CLIENT_SECRET)._basic
            if request.headers.get("Authorization") != basic or \
                    body != b"grant_type=client_credentials":
                return answer({"error": "invalid_client"}, 401)
            self.tokens += 1
            return answer({"access_token": f"A21.token-{self.tokens}", "token_type": "Bearer",
                           "expires_in": self.lifetime})

        async def create(request: web.Request) -> web.Response:
            body = json.loads(await self.seen.record(request))
            if not self.authorised(request):
                return answer({"name": "AUTHENTICATION_FAILURE"}, 401)
            key = request.headers["PayPal-Request-Id"]
            if key not in self.by_request:
                order_id = f"5O19{len(self.orders):04d}TN364715T"
                self.orders[order_id] = {"id": order_id, "status": "PAYER_ACTION_REQUIRED",
                                         "purchase_units": body["purchase_units"], "links": [
                                             {"rel": "self", "href": f"/v2/{order_id}"},
                                             {"rel": "payer-action",
                                              "href": APPROVE + order_id}]}
                self.by_request[key] = (201, self.orders[order_id])
            return answer(self.by_request[key][1], self.by_request[key][0])

        async def capture(request: web.Request) -> web.Response:
            await self.seen.record(request)
            key, order_id = request.headers["PayPal-Request-Id"], request.match_info["id"]
            if not self.authorised(request):
                return answer({"name": "AUTHENTICATION_FAILURE"}, 401)
            await asyncio.sleep(0.01)  # returns may overlap
            if key not in self.by_request:
                self.by_request[key] = self.capture_error or (201, self.captured(order_id))
            return answer(self.by_request[key][1], self.by_request[key][0])

        async def show(request: web.Request) -> web.Response:
            await self.seen.record(request)
            if not self.authorised(request):
                return answer({"name": "AUTHENTICATION_FAILURE"}, 401)
            if request.match_info["id"] not in self.orders:
                return answer({"name": "RESOURCE_NOT_FOUND"}, 404)
            return answer(self.captured(request.match_info["id"]))

        async def webhooks(request: web.Request) -> web.Response:
            body = await self.seen.record(request)
            if request.method == "GET":
                return answer({"webhooks": self.webhooks})
            self.webhooks.append({"id": f"WH-{len(self.webhooks)}", **json.loads(body)})
            return answer(self.webhooks[-1], 201)

        async def verify(request: web.Request) -> web.Response:
            body = await self.seen.record(request)
            sent = json.loads(body)
            genuine = self.authorised(request) and self.webhooks and \
                sent["webhook_id"] == self.webhooks[0]["id"] and \
                body.endswith(b',"webhook_event":' + self.signed.get(
                    sent["transmission_id"], b"-") + b"}") and \
                sent["transmission_sig"] == f"sig-{sent['transmission_id']}"
            return answer({"verification_status": "SUCCESS" if genuine else "FAILURE"},
                          self.verify_status)

        app = web.Application()
        app.add_routes([web.post("/paypal/v1/oauth2/token", token),
                        web.post("/paypal/v2/checkout/orders", create),
                        web.post("/paypal/v2/checkout/orders/{id}/capture", capture),
                        web.get("/paypal/v2/checkout/orders/{id}", show),
                        web.get("/paypal/v1/notifications/webhooks", webhooks),
                        web.post("/paypal/v1/notifications/webhooks", webhooks),
                        web.post("/paypal/v1/notifications/verify-webhook-signature", verify)])
        return app

    def captured(self, order_id: str) -> dict[str, Any]:
        unit = self.orders[order_id]["purchase_units"][0]
        capture = {"id": f"CAP-{order_id}", "amount": unit["amount"], **self.capture}
        return {"id": order_id, "status": "COMPLETED", "purchase_units": [
            {**unit, "payments": {"captures": [capture]}}]}

    def event(self, order_id: str, kind: str = "PAYMENT.CAPTURE.COMPLETED",
              related: str | None = None, **capture: Any) -> tuple[bytes, dict[str, str]]:
        """A webhook delivery about the capture of `order_id` (said to be of `related`):
        body and headers."""
        resource = {**self.captured(order_id)["purchase_units"][0]["payments"]["captures"][0],
                    "supplementary_data": {"related_ids": {"order_id": related or order_id}},
                    **capture}
        return self.delivery(kind, "capture", resource)

    def approval(self, order_id: str) -> tuple[bytes, dict[str, str]]:
        """The CHECKOUT.ORDER.APPROVED delivery of an order: body and headers."""
        order = self.orders[order_id]
        return self.delivery("CHECKOUT.ORDER.APPROVED", "checkout-order", {
            "id": order_id, "intent": "CAPTURE", "status": "APPROVED",
            "purchase_units": order["purchase_units"]})

    def delivery(self, kind: str, resource_type: str, resource: dict[str, Any]
                 ) -> tuple[bytes, dict[str, str]]:
        """A signed webhook delivery: body and transmission headers."""
        transmission = f"tx-{len(self.signed)}"
        body = json.dumps({"id": f"WH-EV-{transmission}", "event_type": kind,
                           "resource_type": resource_type, "resource": resource}).encode()
        self.signed[transmission] = body
        return body, {"PAYPAL-TRANSMISSION-ID": transmission,
                      "PAYPAL-TRANSMISSION-TIME": "2026-12-02T16:30:00Z",
                      "PAYPAL-TRANSMISSION-SIG": f"sig-{transmission}",
                      "PAYPAL-CERT-URL": "http://wallet.test/cert", "PAYPAL-AUTH-ALGO":
                      "SHA256withRSA", "Content-Type": "application/json"}
