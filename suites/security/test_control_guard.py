"""Probes for the guard in front of the control API and the pages (issue "Hardening", 4).

A web page on another site must not drive `/_sim` (cross-site POSTs, text/plain bodies),
a DNS-rebinding name must not reach any mount (foreign `Host`), a token-guarded simulator
answers nothing without its token (a tenant's own key reads only that tenant), a start on a
non-loopback address without a token is refused before it binds, and no HTML page may be
framed by another site.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
import stripe
from paylab.simulator.control.routes import OPERATIONS as CONTROL
from paylab.simulator.gateways.stripe.wire import tenant_for_key
from paylab.simulator.settings import Settings
from paylab.suites.plugins.shop import Shop
from paylab.suites.plugins.simulator import (
    PROJECT,
    TEST_FLAGS,
    LiveSimulator,
    free_port,
    start_simulator,
    stop_simulator,
)
from playwright.sync_api import Page, expect

TOKEN = f"ctl_{secrets.token_hex(16)}"
EVIL = "http://evil.example"
ALLOWED = "ci-runner.internal"
#: Only ever given to Settings.check() or to a start that must be refused before it binds.
EVERYWHERE = "0.0.0.0"  # noqa: S104
PUBLIC = "paylab-public.test"


# -- simulators of their own: a probe that slipped through must not disturb other tests ----
@pytest.fixture(scope="module")
def open_sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveSimulator]:
    """No token (loopback), one extra allowed host and a public URL."""
    sim = start_simulator(tmp_path_factory.mktemp("guard-open"), name="open", flags=(
        *TEST_FLAGS, "--allowed-host", ALLOWED, "--public-url", f"http://{PUBLIC}:1234"))
    yield sim
    stop_simulator(sim)


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveSimulator]:
    """A token-guarded simulator."""
    sim = start_simulator(tmp_path_factory.mktemp("guard-token"), name="guarded",
                          flags=(*TEST_FLAGS, "--control-token", TOKEN))
    yield sim
    stop_simulator(sim)


def key() -> str:
    return f"sk_test_guard_{uuid.uuid4().hex[:12]}"


def pay(sim: LiveSimulator, api_key: str) -> str:
    """One succeeded PaymentIntent for `api_key`; its id."""
    api = stripe.StripeClient(api_key, base_addresses={"api": sim.stripe_url})
    return api.v1.payment_intents.create(params={
        "amount": 2000, "currency": "usd", "payment_method": "pm_card_visa",
        "confirm": True}).id


def ctl(sim: LiveSimulator, method: str, path: str, **kwargs: object) -> requests.Response:
    kwargs.setdefault("allow_redirects", False)
    return requests.request(method, f"{sim.url}/_sim/{path}", timeout=10,
                            **kwargs)  # type: ignore[arg-type]


def refused(response: requests.Response, status: int, code: str) -> None:
    """The control API's error shape, with this status and code."""
    assert response.status_code == status, (response.status_code, response.text[:300])
    error = response.json()["error"]
    assert error["code"] == code and error["message"] and "field" in error, error


def payments(sim: LiveSimulator, api_key: str, **headers: str) -> list[str]:
    ledger = ctl(sim, "GET", "ledger", params={"tenant": api_key}, headers=headers).json()
    return [p["id"] for p in ledger["payments"]]


def clock_offset(sim: LiveSimulator) -> float:
    return ctl(sim, "GET", "health", headers=bearer(TOKEN)).json()["clock"]["offset"]


def bearer(credential: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {credential}"}


# -- cross-site requests ----------------------------------------------------------------------
def test_cross_site_reset_is_refused_and_nothing_is_reset(open_sim: LiveSimulator) -> None:
    tenant = key()
    intent = pay(open_sim, tenant)
    answer = ctl(open_sim, "POST", "reset", json={}, headers={"Origin": EVIL})
    refused(answer, 403, "cross_site_request")
    assert payments(open_sim, tenant) == [intent], "the cross-site reset ran"


def test_the_issues_text_plain_attack_is_refused(open_sim: LiveSimulator) -> None:
    """What a plain <form enctype=text/plain> or no-cors fetch on evil.example sends."""
    tenant = key()
    intent = pay(open_sim, tenant)
    offset = clock_offset(open_sim)
    for path, body in (("reset", "{}"), ("clock/advance", '{"seconds": 3600}'),
                       ("keys/revoke", json.dumps({"api_key": tenant}))):
        answer = ctl(open_sim, "POST", path, data=body,
                     headers={"Origin": EVIL, "Content-Type": "text/plain"})
        refused(answer, 403, "cross_site_request")
    assert clock_offset(open_sim) == offset, "the clock moved"
    assert payments(open_sim, tenant) == [intent], "state was reset"
    pay(open_sim, tenant)  # the key was not revoked


@pytest.mark.parametrize("headers", [
    {"Referer": f"{EVIL}/page"},
    {"Origin": "null"},
    {"Sec-Fetch-Site": "cross-site"},
    {"Origin": "http://127.0.0.1:1"},
    {"Origin": EVIL, "Referer": "http://127.0.0.1/_sim/"},
], ids=["referer", "null-origin", "fetch-metadata", "other-port", "origin-wins"])
@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_other_cross_site_signals_are_refused(open_sim: LiveSimulator, method: str,
                                              headers: dict[str, str]) -> None:
    answer = ctl(open_sim, method, "scenario", params={"preset": "gateway-outage"}
                 if method == "PUT" else {}, headers=headers)
    refused(answer, 403, "cross_site_request")
    assert ctl(open_sim, "GET", "scenario").json()["scenario"] is None


@pytest.mark.parametrize("headers", [
    {}, {"Origin": "{url}"}, {"Referer": "{url}/_sim/"}, {"Sec-Fetch-Site": "same-origin"},
    {"Origin": "{url}", "Sec-Fetch-Site": "same-origin", "Content-Type": "application/json"},
], ids=["no-headers", "same-origin", "same-referer", "fetch-metadata", "browser-json"])
def test_same_origin_and_header_less_requests_pass(open_sim: LiveSimulator,
                                                   headers: dict[str, str]) -> None:
    sent = {k: v.format(url=open_sim.url) for k, v in headers.items()}
    answer = ctl(open_sim, "POST", "clock/advance", data='{"seconds": 0}', headers=sent)
    assert answer.status_code == 200, answer.text


def test_a_browser_may_not_send_json_as_a_simple_content_type(open_sim: LiveSimulator) -> None:
    """Even from the right origin: only a CORS-simple type skips the browser's preflight."""
    offset = clock_offset(open_sim)
    for content_type in ("text/plain", "application/x-www-form-urlencoded",
                         "multipart/form-data; boundary=x"):
        answer = ctl(open_sim, "POST", "clock/advance", data='{"seconds": 60}', headers={
            "Origin": open_sim.url, "Content-Type": content_type})
        refused(answer, 415, "unsupported_media_type")
    assert clock_offset(open_sim) == offset


# -- Host allow-list ------------------------------------------------------------------------
@pytest.mark.parametrize(("method", "path"), [
    ("POST", "/stripe/v1/payment_intents"), ("GET", "/stripe/v1/payment_intents"),
    ("GET", "/stripe/v1/nowhere"), ("GET", "/_sim/health"), ("POST", "/_sim/reset"),
    ("GET", "/_sim/"), ("GET", "/static/dashboard.js"), ("GET", "/nowhere"),
])
def test_a_foreign_host_is_refused_on_every_mount(open_sim: LiveSimulator, method: str,
                                                  path: str,
                                                  stripe_error_check: Callable) -> None:
    tenant = key()
    intent = pay(open_sim, tenant)
    answer = requests.request(method, open_sim.url + path, timeout=10, headers={
        "Host": "evil.example:8080", **bearer(tenant)}, data={"amount": 100,
                                                              "currency": "usd"})
    assert answer.status_code == 421, answer.text[:300]
    if path.startswith("/stripe"):
        assert stripe_error_check(answer.text) == []
        assert answer.json()["error"]["code"] == "host_not_allowed"
    else:
        refused(answer, 421, "host_not_allowed")
    assert "--allowed-host" in answer.json()["error"]["message"]
    assert payments(open_sim, tenant) == [intent], "the request ran"


@pytest.mark.parametrize("host", [
    "evil.example", "127.0.0.1.evil.example", "localhost.evil.example", f"{ALLOWED}.evil",
    f"{PUBLIC}.evil.example:1234", "", "[::1].evil.example", "localhost:8080@evil.example",
])
def test_rebinding_lookalikes_are_refused(open_sim: LiveSimulator, host: str) -> None:
    answer = requests.get(f"{open_sim.url}/_sim/health", headers={"Host": host}, timeout=10)
    refused(answer, 421, "host_not_allowed")


@pytest.mark.parametrize("host", [
    "127.0.0.1:{port}", "127.0.0.1", "localhost:{port}", "LocalHost", "localhost.",
    "[::1]:{port}", ALLOWED, f"{ALLOWED}:443", f"{PUBLIC}:1234", PUBLIC,
])
def test_allowed_hosts_pass(open_sim: LiveSimulator, host: str) -> None:
    sent = host.format(port=open_sim.url.rsplit(":", 1)[1])
    for path, headers in (("/_sim/health", {}), ("/stripe/v1/payment_intents", bearer(key()))):
        answer = requests.get(open_sim.url + path, headers={"Host": sent, **headers},
                              timeout=10)
        assert answer.status_code == 200, (sent, path, answer.text[:200])


# -- the control token ------------------------------------------------------------------------
def _call(op: object) -> tuple[str, str]:
    path = op.path.replace("{id}", "1").lstrip("/")  # type: ignore[attr-defined]
    return op.method, path  # type: ignore[attr-defined]


@pytest.mark.parametrize("op", [o for o in CONTROL if o.operation_id != "Health"],
                         ids=lambda o: o.operation_id)
def test_every_control_operation_needs_the_token(guarded: LiveSimulator, op: object) -> None:
    method, path = _call(op)
    for headers, code in (({}, "control_token_required"),
                          (bearer("wrong-" + TOKEN), "control_token_invalid"),
                          ({"X-Paylab-Control-Token": TOKEN[:-1]}, "control_token_invalid")):
        answer = ctl(guarded, method, path, headers=headers, json={})
        if path == "" and method == "GET" and not headers:  # the dashboard: to the login
            assert answer.status_code == 303 and answer.headers["Location"] == "/_sim/login"
            continue
        refused(answer, 401, code)
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert ctl(guarded, "GET", "scenario", headers=bearer(TOKEN)).json()["scenario"] is None


def test_the_token_works_in_either_header_and_never_in_the_url(guarded: LiveSimulator) -> None:
    tenant = key()
    pay(guarded, tenant)
    assert ctl(guarded, "GET", "journal", headers=bearer(TOKEN)).status_code == 200
    assert ctl(guarded, "GET", "stats",
               headers={"X-Paylab-Control-Token": TOKEN}).status_code == 200
    refused(ctl(guarded, "GET", "journal", params={"token": TOKEN}), 401,
            "control_token_required")
    assert ctl(guarded, "POST", "reset", json={"api_key": tenant},
               headers=bearer(TOKEN)).json() == {"reset": tenant_for_key(tenant)}
    assert TOKEN not in guarded.log_text()


def test_health_stays_open_but_says_nothing_without_the_token(guarded: LiveSimulator) -> None:
    anonymous = ctl(guarded, "GET", "health")
    assert anonymous.status_code == 200
    assert anonymous.json() == {"status": "ok", "auth": "required"}
    full = ctl(guarded, "GET", "health", headers=bearer(TOKEN)).json()
    assert {"seed", "db", "clock"} <= set(full)


def test_a_tenant_key_reads_only_its_own_tenant(guarded: LiveSimulator) -> None:
    mine, theirs = key(), key()
    for each in (mine, theirs):  # an endpoint first, so the payment makes deliveries
        stripe.StripeClient(each, base_addresses={"api": guarded.stripe_url}).v1 \
            .webhook_endpoints.create(params={"url": "http://127.0.0.1:9/x",
                                              "enabled_events": ["*"]})
        pay(guarded, each)
    me = tenant_for_key(mine)
    basic = requests.auth.HTTPBasicAuth(mine, "")
    for path, rows in (("journal", "entries"), ("ledger", "payments"),
                       ("webhooks", "deliveries")):
        for tenant in (mine, me):
            seen = ctl(guarded, "GET", path, params={"tenant": tenant}, headers=bearer(mine))
            assert seen.status_code == 200, seen.text
            assert {row["tenant"] for row in seen.json()[rows]} == {me}, path
        assert ctl(guarded, "GET", path, params={"tenant": me}, auth=basic).status_code == 200
        refused(ctl(guarded, "GET", path, params={"tenant": theirs}, headers=bearer(mine)),
                403, "tenant_scope")
        refused(ctl(guarded, "GET", path, headers=bearer(mine)), 403, "tenant_scope")
    for method, path, body in (("POST", "reset", {"api_key": mine}),
                               ("GET", "scenario", None), ("GET", "stats", None),
                               ("POST", "keys/revoke", {"api_key": theirs})):
        refused(ctl(guarded, method, path, params={"tenant": mine}, json=body,
                    headers=bearer(mine)), 403, "tenant_scope")
    assert len(payments(guarded, mine, **bearer(mine))) == 1, "the tenant reset itself"
    pay(guarded, theirs)  # still not revoked
    ctl(guarded, "POST", "keys/revoke", json={"api_key": mine}, headers=bearer(TOKEN))
    refused(ctl(guarded, "GET", "journal", params={"tenant": mine}, headers=bearer(mine)),
            401, "control_token_invalid")


def test_a_tenant_key_cannot_read_or_change_fee_schedules(guarded: LiveSimulator) -> None:
    """Fee schedules are the token's: a tenant key may neither read nor override them, its
    own or another's (by tenant= or credential=), and a refused override changes nothing."""
    mine, theirs = key(), key()
    for each in (mine, theirs):
        pay(guarded, each)
    before = ctl(guarded, "GET", "fees", params={"tenant": theirs}, headers=bearer(TOKEN))
    assert before.status_code == 200, before.text
    override = {"methods": {"card": {"percent": 0}}, "refund_fee": "returned"}
    for target in (mine, theirs):
        for scope in ("tenant", "credential"):
            for method in ("GET", "PUT", "DELETE"):
                refused(ctl(guarded, method, "fees", params={scope: target},
                            json=override if method == "PUT" else None,
                            headers=bearer(mine)), 403, "tenant_scope")
    after = ctl(guarded, "GET", "fees", params={"tenant": theirs}, headers=bearer(TOKEN))
    assert after.json() == before.json() and after.json()["overridden"] is False


@pytest.mark.parametrize(("name", "value"), [
    ("Host", b"\xff.example"), ("Origin", b"http://\xff"), ("Referer", b"http://\xfe/x"),
    ("Authorization", b"Bearer sk_test_\xff"), ("X-Paylab-Control-Token", b"\xff" * 20),
    ("Cookie", b"paylab_control=\xff"), ("Sec-Fetch-Site", b"\xff"),
])
def test_bytes_that_are_not_utf8_are_refused_cleanly(guarded: LiveSimulator, name: str,
                                                     value: bytes) -> None:
    for path in ("reset", "journal?tenant=sk_test_x"):
        answer = ctl(guarded, "POST" if path == "reset" else "GET", path,
                     headers={name: value}, json={})
        assert 400 <= answer.status_code < 500, (answer.status_code, answer.text[:200])
        assert answer.json()["error"]["code"], answer.text


def test_login_sets_a_strict_http_only_session(guarded: LiveSimulator) -> None:
    browser = requests.Session()
    page = browser.get(f"{guarded.url}/_sim/login", timeout=10)
    assert page.status_code == 200 and 'method="post"' in page.text
    form = {"Origin": guarded.url}
    wrong = browser.post(f"{guarded.url}/_sim/login", data={"token": "nope"}, headers=form,
                         allow_redirects=False, timeout=10)
    assert wrong.status_code == 401 and not browser.cookies
    refused(browser.post(f"{guarded.url}/_sim/login", data={"token": TOKEN},
                         headers={"Origin": EVIL}, timeout=10), 403, "cross_site_request")
    login = browser.post(f"{guarded.url}/_sim/login", data={"token": TOKEN}, headers=form,
                         allow_redirects=False, timeout=10)
    assert login.status_code == 303 and login.headers["Location"] == "/_sim/"
    cookie = login.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/_sim" in cookie
    assert TOKEN not in json.dumps(dict(login.headers)) and TOKEN not in login.url
    assert browser.get(f"{guarded.url}/_sim/stats", timeout=10).status_code == 200
    assert 'data-testid="dashboard"' in browser.get(f"{guarded.url}/_sim/", timeout=10).text
    out = browser.post(f"{guarded.url}/_sim/logout", headers=form, allow_redirects=False,
                       timeout=10)
    assert out.status_code == 303
    refused(browser.get(f"{guarded.url}/_sim/stats", timeout=10), 401,
            "control_token_required")


def test_a_dashboard_session_is_stored_so_it_outlives_a_restart(tmp_path: Path) -> None:
    flags = (*TEST_FLAGS, "--control-token", TOKEN)
    sim = start_simulator(tmp_path, name="sessions", flags=flags)
    browser = requests.Session()
    try:
        login = browser.post(f"{sim.url}/_sim/login", data={"token": TOKEN},
                             headers={"Origin": sim.url}, allow_redirects=False, timeout=10)
        assert login.status_code == 303
    finally:
        stop_simulator(sim)
    port = int(sim.url.rsplit(":", 1)[1])
    again = start_simulator(tmp_path, name="sessions", port=port, db=sim.db, flags=flags)
    try:
        assert browser.get(f"{again.url}/_sim/stats", timeout=10).status_code == 200
        stored = ctl(again, "GET", "stats", cookies={"paylab_control": "forged"})
        refused(stored, 401, "control_token_required")  # a cookie nobody was given
    finally:
        stop_simulator(again)


def test_the_start_says_whether_the_control_api_is_guarded(guarded: LiveSimulator,
                                                           open_sim: LiveSimulator) -> None:
    assert "control API is token-guarded" in guarded.log_text()
    assert "control API is open (no --control-token" in open_sim.log_text()
    assert TOKEN not in guarded.log_text()


def test_dashboard_login_and_presets_in_chromium(page: Page, guarded: LiveSimulator) -> None:
    page.goto(f"{guarded.url}/_sim/")
    page.get_by_label("Control token").fill(TOKEN)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_test_id("live")).to_have_text("live")
    page.get_by_test_id("preset-slow-gateway").click()
    expect(page.get_by_test_id("scenario-name")).to_have_text("slow-gateway")
    page.get_by_test_id("clear-scenario").click()
    expect(page.get_by_test_id("scenario-name")).to_have_text("none")


# -- start-up on a non-loopback address --------------------------------------------------------
def test_non_loopback_start_without_a_token_is_refused_before_binding() -> None:
    # In-process first: if Settings let 0.0.0.0 through, the process below would really
    # listen on every interface, which this suite must never do.
    with pytest.raises(ValueError, match="--control-token"):
        Settings(host=EVERYWHERE).check()
    env = {k: v for k, v in os.environ.items()
           if k not in ("PAYLAB_CONTROL_TOKEN", "PAYLAB_INSECURE_CONTROL")}
    run = subprocess.run([sys.executable, "-m", "paylab.simulator", "serve", "--host", EVERYWHERE,
                          "--port", str(free_port()), "--db", ":memory:"], cwd=PROJECT,
                         env=env, capture_output=True, text=True, timeout=60, check=False)
    assert run.returncode == 2, run.stderr
    assert "--control-token" in run.stderr and "--insecure-control" in run.stderr
    assert "paylab simulator" not in run.stdout  # it never got as far as listening


def _loopback_alias() -> str:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.2", 0))
        except OSError:
            pytest.skip("this kernel does not route 127.0.0.2")
    return "127.0.0.2"


def test_insecure_control_starts_with_a_warning_and_a_banner(tmp_path: Path) -> None:
    Settings(host=EVERYWHERE, insecure_control=True).check()
    sim = start_simulator(tmp_path, host=_loopback_alias(), name="insecure",
                          flags=(*TEST_FLAGS, "--insecure-control"))
    try:
        assert sim.url.startswith("http://127.0.0.2:")
        assert "WARNING" in sim.log_text() and "--insecure-control" in sim.log_text()
        dashboard = requests.get(f"{sim.url}/_sim/", timeout=10).text
        assert 'data-testid="insecure-banner"' in dashboard
    finally:
        stop_simulator(sim)


def test_no_banner_on_a_plain_loopback_start(open_sim: LiveSimulator) -> None:
    assert 'data-testid="insecure-banner"' not in ctl(open_sim, "GET", "").text


# -- framing and the other page headers -----------------------------------------------------
def _pages(sim: LiveSimulator, guarded: LiveSimulator) -> dict[str, str]:
    api = stripe.StripeClient(key(), base_addresses={"api": sim.stripe_url})
    session = api.v1.checkout.sessions.create(params={
        "success_url": "https://shop.example/ok", "amount": 1500, "currency": "usd"})
    expired = api.v1.checkout.sessions.create(params={
        "success_url": "https://shop.example/ok", "amount": 1500, "currency": "usd"})
    api.v1.checkout.sessions.expire(expired.id)
    intent = api.v1.payment_intents.create(params={
        "amount": 2000, "currency": "usd", "confirm": True,
        "payment_method": "pm_card_threeDSecure2Required",
        "return_url": "https://shop.example/back"})
    challenge = intent.next_action.redirect_to_url.url
    return {"checkout": session.url, "checkout-expired": expired.url,
            "checkout-missing": session.url.replace(session.id, session.id + "x"),
            "challenge": challenge, "challenge-missing": challenge.split("?")[0],
            "dashboard": f"{sim.url}/_sim/", "login": f"{guarded.url}/_sim/login"}


PAGES = ("checkout", "checkout-expired", "checkout-missing", "challenge",
         "challenge-missing", "dashboard", "login")


@pytest.fixture(scope="module")
def pages(simulator: LiveSimulator, guarded: LiveSimulator) -> dict[str, str]:
    """Every kind of HTML page the simulator serves."""
    return _pages(simulator, guarded)


def assert_unframeable(answer: requests.Response, referrer: str = "no-referrer") -> None:
    assert answer.headers["Content-Type"].startswith("text/html"), answer.headers
    assert answer.headers.get("X-Frame-Options") == "DENY"
    assert "frame-ancestors 'none'" in answer.headers.get("Content-Security-Policy", "")
    assert answer.headers.get("X-Content-Type-Options") == "nosniff"
    assert answer.headers.get("Referrer-Policy") == referrer


@pytest.mark.parametrize("name", PAGES)
def test_every_html_page_refuses_framing(pages: dict[str, str], name: str) -> None:
    answer = requests.get(pages[name], timeout=10)
    # the control pages keep the Referer on same-origin requests: with no-referrer the
    # browser would send `Origin: null` on the dashboard's own PUTs and they would be refused
    assert_unframeable(answer, "same-origin" if "/_sim/" in pages[name] else "no-referrer")


@pytest.mark.parametrize("path", ["/", "/cart"])
def test_shop_pages_refuse_framing(shop: Shop, path: str) -> None:
    assert_unframeable(requests.get(shop.url + path, timeout=10), "same-origin")


def test_the_hosted_page_will_not_load_in_a_foreign_frame(page: Page,
                                                         pages: dict[str, str]) -> None:
    page.goto(pages["checkout"])
    expect(page.get_by_label("Card number")).to_be_visible()  # it does load on its own
    page.set_content(f'<iframe src="{pages["checkout"]}" width="600" height="400"></iframe>')
    page.wait_for_timeout(500)
    assert page.frame_locator("iframe").get_by_label("Card number").count() == 0
