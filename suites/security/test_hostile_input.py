"""Hostile input an attacker sent to `paylab up` (the "Hardening" issue, items 5-7):

- scenario documents nested 20,000 deep or built from YAML aliases, through the control API
  and through `paylab serve --scenario FILE`;
- webhook endpoints aimed at the simulator's own control API (two of them redelivering
  each other looped forever);
- header bytes that are not UTF-8, in every header the simulator reads;
- integers with a trailing newline, a sign or non-ASCII digits.

Pass: a clear 4xx in the gateway's own error shape naming the culprit, nothing executed,
the request journaled; never a 500.
"""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from paylab.suites.plugins.scenarios import alias_bomb
from paylab.suites.plugins.simulator import PROJECT, LiveSimulator, free_port

DEPTH_LIMIT = "32"  # simulator.scenarios.loader.MAX_DEPTH, as the error message names it


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}




DEEP = {
    "yaml flow lists": "[" * 20000 + "]" * 20000,
    "yaml under rules": "rules: " + "[" * 20000 + "]" * 20000,
    "json objects": '{"rules": [' + '{"a": ' * 20000 + "1" + "}" * 20000 + "]}",
    "json lists": '{"rules": ' + "[" * 20000 + "]" * 20000 + "}",
    "json just past the limit": '{"rules": ' + "[" * 40 + "]" * 40 + "}",
}


@pytest.mark.parametrize("case", list(DEEP))
def test_deeply_nested_scenarios_are_refused_naming_the_limit(simulator: LiveSimulator,
                                                              case: str) -> None:
    # plain requests: the report's JSON pretty-printer would recurse into the body itself
    answer = requests.put(f"{simulator.url}/_sim/scenario", data=DEEP[case].encode(),
                          timeout=30)
    assert answer.status_code == 400, answer.text[:300]
    assert answer.headers["Content-Type"].startswith("application/json")
    error = answer.json()["error"]
    assert set(error) == {"code", "message", "field"}
    assert error["code"] == "invalid_scenario"
    assert "nested deeper than" in error["message"] and DEPTH_LIMIT in error["message"], error


def test_yaml_aliases_are_refused_with_the_reason(simulator: LiveSimulator,
                                                  http: requests.Session) -> None:
    started = time.monotonic()
    answer = http.put(f"{simulator.url}/_sim/scenario", data=alias_bomb(4).encode(), timeout=30)
    assert answer.status_code == 400, answer.text[:300]
    error = answer.json()["error"]
    assert error["code"] == "invalid_scenario"
    assert "alias" in error["message"] or "anchor" in error["message"], error
    assert time.monotonic() - started < 2


@pytest.mark.parametrize("case", ["alias bomb", "deep nesting"])
def test_serve_refuses_a_hostile_scenario_file_with_exit_2(tmp_path: Path, case: str) -> None:
    path = tmp_path / "hostile.yaml"
    path.write_text(alias_bomb() if case == "alias bomb" else DEEP["yaml under rules"])
    started = time.monotonic()
    run = subprocess.run([sys.executable, "-m", "paylab.simulator", "serve",
                          "--port", str(free_port()), "--db", ":memory:",
                          "--scenario", str(path)], cwd=PROJECT,
                         timeout=60, capture_output=True, text=True, check=False)
    assert run.returncode == 2, run.stderr[-2000:]
    assert "Traceback" not in run.stderr
    assert f"paylab: scenario {path}" in run.stderr
    reason = "alias" if case == "alias bomb" else f"nested deeper than {DEPTH_LIMIT}"
    assert reason in run.stderr, run.stderr[-500:]
    assert time.monotonic() - started < 30


# -- webhook endpoints aimed at the control API ------------------------------------------------
def _self_urls(simulator: LiveSimulator) -> dict[str, str]:
    port = urlsplit(simulator.url).port
    return {
        "loopback": f"http://127.0.0.1:{port}/_sim/webhooks/1/redeliver",
        "localhost": f"http://localhost:{port}/_sim/reset",
        "LOCALHOST. upper case, trailing dot": f"http://LOCALHOST.:{port}/_sim/reset",
        "sub.localhost": f"http://hooks.localhost:{port}/_sim/reset",
        "ipv6 loopback": f"http://[::1]:{port}/_sim/reset",
        "ipv4-mapped ipv6": f"http://[::ffff:127.0.0.1]:{port}/_sim/reset",
        "0.0.0.0": f"http://0.0.0.0:{port}/_sim/clock/advance",  # noqa: S104 - a URL
        "127.0.0.2": f"http://127.0.0.2:{port}/_sim/reset",
        "short form 127.1": f"http://127.1:{port}/_sim/reset",
        "decimal 2130706433": f"http://2130706433:{port}/_sim/reset",
        "hex 0x7f000001": f"http://0x7f000001:{port}/_sim/reset",
        "dot segments": f"http://127.0.0.1:{port}/stripe/../_sim/reset",
        "percent-encoded": f"http://127.0.0.1:{port}/%5Fsim/reset",
        "double slash": f"http://127.0.0.1:{port}//_sim/reset",
        "userinfo": f"http://user:pw@127.0.0.1:{port}/_sim/reset",
        "bare /_sim": f"http://127.0.0.1:{port}/_sim",
        "https scheme, same port": f"https://127.0.0.1:{port}/_sim/reset",
    }


SELF_CASES = list(_self_urls(LiveSimulator("http://127.0.0.1:1")))


def _endpoints(simulator: LiveSimulator, key: str) -> list[dict]:
    return requests.get(f"{simulator.stripe_url}/v1/webhook_endpoints", headers=_auth(key),
                        timeout=10).json()["data"]


@pytest.mark.parametrize("case", SELF_CASES)
def test_webhook_endpoints_cannot_point_at_the_control_api(
        simulator: LiveSimulator, api_key: str, stripe_error_check: Callable, case: str) -> None:
    url = _self_urls(simulator)[case]
    created = requests.post(f"{simulator.stripe_url}/v1/webhook_endpoints", headers=_auth(api_key),
                            data={"url": url, "enabled_events[]": "*"}, timeout=10)
    assert created.status_code == 400, f"{url}: {created.status_code} {created.text[:200]}"
    assert not stripe_error_check(created.text)
    error = created.json()["error"]
    assert error["type"] == "invalid_request_error" and error["param"] == "url", error
    assert _endpoints(simulator, api_key) == []

    good = requests.post(f"{simulator.stripe_url}/v1/webhook_endpoints", headers=_auth(api_key),
                         data={"url": "http://127.0.0.1:9/hooks", "enabled_events[]": "*"},
                         timeout=10).json()
    updated = requests.post(f"{simulator.stripe_url}/v1/webhook_endpoints/{good['id']}",
                            headers=_auth(api_key), data={"url": url}, timeout=10)
    assert updated.status_code == 400, f"{url}: {updated.status_code} {updated.text[:200]}"
    assert updated.json()["error"]["param"] == "url"
    assert [e["url"] for e in _endpoints(simulator, api_key)] == ["http://127.0.0.1:9/hooks"]


def test_other_addresses_and_paths_stay_allowed(simulator: LiveSimulator, api_key: str) -> None:
    port = urlsplit(simulator.url).port
    for url in (f"http://127.0.0.1:{port}/_simulated/hooks",  # not the control API
                f"http://127.0.0.1:{port}/stripe-hooks",
                f"http://127.0.0.1:{free_port()}/_sim/webhooks/1/redeliver",  # another port
                "https://hooks.example.com/_sim/hook"):
        answer = requests.post(f"{simulator.stripe_url}/v1/webhook_endpoints",
                               headers=_auth(api_key),
                               data={"url": url, "enabled_events[]": "*"}, timeout=10)
        assert answer.status_code == 200, f"{url}: {answer.text[:200]}"


# -- header bytes that are not UTF-8 -------------------------------------------------------
READ_HEADERS = ["Idempotency-Key", "X-Paylab-Run", "X-Forwarded-For", "X-Paylab-Country",
                "CF-IPCountry", "X-Paylab-Device", "Authorization", "Stripe-Version",
                "Stripe-Account"]
IGNORED_HEADERS = ["User-Agent"]
BAD_BYTES = {"ff fe": b"probe-\xff\xfe", "lone continuation": b"probe-\x80",
             "truncated sequence": b"probe-\xe2\x82", "surrogate half": b"probe-\xed\xa0\x80"}


def _raw(simulator: LiveSimulator, method: str, path: str,
         headers: list[tuple[str, bytes]], body: bytes = b"") -> tuple[int, dict[str, str], bytes]:
    """One request with header bytes exactly as given (HTTP libraries refuse to send them)."""
    parts = urlsplit(simulator.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=15)
    try:
        conn.putrequest(method, f"/stripe{path}", skip_accept_encoding=True)
        for name, value in headers:
            conn.putheader(name, value)
        if body:
            conn.putheader("Content-Type", "application/x-www-form-urlencoded")
        conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body or None)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


@pytest.mark.parametrize("bad", list(BAD_BYTES))
@pytest.mark.parametrize("name", READ_HEADERS)
def test_non_utf8_header_bytes_get_a_stripe_400_nothing_runs_and_it_is_journaled(
        simulator: LiveSimulator, stripe_error_check: Callable, name: str, bad: str) -> None:
    key, run = f"sk_test_{uuid.uuid4().hex}", f"run-{uuid.uuid4().hex}"
    headers = {"Authorization": f"Bearer {key}".encode(), "X-Paylab-Run": run.encode()}
    value = BAD_BYTES[bad]
    headers[name] = b"Bearer " + value if name == "Authorization" else value
    status, answer_headers, body = _raw(simulator, "POST", "/v1/payment_intents",
                                        list(headers.items()), b"amount=100&currency=usd")
    assert status == 400, body[:300]
    assert answer_headers["Content-Type"].startswith("application/json")
    assert not stripe_error_check(body.decode())
    error = json.loads(body)["error"]
    assert error["type"] == "invalid_request_error" and error["param"] == name, error
    assert name in error["message"]

    listed = requests.get(f"{simulator.stripe_url}/v1/payment_intents", headers=_auth(key),
                          timeout=10).json()
    assert listed["data"] == [], "a refused request must not create anything"
    query = {"run": run} if name != "X-Paylab-Run" else {"tenant": key}
    journal = requests.get(f"{simulator.url}/_sim/journal", params={**query, "limit": 50},
                           timeout=10).json()["entries"]
    mine = [e for e in journal if e["request_id"] == answer_headers.get("Request-Id")]
    assert mine and mine[0]["status"] == 400, journal


@pytest.mark.parametrize("name", IGNORED_HEADERS)
def test_headers_the_simulator_ignores_may_carry_any_bytes(simulator: LiveSimulator,
                                                           name: str) -> None:
    key = f"sk_test_{uuid.uuid4().hex}"
    status, answer_headers, body = _raw(
        simulator, "POST", "/v1/payment_intents",
        [("Authorization", f"Bearer {key}".encode()), (name, b"probe-\xff\xfe")],
        b"amount=100&currency=usd")
    assert status == 200, body[:300]
    assert answer_headers["Content-Type"].startswith("application/json")
    journal = requests.get(f"{simulator.url}/_sim/journal", params={"tenant": key},
                           timeout=10).json()["entries"]
    assert [e["status"] for e in journal] == [200]


def test_a_retry_after_a_refused_run_header_creates_one_payment(simulator: LiveSimulator) -> None:
    key = f"sk_test_{uuid.uuid4().hex}"
    auth = ("Authorization", f"Bearer {key}".encode())
    refused, _, _ = _raw(simulator, "POST", "/v1/payment_intents",
                         [auth, ("X-Paylab-Run", b"r\xff"), ("Idempotency-Key", b"once")],
                         b"amount=100&currency=usd")
    retried, _, _ = _raw(simulator, "POST", "/v1/payment_intents",
                         [auth, ("X-Paylab-Run", b"r1"), ("Idempotency-Key", b"once")],
                         b"amount=100&currency=usd")
    assert (refused, retried) == (400, 200)
    listed = requests.get(f"{simulator.stripe_url}/v1/payment_intents", headers=_auth(key),
                          timeout=10).json()
    assert len(listed["data"]) == 1


# -- integers --------------------------------------------------------------------------------
NOT_INTEGERS = {"trailing newline": "100\n", "trailing CRLF": "100\r\n", "leading space": " 100",
                "trailing space": "100 ", "plus sign": "+100", "fullwidth digits": "１００",
                "arabic-indic digits": "١٠٠", "underscore": "1_00", "superscript": "10²"}


def _form(simulator: LiveSimulator, key: str, path: str, data: dict[str, str]
          ) -> requests.Response:
    return requests.post(f"{simulator.stripe_url}{path}", headers=_auth(key), data=data,
                         timeout=10)


@pytest.mark.parametrize("value", list(NOT_INTEGERS))
def test_amount_must_be_digits_only(simulator: LiveSimulator, api_key: str,
                                    stripe_error_check: Callable, value: str) -> None:
    answer = _form(simulator, api_key, "/v1/payment_intents",
                   {"amount": NOT_INTEGERS[value], "currency": "usd"})
    assert answer.status_code == 400, answer.text[:300]
    assert not stripe_error_check(answer.text)
    assert answer.json()["error"]["param"] == "amount"
    listed = requests.get(f"{simulator.stripe_url}/v1/payment_intents", headers=_auth(api_key),
                          timeout=10).json()
    assert listed["data"] == []


@pytest.mark.parametrize("value", ["trailing newline", "plus sign", "fullwidth digits"])
def test_other_integer_fields_must_be_digits_only(simulator: LiveSimulator, api_key: str,
                                                  value: str) -> None:
    bad = NOT_INTEGERS[value].replace("100", "50")
    intent = _form(simulator, api_key, "/v1/payment_intents", {
        "amount": "100", "currency": "usd", "payment_method": "pm_card_visa",
        "confirm": "true", "capture_method": "manual"}).json()
    capture = _form(simulator, api_key, f"/v1/payment_intents/{intent['id']}/capture",
                    {"amount_to_capture": bad})
    assert capture.status_code == 400 and capture.json()["error"]["param"] == "amount_to_capture"
    still = requests.get(f"{simulator.stripe_url}/v1/payment_intents/{intent['id']}",
                         headers=_auth(api_key), timeout=10).json()
    assert still["status"] == "requires_capture"

    expires = str(int(time.time()) + 3600)
    session = _form(simulator, api_key, "/v1/checkout/sessions", {
        "success_url": "https://example.com/ok", "amount": "1500", "currency": "usd",
        "expires_at": NOT_INTEGERS[value].replace("100", expires)})
    assert session.status_code == 400 and session.json()["error"]["param"] == "expires_at"

    listing = requests.get(f"{simulator.stripe_url}/v1/payment_intents", headers=_auth(api_key),
                           params={"limit": NOT_INTEGERS[value].replace("100", "3")}, timeout=10)
    assert listing.status_code == 400 and listing.json()["error"]["param"] == "limit"

    control = requests.get(f"{simulator.url}/_sim/journal",
                           params={"limit": NOT_INTEGERS[value].replace("100", "3")}, timeout=10)
    assert control.status_code == 400 and control.json()["error"]["field"] == "limit"


@pytest.mark.parametrize("segment", ["%C2%B2", "%D9%A1", "1%0A", "-1", "99999999999999999999"])
@pytest.mark.parametrize("action", ["redeliver", "probe"])
def test_delivery_ids_that_are_not_ascii_digits_are_not_found(simulator: LiveSimulator,
                                                              segment: str, action: str) -> None:
    answer = requests.post(f"{simulator.url}/_sim/webhooks/{segment}/{action}",
                           json={"attack": "replay"}, timeout=10)
    assert answer.status_code == 404, answer.text
    assert answer.json()["error"]["code"] == "not_found"
