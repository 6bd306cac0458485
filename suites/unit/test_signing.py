"""Every signing scheme against the published vectors, and against the real verifiers."""

from __future__ import annotations

import base64
import json

import pytest
import standardwebhooks
import stripe
from paylab.simulator.webhooks import signing


def test_ecpay_check_mac_value_vectors(vectors: dict) -> None:
    for case in vectors["ecpay_check_mac_value"]:
        got = signing.ecpay_check_mac_value(case["params"], case["hash_key"], case["hash_iv"],
                                            case["encrypt_type"])
        assert got == case["expected"], case["name"]
        assert signing.verify_ecpay({**case["params"], "CheckMacValue": got},
                                    case["hash_key"], case["hash_iv"])


def test_ecpay_urlencode_vectors(vectors: dict) -> None:
    for case in vectors["ecpay_urlencode"]:
        assert signing.ecpay_urlencode(case["input"]) == case["expected"]


def test_ecpay_verification_rejects_a_changed_field(vectors: dict) -> None:
    case = vectors["ecpay_check_mac_value"][0]
    tampered = {**case["params"], "TotalAmount": "1", "CheckMacValue": case["expected"]}
    assert not signing.verify_ecpay(tampered, case["hash_key"], case["hash_iv"])


def test_newebpay_vectors(vectors: dict) -> None:
    nb = vectors["newebpay"]
    creds = nb["credentials"]
    for case in nb["trade_info_encrypt"]:
        assert signing.newebpay_trade_sha(case["expected_trade_info"], creds["hash_key"],
                                          creds["hash_iv"]) == case["expected_trade_sha"]
    for case in nb["notify_decrypt"]:
        assert signing.newebpay_trade_sha(case["trade_info"], creds["hash_key"],
                                          creds["hash_iv"]) == case["expected_trade_sha"]
    for case in nb["check_value"]:
        assert signing.newebpay_check_value(case["params"], case["hash_key"],
                                            case["hash_iv"]) == case["expected"]
    for case in nb["check_code"]:
        assert signing.newebpay_check_code(case["params"], case["hash_key"],
                                           case["hash_iv"]) == case["expected"]


def test_linepay_vectors(vectors: dict) -> None:
    for case in vectors["linepay_signature"]:
        payload = case.get("body") or case.get("query")
        assert signing.linepay_signature(case["channel_secret"], case["uri"], payload,
                                         case["nonce"]) == case["expected"]


def test_jkopay_vectors(vectors: dict) -> None:
    for case in vectors["jkopay_digest"]:
        assert signing.jkopay_digest(case["secret"], case["body"].encode()) == case["expected"]


def test_standard_webhooks_vector_and_reference_verifier(vectors: dict) -> None:
    for case in vectors["standard_webhooks"]:
        signature = signing.standard_webhooks_signature(
            case["secret"], case["msg_id"], case["timestamp"], case["body"].encode())
        assert signature == case["expected"]
    # the reference library verifies what we sign (with a current timestamp)
    secret = "whsec_" + base64.b64encode(b"paylab-standard-webhooks-key-32b").decode()
    import time
    now = int(time.time())
    body = json.dumps({"type": "payment.succeeded"}).encode()
    headers = {"webhook-id": "msg_1", "webhook-timestamp": str(now),
               "webhook-signature": signing.standard_webhooks_signature(secret, "msg_1", now,
                                                                        body)}
    assert standardwebhooks.Webhook(secret).verify(body, headers) == {"type": "payment.succeeded"}
    headers["webhook-signature"] = signing.standard_webhooks_signature(secret, "msg_2", now, body)
    with pytest.raises(standardwebhooks.webhooks.WebhookVerificationError):
        standardwebhooks.Webhook(secret).verify(body, headers)


def test_stripe_vector(vectors: dict) -> None:
    for case in vectors["stripe_signature"]:
        header = signing.stripe_signature_header(case["secret"], case["timestamp"],
                                                 case["body"].encode())
        assert header == case["expected_header"]


def test_stripe_sdk_verifies_our_header_and_we_agree_on_rejections() -> None:
    import time
    secret, body, now = "whsec_unit", b'{"id":"evt_1","object":"event"}', int(time.time())
    header = signing.stripe_signature_header(secret, now, body)
    stripe.WebhookSignature.verify_header(body.decode(), header, secret, tolerance=300)
    assert signing.verify_stripe_header(header, body, secret, now=now)
    for bad_body, bad_header, bad_secret in [
        (body + b" ", header, secret),
        (body, header, "whsec_other"),
        (body, signing.stripe_signature_header(secret, now - 301, body), secret),
        (body, header.replace("v1=", "v0="), secret),
    ]:
        with pytest.raises(stripe.SignatureVerificationError):
            stripe.WebhookSignature.verify_header(bad_body.decode(), bad_header, bad_secret,
                                                  tolerance=300)
        assert not signing.verify_stripe_header(bad_header, bad_body, bad_secret, now=now)


def test_stripe_verifier_reads_the_first_timestamp_as_the_sdk_does() -> None:
    import time
    secret, body, now = "whsec_unit", b'{"id":"evt_1"}', int(time.time())
    stale = signing.stripe_signature_header(secret, now - 3600, body)
    smuggled = f"t={now}," + stale  # a fresh `t` first, the signature of a stale one
    assert not signing.verify_stripe_header(smuggled, body, secret, now=now)
    fresh = signing.stripe_signature_header(secret, now, body)
    for hostile in (f"t=+{now},{fresh}", f"t=\u00b2,{fresh}", f"{fresh},v1=\u00e9t\u00e9"):
        signing.verify_stripe_header(hostile, body, secret, now=now)  # an answer, no error
    assert not signing.verify_stripe_header(f"t=\u00b2{now},{fresh.split(',')[1]}", body,
                                            secret, now=now)


def test_ecpay_verifier_answers_false_to_non_ascii_values(vectors: dict) -> None:
    case = vectors["ecpay_check_mac_value"][0]
    assert not signing.verify_ecpay({**case["params"], "CheckMacValue": "\u00e9" * 64},
                                    case["hash_key"], case["hash_iv"])
