"""What a receiver's answer to a webhook probe means, as a verdict users can gate on.

A forged or stale delivery must be refused: a 2xx means the receiver acted on it
(`vulnerable`), a 4xx that it refused it (`safe`). A genuine delivery must be accepted
(`ok`; a 4xx is `rejected`). A 5xx, a redirect or no answer at all is neither acceptance
nor refusal (`error`, saying why): the sender would retry it.

A replay is the one case a 2xx can be right: an idempotent receiver acknowledges a
duplicate it has already handled (Stripe asks receivers to), and while the signature is
inside the verifier's tolerance nothing but the receiver's own state can tell whether it
was applied twice. So a replay acknowledged inside the tolerance is `acknowledged` (check
your state), and only one acknowledged outside it, where a timestamp check must refuse
it, is `vulnerable`.
"""

from __future__ import annotations

#: Stripe's default signature tolerance (`stripe.Webhook.DEFAULT_TOLERANCE`), seconds.
TOLERANCE = 300
GENUINE = "genuine"

Verdict = tuple[str, str]


def judge(attack: str, status: int | None, error: str | None,
          replay_age: float | None = None, contract: bool | None = None) -> Verdict:
    """(verdict, reason) for the receiver's answer `status` (None: none, see `error`) to
    a probe of kind `attack`; `replay_age`: how old the replayed signature was.
    `contract`: whether the answer met the gateway's success contract, where it asks more
    than a 2xx (ECPay's body `1|OK`): a 2xx that does not is a refusal."""
    if status is None:
        return "error", f"no answer from the receiver ({error or 'no status'}): a sender " \
                        "would retry, neither accepted nor refused"
    if status >= 500:
        return "error", f"the receiver failed with {status}: a sender would retry; fix the " \
                        "receiver, then probe again"
    if not 200 <= status < 500 or 300 <= status < 400:
        return "error", f"the receiver answered {status} (not 2xx or 4xx): webhook senders " \
                        "do not follow redirects, so this is neither accepted nor refused"
    accepted = status < 300 and contract is not False
    if attack == GENUINE:
        return ("ok", f"a genuine, correctly signed delivery was accepted ({status})") \
            if accepted else ("rejected", f"a genuine, correctly signed delivery was "
                                          f"refused ({status}): real events would be lost")
    if not accepted:
        return "safe", f"refused ({status})"
    if attack == "replay" and (replay_age is None or replay_age <= TOLERANCE):
        return "acknowledged", (
            f"the replay was acknowledged ({status}) while its signature is still inside the "
            f"{TOLERANCE} s tolerance: right for an idempotent receiver, vulnerable if it "
            "applied the event twice (check your receiver's state)")
    if attack == "replay":
        return "vulnerable", f"accepted ({status}) a replay signed {replay_age:.0f} s ago, " \
                             f"outside the {TOLERANCE} s tolerance"
    return "vulnerable", f"accepted ({status}) a {attack} delivery it must refuse"
