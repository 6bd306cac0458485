"""ECPay's settlement file: the merchant's trade reconciliation file (對帳媒體檔).

ECPay serves it at `POST /PaymentMedia/TradeNoAio` (MerchantID, DateType 2 paid date /
4 disbursement date / 6 order date, BeginDate, EndDate yyyy-MM-dd, MediaFormated, the
optional PaymentType, PlatformStatus, PaymentStatus, AllocateStatus filters, signed with
CheckMacValue like every ECPay server API) and answers a CSV file. The request fields
are ECPay's documented ones; the file's columns are OUR READING (ECPay publishes the
request, not the column list), labelled so on the file's first line. Dates are Taiwan
time. Only paid trades and their refunds settle: PaymentStatus 0 (unpaid) or 2 (failed)
gives an empty file; DateType 6 (order date) reads the payment's date.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from paylab.simulator.core.domain import Domain
from paylab.simulator.core.objects import Doc
from paylab.simulator.core.settlements import Naming
from paylab.simulator.gateways.ecpay import wire
from paylab.simulator.gateways.ecpay.pipeline import GATEWAY, ApiWire, EcpayContext
from paylab.simulator.gateways.kit import pipeline as kit
from paylab.simulator.gateways.kit.pipeline import Call, Handler
from paylab.simulator.gateways.kit.settlement import (
    SettlementFile,
    local_time,
    settlements,
    write_csv,
)
from paylab.simulator.gateways.spec import Operation

FILE = SettlementFile(
    ext="csv", media_type="text/csv", documented=False,
    note="ECPay TradeNoAio trade reconciliation file: paylab's best reading of the "
         "columns (ECPay documents the request, not the columns); Taiwan time")
COLUMNS = ("交易日期", "綠界訂單編號", "特店訂單編號", "付款方式", "交易狀態", "交易金額",
           "交易手續費", "撥款金額", "撥款日期", "撥款狀態")
#: PaymentType filter codes -> the neutral methods they keep.
PAYMENT_TYPES = {"01": ("card", "apple_pay", "google_pay"), "02": ("webatm",),
                 "03": ("atm",), "04": ("cvs",), "05": ("barcode",)}
#: DateType -> which time of a row it filters by.
DATE_TYPES = {"2": "created_at", "4": "settled_at", "6": "created_at"}
BOM = "\ufeff".encode()


def names(domain: Domain, tenant: str, order: Doc) -> Naming:
    """TradeNo is the order's reference; the merchant is the MerchantID it was placed with."""
    return Naming(order["reference"], order["merchant_order_no"],
                  order["extra"].get("MerchantID"))


def render(rows: list[dict[str, Any]], now: float | None = None) -> bytes:
    """The file: a note line, then ECPay's (read) columns, UTF-8 with a byte-order mark."""
    return write_csv(COLUMNS, [_line(r, now) for r in rows], comment=FILE.note, bom=True)


def select(rows: list[dict[str, Any]], params: Mapping[str, Any], now: float
           ) -> list[dict[str, Any]]:
    """The rows a TradeNoAio request asks for (its dates are Taiwan dates)."""
    if params.get("PaymentStatus", "1") != "1":
        return []
    when = DATE_TYPES[params["DateType"]]
    methods = PAYMENT_TYPES.get(params.get("PaymentType", ""))
    allocated = params.get("AllocateStatus")
    return [r for r in rows
            if params["BeginDate"] <= local_time(r[when], "%Y-%m-%d") <= params["EndDate"]
            and (methods is None or r["method"] in methods)
            and (allocated is None or (r["settled_at"] <= now) == (allocated == "1"))]


def trade_no_aio(ctx: EcpayContext, call: Call) -> bytes:
    """POST /PaymentMedia/TradeNoAio: the merchant's trades of the dates asked, as CSV."""
    if call.params["BeginDate"] > call.params["EndDate"]:
        raise wire.parameter_error("BeginDate", "is after EndDate")
    rows = settlements(ctx.domain, [GATEWAY]).rows(call.tenant, GATEWAY)
    now = ctx.domain.clock.now()
    return render(select(rows, call.params, now), now)


def _line(row: dict[str, Any], now: float | None) -> list[Any]:
    refund = row["type"] == "refund"
    settled = now is not None and row["settled_at"] <= now
    method = row["method"]
    kind = wire.CARD_PAYMENT_TYPES.get(method) or wire.CHOICES.get(method, method)
    return [local_time(row["created_at"], "%Y/%m/%d %H:%M:%S"), row["transaction_id"],
            row["order_ref"], kind, "退款" if refund else "已付款", row["amount"], row["fee"],
            row["net"], local_time(row["settled_at"], "%Y/%m/%d"),
            "已撥款" if settled else "未撥款"]


class FileWire(ApiWire):
    """TradeNoAio: a signed form in, the CSV file out (refusals as the other server APIs:
    urlencoded RtnCode/RtnMsg)."""

    def success(self, result: Any) -> tuple[int, bytes]:
        """The file as the handler rendered it."""
        return 200, bytes(result)

    def respond(self, status: int, body: bytes, request_id: str,
                extra: Mapping[str, str] | None = None) -> Any:
        """text/csv for the file (it starts with the byte-order mark), text/html else."""
        response = super().respond(status, body, request_id, extra)
        if body.startswith(BOM):
            response.content_type = "text/csv"
            response.headers["Content-Disposition"] = 'attachment; filename="TradeNoAio.csv"'
        return response


def endpoint(op: Operation, ctx: EcpayContext) -> Handler:
    """TradeNoAio through the kit pipeline (signed and validated like the other APIs)."""
    return kit.endpoint(op, FileWire(ctx), ctx, ctx.domain, ctx.contracts)
