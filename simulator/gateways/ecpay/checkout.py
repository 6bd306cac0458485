"""From ECPay's forms to the core's orders: the AioCheckOut form's rules beyond its contract
(URLs that must differ, payment types and sub-types, code lifetimes), the callbacks its URLs
become, and DoAction's state rules (gateways.md 1.8)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from paylab.simulator.core.domain import Domain
from paylab.simulator.core.errors import InvalidRequest
from paylab.simulator.core.origin import Origin
from paylab.simulator.gateways.ecpay import wire
from paylab.simulator.gateways.ecpay.wire import EcpayError, parameter_error

GATEWAY = "ecpay"
ITEM_NAME_LIMIT = 400
#: Defaults of gateways.md 1.3: ATM days, CVS minutes, BARCODE days.
ATM_DAYS, CVS_MINUTES, BARCODE_DAYS, BARCODE_MAX_DAYS = 3, 10080, 7, 30
#: ECPay's store codes: LLL and 11 digits (as its stage issues them).
CVS_PREFIX = "LLL"
#: The core's event kinds each notification URL hears.
RETURN_KINDS = ("order.authorized", "order.paid")
PAYMENT_INFO_KINDS = ("order.code_issued",)
#: Form fields an order keeps to echo in notifications and query answers.
ECHOED = ("MerchantID", "StoreID", "TradeDesc", "MerchantTradeDate", "NeedExtraPaidInfo",
          "PlatformID", "Language", "EncryptType", "CustomField1", "CustomField2",
          "CustomField3", "CustomField4", "Desc_1", "Desc_2", "Desc_3", "Desc_4")
#: The form's URLs and the names the order keeps them under.
URLS = {"ReturnURL": "return", "PaymentInfoURL": "payment_info",
        "OrderResultURL": "order_result", "ClientBackURL": "client_back",
        "ClientRedirectURL": "client_redirect"}


def offered(params: dict[str, Any]) -> list[str]:
    """The core methods the cashier offers: ChoosePayment, less IgnorePayment for ALL."""
    choice = params["ChoosePayment"]
    if choice != "ALL":
        return [wire.METHODS[choice]]
    ignored = set(params.get("IgnorePayment", "").split("#"))
    methods = [m for name, m in wire.METHODS.items() if name not in ignored]
    if not methods:
        raise parameter_error("IgnorePayment", "leaves no payment method")
    return methods


def sub_payment(params: dict[str, Any]) -> str | None:
    """ChooseSubPayment, checked against ChoosePayment's sub-types."""
    sub, choice = params.get("ChooseSubPayment"), params["ChoosePayment"]
    if sub is None or choice == "ALL":
        return sub
    if sub not in wire.SUB_PAYMENTS[choice]:
        allowed = ", ".join(wire.SUB_PAYMENTS[choice]) or "none"
        raise parameter_error("ChooseSubPayment", f"must be one of {allowed}")
    return sub


def create_order(domain: Domain, tenant: str, params: dict[str, Any], origin: Origin
                 ) -> dict[str, Any]:
    """The order an AioCheckOut form describes, with its notification URLs bound to it."""
    if params.get("OrderResultURL") and params["OrderResultURL"] == params["ReturnURL"]:
        raise parameter_error("OrderResultURL", "must not be the same as ReturnURL")
    extra = {name: str(params[name]) for name in ECHOED if name in params}
    extra["sub_payment"] = sub_payment(params)
    with domain.store.atomic():
        order = domain.orders.create(
            tenant, GATEWAY, merchant_order_no=params["MerchantTradeNo"],
            amount=params["TotalAmount"], currency="twd", methods=offered(params),
            description=params["ItemName"][:ITEM_NAME_LIMIT],
            callbacks={URLS[k]: params[k] for k in URLS if k in params},
            expiry={"atm_days": params.get("ExpireDate", ATM_DAYS),
                    "store_expire": params.get("StoreExpireDate")},
            extra=extra, origin=origin)
        _bind(domain, tenant, order, "ReturnURL", params["ReturnURL"], RETURN_KINDS)
        if "PaymentInfoURL" in params:
            _bind(domain, tenant, order, "PaymentInfoURL", params["PaymentInfoURL"],
                  PAYMENT_INFO_KINDS)
    return order


def _bind(domain: Domain, tenant: str, order: dict[str, Any], field: str, url: str,
          kinds: tuple[str, ...]) -> None:
    try:
        domain.callbacks.register(tenant, GATEWAY, order["id"], url, kinds,
                                  metadata={"role": URLS[field]})
    except InvalidRequest as exc:
        raise parameter_error(field, f"is refused: {exc.message}") from exc


def code_expiry(order: dict[str, Any], method: str, now: float) -> float:
    """When a newly issued code expires: an ATM account at the end of the Taiwan day
    ExpireDate days on; a CVS code StoreExpireDate minutes on; a barcode StoreExpireDate
    days on (a value past 30 days, meant as CVS minutes under ALL, gives the default)."""
    store = order["expiry"].get("store_expire")
    if method == "atm":
        day = dt.datetime.fromtimestamp(now, wire.TAIWAN).date() + dt.timedelta(
            days=order["expiry"]["atm_days"])
        return dt.datetime.combine(day, dt.time(23, 59, 59), wire.TAIWAN).timestamp()
    if method == "cvs":
        return now + (store or CVS_MINUTES) * 60
    days = store if store and store <= BARCODE_MAX_DAYS else BARCODE_DAYS
    return now + days * 86400


def bank_code(order: dict[str, Any]) -> str:
    """The bank of an ATM virtual account (ChooseSubPayment, else Taishin)."""
    return wire.ATM_BANKS.get(order["extra"].get("sub_payment") or "", "812")


def do_action(domain: Domain, tenant: str, order: dict[str, Any], action: str, amount: int,
              origin: Origin) -> dict[str, Any]:
    """CreditDetail/DoAction: C closes (captures), R refunds, E cancels a pending close, N
    abandons (voids) an authorisation; the core refuses what its state does not allow."""
    if order["method"] not in wire.CARD_PAYMENT_TYPES:  # cards, Apple Pay's included
        raise EcpayError(wire.REFUSED, "DoAction applies to credit card trades only.")
    if _closing(domain, order):
        raise EcpayError(wire.REFUSED, "關帳作業中: the daily close runs 20:15-20:30; "
                         "try again after it.")
    orders = domain.orders
    if action == "C":
        return orders.capture(tenant, order["id"], amount, origin=origin)
    if action == "E":
        return orders.cancel_capture(tenant, order["id"], origin=origin)
    if action == "N":
        return orders.void(tenant, order["id"], origin=origin)
    left = order["captured_amount"] - order["refunded_amount"]
    if order["status"] == "paid" and not order["closed"] and amount >= left:
        raise EcpayError(wire.REFUSED, "A full refund before the close is E (cancel the "
                         "close) then N (abandon); R refunds part of it.")
    return orders.refund(tenant, order["id"], amount, origin=origin)


def _closing(domain: Domain, order: dict[str, Any]) -> bool:
    """Whether the gateway's daily close is running (its first 15 minutes)."""
    close = domain.orders.closes.get(order["gateway"])
    if close is None:
        return False
    local = (domain.clock.now() + close.utc_offset_hours * 3600) % 86400
    return close.seconds <= local < close.seconds + wire.CLOSE_MINUTES * 60
