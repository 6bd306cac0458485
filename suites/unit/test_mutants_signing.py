"""The signing schemes' edges, beyond the published vectors: what the Stripe verifier
accepts and refuses, Standard Webhooks secrets, ECPay's encoding and MAC choice."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest
from paylab.simulator.webhooks import signing

SECRET = "whsec_signing_unit"
BODY = b'{"id":"evt_1"}'
NOW = 1_800_000_000


def header(at: int = NOW, body: bytes = BODY, secret: str = SECRET) -> str:
    return signing.stripe_signature_header(secret, at, body)


def v1(at: int = NOW, body: bytes = BODY, secret: str = SECRET) -> str:
    return signing.stripe_signature(secret, at, body)


def test_the_stripe_signature_is_hex_hmac_of_timestamp_dot_body() -> None:
    expected = hmac.new(SECRET.encode(), f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert v1() == expected
    assert header() == f"t={NOW},v1={expected}"


@pytest.mark.parametrize(("signed", "accepted"), [
    (NOW - 300, True), (NOW - 301, False), (NOW + 10_000, True), (NOW, True),
])
def test_the_tolerance_bounds_the_age_inclusively(signed: int, accepted: bool) -> None:
    assert signing.verify_stripe_header(header(signed), BODY, SECRET, now=NOW) is accepted


def test_a_zero_tolerance_accepts_any_age_and_a_custom_one_applies() -> None:
    old = header(NOW - 10_000)
    assert signing.verify_stripe_header(old, BODY, SECRET, now=NOW, tolerance=0)
    assert not signing.verify_stripe_header(header(NOW - 11), BODY, SECRET, now=NOW,
                                            tolerance=10)
    assert signing.verify_stripe_header(header(NOW - 10), BODY, SECRET, now=NOW, tolerance=10)


@pytest.mark.parametrize("text", [
    f"t={NOW}, v1={v1()}",                      # spaces after commas, as some proxies write
    f"v1={'0' * 64},t={NOW},v1={v1()}",          # any v1 may match
    f"t={NOW},v0={'0' * 64},v1={v1()},x=1",      # other schemes and keys are ignored
])
def test_signature_headers_in_any_reasonable_layout_verify(text: str) -> None:
    assert signing.verify_stripe_header(text, BODY, SECRET, now=NOW)


@pytest.mark.parametrize("text", [
    "", f"v1={v1()}", f"t={NOW}", f"t=,v1={v1()}", f"t=abc,v1={v1()}", f"t={NOW},v1=",
    f"t={NOW},v0={v1()}", f"t={NOW},v1={v1().upper()}", f"t={NOW + 1},v1={v1()}",
    f"t=-{NOW},v1={v1()}", f"T={NOW},V1={v1()}",
])
def test_headers_without_a_usable_timestamp_or_signature_fail(text: str) -> None:
    assert not signing.verify_stripe_header(text, BODY, SECRET, now=NOW)


def test_signatures_that_are_not_text_fail_without_an_error() -> None:
    assert not signing.verify_stripe_header(f"t={NOW},v1=\udcff{v1()}", BODY, SECRET, now=NOW)
    params = {"MerchantID": "2000132"}
    assert not signing.verify_ecpay({**params, "CheckMacValue": "\udcff" * 64}, "k", "v")


def test_the_body_and_the_secret_must_be_exact() -> None:
    assert not signing.verify_stripe_header(header(), BODY + b"\n", SECRET, now=NOW)
    assert not signing.verify_stripe_header(header(), BODY, SECRET + "x", now=NOW)
    assert not signing.verify_stripe_header(header(secret=SECRET.removeprefix("whsec_")),
                                            BODY, SECRET, now=NOW)


def test_standard_webhooks_secrets_decode_with_or_without_prefix_and_padding() -> None:
    key = b"sixteen byte key"  # 16, 15 and 14 bytes: two, no and one padding characters
    for raw in (key, key[:15], key[:14], key + b"sixbyt"):
        encoded = base64.b64encode(raw).decode()
        expected = "v1," + base64.b64encode(hmac.new(
            raw, b"msg_1.1700000000." + BODY, hashlib.sha256).digest()).decode()
        for secret in ("whsec_" + encoded, encoded, "whsec_" + encoded.rstrip("=")):
            assert signing.standard_webhooks_signature(secret, "msg_1", 1_700_000_000,
                                                       BODY) == expected


def test_ecpay_encoding_lowercases_and_keeps_dotnet_literals() -> None:
    assert signing.ecpay_urlencode("A-B_C.D!E*F(G)H~ I") == "a-b_c.d!e*f(g)h%7e+i"
    assert signing.ecpay_urlencode("a/b=c&d") == "a%2fb%3dc%26d"
    assert signing.ecpay_urlencode("測") == "%e6%b8%ac"


def test_ecpay_mac_sorts_case_insensitively_and_ignores_its_own_field() -> None:
    params = {"b": "2", "A": "1", "c": "3"}
    text = signing.ecpay_urlencode("HashKey=k&A=1&b=2&c=3&HashIV=v")
    assert signing.ecpay_check_mac_value(params, "k", "v") == hashlib.sha256(
        text.encode()).hexdigest().upper()
    assert signing.ecpay_check_mac_value(params, "k", "v", 0) == hashlib.md5(  # noqa: S324
        text.encode()).hexdigest().upper()
    with_mac = {**params, "CheckMacValue": "ignored"}
    assert signing.ecpay_check_mac_value(with_mac, "k", "v") == signing.ecpay_check_mac_value(
        params, "k", "v")


def test_ecpay_mac_ignores_case_when_ordering_names() -> None:
    params = {"aZ": "1", "a_b": "2", "B": "3", "a": "4"}
    text = signing.ecpay_urlencode("HashKey=k&a=4&a_b=2&aZ=1&B=3&HashIV=v")
    assert signing.ecpay_check_mac_value(params, "k", "v") == hashlib.sha256(
        text.encode()).hexdigest().upper()


def test_ecpay_verification_picks_md5_by_length_and_ignores_case() -> None:
    params = {"MerchantID": "2000132", "TotalAmount": "100"}
    sha = signing.ecpay_check_mac_value(params, "k", "v", 1)
    md5 = signing.ecpay_check_mac_value(params, "k", "v", 0)
    assert len(sha) == 64 and len(md5) == 32
    assert signing.verify_ecpay({**params, "CheckMacValue": sha.lower()}, "k", "v")
    assert signing.verify_ecpay({**params, "CheckMacValue": md5}, "k", "v")
    assert not signing.verify_ecpay({**params, "CheckMacValue": md5}, "k", "other")
    assert not signing.verify_ecpay(params, "k", "v")


def test_newebpay_queries_are_sorted_and_plus_encoded() -> None:
    params = {"b": "x y", "a": "1&2"}
    query = "a=1%262&b=x+y"
    assert signing.newebpay_check_value(params, "K", "I") == hashlib.sha256(
        f"IV=I&{query}&Key=K".encode()).hexdigest().upper()
    assert signing.newebpay_check_code(params, "K", "I") == hashlib.sha256(
        f"HashIV=I&{query}&HashKey=K".encode()).hexdigest().upper()
    assert signing.newebpay_trade_sha("abc", "K", "I") == hashlib.sha256(
        b"HashKey=K&abc&HashIV=I").hexdigest().upper()


def test_linepay_and_jkopay_sign_what_they_say() -> None:
    message = b"secret/v3/payments{}nonce"
    assert signing.linepay_signature("secret", "/v3/payments", "{}", "nonce") == \
        base64.b64encode(hmac.new(b"secret", message, hashlib.sha256).digest()).decode()
    assert signing.jkopay_digest("secret", b"a=1") == hmac.new(
        b"secret", b"a=1", hashlib.sha256).hexdigest()
