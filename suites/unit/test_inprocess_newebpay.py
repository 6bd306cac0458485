"""NewebPay's MPG gateway in process: a valid form opens the hosted MPG page; every bad one
gets NewebPay's MPG error page with its code, and stores nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from paylab.simulator.core.orders import KIND
from paylab.simulator.gateways.newebpay import crypto
from paylab.simulator.gateways.newebpay.render import TAIPEI
from paylab.suites.unit.inprocess import ClientFactory, Sim, start
from paylab.suites.unit.newebpay_client import NewebPay, shown

TENANT_PREFIX = "newebpay-"


@pytest.fixture
async def sim(aiohttp_client: ClientFactory) -> Sim:
    return await start(aiohttp_client)


@pytest.fixture
def nwp(sim: Sim) -> NewebPay:
    return NewebPay(sim)


def orders(sim: Sim, merchant: NewebPay) -> list[dict[str, Any]]:
    return [o for _, o in sim.domain.objects.all_of(KIND, TENANT_PREFIX + merchant.merchant_id)]


async def refused(nwp: NewebPay, code: str, info: dict[str, Any] | None = None,
                  **outer: Any) -> str:
    """Post the form; assert NewebPay's error page with `code`; return its message."""
    answer = await nwp.mpg(info, **outer)
    assert answer.status == 200, answer.text
    assert shown(answer.text, "error-code") == code, answer.text
    assert orders(nwp.sim, nwp) == []
    return shown(answer.text, "error-message") or ""


async def test_a_valid_form_opens_the_mpg_page_of_a_new_order(nwp: NewebPay) -> None:
    answer = await nwp.mpg()
    assert answer.status == 303
    location = answer.headers["Location"]
    assert location.startswith("/newebpay/MPG/pay/ord_") and "?token=" in location
    [order] = orders(nwp.sim, nwp)
    assert (order["merchant_order_no"], order["amount"], order["currency"]) == ("Order_1", 100,
                                                                               "twd")
    assert order["methods"] == ["card", "atm", "webatm", "cvs", "barcode"]
    page = await nwp.sim.page("GET", location)
    assert page.status == 200
    for name in ("Credit card", "ATM transfer", "Convenience store code", "Barcode", "WebATM"):
        assert f">{name} <span" in page.text
    assert shown(page.text, "mpg-order") == "Order_1"
    assert shown(page.text, "mpg-total") == "NT$100"
    token = location.split("token=")[1]
    assert f'href="{location.split("?")[0]}?token={token}&amp;method=CVS" role="button"' \
        in page.text
    assert '" aria-current="true"' not in page.text
    chosen = await nwp.sim.page("GET", location + "&method=CVS")
    assert 'data-testid="method-cvs" aria-current="true"' in chosen.text
    assert 'name="token"' not in chosen.text  # the token travels in URLs the journal masks


async def test_the_page_token_is_the_credential(nwp: NewebPay) -> None:
    location = await nwp.start()
    stolen = location.split("?")[0] + "?token=guess"
    assert (await nwp.sim.page("GET", stolen)).status == 404
    assert (await nwp.sim.page("GET", location.split("?")[0])).status == 404


async def test_a_32_byte_padded_trade_info_is_accepted(nwp: NewebPay) -> None:
    # a plaintext whose length mod 32 is below 16, so the two paddings differ (gateways.md 8)
    info = nwp.trade_info(ItemDesc="x")
    while len(crypto.build_query(info)) % 32 >= 16:
        info["ItemDesc"] += "x"
    form = nwp.mpg_form(info, block=32)
    assert len(form["TradeInfo"]) != len(nwp.mpg_form(info)["TradeInfo"])
    answer = await nwp.sim.page("POST", "/newebpay/MPG/mpg_gateway", form)
    assert answer.status == 303, answer.text


async def test_a_tampered_trade_sha_is_mpg03009(nwp: NewebPay) -> None:
    sha = nwp.mpg_form(nwp.trade_info())["TradeSha"]
    wrong = sha[:-1] + ("1" if sha.endswith("0") else "0")
    message = await refused(nwp, "MPG03009", None, TradeSha=wrong)
    assert "TradeSha" in message


async def test_trade_info_encrypted_with_another_key_is_mpg03009(nwp: NewebPay) -> None:
    other = NewebPay(nwp.sim, hash_key="B" * 32)
    form = other.mpg_form(other.trade_info())
    await refused(nwp, "MPG03009", None, TradeInfo=form["TradeInfo"],
                  TradeSha=nwp.mpg_form(nwp.trade_info())["TradeSha"])


@pytest.mark.parametrize(("outer", "code"), [
    ({"TradeInfo": None}, "MPG01023"), ({"TradeSha": None}, "MPG01024"),
    ({"Version": None}, "MPG01010"), ({"Version": "abc"}, "MPG01010"),
    ({"Version": "1.5"}, "MPG02010"), ({"Version": "2.4"}, "MPG02010"),
    ({"EncryptType": "1"}, "MPG03009"), ({"MerchantID": None}, "MPG01009"),
    ({"MerchantID": "MS999999999"}, "MPG02002"),
])
async def test_outer_form_errors(nwp: NewebPay, outer: dict[str, Any], code: str) -> None:
    await refused(nwp, code, None, **outer)


@pytest.mark.parametrize("version", ["2.0", "2.1", "2.2", "2.3"])
async def test_versions_2_0_to_2_3_are_accepted(nwp: NewebPay, version: str) -> None:
    assert (await nwp.mpg(nwp.trade_info(Version=version))).status == 303


async def test_an_unsupported_version_inside_trade_info_is_mpg02010(nwp: NewebPay) -> None:
    await refused(nwp, "MPG02010", nwp.trade_info(Version="1.6"), Version="2.0")


async def test_a_stale_or_future_timestamp_is_mpg02004(nwp: NewebPay) -> None:
    await refused(nwp, "MPG02004", nwp.trade_info(TimeStamp=nwp.now() - 121))
    await refused(nwp, "MPG02004", nwp.trade_info(TimeStamp=nwp.now() + 600))
    assert (await nwp.mpg(nwp.trade_info(TimeStamp=nwp.now() - 119))).status == 303


async def test_the_timestamp_window_follows_the_virtual_clock(nwp: NewebPay) -> None:
    nwp.sim.domain.advance_clock(3600)
    assert (await nwp.mpg(nwp.trade_info(MerchantOrderNo="virtual"))).status == 303


async def test_a_duplicate_merchant_order_no_is_mpg03008(nwp: NewebPay) -> None:
    assert (await nwp.mpg()).status == 303
    answer = await nwp.mpg()
    assert shown(answer.text, "error-code") == "MPG03008"
    assert len(orders(nwp.sim, nwp)) == 1


async def test_a_merchant_id_inside_trade_info_unlike_the_forms_is_mpg03007(
        nwp: NewebPay) -> None:
    await refused(nwp, "MPG03007", nwp.trade_info(MerchantID="MS000000001"))


@pytest.mark.parametrize(("fields", "code"), [
    ({"TimeStamp": None}, "MPG01002"), ({"TimeStamp": "soon"}, "MPG01002"),
    ({"MerchantOrderNo": "bad-no"}, "MPG01012"), ({"MerchantOrderNo": "x" * 31}, "MPG01012"),
    ({"Amt": 0}, "MPG01015"), ({"Amt": "12.5"}, "MPG01015"), ({"Amt": None}, "MPG01015"),
    ({"ItemDesc": "x" * 51}, "MPG01017"), ({"ItemDesc": ""}, "MPG01017"),
    ({"RespondType": "XML"}, "MPG01011"), ({"Email": "not-an-email"}, "MPG01013"),
    ({"NotifyURL": "ftp://shop.example/n"}, "MPG01014"),
    ({"ReturnURL": "https://shop.example:8443/r"}, "MPG01014"),
    ({"ExpireDate": "2020"}, "MPG01018"), ({"InstFlag": "5"}, "MPG01008"),
    ({"BankType": "BOT;HNCB"}, "MPG01025"), ({"BankType": "BOT,CTBC"}, "MPG01026"),
    ({"LgsType": "XYZ"}, "MPG05006"), ({"CREDIT": "2"}, "MPG03009"),
    ({"OrderDetail": "not json"}, "MPG01028"),
    ({"OrderDetail": '[{"ItemName":"a","ItemAmt":100,"ItemType":1,"ItemOrderNo":"1"},'
                     '{"ItemName":"b","ItemAmt":0,"ItemType":1,"ItemOrderNo":"2"}]'}, "MPG01028"),
    ({"OrderDetail": '[{"ItemName":"a","ItemAmt":60,"ItemType":1,"ItemOrderNo":"1"}]'},
     "MPG01029"),
    ({"OrderDetail": '[{"ItemName":"a","ItemAmt":50,"ItemType":1,"ItemOrderNo":"1"},'
                     '{"ItemName":"b","ItemAmt":50,"ItemType":1,"ItemOrderNo":"1"}]'},
     "MPG01030"),
])
async def test_trade_info_field_errors(nwp: NewebPay, fields: dict[str, Any], code: str) -> None:
    await refused(nwp, code, nwp.trade_info(**fields))


async def test_expire_date_is_today_to_180_days_ahead(nwp: NewebPay) -> None:
    today = dt.datetime.fromtimestamp(nwp.now(), TAIPEI).date()
    late = (today + dt.timedelta(days=181)).strftime("%Y%m%d")
    early = (today - dt.timedelta(days=1)).strftime("%Y%m%d")
    await refused(nwp, "MPG01018", nwp.trade_info(ExpireDate=late))
    await refused(nwp, "MPG01018", nwp.trade_info(ExpireDate=early))
    ok = (today + dt.timedelta(days=180)).strftime("%Y%m%d")
    assert (await nwp.mpg(nwp.trade_info(ExpireDate=ok))).status == 303


async def test_loopback_urls_on_any_port_are_accepted(nwp: NewebPay) -> None:
    location = await nwp.start(NotifyURL="http://127.0.0.1:54321/notify",
                               ReturnURL="http://localhost:8001/return",
                               CustomerURL="http://[::1]:9/c", ClientBackURL="https://x.test/")
    [order] = orders(nwp.sim, nwp)
    assert order["callbacks"] == {"notify": "http://127.0.0.1:54321/notify",
                                  "return": "http://localhost:8001/return",
                                  "customer": "http://[::1]:9/c", "client_back": "https://x.test/"}
    [callback] = nwp.sim.domain.callbacks.for_subject(TENANT_PREFIX + nwp.merchant_id,
                                                      order["id"])
    assert callback["url"] == "http://127.0.0.1:54321/notify"
    assert location


@pytest.mark.parametrize(("fields", "offered"), [
    ({"CVS": 1, "Amt": 29}, None), ({"CVS": 1, "Amt": 30}, ["cvs"]),
    ({"CVS": 1, "Amt": 20001}, None), ({"BARCODE": 1, "Amt": 19}, None),
    ({"BARCODE": 1, "VACC": 1, "Amt": 40001}, ["atm"]), ({"VACC": 1, "Amt": 50000}, None),
    ({"WEBATM": 1, "CREDIT": 1, "Amt": 50000}, ["card"]), ({"LINEPAY": 1}, None),
    ({"CreditRed": 1}, ["card"]), ({"InstFlag": "3,6"}, ["card"]),
    ({"Amt": 25}, ["card", "atm", "webatm", "barcode"]),
])
async def test_methods_offered_follow_the_toggles_and_amount_windows(
        nwp: NewebPay, fields: dict[str, Any], offered: list[str] | None) -> None:
    if offered is None:
        await refused(nwp, "MPG02003", nwp.trade_info(**fields))
        return
    await nwp.start(**fields)
    assert orders(nwp.sim, nwp)[0]["methods"] == offered


async def test_everything_echoed_on_the_error_page_is_escaped(nwp: NewebPay) -> None:
    answer = await nwp.mpg(nwp.trade_info(MerchantOrderNo="<b>x</b>"))
    assert "<b>x</b>" not in answer.text
    answer = await nwp.mpg(None, MerchantID="<script>1</script>")
    assert "<script>1</script>" not in answer.text and "&lt;script&gt;" in answer.text


async def test_a_multipart_mpg_form_is_read_too(nwp: NewebPay) -> None:
    answer = await nwp.api("/MPG/mpg_gateway", nwp.mpg_form(nwp.trade_info()), multipart=True)
    assert answer.status == 303, answer.text


async def test_unknown_paths_answer_on_newebpays_error_page(nwp: NewebPay) -> None:
    answer = await nwp.sim.page("GET", "/newebpay/MPG/nothing")
    assert answer.status == 404
    assert shown(answer.text, "error-code") == "MPG03007"


async def test_a_registered_merchant_signs_with_its_own_keys(nwp: NewebPay) -> None:
    answer = await nwp.sim.control("POST", "/merchants", {"gateway": "newebpay"})
    assert answer.status in (200, 201), answer.body
    mine = NewebPay(nwp.sim, merchant_id=answer.body["merchant_id"],
                    hash_key=answer.body["hash_key"], hash_iv=answer.body["hash_iv"])
    assert (await mine.mpg()).status == 303
    assert (await nwp.mpg()).status == 303  # the same MerchantOrderNo at another merchant
    assert len(orders(nwp.sim, mine)) == len(orders(nwp.sim, nwp)) == 1
    stranger = NewebPay(nwp.sim, merchant_id=mine.merchant_id)  # the stage merchant's keys
    answer = await stranger.mpg(stranger.trade_info(MerchantOrderNo="x"))
    assert shown(answer.text, "error-code") == "MPG03009"
    assert len(orders(nwp.sim, mine)) == 1


async def test_a_revoked_merchant_is_suspended(nwp: NewebPay) -> None:
    nwp.sim.domain.revoke(TENANT_PREFIX + nwp.merchant_id)
    await refused(nwp, "MPG03004")
    assert (await nwp.query("Order_1", 100)).body["Status"] == "TRA10012"


async def test_client_back_url_is_the_pages_back_link(nwp: NewebPay) -> None:
    location = await nwp.start(ClientBackURL="https://shop.example/cart?id=1&x=2")
    page = await nwp.sim.page("GET", location)
    assert 'href="https://shop.example/cart?id=1&amp;x=2"' in page.text
    assert 'data-testid="mpg-back"' in page.text
    plain = await nwp.sim.page("GET", (await nwp.start(MerchantOrderNo="b")))
    assert "mpg-back" not in plain.text


async def test_encrypt_type_0_is_aes_cbc(nwp: NewebPay) -> None:
    assert (await nwp.mpg(None, EncryptType="0")).status == 303
