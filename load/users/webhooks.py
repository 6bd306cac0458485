"""A merchant's webhook receiver under load: pay, then time the signed
`payment_intent.succeeded` delivery until it arrives and verifies (measured from the
start of the payment request, since the webhook may arrive before its answer)."""

from __future__ import annotations

import time
import uuid

import gevent
from locust import constant, events, task
from locust.runners import MasterRunner
from paylab.load.common.base import GatewayUser, has, report
from paylab.load.common.data import price
from paylab.load.common.webhooks import Receiver

#: How long a webhook may take before the flow counts as failed.
DELIVERY_TIMEOUT_S = 10.0
_receiver: Receiver | None = None


@events.test_start.add_listener
def _start_receiver(environment: object, **_: object) -> None:
    global _receiver
    if _receiver is None and not _is_master(environment):
        _receiver = Receiver()


@events.quitting.add_listener
def _stop_receiver(environment: object, **_: object) -> None:
    if _receiver is not None:
        _receiver.stop()


def _is_master(environment: object) -> bool:
    return isinstance(getattr(environment, "runner", None), MasterRunner)


class WebhookReceiverUser(GatewayUser):
    """Registers its own endpoint, pays, and waits for the signed webhook."""

    weight = 1
    wait_time = constant(0)

    def on_start(self) -> None:
        super().on_start()
        assert _receiver is not None, "the webhook receiver starts with the test"
        self.token = uuid.uuid4().hex
        endpoint = self.stripe("POST", "/webhook_endpoints", name="/v1/webhook_endpoints",
                               data={"url": f"{_receiver.url}/hook/{self.token}",
                                     "enabled_events[0]": "payment_intent.succeeded"},
                               check=has(object="webhook_endpoint"))
        self.ready = endpoint is not None
        if endpoint is not None:
            _receiver.open(self.token, endpoint["secret"])

    @task
    def pay_and_wait(self) -> None:
        if not self.ready or _receiver is None:
            gevent.sleep(1)  # the endpoint could not be registered; that failure is counted
            return
        started = time.perf_counter()  # the webhook can arrive before the API's answer
        payment = self.stripe("POST", "/payment_intents",
                              name="/v1/payment_intents (confirm)",
                              data={**price(), "payment_method": "pm_card_visa",
                                    "confirm": True},
                              check=has(status="succeeded"))
        if payment is None:
            return
        waiting = _receiver.expect(self.token, payment["id"])
        try:
            event = waiting.get(timeout=DELIVERY_TIMEOUT_S)
            error = None if event["type"] == "payment_intent.succeeded" else \
                ValueError(f"got {event['type']}")
        except gevent.Timeout:
            _receiver.forget(self.token, payment["id"])
            error = TimeoutError(f"no webhook within {DELIVERY_TIMEOUT_S:g} s")
        report(self.environment, "webhook payment_intent.succeeded", started, error)
