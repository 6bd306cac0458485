"""ECPay's server notifications: ReturnURL (payment result) and PaymentInfoURL (code issued)
as urlencoded form posts signed with CheckMacValue, the `1|OK` contract, the resend
schedule, and forged copies for security probes.

A callback target's `metadata.role` says which URL it is (`return`, `payment_info`; see
checkout.URLS). The ReturnURL notice says `RtnMsg=交易成功` the first time and `paid` on
every resend (gateways.md 1.5).
"""

from __future__ import annotations

import dataclasses
import urllib.parse

from paylab.simulator.core.domain import Domain
from paylab.simulator.core.merchants import Merchant
from paylab.simulator.core.objects import Doc
from paylab.simulator.gateways.ecpay import checkmac, render

#: The answer that stops the resends; anything else is retried.
ACKNOWLEDGED = "1|OK"
#: ECPay resends every 5-15 minutes, four more times (gateways.md 1.5; 10 minutes is our
#: reading of that range).
RETRY_SCHEDULE = (600.0, 600.0, 600.0, 600.0)
#: What a `bad_signature` effect (or a wrong_secret probe) signs with.
WRONG_KEY, WRONG_IV = "paylabWrongKey00", "paylabWrongIV000"
#: Probe kinds that need a timestamp or a signature version, which ECPay's notices lack.
UNSUPPORTED = ("stale", "future", "v0_only")


class EcpayNotifier:
    """Renders order events as ECPay posts them to a merchant's URLs."""

    retry_schedule = RETRY_SCHEDULE

    def __init__(self, domain: Domain) -> None:
        self.domain = domain

    def accepts(self, status_code: int, body: str) -> bool:
        """ECPay's success contract: HTTP 200 and the body `1|OK` (surrounding whitespace
        forgiven)."""
        return status_code == 200 and body.strip() == ACKNOWLEDGED

    def fields(self, event: Doc, target: Doc) -> dict[str, str]:
        """The notice's fields, before signing."""
        order = event["object"]
        if target["metadata"].get("role") == "payment_info":
            return render.code_fields(order)
        first = self.domain.outbox.attempts_for(event["id"], target["id"]) == 0
        return render.result_fields(order, render.FIRST_NOTICE if first
                                    else render.RESENT_NOTICE)

    def render(self, event: Doc, target: Doc, wall_time: int, *,
               bad_signature: bool = False) -> tuple[bytes, dict[str, str]]:
        """The form body, signed with the merchant's keys (wrong ones for `bad_signature`)."""
        signed = self._signed(event, target, wrong=bad_signature)
        return _encoded(signed)

    def forge(self, attack: str, event: Doc, target: Doc, now: int,
              signed_at: int | None) -> tuple[bytes, dict[str, str]]:
        """A notice with one attack applied: replay (the same notice again), tampered
        (TradeAmt changed after signing), wrong_secret, missing_signature, or genuine.
        LookupError for the kinds ECPay's notices cannot carry (no timestamp, no version)."""
        if attack in UNSUPPORTED:
            raise LookupError(f"ECPay notifications carry no timestamp or signature version: "
                              f"a {attack} probe does not apply to them")
        signed = self._signed(event, target, wrong=attack == "wrong_secret")
        if attack == "tampered":
            signed["TradeAmt"] = "1"
        elif attack == "missing_signature":
            del signed[checkmac.FIELD]
        return _encoded(signed)

    # -- internals ------------------------------------------------------------------------
    def _signed(self, event: Doc, target: Doc, *, wrong: bool) -> dict[str, str]:
        merchant = self._merchant(target)
        if wrong:
            merchant = dataclasses.replace(merchant, hash_key=WRONG_KEY, hash_iv=WRONG_IV)
        encrypt_type = int(event["object"]["extra"].get("EncryptType", checkmac.SHA256))
        return checkmac.signed(self.fields(event, target), merchant, encrypt_type)

    def _merchant(self, target: Doc) -> Merchant:
        merchant = self.domain.merchants.for_tenant(target["tenant"])
        if merchant is None:
            raise LookupError(f"no ECPay merchant is tenant {target['tenant']}")
        return merchant


def _encoded(fields: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    return urllib.parse.urlencode(fields).encode(), {
        "Content-Type": "application/x-www-form-urlencoded"}
