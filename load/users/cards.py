"""Card payments straight against the Stripe-compatible API."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from locust import constant, task
from paylab.load.common.base import FORM, GatewayUser, form, has
from paylab.load.common.data import order_metadata, price, shopper


def _declined(body: dict) -> str | None:
    code = (body.get("error") or {}).get("code")
    return None if code == "card_declined" else f"expected card_declined, got {code!r}"


class CardPaymentUser(GatewayUser):
    """Creates and confirms card payments in one call; one in ten is declined, as expected."""

    weight = 6
    wait_time = constant(0)

    def _pay(self, payment_method: str) -> dict:
        return {**price(), "payment_method": payment_method, "confirm": True,
                **order_metadata(shopper())}

    @task(9)
    def pay(self) -> None:
        self.stripe("POST", "/payment_intents", name="/v1/payment_intents (confirm)",
                    data=self._pay("pm_card_visa"),
                    check=has(object="payment_intent", status="succeeded"))

    @task(1)
    def declined(self) -> None:
        self.stripe("POST", "/payment_intents", name="/v1/payment_intents (declined)",
                    data=self._pay("pm_card_chargeDeclined"), expect=(402,), check=_declined)


class ThreeDSecureUser(GatewayUser):
    """A card that needs 3-D Secure: create, pass the challenge page, see it succeed."""

    weight = 1
    wait_time = constant(0)

    @task
    def authenticate(self) -> None:
        payment = self.stripe(
            "POST", "/payment_intents", name="/v1/payment_intents (3DS)",
            data={**price(), "payment_method": "pm_card_threeDSecure2Required",
                  "confirm": True, "return_url": "https://shop.example/return"},
            check=has(status="requires_action"))
        if payment is None:
            return
        page = urlsplit(payment["next_action"]["redirect_to_url"]["url"])
        query = {k: v[0] for k, v in parse_qs(page.query).items()}
        with self.client.get(f"{page.path}?{page.query}", name="3DS challenge page",
                             catch_response=True) as resp:
            if resp.status_code != 200 or "data-testid" not in (resp.text or ""):
                resp.failure(f"HTTP {resp.status_code} challenge page")
                return
        with self.client.post(page.path, name="3DS challenge (pass)",
                              data=form({**query, "result": "passed"}),
                              headers=FORM,
                              allow_redirects=False, catch_response=True) as resp:
            if resp.status_code != 303 or "redirect_status=succeeded" not in \
                    resp.headers.get("Location", ""):
                resp.failure(f"HTTP {resp.status_code} challenge did not redirect as passed")
                return
        self.stripe("GET", f"/payment_intents/{payment['id']}",
                    name="/v1/payment_intents/[id]", check=has(status="succeeded"))


class ManualCaptureRefundUser(GatewayUser):
    """Authorise, capture, then refund part of it: the back-office flow."""

    weight = 2
    wait_time = constant(0)

    @task
    def capture_then_refund(self) -> None:
        payment = self.stripe(
            "POST", "/payment_intents", name="/v1/payment_intents (manual capture)",
            data={**price(), "payment_method": "pm_card_mastercard", "confirm": True,
                  "capture_method": "manual"},
            check=has(status="requires_capture"))
        if payment is None:
            return
        captured = self.stripe("POST", f"/payment_intents/{payment['id']}/capture",
                               name="/v1/payment_intents/[id]/capture",
                               check=has(status="succeeded"))
        if captured is None:
            return
        self.stripe("POST", "/refunds", name="/v1/refunds",
                    data={"payment_intent": payment["id"],
                          "amount": captured["amount_received"] // 2},
                    check=has(object="refund", status="succeeded"))
