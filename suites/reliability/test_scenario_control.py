"""Switching scenarios at runtime, refusing bad ones, reproducibility from the seed,
presets, and `paylab serve --scenario FILE`."""

from __future__ import annotations

import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import requests
import stripe
from paylab.suites.plugins.scenarios import TenantScenario
from paylab.suites.plugins.simulator import PROJECT, start_simulator, stop_simulator
from paylab.suites.plugins.standing_clock import start_with_standing_clock

OUTAGE = {"name": "outage", "rules": [{"name": "down", "effects": [{"error": {"status": 503}}]}]}


def test_put_and_delete_take_effect_on_the_next_request_without_losing_state(
        simulator, stripe_client: stripe.StripeClient, scenario: TenantScenario) -> None:
    uptime = requests.get(f"{simulator.url}/_sim/health", timeout=5).json()["uptime_seconds"]
    pi = stripe_client.v1.payment_intents.create(params={"amount": 2000, "currency": "usd"})
    scenario.put(OUTAGE)
    with pytest.raises(stripe.APIError):
        stripe_client.v1.payment_intents.retrieve(pi.id)
    scenario.clear()
    assert stripe_client.v1.payment_intents.retrieve(pi.id).id == pi.id
    scenario.put({"rules": [{"name": "slow", "effects": [{"latency": {"fixed": 1}}]}]})
    assert stripe_client.v1.payment_intents.retrieve(pi.id).amount == 2000
    health = requests.get(f"{simulator.url}/_sim/health", timeout=5).json()
    assert health["uptime_seconds"] > uptime, "no restart happened"


BAD = {
    "negative latency": ("rules:\n  - name: slow\n    effects: [{latency: {fixed: -1}}]\n",
                         'rules[0] "slow": effects[0].latency.fixed'),
    "unknown effect": ("rules:\n  - name: odd\n    effects: [{teleport: {}}]\n",
                       'rules[0] "odd": effects[0]'),
    "two lifetimes": ("rules:\n  - name: both\n    lifetime: {first: 1, every: 2}\n"
                      "    effects: [{error: {status: 503}}]\n", 'rules[0] "both": lifetime'),
    "bad status": ('{"rules": [{"name": "teapot", "effects": [{"error": {"status": 418}}]}]}',
                   'rules[0] "teapot": effects[0].error.status'),
    "broken yaml": ("rules: [unclosed\n", None),
    "fraud without checks": ("fraud:\n  - {name: lazy, action: decline}\n", 'fraud[0] "lazy"'),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_scenarios_are_refused_and_the_active_one_stays(simulator, api_key, http,
                                                           scenario: TenantScenario,
                                                           case: str) -> None:
    scenario.put(OUTAGE)
    body, field = BAD[case]
    response = http.put(f"{simulator.url}/_sim/scenario", params={"tenant": api_key},
                        data=body.encode(), timeout=10)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_scenario"
    if field:
        assert error["field"].startswith(field), error
        assert error["message"].startswith(field)
    assert scenario.state()["scenario"]["name"] == "outage"
    assert http.get(f"{simulator.stripe_url}/v1/payment_intents", timeout=10,
                    headers={"Authorization": f"Bearer {api_key}"}).status_code == 503


def _effects_of_a_run(simulator, http, api_key: str, seed: int) -> list[str | None]:
    tenant = TenantScenario(simulator, http, api_key)
    tenant.put({"seed": seed, "rules": [
        {"name": "jitter", "lifetime": {"probability": 0.6},
         "effects": [{"latency": {"lognormal": {"p50": 2, "p99": 20}}}]},
        {"name": "flaky", "match": {"method": "POST"}, "lifetime": {"probability": 0.3},
         "effects": [{"error": {"status": 503}}]},
        {"name": "declines", "lifetime": {"every": 4},
         "effects": [{"outcome": {"decline": "do_not_honor"}}]},
    ]})
    before = len(tenant.journal())
    headers = {"Authorization": f"Bearer {api_key}"}
    for i in range(30):
        http.post(f"{simulator.stripe_url}/v1/payment_intents", headers=headers, timeout=10,
                  data={"amount": 1000 + i, "currency": "usd", "payment_method": "pm_card_visa",
                        "confirm": "true"})
    return tenant.effects()[before:]


def test_same_seed_same_effects_byte_for_byte(simulator, http, scenario: TenantScenario,
                                              api_key: str) -> None:
    first = _effects_of_a_run(simulator, http, api_key, seed=42)
    again = _effects_of_a_run(simulator, http, api_key, seed=42)
    other = _effects_of_a_run(simulator, http, api_key, seed=43)
    assert "\n".join(map(str, first)) == "\n".join(map(str, again))
    assert first != other
    assert sum(e is not None for e in first) >= 15, first


def test_presets_are_listed_and_switchable(simulator, http, api_key, tmp_path: Path) -> None:
    """The outage preset's 30 s window, on a simulator of the test's own with a standing
    clock: moving the clock of the layer's shared simulator would shift every other test's
    timers and retries."""
    listed = http.get(f"{simulator.url}/_sim/scenario/presets", timeout=10).json()["presets"]
    assert {p["name"] for p in listed} >= {
        "slow-gateway", "flaky-network", "gateway-outage", "rate-limited", "webhook-chaos",
        "card-testing-attack", "high-risk-geography"}
    active = http.get(f"{simulator.url}/_sim/scenario", timeout=10).json()["scenario"]
    assert http.put(f"{simulator.url}/_sim/scenario", timeout=10,
                    params={"preset": "no-such-preset"}).status_code == 400
    assert http.get(f"{simulator.url}/_sim/scenario", timeout=10).json()["scenario"] == active, \
        "a refused preset changes nothing"
    own = start_with_standing_clock(tmp_path, name="outage")
    try:
        http.put(f"{own.url}/_sim/scenario", params={"tenant": api_key, "ahead": "true",
                                                      "preset": "gateway-outage"},
                 timeout=10).raise_for_status()
        url, headers = f"{own.stripe_url}/v1/payment_intents", {
            "Authorization": f"Bearer {api_key}"}
        assert http.get(url, headers=headers, timeout=10).status_code == 503
        http.post(f"{own.url}/_sim/clock/advance", json={"seconds": 29.5},
                  timeout=10).raise_for_status()
        assert http.get(url, headers=headers, timeout=10).status_code == 503, "still down"
        http.post(f"{own.url}/_sim/clock/advance", json={"seconds": 1},
                  timeout=10).raise_for_status()
        assert http.get(url, headers=headers, timeout=10).status_code == 200, "recovered"
    finally:
        stop_simulator(own)


def test_rate_limited_preset_answers_429_beyond_the_limit(tmp_path: Path, api_key: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    # the limit is per second of virtual time: at the suite's 20x a second lasts 50 ms of
    # real time, shorter than 40 requests take on a busy machine, so run at real time
    sim = start_simulator(tmp_path, name="rate", flags=("--time-scale", "1"))
    try:
        requests.put(f"{sim.url}/_sim/scenario", params={"preset": "rate-limited",
                                                          "tenant": api_key, "ahead": "true"},
                     timeout=10).raise_for_status()
        url = f"{sim.stripe_url}/v1/payment_intents"
        headers = {"Authorization": f"Bearer {api_key}"}
        with ThreadPoolExecutor(8) as pool:
            responses = list(pool.map(lambda _: requests.get(url, headers=headers, timeout=10),
                                      range(40)))
    finally:
        stop_simulator(sim)
    limited = [r for r in responses if r.status_code == 429]
    assert 10 <= len(limited) <= 25, [r.status_code for r in responses]
    assert all(r.headers["Retry-After"] == "1" for r in limited)


def test_scenario_file_at_start_and_kept_across_restarts(tmp_path: Path) -> None:
    path = tmp_path / "outage.yaml"
    path.write_text("name: from-file\nrules:\n  - name: down\n    match: {method: GET}\n"
                    "    effects: [{error: {status: 502}}]\n")
    flags = ("--scenario", str(path), "--time-scale", "20")
    sim = start_simulator(tmp_path, flags=flags, name="with-file")
    key = {"Authorization": f"Bearer sk_test_{uuid.uuid4().hex}"}
    try:
        assert requests.get(f"{sim.url}/_sim/scenario", timeout=5).json()["scenario"][
            "name"] == "from-file"
        assert requests.get(f"{sim.url}/stripe/v1/payment_intents", headers=key,
                            timeout=5).status_code == 502
        requests.put(f"{sim.url}/_sim/scenario", data=b"name: switched\nrules: []\n",
                     timeout=5).raise_for_status()
        sim.kill(signal.SIGKILL)
    finally:
        stop_simulator(sim)
    again = start_simulator(tmp_path, db=sim.db, name="restarted")
    try:
        state = requests.get(f"{again.url}/_sim/scenario", timeout=5).json()
        assert state["scenario"]["name"] == "switched"
        assert requests.get(f"{again.url}/stripe/v1/payment_intents", headers=key,
                            timeout=5).status_code == 200
    finally:
        stop_simulator(again)


def test_a_bad_scenario_file_stops_the_start_with_the_reason(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("rules:\n  - name: typo\n    effects: [{latncy: {fixed: 5}}]\n")
    run = subprocess.run([sys.executable, "-m", "paylab.simulator", "serve", "--port", "0", "--db",
                          ":memory:", "--scenario", str(path)], cwd=PROJECT, timeout=30,
                         capture_output=True, text=True, check=False)
    assert run.returncode == 2
    assert 'rules[0] "typo": effects[0]' in run.stderr
