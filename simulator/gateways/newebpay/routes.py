"""NewebPay's operations: route, handler and contracts of each, in one table.

OPERATIONS are the server APIs (in the OpenAPI document). The MPG gateway is a browser's
form post answered with a page, as Stripe's hosted checkout is, so it runs through the same
pipeline but is not listed there (README: NewebPay). Answers are HTTP 200 in the content
type their RespondType asks for (JSON, or a `key=value` String), which an OpenAPI response
cannot tie to a request field: their shapes are contracts/newebpay/query_response and
api_response, which the tests validate answers against.
"""

from __future__ import annotations

from paylab.simulator.gateways.newebpay import handlers as h
from paylab.simulator.gateways.spec import Operation as Op

_N = "newebpay/"

MPG = Op("POST", "/MPG/mpg_gateway", "MpgGateway", h.mpg_gateway,
         "Start an MPG payment (browser form post)", request=_N + "mpg_request")

OPERATIONS: tuple[Op, ...] = (
    Op("POST", "/API/QueryTradeInfo", "QueryTradeInfo", h.query_trade_info,
       "Query one trade (CheckValue in, CheckCode out)", request=_N + "query_request",
       errors=()),
    Op("POST", "/API/CreditCard/Close", "CreditCardClose", h.credit_card_close,
       "Capture or refund a card trade, or cancel a capture (PostData_ encrypted)",
       request_body=_N + "encrypted_request", errors=()),
    Op("POST", "/API/CreditCard/Cancel", "CreditCardCancel", h.credit_card_cancel,
       "Void a card authorisation (PostData_ encrypted)",
       request_body=_N + "encrypted_request", errors=()),
)

#: The contract each encrypted API's decrypted PostData_ is validated against.
POST_DATA = {"CreditCardClose": _N + "close_request", "CreditCardCancel": _N + "cancel_request"}
