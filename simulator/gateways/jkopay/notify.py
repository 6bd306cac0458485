"""JKOPay's result_url callbacks: the order's transaction as JSON, signed with the same
`digest` header as requests to JKOPay (our reading: JKOPay's documents do not say that the
callback is signed; gateways.md 4 marks it [I]).

Success contract (our reading): the merchant's HTTP 200 acknowledges it, whatever the body.
Retries: ys-cart-jkopay notes JKOPay retries a failed callback up to 12 times; the delays
are not documented, so the simulator uses a schedule that grows from one minute to eight
hours (about 27 hours in all). An explicit --retry-schedule overrides it, as every
gateway's.
"""

from __future__ import annotations

from paylab.simulator.core.domain import Domain
from paylab.simulator.core.merchants import Merchant
from paylab.simulator.core.objects import Doc
from paylab.simulator.gateways.jkopay import render, wire

USER_AGENT = "JKOPay-Callback (paylab simulator)"
#: Twelve retries after the first attempt (seconds between attempts; our reading).
RETRY_SCHEDULE = (60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 3600.0, 7200.0,
                  14400.0, 21600.0, 28800.0)
#: Probe kinds that need a signed time or a signature version, which the callback lacks.
UNSUPPORTED = ("stale", "future", "v0_only")


class JkoPayNotifier:
    """Renders order events as JKOPay posts them to result_url."""

    retry_schedule = RETRY_SCHEDULE

    def __init__(self, domain: Domain) -> None:
        self.domain = domain

    @staticmethod
    def accepts(status_code: int, body: str) -> bool:
        """Only HTTP 200 counts (our reading)."""
        return status_code == 200

    def render(self, event: Doc, target: Doc, wall_time: int, *,
               bad_signature: bool = False) -> tuple[bytes, dict[str, str]]:
        """The JSON body and its digest (the same bytes on every attempt)."""
        body = wire.to_json(render.callback(event["object"]))
        return body, self._headers(body, self._secret(target, wrong=bad_signature))

    def forge(self, attack: str, event: Doc, target: Doc, now: int,
              signed_at: int | None) -> tuple[bytes, dict[str, str]]:
        """A callback with one attack: replay (the genuine bytes again), tampered
        (final_price changed after signing), wrong_secret, missing_signature, or genuine.
        LookupError for stale, future and v0_only: the callback signs no time and has one
        signature scheme."""
        if attack in UNSUPPORTED:
            raise LookupError(f"JKOPay callbacks carry no signed time or signature version: "
                              f"a {attack} probe does not apply to them")
        body = wire.to_json(render.callback(event["object"]))
        headers = self._headers(body, self._secret(target, wrong=attack == "wrong_secret"))
        if attack == "tampered":
            payload = render.callback(event["object"])
            payload["transaction"]["final_price"] = 1
            payload["transaction"]["debit_amount"] = 1
            body = wire.to_json(payload)
        elif attack == "missing_signature":
            del headers["digest"]
        return body, headers

    # -- internals ------------------------------------------------------------------------
    def _secret(self, target: Doc, *, wrong: bool) -> str:
        secret = self._merchant(target).hash_key
        # a wrong secret for `bad_signature` effects and wrong_secret probes: the real
        # one reversed (never a valid key of this store)
        return secret[::-1] if wrong else secret

    def _merchant(self, target: Doc) -> Merchant:
        merchant = self.domain.merchants.for_tenant(target["tenant"])
        if merchant is None:
            raise LookupError(f"no JKOPay store is tenant {target['tenant']}")
        return merchant

    @staticmethod
    def _headers(body: bytes, secret: str) -> dict[str, str]:
        return {"Content-Type": "application/json", "digest": wire.digest(secret, body),
                "User-Agent": USER_AGENT}
