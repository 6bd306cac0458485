"""PayPal buyers straight against the simulator: the app's access token, an order, the
buyer's Approve on the approval page, the merchant's capture and a refund
(load/users/paypal_flow.py builds and checks each request). Each user is an app of its
own, registered on the control API; its token is reused until the simulator refuses it."""

from __future__ import annotations

import random
import uuid

import gevent
from locust import FastHttpUser, constant, task
from paylab.load.common import merchants, settings
from paylab.load.users import paypal_flow as flow


class PaypalUser(FastHttpUser):
    """token -> create -> approve -> capture -> refund."""

    weight = 1
    wait_time = constant(0)
    host = settings.gateway_url()

    def on_start(self) -> None:
        """Register this user's own app and get a token."""
        self.app: flow.App | None = None
        self.access: str | None = None
        self.register()

    def register(self) -> None:
        """POST /_sim/merchants for a PayPal app, then its token."""
        self.app = merchants.register(self.client, "paypal", flow.App.of, "a PayPal app")
        if self.app is not None:
            self.token()

    def token(self) -> None:
        """POST /v1/oauth2/token."""
        assert self.app is not None
        with self.client.post(flow.TOKEN, data=flow.TOKEN_BODY, headers=self.app.basic(),
                              name="paypal token", catch_response=True) as resp:
            self.access, problem = flow.token(resp.text or "") if resp.status_code == 200 \
                else (None, f"HTTP {resp.status_code}")
            if problem:
                resp.failure(problem)

    @task
    def pay_and_refund(self) -> None:
        """The whole flow for one order."""
        if self.app is None or self.access is None:
            gevent.sleep(1)
            self.register()
            return
        with self.client.post(flow.ORDERS, data=flow.order(random.randint(100, 50000)),
                              headers=flow.bearer(self.access, str(uuid.uuid4())),
                              name="paypal create order", catch_response=True) as resp:
            made, problem = flow.created(resp.text or "") if resp.status_code == 201 \
                else (None, f"HTTP {resp.status_code}")
            if resp.status_code == 401:
                self.access = None  # expired: a new token next time
            if made is None:
                resp.failure(problem or "no order")
                return
        order_id, approve = made
        with self.client.post(approve, data={"email": flow.BUYER}, allow_redirects=False,
                              name="paypal approve (page)", catch_response=True) as resp:
            problem = flow.approved(resp.status_code, resp.headers.get("Location"), order_id)
            if problem:
                resp.failure(problem)
                return
            resp.success()
        with self.client.post(f"{flow.ORDERS}/{order_id}/capture", data=b"{}",
                              headers=flow.bearer(self.access, str(uuid.uuid4())),
                              name="paypal capture", catch_response=True) as resp:
            capture, problem = flow.captured(resp.text or "")
            if capture is None:
                resp.failure(problem or "not captured")
                return
        with self.client.post(f"/paypal/v2/payments/captures/{capture}/refund", data=b"{}",
                              headers=flow.bearer(self.access, str(uuid.uuid4())),
                              name="paypal refund", catch_response=True) as resp:
            problem = flow.refunded(resp.text or "")
            if problem:
                resp.failure(problem)
