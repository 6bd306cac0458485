"""The shop's own client, pointed at the paylab simulator for the test's tenant.

paylab's plugin gives `paylab_simulator` (started for the session, or the one at
--paylab-url), `paylab_api_key` (a fresh tenant per test), `paylab_stripe`,
`paylab_control` and `paylab_webhooks`; nothing else is needed to use them.
"""

from __future__ import annotations

import pytest
import stripe
from merchant.payments import make_client


@pytest.fixture
def shop_client(paylab_simulator, paylab_api_key: str) -> stripe.StripeClient:
    """The client exactly as the shop builds it, with the simulator as its API base."""
    return make_client(paylab_api_key, paylab_simulator.stripe_url)
