"""Latency, injected errors and network faults, observed from real clients (aiohttp and
the official stripe SDK), including the SDK's idempotent retries across them."""

from __future__ import annotations

import asyncio
import time
import uuid

import aiohttp
import pytest
import stripe
from paylab.suites.plugins.scenarios import TenantScenario
from paylab.suites.plugins.simulator import LiveSimulator

CREATE = "/v1/payment_intents"


def auth(api_key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key}"}


def retrying_client(simulator: LiveSimulator, api_key: str, http) -> stripe.StripeClient:
    """The SDK as applications use it: automatic retries with an Idempotency-Key."""
    client = stripe.StripeClient(api_key, base_addresses={"api": simulator.stripe_url},
                                 http_client=stripe.RequestsClient(session=http),
                                 max_network_retries=3)
    client._requestor._client._sleep_time_seconds = lambda *a, **k: 0.05  # keep tests fast
    return client


async def test_latency_applies_to_matching_requests_only(simulator, api_key,
                                                         scenario: TenantScenario) -> None:
    scenario.put({"rules": [{"name": "slow-create", "match": {"method": "POST",
                                                              "path": CREATE},
                             "effects": [{"latency": {"fixed": 300}}]}]})
    async with aiohttp.ClientSession(headers=auth(api_key)) as s:
        started = time.perf_counter()
        async with s.post(simulator.stripe_url + CREATE,
                          data={"amount": "2000", "currency": "usd"}) as r:
            assert r.status == 200
            assert r.headers["Paylab-Effect"] == "slow-create:latency=300.00ms"
        slow = time.perf_counter() - started
        started = time.perf_counter()
        async with s.get(simulator.stripe_url + CREATE) as r:
            assert r.status == 200 and "Paylab-Effect" not in r.headers
        fast = time.perf_counter() - started
    # bounds that hold on a slow, busy machine: the slow one took its 300 ms at least, and
    # the unmatched one (no Paylab-Effect above) was faster than it
    assert 0.29 < slow < 3.0 and fast < slow, (slow, fast)


async def test_a_burst_of_slow_requests_is_answered_together(simulator, api_key,
                                                           scenario: TenantScenario) -> None:
    """Forty requests of 500 ms each, sent at once, all answered after about 500 ms: the
    injected latency is not served one request after another. (A burst cannot show that
    latency blocks nobody else: requests that arrive while a blocking sleep holds the
    server are only read afterwards, and then have no latency left to serve. The
    staggered test below shows that.)"""
    scenario.put({"rules": [{"name": "half-second", "effects": [{"latency": {"fixed": 500}}]}]})
    async with aiohttp.ClientSession(headers=auth(api_key)) as s:

        async def one() -> int:
            async with s.get(simulator.stripe_url + CREATE) as r:
                return r.status

        started = time.perf_counter()
        statuses = await asyncio.gather(*(one() for _ in range(40)))
        elapsed = time.perf_counter() - started
    assert statuses == [200] * 40
    assert 0.5 <= elapsed < 10, f"40 requests of 500 ms each took {elapsed:.2f}s (serial: 20 s)"


SLOW_SECONDS = 3.0


async def test_latency_does_not_block_another_tenant(simulator, api_key,
                                                     scenario: TenantScenario) -> None:
    """While one tenant's request sits out 3 s of injected latency, another tenant sends
    request after request (staggered, one at a time): each is answered at once. With a
    blocking sleep the request in flight when the slow one arrived would wait out the
    whole 3 s, and none would be answered until the slow one was."""
    scenario.put({"rules": [{"name": "slow", "effects": [
        {"latency": {"fixed": SLOW_SECONDS * 1000}}]}]})
    other = auth(f"sk_test_other_{uuid.uuid4().hex[:8]}")
    async with aiohttp.ClientSession() as s:

        async def slow_request() -> float:
            started = time.perf_counter()
            async with s.get(simulator.stripe_url + CREATE, headers=auth(api_key)) as r:
                assert r.status == 200
                assert r.headers["Paylab-Effect"] == "slow:latency=3000.00ms"
            return time.perf_counter() - started

        slow = asyncio.create_task(slow_request())
        waits: list[float] = []  # the other tenant's requests sent while the slow one is out
        while not slow.done():
            sent = time.perf_counter()
            async with s.get(simulator.stripe_url + CREATE, headers=other) as r:
                assert r.status == 200 and "Paylab-Effect" not in r.headers
            waits.append(time.perf_counter() - sent)
            # staggered on purpose: the next request leaves after a pause, so requests
            # are in flight all through the slow one's wait, not all at its start
            await asyncio.sleep(0.05)
        slow_took = await slow
    assert slow_took >= SLOW_SECONDS, f"the latency was not injected ({slow_took:.2f}s)"
    assert max(waits) < SLOW_SECONDS / 2, (
        f"another tenant's request waited {max(waits):.2f}s behind the injected latency; "
        f"its {len(waits)} requests took {[round(w, 2) for w in waits]}")
    assert len(waits) >= 5, f"only {len(waits)} requests answered during 3 s of latency"


async def test_a_client_that_gives_up_on_a_slow_gateway_may_still_have_paid(
        simulator, api_key, scenario: TenantScenario) -> None:
    """The gateway works while the answer is late (the classic timeout-but-charged case);
    an error injected before the gateway does no work at all."""
    scenario.put({"rules": [{"name": "slow", "effects": [{"latency": {"fixed": 800}}]}]})
    async with aiohttp.ClientSession(headers=auth(api_key)) as s:
        with pytest.raises(TimeoutError):
            async with s.post(simulator.stripe_url + CREATE,
                              timeout=aiohttp.ClientTimeout(total=0.2),
                              data={"amount": "4321", "currency": "usd"}):
                pass
        scenario.put({"rules": [{"name": "refused", "effects": [
            {"latency": {"fixed": 100}}, {"error": {"status": 503}}]}]})
        async with s.post(simulator.stripe_url + CREATE,
                          data={"amount": "1234", "currency": "usd"}) as r:
            assert r.status == 503
        scenario.clear()
        async with s.get(simulator.stripe_url + CREATE) as r:
            amounts = [p["amount"] for p in (await r.json())["data"]]
    assert amounts == [4321], "the timed-out create happened; the refused one did not"


async def test_latency_reaches_pages_that_answer_with_a_redirect(
        simulator, api_key, scenario: TenantScenario) -> None:
    async with aiohttp.ClientSession(headers=auth(api_key)) as s:
        async with s.post(simulator.stripe_url + CREATE, data={
                "amount": "2000", "currency": "usd", "confirm": "true",
                "payment_method": "pm_card_threeDSecure2Required",
                "return_url": "https://shop.example/back"}) as r:
            payment = await r.json()
        scenario.put({"rules": [{"name": "slow", "effects": [{"latency": {"fixed": 300}}]}]})
        started = time.perf_counter()
        async with s.post(f"{simulator.stripe_url}/3ds/authenticate", allow_redirects=False,
                          data={"payment_intent": payment["id"], "result": "passed",
                                "client_secret": payment["client_secret"]}) as r:
            assert r.status == 303
            assert r.headers["Paylab-Effect"] == "slow:latency=300.00ms"
    assert time.perf_counter() - started >= 0.29


@pytest.mark.parametrize(("status", "error_type", "sdk_error"), [
    (500, "api_error", stripe.APIError), (502, "api_error", stripe.APIError),
    (503, "api_error", stripe.APIError), (504, "api_error", stripe.APIError),
    (429, "invalid_request_error", stripe.RateLimitError),
])
def test_injected_errors_are_in_stripes_shape(simulator, api_key, http, stripe_client,
                                              scenario: TenantScenario, status: int,
                                              error_type: str, sdk_error: type) -> None:
    scenario.put({"rules": [{"name": "fail", "effects": [
        {"error": {"status": status, "retry_after": 7}}]}]})
    raw = http.get(simulator.stripe_url + CREATE, headers=auth(api_key), timeout=10)
    assert raw.status_code == status
    assert raw.json()["error"]["type"] == error_type
    assert raw.headers["Retry-After"] == "7"
    with pytest.raises(sdk_error) as caught:
        stripe_client.v1.payment_intents.list()
    assert caught.value.http_status == status


def test_sdk_retries_across_injected_500s_create_exactly_one_payment(
        simulator, api_key, http, scenario: TenantScenario) -> None:
    scenario.put({"rules": [{"name": "two-500s", "match": {"method": "POST", "path": CREATE},
                             "lifetime": {"sequence": [{"error": {"status": 500}},
                                                       {"error": {"status": 500}}, "pass"]}}]})
    client = retrying_client(simulator, api_key, http)
    pi = client.v1.payment_intents.create(params={
        "amount": 2000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True})
    assert pi.status == "succeeded"
    assert [p.id for p in client.v1.payment_intents.list().data] == [pi.id]
    posts = [e for e in scenario.journal() if e["method"] == "POST"]
    assert [e["status"] for e in posts] == [500, 500, 200]
    assert len({e["idempotency_key"] for e in posts}) == 1, "the SDK kept its key"
    assert [e["effect"] for e in posts] == ["two-500s:error=500", "two-500s:error=500", None]


@pytest.mark.parametrize("effect", [
    {"error": {"status": 500, "when": "after"}},
    {"network": {"fault": "reset", "when": "after"}},
    {"network": {"fault": "empty_reply", "when": "after"}},
])
def test_sdk_retry_after_a_lost_answer_replays_not_repeats(
        simulator, api_key, http, scenario: TenantScenario, effect: dict) -> None:
    """The request ran but the answer was lost: the retry must replay, not charge twice."""
    scenario.put({"rules": [{"name": "lost", "match": {"method": "POST", "path": CREATE},
                             "lifetime": {"first": 1}, "effects": [effect]}]})
    client = retrying_client(simulator, api_key, http)
    pi = client.v1.payment_intents.create(params={
        "amount": 2000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True})
    assert [p.id for p in client.v1.payment_intents.list().data] == [pi.id]
    assert len(client.v1.charges.list().data) == 1
    posts = [e for e in scenario.journal() if e["method"] == "POST"]
    assert len(posts) == 2 and posts[0]["effect"].startswith("lost:")


FAULTS = {
    "reset": (aiohttp.ClientOSError, aiohttp.ServerDisconnectedError),
    "empty_reply": (aiohttp.ServerDisconnectedError,),
    "truncate": (aiohttp.ClientPayloadError,),
}


@pytest.mark.parametrize("fault", list(FAULTS))
async def test_connection_faults_break_the_exchange(simulator, api_key,
                                                    scenario: TenantScenario,
                                                    fault: str) -> None:
    scenario.put({"rules": [{"name": fault, "match": {"method": "GET"},
                             "effects": [{"network": {"fault": fault}}]}]})
    connector = aiohttp.TCPConnector(force_close=True)
    async with aiohttp.ClientSession(headers=auth(api_key), connector=connector) as s:
        with pytest.raises(FAULTS[fault]):
            async with s.get(simulator.stripe_url + CREATE) as r:
                await r.read()
    entry = scenario.journal()[-1]
    assert entry["effect"] == f"{fault}:network={fault}"
    assert entry["status"] == (200 if fault == "truncate" else 0)


async def test_hang_outlasts_the_client_timeout(simulator, api_key,
                                                scenario: TenantScenario) -> None:
    scenario.put({"rules": [{"name": "hang", "effects": [
        {"network": {"fault": "hang", "seconds": 3, "when": "before"}}]}]})
    timeout = aiohttp.ClientTimeout(total=0.5)
    async with aiohttp.ClientSession(headers=auth(api_key), timeout=timeout) as s:
        started = time.perf_counter()
        with pytest.raises(TimeoutError):
            async with s.get(simulator.stripe_url + CREATE) as r:
                await r.read()
    assert 0.45 < time.perf_counter() - started < 2.9, "the client's timeout, not the hang"


async def test_body_faults(simulator, api_key, scenario: TenantScenario) -> None:
    async with aiohttp.ClientSession(headers=auth(api_key)) as s:
        scenario.put({"rules": [{"name": "m", "effects": [{"network": {"fault": "malformed"}}]}]})
        async with s.get(simulator.stripe_url + CREATE) as r:
            assert r.status == 200 and r.content_type == "application/json"
            with pytest.raises(ValueError, match=r"JSON|Expecting|Unexpected|Invalid"):
                await r.json()
        scenario.put({"rules": [{"name": "w", "effects": [
            {"network": {"fault": "wrong_content_type"}}]}]})
        async with s.get(simulator.stripe_url + CREATE) as r:
            assert r.content_type == "text/html"
            with pytest.raises(aiohttp.ContentTypeError):
                await r.json()
        scenario.put({"rules": [{"name": "d", "effects": [
            {"network": {"fault": "slow_drip", "seconds": 1}}]}]})
        started = time.perf_counter()
        async with s.get(simulator.stripe_url + CREATE) as r:
            body = await r.json()
        assert body["object"] == "list" and time.perf_counter() - started >= 0.9
