"""NewebPay's NotifyURL deliveries (NDNF-1.1.9 4.2.2): the result form with an encrypted
TradeInfo and its TradeSha, rendered from the order as the event saw it.

Success contract: NewebPay counts only HTTP 200 as received (whatever the body); it retries,
and gives up after three retries without a 200 (its FAQ). The delays between retries are
not documented: 1, 5 and 15 minutes is our best reading. An explicit --retry-schedule still
overrides it, as it does every gateway's.
"""

from __future__ import annotations

import urllib.parse

from paylab.simulator.core.domain import Domain
from paylab.simulator.core.errors import NotFound
from paylab.simulator.core.merchants import Merchant
from paylab.simulator.core.objects import Doc
from paylab.simulator.gateways.newebpay import crypto, render

USER_AGENT = "NewebPay-Notify (paylab simulator)"
#: Three retries after the first attempt, then the delivery fails (best reading of delays).
RETRY_SCHEDULE = (60.0, 300.0, 900.0)
#: Probe kinds that need a signed time or a signature version, which NotifyURL posts lack:
#: their copy would be the genuine bytes, which an idempotent receiver rightly acknowledges.
UNSUPPORTED = ("stale", "future", "v0_only")


class NewebPayNotifier:
    """Renders order events as NewebPay posts them to NotifyURL."""

    retry_schedule = RETRY_SCHEDULE

    def __init__(self, domain: Domain) -> None:
        self.domain = domain

    @staticmethod
    def accepts(status_code: int, body: str) -> bool:
        """Only HTTP 200 counts (a 201 or 204 does not)."""
        return status_code == 200

    def _merchant(self, target: Doc) -> Merchant:
        merchant = self.domain.merchants.for_tenant(target["tenant"])
        if merchant is None:
            raise NotFound("merchant_missing", f"No merchant is tenant {target['tenant']}.")
        return merchant

    def fields(self, event: Doc, target: Doc, *, bad_signature: bool = False) -> dict[str, str]:
        """The form: Status, MerchantID, Version, TradeInfo, TradeSha."""
        order, merchant = event["object"], self._merchant(target)
        status, message = render.status_and_message(order)
        result = render.payment_result(order, merchant.merchant_id)
        return render.result_form(order, merchant, status, message, result,
                                  bad_signature=bad_signature)

    def render(self, event: Doc, target: Doc, wall_time: int, *,
               bad_signature: bool = False) -> tuple[bytes, dict[str, str]]:
        """The urlencoded form (no timestamp is signed: the same bytes each attempt,
        but for the TradeSha a `bad_signature` scenario breaks)."""
        body = urllib.parse.urlencode(self.fields(event, target, bad_signature=bad_signature))
        return body.encode(), {"Content-Type": "application/x-www-form-urlencoded",
                               "User-Agent": USER_AGENT}

    def forge(self, attack: str, event: Doc, target: Doc, now: int,
              signed_at: int | None) -> tuple[bytes, dict[str, str]]:
        """A delivery with one attack (security probes): replay is the genuine bytes
        again; tampered re-encrypts the TradeInfo with Amt=1 but keeps the original
        TradeSha; wrong_secret signs with another HashKey; missing_signature drops
        TradeSha; genuine is the real delivery. LookupError for stale, future and v0_only:
        NewebPay signs no time and has one signature scheme, so they do not apply."""
        if attack in UNSUPPORTED:
            raise LookupError(f"NewebPay notifications carry no signed time or signature "
                              f"version: a {attack} probe does not apply to them")
        fields = self.fields(event, target, bad_signature=attack == "wrong_secret")
        if attack == "tampered":
            merchant = self._merchant(target)
            order = {**event["object"], "amount": 1}
            status, message = render.status_and_message(order)
            plain = render.inner_text(status, message,
                                      render.payment_result(order, merchant.merchant_id),
                                      order["extra"].get("RespondType", "JSON"))
            fields["TradeInfo"] = crypto.encrypt(plain, merchant.hash_key, merchant.hash_iv)
        elif attack == "missing_signature":
            del fields["TradeSha"]
        return urllib.parse.urlencode(fields).encode(), {
            "Content-Type": "application/x-www-form-urlencoded", "User-Agent": USER_AGENT}
