"""Wrong addresses and wrong keys say how to get it right: a Stripe call without the
/stripe prefix gets Stripe's error shape naming the mount, any other unknown path a hint
listing the mounts (JSON, or HTML for a browser), and a malformed key a hint about the
`sk_test_` / `rk_test_` shapes; the 404s inside /stripe and /_sim stay as they were."""

from __future__ import annotations

import pytest
from paylab.simulator.gateways import all_gateways
from paylab.suites.unit.inprocess import ClientFactory, Sim, start

KEY_HINT = "start with sk_test_"


@pytest.fixture
async def sim(aiohttp_client: ClientFactory) -> Sim:
    return await start(aiohttp_client)


@pytest.mark.parametrize("path", ["/v1/payment_intents", "/v1/charges/ch_123?expand[]=x"])
async def test_a_stripe_call_without_the_prefix_is_told_where_the_api_is(sim: Sim,
                                                                         path: str) -> None:
    answer = await sim._send("GET", path, headers={"Authorization": f"Bearer {sim.key}"})
    assert answer.status == 404 and answer.headers["Content-Type"].startswith(
        "application/json")
    error = answer.error
    assert error["type"] == "invalid_request_error"
    bare = path.partition("?")[0]
    assert error["message"].startswith(f"Unrecognized request URL (GET: {bare}).")
    assert f"/stripe{bare}" in error["message"] and "base_addresses" in error["message"]


@pytest.mark.parametrize("path", ["/", "/_sim", "/nowhere", "/stripe", "/stripe/", "/favicon.ico"])
async def test_any_other_unknown_path_lists_the_mounts(sim: Sim, path: str) -> None:
    answer = await sim._send("GET", path)
    assert answer.status == 404, answer.text
    body = answer.body
    assert body["error"]["code"] == "not_found" and path in body["error"]["message"]
    mounts = body["mounts"]
    assert {k: mounts.pop(k) for k in ("stripe", "control", "dashboard", "openapi")} == {
        "stripe": "/stripe/v1/...", "control": "/_sim/...", "dashboard": "/_sim/",
        "openapi": "/_sim/openapi.json"}
    # every other registered gateway, under its own prefix
    others = [g for g in all_gateways() if g.name != "stripe"]
    assert sorted(mounts) == sorted(g.name for g in others)
    assert all(mounts[g.name].startswith(g.prefix + "/") for g in others)


async def test_a_browser_gets_the_hint_as_a_page_that_escapes_the_path(sim: Sim) -> None:
    answer = await sim._send("GET", "/<script>alert(1)</script>",
                             headers={"Accept": "text/html,application/xhtml+xml"})
    assert answer.status == 404 and answer.headers["Content-Type"].startswith("text/html")
    assert "<script>alert" not in answer.text and "&lt;script&gt;" in answer.text
    assert 'href="/_sim/"' in answer.text and "/stripe/v1/" in answer.text
    assert answer.headers["X-Frame-Options"] == "DENY"


async def test_404s_inside_the_mounts_keep_their_own_shape(sim: Sim) -> None:
    unrouted = await sim.stripe("GET", "/v1/nowhere")
    assert unrouted.status == 404 and unrouted.error["message"].startswith(
        "Unrecognized request URL (GET: /v1/nowhere). Please see https://stripe.com/docs")
    missing = await sim.stripe("GET", "/v1/payment_intents/pi_missing")
    assert missing.status == 404 and missing.error["code"] == "resource_missing"
    control = await sim.control("GET", "/nowhere")
    assert control.status == 404 and control.body == {"error": {
        "code": "not_found", "field": None,
        "message": "No control operation GET /_sim/nowhere; see /_sim/openapi.json"}}


@pytest.mark.parametrize(("key", "shown"), [
    ("foo", "****"), ("sk_test_bad-key-1234", "sk_test_****1234"),
    ("sk_tset_abcdefghijkl", "sk_tset_****ijkl")])
async def test_a_malformed_key_gets_stripes_message_and_a_hint(sim: Sim, key: str,
                                                              shown: str) -> None:
    answer = await sim.stripe("GET", "/v1/payment_intents", key=key)
    assert answer.status == 401 and answer.error["code"] == "api_key_invalid"
    message = answer.error["message"]
    assert message.startswith(f"Invalid API Key provided: {shown}. ")
    assert KEY_HINT in message and "rk_test_" in message
    assert key not in message or len(key) <= 4  # masked, as Stripe does


async def test_restricted_test_keys_are_accepted_as_their_own_tenant(sim: Sim) -> None:
    answer = await sim.pay(key="rk_test_restricted_ci")
    assert answer.status == 200 and answer.body["status"] == "succeeded"
    assert (await sim.stripe("GET", f"/v1/payment_intents/{answer.body['id']}")).status == 404
