"""Shoppers on the form-post rails, straight against the simulator as a browser and the
merchant's server would go: ECPay's AioCheckOut and cashier (the stage card, or a
convenience-store code settled with `/_sim/payments/{id}/simulate`) and NewebPay's MPG and
its page, each ending with the merchant's QueryTradeInfo, which must say paid (its
CheckMacValue or CheckCode verified). Forms are signed with the simulator's own signing
functions (load/common/formpost.py). Each user is a merchant of its own, registered on the
control API, so its orders and notices are a tenant of their own."""

from __future__ import annotations

import random
from typing import Any

import gevent
from locust import FastHttpUser, constant, events, task
from locust.runners import MasterRunner
from paylab.load.common import formpost as fp
from paylab.load.common import merchants, settings
from paylab.load.common.base import FORM, form
from paylab.load.common.formpost import (
    TextCheck,
    ecpay_answer_paid,
    ecpay_answer_unpaid,
    has_form,
    has_testid,
    newebpay_answer_paid,
)
from paylab.load.common.notices import NoticeReceiver

_receiver: NoticeReceiver | None = None


@events.test_start.add_listener
def _start_receiver(environment: object, **_: object) -> None:
    global _receiver
    if _receiver is None and not isinstance(getattr(environment, "runner", None),
                                            MasterRunner):
        _receiver = NoticeReceiver()


@events.quitting.add_listener
def _stop_receiver(environment: object, **_: object) -> None:
    if _receiver is not None:
        _receiver.stop()


class FormPostUser(FastHttpUser):
    """A merchant of `gateway` and its shoppers; subclasses add the flow."""

    abstract = True
    host = settings.gateway_url()
    gateway = ""

    def on_start(self) -> None:
        """Register this user's own merchant (the keys come back once, in the answer)."""
        self.merchant: fp.Merchant | None = None
        self.register()

    def ready(self) -> fp.Merchant | None:
        """The user's merchant; registered again if that failed (after a pause, so a user
        without one does not spin)."""
        if self.merchant is None:
            gevent.sleep(1)
            self.register()
        return self.merchant

    def register(self) -> None:
        """POST /_sim/merchants for a merchant of the user's gateway."""
        self.merchant = merchants.register(self.client, self.gateway, fp.Merchant.of,
                                           f"a {self.gateway} merchant")

    def notice_url(self, path: str) -> str:
        """Where the gateway posts its notices: the receiver inside Locust."""
        assert _receiver is not None, "the notice receiver starts with the test"
        return f"{_receiver.url}{path}"

    def send(self, method: str, path: str, *, name: str, data: dict[str, Any] | None = None,
             expect: int = 200, check: TextCheck | None = None) -> Any:
        """One request as a browser or the merchant's server sends it (no redirects
        followed); the response when its status and `check` are right, else None (and the
        request is failed with the reason)."""
        with self.client.request(method, path, data=form(data) if data else None,
                                 headers=FORM if data else None, name=name, allow_redirects=False,
                                 catch_response=True) as resp:
            text = resp.text or ""
            problem = None
            if resp.status_code != expect:
                problem = f"HTTP {resp.status_code}, expected {expect}"
            elif check is not None:
                problem = check(text)
            if problem:
                resp.failure(problem + fp.scenario_note(resp.headers.get("Paylab-Effect")))
                return None
            resp.success()
            return resp

    def simulate_paid(self, order_id: str) -> bool:
        """Settle a pending code payment as the shopper paying at the store would."""
        with self.client.post(f"/_sim/payments/{order_id}/simulate", json={"outcome": "paid"},
                              headers=settings.control_headers(), catch_response=True,
                              name="/_sim/payments/[id]/simulate (paid)") as resp:
            try:
                status = resp.json().get("status") if resp.status_code == 200 else None
            except (ValueError, AttributeError):
                status = "(not JSON)"
            if status != "paid":
                resp.failure(f"HTTP {resp.status_code}, status {status!r}, expected paid")
                return False
        return True


class EcpayCreditUser(FormPostUser):
    """AioCheckOut (Credit) → the cashier's card form → the stage card → the result page →
    QueryTradeInfo says paid."""

    weight = 1
    wait_time = constant(0)
    gateway = "ecpay"

    @task
    def pay_by_card(self) -> None:
        merchant = self.ready()
        if merchant is None:
            return
        number, amount = fp.trade_no("LC"), random.randrange(100, 20_000)
        cashier = self.send("POST", fp.AIO, name="ecpay AioCheckOut (Credit)",
                            data=fp.ecpay_order(merchant, number, amount, "Credit",
                                                self.notice_url("/ecpay/return")),
                            check=has_form("/choose"))
        if cashier is None:
            return
        card = self.send("POST", fp.form_action(cashier.text), name="ecpay cashier: choose Credit",
                         data={"payment": "Credit"}, check=has_form("/card"))
        if card is None:
            return
        paid = self.send("POST", fp.form_action(card.text), name="ecpay cashier: pay by card",
                         data=fp.ECPAY_CARD, expect=303)
        if paid is None:
            return
        if self.send("GET", paid.headers["Location"], name="ecpay cashier: result page",
                     check=has_testid("ecpay-result")) is None:
            return
        self.send("POST", fp.ECPAY_QUERY, name="ecpay QueryTradeInfo (paid)",
                  data=fp.ecpay_query(merchant, number),
                  check=ecpay_answer_paid(merchant, number, amount, "Credit_"))


class EcpayCvsUser(FormPostUser):
    """AioCheckOut (CVS) → a convenience-store code issued (QueryTradeInfo: unpaid) → paid
    at the store (`simulate`) → QueryTradeInfo says paid."""

    weight = 1
    wait_time = constant(0)
    gateway = "ecpay"

    @task
    def code_then_paid(self) -> None:
        merchant = self.ready()
        if merchant is None:
            return
        number, amount = fp.trade_no("LS"), random.randrange(100, 6_000)
        cashier = self.send("POST", fp.AIO, name="ecpay AioCheckOut (CVS)",
                            data=fp.ecpay_order(merchant, number, amount, "CVS",
                                                self.notice_url("/ecpay/return"),
                                                PaymentInfoURL=self.notice_url("/ecpay/info")),
                            check=has_form("/choose"))
        if cashier is None:
            return
        action = fp.form_action(cashier.text) or ""
        issued = self.send("POST", action, name="ecpay cashier: choose CVS (code issued)",
                           data={"payment": "CVS"}, expect=303)
        if issued is None or self.send("GET", issued.headers["Location"],
                                       name="ecpay cashier: code page",
                                       check=has_testid("payment-no")) is None:
            return
        if self.send("POST", fp.ECPAY_QUERY, name="ecpay QueryTradeInfo (code unpaid)",
                     data=fp.ecpay_query(merchant, number),
                     check=ecpay_answer_unpaid(merchant, number)) is None:
            return
        if not self.simulate_paid(fp.order_id(action) or "-"):
            return
        self.send("POST", fp.ECPAY_QUERY, name="ecpay QueryTradeInfo (paid)",
                  data=fp.ecpay_query(merchant, number),
                  check=ecpay_answer_paid(merchant, number, amount, "CVS_"))


class NewebPayCreditUser(FormPostUser):
    """MPG form → the MPG page → the stage card → the result page → QueryTradeInfo says
    paid (its CheckCode verified)."""

    weight = 1
    wait_time = constant(0)
    gateway = "newebpay"

    @task
    def pay_by_card(self) -> None:
        merchant = self.ready()
        if merchant is None:
            return
        number, amount = fp.trade_no("LN"), random.randrange(100, 20_000)
        started = self.send("POST", fp.MPG, name="newebpay MPG gateway", expect=303,
                            data=fp.newebpay_mpg(merchant, number, amount,
                                                 NotifyURL=self.notice_url("/newebpay/notify")))
        if started is None:
            return
        page_url = started.headers["Location"]
        if self.send("GET", page_url, name="newebpay MPG page",
                     check=has_testid("mpg-methods")) is None:
            return
        paid = self.send("POST", page_url, name="newebpay MPG pay (card)", expect=303,
                         data={"method": "CREDIT", **fp.NEWEBPAY_CARD})
        if paid is None:
            return
        if self.send("GET", paid.headers["Location"], name="newebpay MPG result page",
                     check=has_testid("mpg-status", "SUCCESS")) is None:
            return
        self.send("POST", fp.NEWEBPAY_QUERY, name="newebpay QueryTradeInfo (paid)",
                  data=fp.newebpay_query(merchant, number, amount),
                  check=newebpay_answer_paid(merchant, number, amount))
