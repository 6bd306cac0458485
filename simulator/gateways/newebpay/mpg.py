"""The MPG gateway's rules: from a verified, decrypted TradeInfo to an order waiting on the
hosted MPG page (NDNF-1.1.9 4.2.1, gateways.md 2.3 and 8).

Checked here, beyond what the contract says: the TimeStamp window, the Version, the URLs,
the payment toggles against each method's amount window, ExpireDate, TradeLimit, BankType
and OrderDetail. Nothing is stored unless every check passes; the order and its NotifyURL
callback are stored together.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import urllib.parse
from typing import Any

from paylab.simulator.core.errors import CoreError
from paylab.simulator.gateways.kit.pipeline import Call
from paylab.simulator.gateways.newebpay.pipeline import (
    CLIENT_IP,
    GATEWAY,
    NewebPayContext,
    check_version,
)
from paylab.simulator.gateways.newebpay.render import METHODS, TAIPEI
from paylab.simulator.gateways.newebpay.wire import error, translate

#: TimeStamp tolerance (NDNF-1.1.9: 容許誤差值120秒).
TIMESTAMP_WINDOW = 120
#: Emulated methods and the amounts (TWD) each may be offered for (gateways.md 2.3).
WINDOWS = {"CREDIT": (1, 9_999_999_999), "VACC": (1, 49_999), "WEBATM": (1, 49_999),
           "CVS": (30, 20_000), "BARCODE": (20, 40_000), "APPLEPAY": (1, 9_999_999_999),
           "ANDROIDPAY": (1, 9_999_999_999)}
#: Device wallets (Apple Pay, Google Pay): offered only when toggled on (APPLEPAY=1,
#: ANDROIDPAY=1), never by default, as a store enables them separately.
WALLET_TOGGLES = ("APPLEPAY", "ANDROIDPAY")
#: Toggles that ask for a card payment of some kind (one-off, instalments, bonus, AmEx...).
CARD_TOGGLES = ("CREDIT", "CreditRed", "UNIONPAY", "CREDITAE")
#: Toggles of methods the simulator does not emulate (wallets, logistics).
OTHER_TOGGLES = ("SAMSUNGPAY", "LINEPAY", "ESUNWALLET", "TAIWANPAY",
                 "BITOPAY", "TWQR", "EZPWECHAT", "EZPALIPAY", "CVSCOM")
BANKS = ("BOT", "HNCB", "KGI")
MAX_EXPIRE_DAYS = 180
#: TradeLimit is clamped to 60-900 seconds; 0 (or none) means no limit.
TRADE_LIMIT = (60, 900)
#: Which URL field lands under which name in the order's callbacks.
URL_FIELDS = {"NotifyURL": "notify", "ReturnURL": "return", "CustomerURL": "customer",
              "ClientBackURL": "client_back"}
#: The events NotifyURL hears about: a payment authorised or made, or failed.
NOTIFY_KINDS = ("order.authorized", "order.paid", "order.failed")
#: TradeInfo fields an order keeps to echo or show later.
ECHOED = ("RespondType", "Version", "Email", "OrderComment", "LangType")


def check_timestamp(ctx: NewebPayContext, stamp: int) -> bool:
    """Whether `stamp` is within 120 s of the virtual clock, or of the wall clock (a client
    keeps real time; tests that advanced the virtual clock still create orders)."""
    clock = ctx.domain.clock
    return any(abs(stamp - now) <= TIMESTAMP_WINDOW for now in (clock.now(), clock.wall()))


def check_url(value: str) -> None:
    """An absolute http(s) URL on port 80 or 443; any port on a loopback host, where test
    receivers listen (gateways.md 8: NewebPay's rule would refuse them)."""
    try:
        parts = urllib.parse.urlsplit(value)
        port = parts.port
    except ValueError as exc:
        raise error("MPG01014", value) from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise error("MPG01014", value)
    if port in (None, 80, 443) or _loopback(parts.hostname):
        return
    raise error("MPG01014", f"{value}: only ports 80 and 443")


def _loopback(host: str) -> bool:
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def offered_methods(params: dict[str, Any]) -> list[str]:
    """The PaymentTypes the MPG page offers: those toggled on (all emulated ones when no
    toggle is given, as a store's settings would), within their amount windows."""
    amount = params["Amt"]
    card = any(params.get(t) == 1 for t in CARD_TOGGLES) or params.get("InstFlag", "0") not in (
        "", "0")
    asked = {m for m in WINDOWS if params.get(m) == 1} | ({"CREDIT"} if card else set())
    others = [t for t in OTHER_TOGGLES if params.get(t) not in (None, 0)]
    if not asked and not others:
        asked = set(WINDOWS) - set(WALLET_TOGGLES)
    offered = [m for m in WINDOWS if m in asked and WINDOWS[m][0] <= amount <= WINDOWS[m][1]]
    if not offered:
        detail = f"{', '.join(others)} not emulated" if others and not asked else \
            f"no method asked for takes NT${amount}"
        raise error("MPG02003", detail)
    return offered


def expiry_of(ctx: NewebPayContext, params: dict[str, Any]) -> dict[str, Any]:
    """ExpireDate (today to 180 days ahead, Taiwan time), ExpireTime, and the TradeLimit
    deadline of the MPG page."""
    now = ctx.domain.clock.now()
    today = dt.datetime.fromtimestamp(now, TAIPEI).date()
    out: dict[str, Any] = {"time": params.get("ExpireTime") or "235959"}
    if params.get("ExpireDate"):
        try:
            date = dt.datetime.strptime(params["ExpireDate"], "%Y%m%d").date()
        except ValueError as exc:
            raise error("MPG01018", params["ExpireDate"]) from exc
        if not today <= date <= today + dt.timedelta(days=MAX_EXPIRE_DAYS):
            raise error("MPG01018", params["ExpireDate"])
        out["date"] = date.isoformat()
    limit = params.get("TradeLimit") or 0
    if limit:
        out["page_deadline"] = now + min(max(limit, TRADE_LIMIT[0]), TRADE_LIMIT[1])
    return out


def check_banks(params: dict[str, Any]) -> list[str]:
    """BankType's banks (all three when not given); MPG01026 for one NewebPay lacks."""
    given = [b for b in (params.get("BankType") or "").split(",") if b]
    unknown = [b for b in given if b not in BANKS]
    if unknown:
        raise error("MPG01026", ",".join(unknown))
    return given or list(BANKS)


def check_order_detail(params: dict[str, Any]) -> None:
    """OrderDetail: a JSON array of items whose ItemAmt add up to Amt, numbers unique."""
    text = params.get("OrderDetail")
    if not text:
        return
    try:
        items = json.loads(text)
        valid = isinstance(items, list) and items and all(
            isinstance(i, dict) and isinstance(i.get("ItemName"), str)
            and 0 < len(i["ItemName"]) <= 20 and type(i.get("ItemAmt")) is int
            and i["ItemAmt"] > 0 and i.get("ItemType") in (1, 2, 3)
            and isinstance(i.get("ItemOrderNo"), str) and 0 < len(i["ItemOrderNo"]) <= 20
            for i in items)
    except ValueError:
        valid = False
    if not valid:
        raise error("MPG01028", "OrderDetail")
    if sum(i["ItemAmt"] for i in items) != params["Amt"]:
        raise error("MPG01029", "OrderDetail")
    if len({i["ItemOrderNo"] for i in items}) != len(items):
        raise error("MPG01030", "OrderDetail")


def create(ctx: NewebPayContext, call: Call) -> str:
    """Check a decrypted TradeInfo, store the order (and its NotifyURL callback), and
    return the hosted MPG page's address."""
    params = call.params
    if not check_timestamp(ctx, params["TimeStamp"]):
        raise error("MPG02004", "TimeStamp")
    check_version(params["Version"])
    urls = {name: params[field] for field, name in URL_FIELDS.items() if params.get(field)}
    for url in urls.values():
        check_url(url)
    methods = offered_methods(params)
    expiry, banks = expiry_of(ctx, params), check_banks(params)
    check_order_detail(params)
    extra = {k: params[k] for k in ECHOED if params.get(k)}
    extra.update(MerchantID=params["MerchantID"], IP=params.get(CLIENT_IP, ""), banks=banks)
    domain = ctx.domain
    try:
        with domain.store.atomic():
            order = domain.orders.create(
                call.tenant, GATEWAY, merchant_order_no=params["MerchantOrderNo"],
                amount=params["Amt"], currency="twd", methods=[METHODS[m] for m in methods],
                description=params["ItemDesc"], callbacks=urls, expiry=expiry, extra=extra,
                origin=call.origin)
            if "notify" in urls:
                domain.callbacks.register(call.tenant, GATEWAY, order["id"], urls["notify"],
                                          NOTIFY_KINDS, metadata={"field": "NotifyURL"})
    except CoreError as exc:
        code, _ = translate(exc, "mpg")
        if not code.startswith("MPG"):  # nothing else is expected here; say it on the page
            raise error("MPG03009", exc.message) from exc
        raise error(code, params["MerchantOrderNo"] if code == "MPG03008" else exc.message
                    ) from exc
    return page_path(order["id"], order["page_token"])


def page_path(order_id: str, token: str) -> str:
    """Where the hosted MPG page of an order is (its token is the credential)."""
    return f"/newebpay/MPG/pay/{order_id}?" + urllib.parse.urlencode({"token": token})
