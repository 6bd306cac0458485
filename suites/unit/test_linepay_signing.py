"""LINE Pay's request signature both ways: the simulator's verifier reproduces the held
vectors, accepts what the `line-pay` SDK and `linepay_signature` sign, and refuses any
one-byte change to the path, the body, the nonce or the signature."""

from __future__ import annotations

import json
from typing import Any

import pytest
from linepay import LinePayApi
from paylab.simulator.gateways.linepay import signature
from paylab.simulator.webhooks.signing import linepay_signature

SECRET = "8d3c1f5a0b7e4c2d9f6a1b3c5d7e9f02"
PATH = "/v3/payments/request"


def _payload(vector: dict[str, Any]) -> bytes:
    return (vector.get("body") or vector.get("query") or "").encode()


def test_the_verifier_reproduces_every_held_vector(vectors: dict[str, Any]) -> None:
    held = vectors["linepay_signature"]
    assert held
    for v in held:
        assert signature.sign(v["channel_secret"], v["uri"], _payload(v), v["nonce"]) \
            == v["expected"]
        assert signature.verify(v["channel_secret"], v["uri"], _payload(v), v["nonce"],
                                v["expected"])


def test_it_accepts_what_the_shared_signing_helper_signs(vectors: dict[str, Any]) -> None:
    for v in vectors["linepay_signature"]:
        made = linepay_signature(v["channel_secret"], v["uri"], _payload(v).decode(),
                                 v["nonce"])
        assert signature.verify(v["channel_secret"], v["uri"], _payload(v), v["nonce"], made)


def _sdk_signed(body: str) -> dict[str, str]:
    api = LinePayApi("1650000001", SECRET, is_sandbox=True)
    return api.sign(api.headers, PATH, body)


def test_it_accepts_what_the_sdk_signs_over_its_own_bytes() -> None:
    # the SDK sends json.dumps output: spaces after separators, \u escapes, float amounts
    body = json.dumps({"amount": 100.0, "currency": "TWD", "orderId": "茶-1"})
    headers = _sdk_signed(body)
    assert "\\u" in body
    assert signature.verify(SECRET, PATH, body.encode(), headers["X-LINE-Authorization-Nonce"],
                            headers["X-LINE-Authorization"])
    # a re-serialisation of the same JSON is other bytes: not what was signed
    compact = json.dumps(json.loads(body), separators=(",", ":"), ensure_ascii=False)
    assert not signature.verify(SECRET, PATH, compact.encode(),
                                headers["X-LINE-Authorization-Nonce"],
                                headers["X-LINE-Authorization"])


def _flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1:]


@pytest.mark.parametrize("part", ["path", "body", "nonce", "signature", "secret"])
def test_a_one_byte_change_anywhere_is_refused(part: str) -> None:
    body = json.dumps({"amount": 100.0, "currency": "TWD"})
    headers = _sdk_signed(body)
    args = {"secret": SECRET, "path": PATH, "payload": body.encode(),
            "nonce": headers["X-LINE-Authorization-Nonce"],
            "given": headers["X-LINE-Authorization"]}
    assert signature.verify(**args)
    for at in (0, len(str(args[_key(part)])) // 2, -1):
        changed = dict(args)
        value = args[_key(part)]
        raw = value if isinstance(value, bytes) else value.encode()
        flipped = _flip(raw, at % len(raw))
        changed[_key(part)] = flipped if isinstance(value, bytes) else flipped.decode()
        assert not signature.verify(**changed), (part, at)


def _key(part: str) -> str:
    return {"body": "payload", "signature": "given"}.get(part, part)


def test_a_signature_that_is_not_ascii_is_refused_not_raised() -> None:
    assert not signature.verify(SECRET, PATH, b"{}", "n", "签名")
