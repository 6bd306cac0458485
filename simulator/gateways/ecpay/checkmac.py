"""CheckMacValue for one merchant: sign what ECPay sends, verify what it receives.

The algorithm itself (gateways.md 1.4, proven on the vectors) lives in
`simulator.webhooks.signing`; this module binds it to a merchant's HashKey and HashIV and
to the `EncryptType` a request names (1: SHA256, 0: legacy MD5).
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping

from paylab.simulator.core.merchants import Merchant
from paylab.simulator.webhooks.signing import ecpay_check_mac_value

FIELD = "CheckMacValue"
SHA256, MD5 = 1, 0


def sign(fields: Mapping[str, str], merchant: Merchant, encrypt_type: int = SHA256) -> str:
    """The CheckMacValue of `fields` (any CheckMacValue among them is left out)."""
    return ecpay_check_mac_value(fields, merchant.hash_key, merchant.hash_iv, encrypt_type)


def signed(fields: Mapping[str, str], merchant: Merchant, encrypt_type: int = SHA256
           ) -> dict[str, str]:
    """`fields` with their CheckMacValue added last."""
    return {**fields, FIELD: sign(fields, merchant, encrypt_type)}


def verify(fields: Mapping[str, str], merchant: Merchant, encrypt_type: int = SHA256) -> bool:
    """Whether `fields` carry the CheckMacValue this merchant's keys give them (compared
    case-insensitively, in constant time)."""
    given = fields.get(FIELD, "")
    expected = sign(fields, merchant, encrypt_type)
    return hmac.compare_digest(expected.encode(),
                               given.upper().encode("utf-8", "surrogateescape"))
