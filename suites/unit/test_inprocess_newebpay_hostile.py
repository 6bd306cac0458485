"""Hostile input to NewebPay with a real merchant's keys (where a fuzzer without them cannot
reach): odd TradeInfo contents, broken multipart bodies, a client IP header, pages echoing
what the merchant sent. Never a 500, never a side effect behind an error; always escaped."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from paylab.simulator.core.orders import KIND
from paylab.simulator.gateways.newebpay import crypto
from paylab.suites.unit.inprocess import ClientFactory, Sim, start
from paylab.suites.unit.newebpay_client import NewebPay, posted_forms, shown


@pytest.fixture
async def sim(aiohttp_client: ClientFactory) -> Sim:
    return await start(aiohttp_client)


@pytest.fixture
def nwp(sim: Sim) -> NewebPay:
    return NewebPay(sim)


def stored(nwp: NewebPay) -> int:
    return len(nwp.sim.domain.objects.all_of(KIND, f"newebpay-{nwp.merchant_id}"))


@pytest.mark.parametrize(("fields", "code"), [
    ({"Amt": "99999999999999999999"}, "MPG01015"), ({"TimeStamp": "-1"}, "MPG01002"),
    ({"TimeStamp": "1e9"}, "MPG01002"), ({"OrderDetail": "[" * 500}, "MPG01028"),
    ({"OrderDetail": '[{"ItemAmt":1e400}]'}, "MPG01028"), ({"ExpireDate": "20261340"}, "MPG01018"),
    ({"TradeLimit": "-5"}, "MPG03009"), ({"NotifyURL": "http://[::1"}, "MPG01014"),
    ({"NotifyURL": "http://127.0.0.1:99999/x"}, "MPG01014"), ({"CVSCOM": "9"}, "MPG03009"),
    ({"Version": "2.0.1"}, "MPG02010"), ({"paylab.client_ip": "1.2.3.4", "Amt": 0}, "MPG01015"),
    # accepted: NewebPay filters odd characters out of ItemDesc; unknown fields are ignored
    ({"ItemDesc": "\x00\x01"}, None), ({"OrderDetail[0][ItemName]": "x"}, None),
])
async def test_odd_trade_info(nwp: NewebPay, fields: dict[str, Any], code: str | None) -> None:
    answer = await nwp.mpg(nwp.trade_info(**fields))
    if code is None:
        assert answer.status == 303, answer.text
        assert stored(nwp) == 1
        return
    assert answer.status == 200
    assert shown(answer.text, "error-code") == code
    assert stored(nwp) == 0


async def test_a_trade_info_that_is_not_utf8_is_mpg03009(nwp: NewebPay) -> None:
    raw = b"MerchantID=" + nwp.merchant_id.encode() + b"&ItemDesc=\xff\xfe"
    pad = 16 - len(raw) % 16
    enc = Cipher(algorithms.AES(nwp.hash_key.encode()), modes.CBC(nwp.hash_iv.encode())
                 ).encryptor()
    trade_info = (enc.update(raw + bytes([pad]) * pad) + enc.finalize()).hex()
    answer = await nwp.mpg(None, TradeInfo=trade_info,
                           TradeSha=crypto.trade_sha(trade_info, nwp.hash_key, nwp.hash_iv))
    assert shown(answer.text, "error-code") == "MPG03009"


@pytest.mark.parametrize("body", [b"--x\r\nbroken", b"", b"\xff\xfe\x00"])
async def test_broken_multipart_bodies_get_newebpays_json(nwp: NewebPay, body: bytes) -> None:
    answer = await nwp.sim._send("POST", "/newebpay/API/CreditCard/Cancel", data=body,
                                 headers={"Content-Type": "multipart/form-data; boundary=x"})
    assert answer.status == 200, answer.text
    assert answer.body["Status"] in ("MEM40013", "TRA10009")


async def test_a_file_in_a_multipart_body_is_refused(nwp: NewebPay) -> None:
    data = aiohttp.FormData()
    data.add_field("MerchantID_", nwp.merchant_id)
    data.add_field("PostData_", b"00", filename="x.bin")
    answer = await nwp.sim._send("POST", "/newebpay/API/CreditCard/Close", data=data)
    assert answer.body["Status"] == "MEM40013"


async def test_what_the_merchant_sent_is_escaped_on_every_page(nwp: NewebPay) -> None:
    evil = '"><script>alert(1)</script>'
    location = await nwp.start(ItemDesc=evil[:50], OrderComment=evil, CVS=1,
                               CustomerURL='http://127.0.0.1:9/c?a="><b>',
                               ClientBackURL="http://127.0.0.1:9/back?x=<i>")
    page = await nwp.sim.page("GET", location + "&method=CVS")
    assert "<script>alert" not in page.text and "&lt;script&gt;" in page.text
    assert "<i>" not in page.text
    await nwp.sim.page("POST", location, {"method": "CVS"})
    code = await nwp.sim.page("GET", location)
    assert "<b>" not in code.text
    assert posted_forms(code.text, auto=False)["customer-post"][0] == 'http://127.0.0.1:9/c?a="><b>'


async def test_the_client_ip_is_the_browsers_and_cannot_be_set_in_trade_info(
        nwp: NewebPay) -> None:
    info = nwp.trade_info(**{"paylab.client_ip": "6.6.6.6", "CVS": 1})
    answer = await nwp.sim._send("POST", "/newebpay/MPG/mpg_gateway", allow_redirects=False,
                                 data=nwp.mpg_form(info),
                                 headers={"X-Forwarded-For": "203.0.113.9, 10.0.0.1"})
    assert answer.status == 303
    [(_, order)] = nwp.sim.domain.objects.all_of(KIND, f"newebpay-{nwp.merchant_id}")
    assert order["extra"]["IP"] == "203.0.113.9"
