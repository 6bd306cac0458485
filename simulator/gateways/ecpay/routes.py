"""ECPay's operations: route, handler and contracts of each, in one table."""

from __future__ import annotations

from paylab.simulator.gateways.ecpay import handlers as h
from paylab.simulator.gateways.ecpay.settlement import trade_no_aio
from paylab.simulator.gateways.spec import Operation as Op

#: ECPay answers its server APIs' refusals with HTTP 200 (RtnCode/RtnMsg), so no error
#: statuses are listed; answers are urlencoded text, so their contracts (contracts/ecpay/
#: *_response) are named in `RESPONSES` rather than as `response=` (which OpenAPI documents
#: as JSON).
_E: tuple[int, ...] = ()

OPERATIONS: tuple[Op, ...] = (
    Op("POST", "/Cashier/AioCheckOut/V5", "AioCheckOut", h.aio_checkout,
       "Create an order (browser form post); answers the cashier page or ECPay's error page",
       request="ecpay/aio_checkout", errors=(400,)),
    Op("POST", "/Cashier/QueryTradeInfo/V5", "QueryTradeInfo", h.query_trade_info,
       "Query a trade (TimeStamp within 3 minutes)", request="ecpay/query_trade_info",
       errors=_E),
    Op("POST", "/Cashier/QueryPaymentInfo", "QueryPaymentInfo", h.query_payment_info,
       "Query the ATM, CVS or BARCODE code of a trade", request="ecpay/query_payment_info",
       errors=_E),
    Op("POST", "/CreditDetail/DoAction", "DoAction", h.do_action,
       "Close (C), refund (R), cancel a close (E) or abandon (N) a credit trade",
       request="ecpay/do_action", errors=_E),
    Op("POST", "/PaymentMedia/TradeNoAio", "TradeNoAio", trade_no_aio,
       "Download the merchant's trade reconciliation file (CSV) of the dates asked",
       request="ecpay/trade_no_aio", errors=_E),
)
#: Operations answered with a file (CSV), not urlencoded text.
FILES = frozenset({"TradeNoAio"})

#: operation id -> the contract of its (urlencoded) answer.
RESPONSES = {"QueryTradeInfo": "ecpay/query_trade_info_response",
             "QueryPaymentInfo": "ecpay/query_payment_info_response",
             "DoAction": "ecpay/do_action_response"}
#: Operations answered with an HTML page (a browser's form post), not urlencoded text.
PAGES = frozenset({"AioCheckOut"})
