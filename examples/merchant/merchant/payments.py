"""Taking a payment, and what the shopper is told when it does not go through."""

from __future__ import annotations

from dataclasses import dataclass

import stripe


def make_client(api_key: str, api_base: str | None = None) -> stripe.StripeClient:
    """The Stripe client the shop uses. `api_base` points it elsewhere than Stripe (the
    paylab simulator in tests). Two retries with idempotency keys ride out a blip."""
    addresses = {"api": api_base} if api_base else {}
    return stripe.StripeClient(api_key, base_addresses=addresses,  # type: ignore[arg-type]
                               max_network_retries=2)


@dataclass(frozen=True)
class Payment:
    """The outcome the checkout page shows."""

    status: str  # "paid", "declined" or "try_again"
    intent_id: str | None = None
    message: str = ""


def pay(client: stripe.StripeClient, order_id: str, amount: int, currency: str,
        payment_method: str) -> Payment:
    """Charge the order's amount (in minor units) to the card, confirming at once."""
    try:
        intent = client.v1.payment_intents.create(params={
            "amount": amount, "currency": currency, "payment_method": payment_method,
            "confirm": True, "metadata": {"order_id": order_id}})
    except stripe.CardError as exc:
        return Payment("declined", message=exc.user_message or "Your card was declined.")
    except (stripe.APIConnectionError, stripe.APIError, stripe.RateLimitError):
        return Payment("try_again", message="Payments are unavailable; please try again.")
    return Payment("paid" if intent.status == "succeeded" else intent.status, intent.id)
