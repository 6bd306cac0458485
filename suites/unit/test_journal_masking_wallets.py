"""The journal's masked body copies hide the wallets' credentials: PayPal's access tokens
and approval-page sessions, and merchant keys in any gateway's JSON."""

from __future__ import annotations

import orjson
import pytest
from paylab.simulator.journal_bodies import MASK, mask_text, masked_body

TOKEN = "A21AAPaylabAccessTokenThatMustNeverShow0123456789"
SESSION = "Zk3pQ9mW2xY7vB4nT8sR1uE6oL5cJ0hG"


def test_an_access_token_answer_is_masked() -> None:
    body = orjson.dumps({"scope": "https://uri.paypal.com/services/payments",
                         "access_token": TOKEN, "token_type": "Bearer", "expires_in": 32400})
    shown = masked_body(body, "application/json")
    assert TOKEN not in shown and MASK in shown and "Bearer" in shown


def test_an_approval_link_loses_its_session_but_keeps_the_order() -> None:
    link = f"http://127.0.0.1:8080/paypal/checkoutnow?token=5O190127TN364715T&session={SESSION}"
    body = orjson.dumps({"links": [{"href": link, "rel": "approve", "method": "GET"}]})
    shown = masked_body(body, "application/json")
    assert SESSION not in shown
    assert SESSION not in mask_text(link)


@pytest.mark.parametrize("key", ["secret_key", "hash_key", "hash_iv", "channel_secret",
                                 "refresh_token"])
def test_merchant_keys_in_json_are_masked(key: str) -> None:
    shown = masked_body(orjson.dumps({"gateway": "jkopay", key: "s3cr3tValue-0123"}),
                        "application/json")
    assert "s3cr3tValue-0123" not in shown
