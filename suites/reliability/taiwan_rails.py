"""A merchant on the form-post rails (ECPay AIO, NewebPay MPG) against a live simulator, for
the reliability tests: its own merchant registered on the control API (so its own tenant,
scenario and deliveries), orders opened through the gateways' pages as a browser does, the
merchant's query APIs, and a notice receiver that answers as the merchant chooses."""

from __future__ import annotations

import dataclasses
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
from aiohttp import web
from paylab.load.common import formpost as fp
from paylab.suites.plugins.webhook_sink import WebhookSink


@dataclass
class Opened:
    """An order a browser opened: the merchant's number, the simulator's id, the last page."""

    number: str
    order_id: str
    amount: int
    page: requests.Response | None = None


class Rails:
    """One registered merchant of `gateway` talking to the simulator at `url`."""

    def __init__(self, url: str, gateway: str, session: requests.Session | None = None
                 ) -> None:
        self.url = url
        self.http = session or requests.Session()
        answer = self.http.post(f"{url}/_sim/merchants", json={"gateway": gateway}, timeout=10)
        assert answer.status_code == 201, answer.text
        self.merchant = fp.Merchant.of(answer.json())

    @property
    def tenant(self) -> str:
        """The merchant's tenant on the simulator."""
        return self.merchant.tenant

    def post(self, path: str, data: dict[str, Any], **kwargs: Any) -> requests.Response:
        """A form post (no redirects followed)."""
        return self.http.post(f"{self.url}{path}", data=data, allow_redirects=False,
                              timeout=kwargs.pop("timeout", 10), **kwargs)

    def follow(self, answer: requests.Response) -> requests.Response:
        """The page a 303 sends the browser to (the answer itself otherwise)."""
        if answer.status_code != 303:
            return answer
        return self.http.get(f"{self.url}{answer.headers['Location']}", timeout=10)

    # -- ECPay ----------------------------------------------------------------------------
    def ecpay_order(self, choose: str, amount: int, return_url: str, **extra: Any) -> Opened:
        """AioCheckOut, then the payment type on the cashier (a code page for ATM/CVS)."""
        number = fp.trade_no("R")
        cashier = self.post(fp.AIO, fp.ecpay_order(self.merchant, number, amount, choose,
                                                   return_url, **extra))
        assert cashier.status_code == 200, cashier.text[:500]
        action = fp.form_action(cashier.text)
        assert action, "the cashier has no payment-type form"
        page = self.follow(self.post(action, {"payment": choose}))
        assert page.status_code == 200, page.text[:500]
        return Opened(number, fp.order_id(action) or "", amount, page)

    def ecpay_status(self, opened: Opened) -> dict[str, str]:
        """QueryTradeInfo's answer, its CheckMacValue verified."""
        answer = self.post(fp.ECPAY_QUERY, fp.ecpay_query(self.merchant, opened.number))
        fields = fp.ecpay_fields(answer.text)
        assert fp.ecpay_genuine(fields, self.merchant), answer.text
        return fields

    # -- NewebPay -------------------------------------------------------------------------
    def newebpay_order(self, method: str, amount: int, **extra: Any) -> Opened:
        """The MPG form, then `method` on the MPG page (a code page for VACC/CVS)."""
        number = fp.trade_no("N")
        answer = self.post(fp.MPG, fp.newebpay_mpg(self.merchant, number, amount, **extra))
        assert answer.status_code == 303, answer.text[:500]
        location = answer.headers["Location"]
        page = self.follow(self.post(location, {"method": method}))
        assert page.status_code == 200, page.text[:500]
        return Opened(number, fp.order_id(location) or "", amount, page)

    def newebpay_status(self, opened: Opened) -> dict[str, Any]:
        """QueryTradeInfo's Result (JSON)."""
        answer = self.post(fp.NEWEBPAY_QUERY, fp.newebpay_query(self.merchant, opened.number,
                                                                opened.amount))
        body = answer.json()
        assert body["Status"] == "SUCCESS", body
        return body["Result"]

    # -- control --------------------------------------------------------------------------
    def simulate(self, opened: Opened, outcome: str = "paid") -> requests.Response:
        """POST /_sim/payments/{id}/simulate."""
        return self.http.post(f"{self.url}/_sim/payments/{opened.order_id}/simulate",
                              json={"outcome": outcome}, timeout=10)

    def deliveries(self) -> list[dict[str, Any]]:
        """The merchant's notices and their attempts, newest first."""
        return self.http.get(f"{self.url}/_sim/webhooks", params={"tenant": self.tenant},
                             timeout=10).json()["deliveries"]


@dataclass(frozen=True)
class Post:
    """One notice as the merchant's receiver saw it, and whether it acknowledged it."""

    at: float
    path: str
    fields: dict[str, str]
    acked: bool


class NoticeReceiver:
    """The merchant's ReturnURL / PaymentInfoURL / NotifyURL on a `WebhookSink`: it records
    every post and acknowledges (ECPay `1|OK`, NewebPay HTTP 200) only while `up` and, when
    `verify` is set, only a post it accepts (a merchant that checks the signature)."""

    def __init__(self, sink: WebhookSink) -> None:
        self.sink = sink
        self.up = True
        self.verify: Callable[[Post], bool] | None = None
        self._posts: list[Post] = []
        self._lock = threading.Lock()
        sink.handler = self._handle

    def url(self, path: str) -> str:
        """The receiver's URL for `path` (e.g. `/ecpay/return`)."""
        return f"{self.sink.url}{path}"

    def posts(self, path: str | None = None) -> list[Post]:
        """What arrived (at `path`), oldest first."""
        with self._lock:
            return [p for p in self._posts if path is None or p.path == path]

    def wait(self, count: int, path: str | None = None, timeout: float = 10) -> list[Post]:
        """Until `count` posts (at `path`) arrived; fails naming what did."""
        deadline = time.monotonic() + timeout
        while len(self.posts(path)) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        got = self.posts(path)
        assert len(got) >= count, f"{len(got)} of {count} posts at {path}: {got}"
        return got

    async def _handle(self, request: web.Request) -> web.Response:
        body = (await request.read()).decode()
        post = Post(time.time(), request.path,
                    dict(urllib.parse.parse_qsl(body, keep_blank_values=True)), self.up)
        up = self.up and (self.verify is None or self.verify(post))
        with self._lock:
            self._posts.append(dataclasses.replace(post, acked=up))
        if request.path.startswith("/ecpay"):  # ECPay: 200 either way; only 1|OK counts
            return web.Response(text="1|OK" if up else "0|receiver down")
        return web.Response(status=200 if up else 500, text="OK" if up else "down")
