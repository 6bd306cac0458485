"""LINE Pay shoppers straight against the simulator: the merchant's Request, the shopper's
approval (settled with `/_sim/payments/{id}/simulate`, as the approval page's Approve
does), Confirm, and a Refund (load/users/linepay_flow.py builds and checks each request).
Each user is a channel of its own, registered on the control API."""

from __future__ import annotations

import random
from collections.abc import Callable

import gevent
from locust import FastHttpUser, constant, task
from paylab.load.common import merchants, settings
from paylab.load.users import linepay_flow as flow


class LinePayUser(FastHttpUser):
    """request -> simulate approved -> confirm -> refund."""

    weight = 1
    wait_time = constant(0)
    host = settings.gateway_url()

    def on_start(self) -> None:
        """Register this user's own channel."""
        self.channel: flow.Channel | None = None
        self.register()

    def register(self) -> None:
        """POST /_sim/merchants for a LINE Pay channel."""
        self.channel = merchants.register(self.client, "linepay", flow.Channel.of,
                                          "a LINE Pay channel")

    def call(self, path: str, name: str, check: Callable[[str], str | None], **kwargs: object
             ) -> bool:
        """One POST, failed with the check's reason when its answer is wrong."""
        return merchants.checked(self.client, "POST", path, name, check, **kwargs)

    @task
    def pay_and_refund(self) -> None:
        """The whole flow for one order."""
        if self.channel is None:
            gevent.sleep(1)
            self.register()
            return
        amount = random.randint(100, 5000)
        found: list[tuple[int, str]] = []

        def reserve(text: str) -> str | None:
            ids, problem = flow.reserved(text)
            found.extend([ids] if ids else [])
            return problem

        path, body, headers = flow.request(self.channel, flow.order_id(), amount)
        if not self.call(path, "linepay request", reserve, data=body, headers=headers):
            return
        tid, order = found[0]
        if not self.call(f"/_sim/payments/{order}/simulate",
                         "/_sim/payments/[id]/simulate (approved)", lambda text: None,
                         json={"outcome": "approved"}, headers=settings.control_headers()):
            return
        path, body, headers = flow.confirm(self.channel, tid, amount)
        if not self.call(path, "linepay confirm", flow.confirmed(tid), data=body,
                         headers=headers):
            return
        path, body, headers = flow.refund(self.channel, tid, amount)
        self.call(path, "linepay refund", flow.refunded, data=body, headers=headers)
