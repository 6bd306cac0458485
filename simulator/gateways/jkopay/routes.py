"""JKOPay's operations: route, handler and contracts of each, in one table.

Refusals are JKOPay's envelope (contracts/jkopay/error) with HTTP 200 for business and
parameter refusals, 401/403 for authentication (wire.py).
"""

from __future__ import annotations

from paylab.simulator.gateways.jkopay import handlers as h
from paylab.simulator.gateways.spec import Operation as Op

_J = "jkopay/"
_ERRORS = (401, 403)

OPERATIONS: tuple[Op, ...] = (
    Op("POST", "/platform/entry", "JkoPayEntry", h.platform_entry,
       "Create an order (or get the same unpaid order's URL again): payment_url and QR",
       request=_J + "entry_request", response=_J + "entry_answer", errors=_ERRORS,
       content_type="application/json"),
    Op("POST", "/platform/refund", "JkoPayRefund", h.platform_refund,
       "Refund part or all of a paid order, once per refund_order_id",
       request=_J + "refund_request", response=_J + "refund_answer", errors=_ERRORS,
       content_type="application/json"),
    Op("GET", "/platform/inquiry", "JkoPayInquiry", h.platform_inquiry,
       "Orders' status and refund history (platform_order_ids=a,b; digest over the query)",
       query=_J + "inquiry_query", response=_J + "inquiry_answer", errors=_ERRORS),
    Op("POST", "/platform/inquiry", "JkoPayInquiryPost", h.platform_inquiry,
       "Orders' status and refund history (JSON body, as some clients send)",
       request=_J + "inquiry_request", response=_J + "inquiry_answer", errors=_ERRORS,
       content_type="application/json"),
)
