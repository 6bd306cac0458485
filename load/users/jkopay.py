"""JKOPay shoppers straight against the simulator: the merchant's entry, the shopper's
approval (settled with `/_sim/payments/{id}/simulate`, as the approval page's Approve does),
an inquiry that must say paid, and a refund (load/users/jkopay_flow.py builds and checks
each request). Each user is a store of its own, registered on the control API."""

from __future__ import annotations

import random
from collections.abc import Callable

import gevent
from locust import FastHttpUser, constant, task
from paylab.load.common import merchants, settings
from paylab.load.users import jkopay_flow as flow


class JkoPayUser(FastHttpUser):
    """entry -> simulate paid -> inquiry (paid) -> refund."""

    weight = 1
    wait_time = constant(0)
    host = settings.gateway_url()

    def on_start(self) -> None:
        """Register this user's own store."""
        self.store: flow.Store | None = None
        self.register()

    def register(self) -> None:
        """POST /_sim/merchants for a JKOPay store."""
        self.store = merchants.register(self.client, "jkopay", flow.Store.of, "a JKOPay store")

    def call(self, method: str, path: str, name: str, check: Callable[[str], str | None],
             **kwargs: object) -> bool:
        """One request, failed with the check's reason when its answer is wrong."""
        return merchants.checked(self.client, method, path, name, check, **kwargs)

    @task
    def pay_and_refund(self) -> None:
        """The whole flow for one order."""
        if self.store is None:
            gevent.sleep(1)
            self.register()
            return
        no, amount = flow.order_no(), random.randint(100, 5000)
        body, headers = flow.entry(self.store, no, amount)
        found: list[str] = []

        def order(text: str) -> str | None:
            oid, problem = flow.order_of(text)
            found.extend([oid] if oid else [])
            return problem

        if not self.call("POST", flow.ENTRY, "jkopay entry", order, data=body,
                         headers=headers):
            return
        if not self.call("POST", f"/_sim/payments/{found[0]}/simulate",
                         "/_sim/payments/[id]/simulate (paid)", lambda text: None,
                         json={"outcome": "paid"}, headers=settings.control_headers()):
            return
        path, headers = flow.inquiry(self.store, no)
        if not self.call("GET", path, "jkopay inquiry (paid)", flow.paid(no, amount),
                         headers=headers):
            return
        body, headers = flow.refund(self.store, no, f"R-{no}", amount)
        self.call("POST", flow.REFUND, "jkopay refund", flow.refunded(amount), data=body,
                  headers=headers)
