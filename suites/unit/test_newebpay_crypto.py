"""NewebPay's crypto on the published vectors N1-N8 (gateways.md 2.6), both directions, and
the padding rule: decryption takes any pad length 1-32 (SDKs pad to 32-byte blocks),
encryption emits PKCS7-16 as NewebPay does."""

from __future__ import annotations

import json
import re

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from paylab.simulator.gateways.newebpay import crypto, render
from paylab.simulator.gateways.newebpay.wire import to_sturdy_json


@pytest.fixture(scope="module")
def nb(vectors: dict) -> dict:
    return vectors["newebpay"]


@pytest.fixture(scope="module")
def creds(nb: dict) -> tuple[str, str]:
    return nb["credentials"]["hash_key"], nb["credentials"]["hash_iv"]


def _raw_encrypt(data: bytes, key: str, iv: str) -> str:
    """AES-256-CBC of already padded bytes (to build what other clients send)."""
    encryptor = Cipher(algorithms.AES(key.encode()), modes.CBC(iv.encode())).encryptor()
    return (encryptor.update(data) + encryptor.finalize()).hex()


def test_n1_n2_trade_info_and_trade_sha_of_a_request(nb: dict, creds: tuple[str, str]) -> None:
    for case in nb["trade_info_encrypt"]:
        trade_info = crypto.encrypt(case["plaintext"], *creds)
        assert trade_info == case["expected_trade_info"]
        assert crypto.trade_sha(trade_info, *creds) == case["expected_trade_sha"]
        assert crypto.decrypt(case["expected_trade_info"], *creds) == case["plaintext"]


def test_n1_plaintext_is_php_http_build_query_of_its_fields(nb: dict) -> None:
    plaintext = nb["trade_info_encrypt"][0]["plaintext"]
    fields = [tuple(p.split("=", 1)) for p in plaintext.split("&")]
    decoded = crypto.parse_query(plaintext)
    assert [k for k, _ in decoded] == [k for k, _ in fields]
    assert crypto.build_query(decoded) == plaintext


def test_n3_n4_notification_decrypts_and_encrypts_back(nb: dict, creds: tuple[str, str]) -> None:
    for case in nb["notify_decrypt"]:
        assert crypto.trade_sha(case["trade_info"], *creds) == case["expected_trade_sha"]
        assert crypto.decrypt(case["trade_info"], *creds) == case["expected_plaintext"]
        assert crypto.encrypt(case["expected_plaintext"], *creds) == case["trade_info"]


def test_n5_to_n8_check_value_and_check_code(nb: dict) -> None:
    for case in nb["check_value"]:
        assert crypto.check_value(case["params"], case["hash_key"],
                                  case["hash_iv"]) == case["expected"]
    for case in nb["check_code"]:
        assert crypto.check_code(case["params"], case["hash_key"],
                                 case["hash_iv"]) == case["expected"]
        wrong = {**case["params"], "Amt": "1"}
        assert crypto.check_code(wrong, case["hash_key"], case["hash_iv"]) != case["expected"]


def test_32_byte_padding_differs_from_pkcs7_16_and_both_decrypt(creds: tuple[str, str]) -> None:
    plaintext = "A" * 40  # 40 % 32 = 8 < 16: the two paddings differ (gateways.md 2.2, 8)
    pkcs7 = crypto.encrypt(plaintext, *creds)
    block32 = crypto.encrypt(plaintext, *creds, block=32)
    assert (len(pkcs7), len(block32)) == (96, 128)
    assert pkcs7.startswith("864f9daa") and pkcs7.endswith("a376c151")
    assert block32.startswith("864f9daa") and block32.endswith("bc602fda3e0665")
    assert crypto.decrypt(pkcs7, *creds) == crypto.decrypt(block32, *creds) == plaintext


@pytest.mark.parametrize("pad", range(1, 33))
def test_every_pad_length_from_1_to_32_is_accepted(pad: int, creds: tuple[str, str]) -> None:
    plaintext = "MerchantID=MS1&Amt=" + "9" * (64 - pad - 19)
    assert (len(plaintext) + pad) % 16 == 0
    hex_text = _raw_encrypt(plaintext.encode() + bytes([pad]) * pad, *creds)
    assert crypto.decrypt(hex_text, *creds) == plaintext
    assert crypto.decrypt(hex_text.upper(), *creds) == plaintext


@pytest.mark.parametrize("tail", [bytes(16), bytes([33]) * 48, b"\x05" * 12 + b"\x04\x05\x05\x05"])
def test_padding_no_client_sends_is_refused(tail: bytes, creds: tuple[str, str]) -> None:
    hex_text = _raw_encrypt(b"A" * 16 + tail, *creds)
    with pytest.raises(crypto.BadCipherText):
        crypto.decrypt(hex_text, *creds)


@pytest.mark.parametrize("text", ["", "zz", "abc", "00" * 15, "00" * 17])
def test_what_is_not_whole_hex_blocks_is_refused(text: str, creds: tuple[str, str]) -> None:
    with pytest.raises(crypto.BadCipherText):
        crypto.decrypt(text, *creds)


def test_another_merchants_key_does_not_decrypt(nb: dict) -> None:
    trade_info = nb["trade_info_encrypt"][0]["expected_trade_info"]
    with pytest.raises(crypto.BadCipherText):
        crypto.decrypt(trade_info, "B" * 32, "C6AcmfqJILwgnhIP")


def test_keys_of_the_wrong_length_are_refused() -> None:
    with pytest.raises(crypto.BadCipherText):
        crypto.encrypt("x", "short", "C6AcmfqJILwgnhIP")


def test_same_digest_ignores_case_and_refuses_other_digests(nb: dict) -> None:
    sha = nb["trade_info_encrypt"][0]["expected_trade_sha"]
    assert crypto.same_digest(sha, sha.lower())
    assert not crypto.same_digest(sha, sha[:-1] + "0")
    assert not crypto.same_digest(sha, None)
    assert not crypto.same_digest(sha, "é")


def test_sturdy_json_survives_stripping_bytes_0x00_to_0x20() -> None:
    value = {"Status": "SUCCESS", "Message": "授權成功",
             "Result": {"PayTime": "2026-12-02 14:21:59", "ItemDesc": "a b\tc", "Amt": 30}}
    text = to_sturdy_json(value)
    stripped = re.sub(r"[\x00-\x20]+", "", text)  # what newebpay-mpg-sdk does (gateways.md 8)
    assert stripped == text
    assert json.loads(stripped) == value
    assert "\\u0020" in text and "\\u6388" in text


def test_trade_no_is_the_reference_and_its_digit_sum_check() -> None:
    assert render.trade_no({"reference": "2309271421583507"}) == "23092714215835079"
    assert render.reference_of("23092714215835079") == "2309271421583507"
    assert render.reference_of("23092714215835071") is None
    assert render.reference_of("2309271421583507") is None
    assert render.reference_of("2309271421583507x") is None
