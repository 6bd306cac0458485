"""ECPay's messages built from an order: urlencoded answers with raw values (as ECPay
emits them, gateways.md 1.7 and 8), the fields of its notifications and query answers.

ECPay lists its fields sorted by name (ASCII: `vAccount` after `TradeNo`), in its query
answers and notices alike; every builder here does the same, and `checkmac.signed` adds
the CheckMacValue last, where ECPay sends one.
"""

from __future__ import annotations

from typing import Any

from paylab.simulator.gateways.ecpay.wire import ATM_BANKS, payment_type, taiwan_date, taiwan_time

Order = dict[str, Any]

#: RtnMsg of the ReturnURL notice: the first server POST, the resends, the browser POST.
FIRST_NOTICE, RESENT_NOTICE, BROWSER_RESULT = "交易成功", "paid", "Succeeded"
#: RtnCode and RtnMsg of a PaymentInfoURL notice, per code type (gateways.md 1.6).
#: (Barcodes get the CVS message too, as ECPay's stage sends it.)
CODE_ISSUED = {"atm": ("2", "Get VirtualAccount Succeeded"),
               "cvs": ("10100073", "Get CVS Code Succeeded."),
               "barcode": ("10100073", "Get CVS Code Succeeded.")}


def urlencoded(fields: dict[str, Any]) -> bytes:
    """`k=v&...` with values raw (not percent-encoded), as ECPay answers its server APIs."""
    return "&".join(f"{key}={value}" for key, value in fields.items()).encode()


def _sorted(fields: dict[str, str]) -> dict[str, str]:
    return dict(sorted(fields.items()))


def _custom(order: Order) -> dict[str, str]:
    return {f"CustomField{i}": order["extra"].get(f"CustomField{i}", "") for i in range(1, 5)}


def _head(order: Order) -> dict[str, str]:
    return {"MerchantID": order["extra"]["MerchantID"],
            "MerchantTradeNo": order["merchant_order_no"],
            "StoreID": order["extra"].get("StoreID", "")}


def _paid_at(order: Order) -> float | None:
    """When it was paid: a card's authorisation counts (ECPay's payment date for cards)."""
    return order["paid_at"] if order["paid_at"] is not None else order.get("authorized_at")


def result_fields(order: Order, message: str, *, simulated: bool | None = None
                  ) -> dict[str, str]:
    """The payment result (ReturnURL, OrderResultURL) of a paid or authorised order."""
    fields = {
        **_head(order), "RtnCode": "1", "RtnMsg": message, "TradeNo": order["reference"],
        "TradeAmt": str(order["amount"]), "PaymentDate": taiwan_time(_paid_at(order)),
        "PaymentType": payment_type(order), "PaymentTypeChargeFee": "0",
        "TradeDate": taiwan_time(order["created"]),
        "SimulatePaid": "1" if (order["simulated"] if simulated is None else simulated) else "0",
        **_custom(order),
    }
    if order["extra"].get("NeedExtraPaidInfo") == "Y":
        fields.update(extra_paid_info(order))
    return _sorted(fields)


def extra_paid_info(order: Order) -> dict[str, str]:
    """NeedExtraPaidInfo=Y: the payment type's extra fields (a subset of doc p=5675)."""
    method, code = order["method"], order["code"] or {}
    if method in ("card", "apple_pay"):  # an Apple Pay payment is a card's
        card = order["card"] or {}
        return {"gwsr": order["reference"][-8:], "process_date": taiwan_time(_paid_at(order)),
                "auth_code": order["reference"][-6:], "amount": str(order["amount"]),
                "eci": "5" if (order["authentication"] or {}).get("status") == "passed"
                else "", "card4no": card.get("last4", ""), "card6no": card.get("bin", "")}
    if method == "atm":
        return {"ATMAccBank": code.get("bank_code", ""), "ATMAccNo": code.get("account", "")[-5:]}
    if method == "webatm":
        sub = order["extra"].get("sub_payment") or "TAISHIN"
        return {"WebATMAccBank": ATM_BANKS.get(sub, "812"), "WebATMAccNo": "00000"}
    if method == "cvs":
        return {"PaymentNo": code.get("payment_no", ""), "PayFrom": "family"}
    return {"PaymentNo": "", "PayFrom": "family"}


def code_fields(order: Order) -> dict[str, str]:
    """The issued code (PaymentInfoURL, ClientRedirectURL, QueryPaymentInfo)."""
    code, method = order["code"], order["method"]
    rtn_code, message = CODE_ISSUED[method]
    fields = {**_head(order), "RtnCode": rtn_code, "RtnMsg": message,
              "TradeNo": order["reference"], "TradeAmt": str(order["amount"]),
              "PaymentType": payment_type(order), "TradeDate": taiwan_time(order["created"])}
    if method == "atm":
        fields.update(BankCode=code["bank_code"], vAccount=code["account"],
                      ExpireDate=taiwan_date(order["expires_at"]))
    else:  # a store code and a barcode each carry the other's fields, empty
        first, second, third = code.get("barcodes") or ("", "", "")
        fields.update(Barcode1=first, Barcode2=second, Barcode3=third,
                      ExpireDate=taiwan_time(order["expires_at"]),
                      PaymentNo=code.get("payment_no", ""))
    return _sorted({**fields, **_custom(order)})


#: QueryTradeInfo's TradeStatus per neutral status. A failed attempt leaves the trade
#: unpaid (`0`): the cashier still takes another card until the trade expires, and a
#: merchant polling for 10200095 would give up on a payable order.
TRADE_STATUS = {"created": "0", "needs_action": "0", "awaiting_payment": "0",
                "authorized": "1", "paid": "1", "canceled": "1",
                "failed": "0", "expired": "10200095"}


def trade_info(order: Order) -> dict[str, str]:
    """QueryTradeInfo/V5's answer fields (before the CheckMacValue)."""
    return _sorted({
        **_head(order), "TradeNo": order["reference"], "TradeAmt": str(order["amount"]),
        "PaymentDate": taiwan_time(_paid_at(order)), "PaymentType": payment_type(order),
        "HandlingCharge": "0", "PaymentTypeChargeFee": "0",
        "TradeDate": taiwan_time(order["created"]), "TradeStatus": TRADE_STATUS[order["status"]],
        "ItemName": order["description"], **_custom(order),
    })


def action_done(order: Order) -> dict[str, str]:
    """DoAction's success answer."""
    return {"MerchantID": order["extra"]["MerchantID"],
            "MerchantTradeNo": order["merchant_order_no"], "TradeNo": order["reference"],
            "RtnCode": "1", "RtnMsg": "成功"}


def refusal_fields(code: str, message: str) -> dict[str, str]:
    """A server API's refusal."""
    return {"RtnCode": code, "RtnMsg": message}
