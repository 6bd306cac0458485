"""LINE Pay's approval page in process: a LINE login step, then the sheet (Approve,
Cancel, funding choices with stable test ids, everything echoed escaped); Approve sends the
browser to confirmUrl with transactionId and orderId, Cancel to cancelUrl; a balance too
low and an unusable card fail as LINE Pay does (1142, 1110 at confirm); scenario overrides
at approval (a decline, a late approval: 1145); a wrong token opens nothing and changes
nothing; another channel's transaction id is 1150; `/_sim/.../simulate` approves."""

from __future__ import annotations

import urllib.parse
from typing import Any

import pytest
from paylab.suites.unit import linepay_client as lp
from paylab.suites.unit.inprocess import ClientFactory, Sim, start


@pytest.fixture
async def sim(aiohttp_client: ClientFactory) -> Sim:
    return await start(aiohttp_client)


def status(sim: Sim, order_id: str = "LP-1") -> str:
    return sim.domain.orders.find_by_merchant_order(lp.TENANT, order_id)["status"]


async def scenario(sim: Sim, effect: dict[str, Any]) -> None:
    rules = {"name": "t", "rules": [{"name": "r", "match": {"gateway": "linepay",
                                                             "path": "/web/payment/wait"},
                                     "effects": [effect]}]}
    assert (await sim.control("PUT", "/scenario", rules)).status == 200


async def test_login_then_the_sheet_with_approve_and_cancel(sim: Sim) -> None:
    info = await lp.reserve(sim)
    first = await sim.page("GET", info["paymentUrl"]["web"])
    assert first.status == 200 and 'data-testid="line-login"' in first.text
    assert ">Log in</button>" in first.text and "Approve" not in first.text
    sheet = await sim.page("POST", info["paymentUrl"]["web"], {"action": "login"})
    for testid in ("approve", "cancel", "funding", "funding-low-balance",
                   "funding-card-unusable", "amount", "items", "merchant"):
        assert f'data-testid="{testid}"' in sheet.text, testid
    assert ">Approve</button>" in sheet.text and ">Cancel</button>" in sheet.text
    assert "NT$ 1,000" in sheet.text and lp.CHANNEL in sheet.text


async def test_approve_redirects_to_confirm_url_with_the_ids(sim: Sim) -> None:
    info = await lp.reserve(sim)
    answer = await lp.approve(sim, info, "card")
    assert answer.status == 303
    url = urllib.parse.urlsplit(answer.headers["Location"])
    assert url.path == "/linepay/confirm"
    assert urllib.parse.parse_qs(url.query) == {
        "cart": ["7"], "transactionId": [str(info["transactionId"])], "orderId": ["LP-1"]}
    confirmed = await lp.confirm(sim, info["transactionId"])
    assert confirmed.body["info"]["payInfo"][0]["method"] == "CREDIT_CARD"
    again = await sim.page("GET", info["paymentUrl"]["web"])
    assert again.status == 410 and status(sim) == "paid"


async def test_cancel_redirects_to_cancel_url_and_ends_the_request(sim: Sim) -> None:
    info = await lp.reserve(sim)
    await sim.page("POST", info["paymentUrl"]["web"], {"action": "login"})
    answer = await sim.page("POST", info["paymentUrl"]["web"], {"action": "cancel"})
    assert answer.status == 303
    assert answer.headers["Location"].startswith(f"{lp.SHOP}/linepay/cancel?transactionId=")
    assert status(sim) == "canceled"
    check = await lp.call(sim, "GET", f"/v3/payments/requests/{info['transactionId']}/check")
    assert check.body["returnCode"] == "0121"
    assert (await lp.confirm(sim, info["transactionId"])).body["returnCode"] == "1159"


@pytest.mark.parametrize(("funding", "code"), [("low_balance", "1142"),
                                               ("card_unusable", "1110")])
async def test_failing_funding_declines_and_confirm_says_why(sim: Sim, funding: str,
                                                             code: str) -> None:
    info = await lp.reserve(sim)
    answer = await lp.approve(sim, info, funding)
    assert answer.status == 402 and f"({code})" in answer.text
    assert 'data-testid="linepay-declined-link"' in answer.text
    assert status(sim) == "failed"
    assert (await lp.confirm(sim, info["transactionId"])).body["returnCode"] == code
    check = await lp.call(sim, "GET", f"/v3/payments/requests/{info['transactionId']}/check")
    assert check.body["returnCode"] == "0122"


async def test_a_scenario_decline_at_approval_applies(sim: Sim) -> None:
    info = await lp.reserve(sim)
    await scenario(sim, {"outcome": {"decline": "insufficient_funds"}})
    assert (await lp.approve(sim, info)).status == 402
    assert (await lp.confirm(sim, info["transactionId"])).body["returnCode"] == "1142"


async def test_a_late_approval_is_1145_until_it_lands(sim: Sim) -> None:
    info = await lp.reserve(sim)
    await scenario(sim, {"outcome": {"processing": {"seconds": 30}}})
    assert (await lp.approve(sim, info)).status == 303
    assert (await lp.confirm(sim, info["transactionId"])).body["returnCode"] == "1145"
    assert (await sim.control("POST", "/clock/advance", {"seconds": 31})).status == 200
    assert status(sim) == "approved"
    assert (await lp.confirm(sim, info["transactionId"])).body["returnCode"] == "0000"


@pytest.mark.parametrize("token", ["", "wrong", None])
async def test_a_wrong_or_missing_token_opens_nothing_and_changes_nothing(
        sim: Sim, token: str | None) -> None:
    info = await lp.reserve(sim)
    url = info["paymentUrl"]["web"].rsplit("&token=", 1)[0]
    if token is not None:
        url += f"&token={token}"
    for method, form in (("GET", None), ("POST", {"action": "approve", "funding": "balance"}),
                         ("POST", {"action": "cancel"})):
        answer = await sim.page(method, url, form)
        assert answer.status == 404 and 'data-testid="linepay-missing"' in answer.text
    assert status(sim) == "created"


async def test_an_expired_request_shows_so_and_changes_nothing(sim: Sim) -> None:
    info = await lp.reserve(sim)
    await sim.control("POST", "/clock/advance", {"seconds": 1201})
    answer = await sim.page("POST", info["paymentUrl"]["web"],
                            {"action": "approve", "funding": "balance"})
    assert answer.status == 410 and 'data-testid="linepay-expired"' in answer.text
    assert status(sim) == "expired"


async def test_items_and_order_ids_are_escaped(sim: Sim) -> None:
    doc = lp.body('<b id="o">')
    doc["packages"][0]["products"][0]["name"] = "<script>alert(1)</script>"
    answer = await lp.call(sim, "POST", "/v3/payments/request", doc)
    web = answer.body["info"]["paymentUrl"]["web"]
    sheet = await sim.page("POST", web, {"action": "login"})
    assert "<script>alert" not in sheet.text and "&lt;script&gt;alert(1)&lt;/script&gt;" \
        in sheet.text
    assert '<b id="o">' not in sheet.text


async def test_simulate_approves_a_waiting_request(sim: Sim) -> None:
    info = await lp.reserve(sim)
    done = await sim.control("POST", f"/payments/{lp.reserve_id(info)}/simulate",
                             {"outcome": "approved"})
    assert (done.status, done.body["status"]) == (200, "approved")
    assert (await lp.confirm(sim, info["transactionId"])).body["returnCode"] == "0000"


async def test_another_channels_transaction_id_is_1150_and_nothing_leaks(sim: Sim) -> None:
    made = await sim.control("POST", "/merchants", {"gateway": "linepay"})
    assert made.status == 201, made.body
    other = {"channel": made.body["merchant_id"], "secret": made.body["hash_key"]}
    tid = (await lp.paid(sim))["transactionId"]
    for method, path, payload, query in (
            ("POST", f"/v3/payments/{tid}/confirm", {"amount": 1000, "currency": "TWD"}, ""),
            ("POST", f"/v3/payments/{tid}/refund", {}, ""),
            ("GET", "/v3/payments", None, f"transactionId={tid}"),
            ("GET", "/v3/payments", None, "orderId=LP-1"),
            ("GET", f"/v3/payments/requests/{tid}/check", None, "")):
        answer = await lp.call(sim, method, path, payload, query=query, **other)
        assert answer.body == {"returnCode": "1150", "returnMessage": answer.body[
            "returnMessage"]}, path
        assert "LP-1" not in answer.text
    assert sim.domain.orders.find_by_merchant_order(lp.TENANT, "LP-1")["refunded_amount"] == 0


async def test_a_scenario_decline_at_confirm_is_linepays_code(sim: Sim) -> None:
    info = await lp.reserve(sim)
    await lp.approve(sim, info)
    rules = {"name": "t", "rules": [{"name": "r", "match": {"gateway": "linepay",
                                                             "path": "/v3/payments/*/confirm"},
                                     "effects": [{"outcome": {"decline": "insufficient_funds"}}]}]}
    assert (await sim.control("PUT", "/scenario", rules)).status == 200, rules
    assert (await lp.confirm(sim, info["transactionId"])).body["returnCode"] == "1142"
    assert status(sim) == "failed"
