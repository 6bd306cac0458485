"""Everything the shop asks the payment gateway, through the official stripe SDK.

This is the part to copy into your own shop: create a Checkout Session for an order,
register the webhook endpoint whose secret verifies what the gateway sends back, and read
a session back from the gateway before fulfilling what a webhook says about it.
"""

from __future__ import annotations

import logging
from typing import Any

import stripe
from paylab.shop.catalog import Catalog
from paylab.shop.db import ShopDB
from paylab.shop.settings import ShopSettings

log = logging.getLogger("paylab.shop.gateway")
# stripe-python logs whole response bodies at DEBUG, and the answer that registers the
# webhook endpoint holds its signing secret: keep those lines out of any log. Its INFO
# lines (one per call) only crowd the start-up output.
logging.getLogger("stripe").setLevel(logging.WARNING)

EVENTS = ["checkout.session.completed", "checkout.session.expired",
          "payment_intent.payment_failed"]


class Gateway:
    """The shop's Stripe client (async, so the shop's event loop never blocks on it)."""

    def __init__(self, settings: ShopSettings, db: ShopDB) -> None:
        if not settings.api_key:
            raise ValueError("no API key: create_app uses the database's when none is set")
        self.settings = settings
        self.db = db
        self._http = stripe.AIOHTTPClient()
        self.client = stripe.StripeClient(
            settings.api_key,
            base_addresses={"api": f"{settings.gateway_url.rstrip('/')}/stripe"},
            http_client=self._http,
            max_network_retries=2,  # the SDK adds an Idempotency-Key, so retries are safe
        )

    async def close(self) -> None:
        """Close the SDK's aiohttp session (else aiohttp warns "Unclosed client session")."""
        await self._http.close_async()

    async def checkout(self, order: dict[str, Any], catalog: Catalog) -> str:
        """Create the Checkout Session that pays `order`; returns its hosted page URL."""
        base = self.settings.base_url
        line_items = []
        for item in order["items"]:
            product = catalog.get(item["product"])
            assert product is not None
            line_items.append({"quantity": item["quantity"], "price_data": {
                "currency": order["currency"], "unit_amount": product.price,
                "product_data": {"name": product.name, "description": product.description},
            }})
        session = await self.client.v1.checkout.sessions.create_async(params={
            "mode": "payment",
            "line_items": line_items,
            "client_reference_id": order["id"],
            "metadata": {"order_id": order["id"], "merchant_name": self.settings.name},
            "payment_intent_data": {"metadata": {"order_id": order["id"]}},
            "success_url": f"{base}/orders/{order['id']}?session_id={{CHECKOUT_SESSION_ID}}",
            "cancel_url": f"{base}/cart?canceled=1",
        }, options={"idempotency_key": f"checkout-{order['id']}"})
        self.db.set_session(order["id"], session.id)
        return session.url

    async def checkout_session(self, session_id: str) -> dict[str, Any] | None:
        """The gateway's own copy of a Checkout Session, or None when it has none (so a
        webhook about it is forged). Any other failure (network, 5xx, rate limit) raises
        stripe.StripeError: the gateway may know the session, so ask again later."""
        try:
            session = await self.client.v1.checkout.sessions.retrieve_async(session_id)
        except stripe.InvalidRequestError as exc:
            if exc.code == "resource_missing":
                return None
            raise
        return session.to_dict()

    async def webhook_secret(self) -> str:
        """The signing secret of this shop's webhook endpoint, registering it if needed."""
        url = f"{self.settings.base_url}/webhooks/stripe"
        endpoint_id, secret = self.db.get_config("endpoint_id"), self.db.get_config("secret")
        if endpoint_id and secret and self.db.get_config("endpoint_url") == url:
            try:
                await self.client.v1.webhook_endpoints.retrieve_async(endpoint_id)
                return secret
            except stripe.InvalidRequestError:
                log.info("webhook endpoint %s is gone; registering a new one", endpoint_id)
        endpoint = await self.client.v1.webhook_endpoints.create_async(params={
            "url": url, "enabled_events": EVENTS, "description": self.settings.name})
        self.db.set_config("endpoint_id", endpoint.id)
        self.db.set_config("endpoint_url", url)
        self.db.set_config("secret", endpoint.secret)
        log.info("registered webhook endpoint %s -> %s", endpoint.id, url)
        return endpoint.secret
