"""The scenario engine without HTTP: lifetimes, matching, sampling, errors, fraud, chaos."""

from __future__ import annotations

import statistics
from typing import Any

import pytest
from paylab.simulator.contracts import Contracts
from paylab.simulator.core.clock import Clock
from paylab.simulator.core.overrides import Client
from paylab.simulator.core.risk import Attempt
from paylab.simulator.scenarios import loader
from paylab.simulator.scenarios.effects import sample_latency
from paylab.simulator.scenarios.engine import ScenarioEngine
from paylab.simulator.scenarios.facts import Facts, Match
from paylab.simulator.scenarios.model import ScenarioError
from paylab.suites.unit.conftest import FakeWall

CONTRACTS = Contracts()


def engine_with(doc: dict[str, Any], wall: FakeWall, seed: int = 1,
                tenant: str | None = None) -> ScenarioEngine:
    engine = ScenarioEngine(Clock(wall=wall), seed, lambda k: k)
    engine.load(loader.build(doc, CONTRACTS, lambda k: k), tenant)
    return engine


def get(tenant: str = "t1", **kw: Any) -> Facts:
    return Facts(gateway="stripe", method=kw.pop("method", "GET"),
                 path=kw.pop("path", "/v1/payment_intents"), tenant=tenant, **kw)


def applied(engine: ScenarioEngine, n: int, **kw: Any) -> list[str]:
    out = []
    for _ in range(n):
        plan = engine.evaluate(get(**kw))
        out.append(plan.describe() if plan else "-")
    return out


def rule(lifetime: dict | None = None, **extra: Any) -> dict:
    r = {"name": "r", "effects": [{"error": {"status": 503}}], **extra}
    if lifetime is not None:
        r["lifetime"] = lifetime
    return {"rules": [r]}


def test_first_every_and_always(wall: FakeWall) -> None:
    assert applied(engine_with(rule({"first": 2}), wall), 4) == ["r:error=503"] * 2 + ["-"] * 2
    assert applied(engine_with(rule({"every": 3}), wall), 6) == [
        "-", "-", "r:error=503", "-", "-", "r:error=503"]
    assert applied(engine_with(rule(), wall), 2) == ["r:error=503"] * 2


def test_sequence_steps_then_pass_or_repeat(wall: FakeWall) -> None:
    steps = [{"error": {"status": 503}}, {"error": {"status": 429}}, "pass"]
    doc = {"rules": [{"name": "s", "lifetime": {"sequence": steps}}]}
    assert applied(engine_with(doc, wall), 5) == [
        "s:error=503", "s:error=429", "-", "-", "-"]
    doc["rules"][0]["lifetime"]["then"] = "repeat"
    assert applied(engine_with(doc, wall), 4) == ["s:error=503", "s:error=429", "-",
                                                  "s:error=503"]


def test_probability_is_seeded(wall: FakeWall) -> None:
    doc = rule({"probability": 0.5})
    first = applied(engine_with(doc, wall, seed=3), 200)
    assert first == applied(engine_with(doc, wall, seed=3), 200)
    assert first != applied(engine_with(doc, wall, seed=4), 200)
    assert 70 < first.count("r:error=503") < 130


def test_window_counts_from_loading(wall: FakeWall) -> None:
    engine = engine_with(rule({"window": {"start": 10, "end": 20}}), wall)
    seen = []
    for t in (0, 9.9, 10, 19.9, 20):
        wall.now = 1_700_000_000.0 + t
        seen.append(applied(engine, 1)[0])
    assert seen == ["-", "-", "r:error=503", "r:error=503", "-"]


def test_ramp_rises_over_time(wall: FakeWall) -> None:
    engine = engine_with(rule({"ramp": {"from": 0.0, "to": 1.0, "over": 100}}), wall)
    early = applied(engine, 200).count("r:error=503")
    wall.now += 100
    late = applied(engine, 200).count("r:error=503")
    assert early < 30 and late == 200


def test_rate_limits_per_period(wall: FakeWall) -> None:
    engine = engine_with(rule({"rate": {"limit": 3, "per": 1}}), wall)
    assert applied(engine, 5) == ["-", "-", "-", "r:error=503", "r:error=503"]
    wall.now += 1.01
    assert applied(engine, 1) == ["-"]


def test_tenant_scenario_replaces_the_global_one(wall: FakeWall) -> None:
    engine = engine_with(rule(), wall)
    engine.load(loader.build({"rules": [{"name": "mine", "effects": [
        {"latency": {"fixed": 5}}]}]}, CONTRACTS, lambda k: k), "t2")
    assert applied(engine, 1, tenant="t1") == ["r:error=503"]
    assert applied(engine, 1, tenant="t2") == ["mine:latency=5.00ms"]
    engine.clear("t2")
    assert applied(engine, 1, tenant="t2") == ["r:error=503"]


def test_effects_combine_latency_adds_first_error_wins(wall: FakeWall) -> None:
    doc = {"rules": [
        {"name": "a", "effects": [{"latency": {"fixed": 10}}, {"error": {"status": 502}}]},
        {"name": "b", "effects": [{"latency": {"fixed": 5}}, {"error": {"status": 503}}]},
    ]}
    plan = engine_with(doc, wall).evaluate(get())
    assert plan.latency_ms == 15 and plan.error["status"] == 502


@pytest.mark.parametrize(("field", "pattern", "facts", "expected"), [
    ("path", "/v1/payment_intents*", {"path": "/v1/payment_intents/pi_1/confirm"}, True),
    ("path", "/v1/refunds", {"path": "/v1/payment_intents"}, False),
    ("method", "post", {"method": "POST"}, True),
    ("card", "4000*", {"card": "4000000000000002"}, True),
    ("bin", "424242", {"card": "4242424242424242"}, True),
    ("ip", "10.0.0.0/8", {"ip": "10.1.2.3"}, True),
    ("ip", "10.0.0.0/8", {"ip": "192.168.0.1"}, False),
    ("country", "tw", {"country": "TW"}, True),
    ("email", "*@example.com", {"email": "Ann@Example.com"}, True),
    ("run", ["a", "b"], {"run": "b"}, True),
    ("currency", "usd", {}, False),
])
def test_match_fields(field: str, pattern: Any, facts: dict, expected: bool) -> None:
    match = Match.parse({field: pattern}, lambda k: k)
    assert match.test(Facts("stripe", **{"method": "GET", "path": "/", **facts})) is expected


def test_amount_range_and_tenant_keys() -> None:
    match = Match.parse({"amount": {"min": 100, "max": 200}, "tenant": "sk_test_x"},
                        lambda k: "acct_" + k)
    assert match.test(Facts("stripe", "POST", "/", tenant="acct_sk_test_x", amount=150))
    assert not match.test(Facts("stripe", "POST", "/", tenant="acct_sk_test_x", amount=250))
    assert not match.test(Facts("stripe", "POST", "/", tenant="acct_other", amount=150))


def test_latency_distributions_have_their_shape() -> None:
    import random

    rng = random.Random(1)
    fixed = sample_latency({"fixed": 50}, rng)
    uniform = [sample_latency({"uniform": [10, 20]}, rng) for _ in range(2000)]
    normal = [sample_latency({"normal": {"mean": 100, "stddev": 10}}, rng) for _ in range(4000)]
    lognormal = sorted(sample_latency({"lognormal": {"p50": 40, "p99": 400}}, rng)
                       for _ in range(20000))
    assert fixed == 50
    assert min(uniform) >= 10 and max(uniform) <= 20
    assert abs(statistics.mean(normal) - 100) < 1.5
    assert abs(lognormal[10000] - 40) < 3
    assert abs(lognormal[19800] - 400) < 60


@pytest.mark.parametrize(("doc", "where"), [
    ({"rules": [{"name": "x", "effects": [{"latency": {"fixed": -5}}]}]},
     'rules[0] "x": effects[0].latency.fixed'),
    ({"rules": [{"name": "y", "effects": [{"teleport": {}}]}]}, 'rules[0] "y": effects[0]'),
    ({"rules": [{"name": "z", "lifetime": {"first": 1, "every": 2},
                 "effects": [{"error": {"status": 503}}]}]}, 'rules[0] "z": lifetime'),
    ({"rules": [{"name": "ln", "effects": [{"latency": {"lognormal": {"p50": 90, "p99": 10}}}]}]},
     'rules[0] "ln": effects[0]'),
    ({"rules": [{"name": "mix", "effects": [{"latency": {"fixed": 1}},
                                            {"webhook": {"delay": 1}}]}]},
     'rules[0] "mix": effects'),
    ({"rules": [{"name": "none"}]}, 'rules[0] "none": effects'),
    ({"fraud": [{"name": "f", "action": "decline"}]}, 'fraud[0] "f"'),
    ({"fraud": [{"name": "g", "action": "ban", "amount_above": 1}]}, 'fraud[0] "g": action'),
    ({"rules": [{"name": "e", "effects": [{"error": {"status": 418}}]}]},
     'rules[0] "e": effects[0].error.status'),
])
def test_bad_documents_name_the_rule_and_field(doc: dict, where: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        loader.build(doc, CONTRACTS, lambda k: k)
    assert caught.value.where.startswith(where), caught.value


def test_unreadable_text_is_a_scenario_error() -> None:
    with pytest.raises(ScenarioError):
        loader.read_text("rules: [unclosed")
    with pytest.raises(ScenarioError):
        loader.read_text("- just\n- a list\n")


def test_every_preset_loads_and_has_a_description() -> None:
    names = loader.preset_names()
    assert {"slow-gateway", "flaky-network", "gateway-outage", "rate-limited", "webhook-chaos",
            "card-testing-attack", "high-risk-geography"} <= set(names)
    for name in names:
        scenario = loader.build(loader.preset_document(name), CONTRACTS, lambda k: k)
        assert scenario.name == name and scenario.rules + scenario.fraud
    assert all(p["description"] for p in loader.list_presets())


def attempt(wall: FakeWall, *, amount: int = 2000, ip: str = "1.2.3.4", country: str = "US",
            card: str = "fp1", email: str | None = None) -> Attempt:
    return Attempt("t1", amount, "usd", card, "424242", "US", email,
                   Client(ip=ip, country=country), wall.now)


def test_card_testing_detector_and_velocity(wall: FakeWall) -> None:
    engine = engine_with({"fraud": [
        {"name": "ct", "card_testing": {"small_amount": 300, "count": 3, "window": 60},
         "action": "decline"},
        {"name": "vel", "velocity": {"key": "card", "sum": 10000, "window": 60},
         "action": "review"},
    ]}, wall)
    verdicts = [engine.assess(attempt(wall, amount=100, card=f"c{i}")) for i in range(5)]
    assert [v.rule if v else None for v in verdicts] == [None, None, None, "ct", "ct"]
    assert verdicts[-1].action == "decline" and verdicts[-1].risk_level == "highest"
    other_ip = engine.assess(attempt(wall, amount=100, ip="5.6.7.8", card="c9"))
    assert other_ip is None
    first = engine.assess(attempt(wall, amount=6000, ip="9.9.9.9", card="big"))
    second = engine.assess(attempt(wall, amount=6000, ip="9.9.9.9", card="big"))
    assert first is None and second.rule == "vel" and second.action == "review"
    wall.now += 61
    assert engine.assess(attempt(wall, amount=6000, ip="9.9.9.9", card="big")) is None


def test_geo_amount_and_block_lists(wall: FakeWall) -> None:
    engine = engine_with({"fraud": [
        {"name": "blocked", "block_list": {"emails": ["*@fraud.test"], "ips": ["6.6.6.0/24"]},
         "action": "decline"},
        {"name": "big-foreign", "country_mismatch": True, "amount_above": 50000,
         "action": "review", "risk_score": 80},
        {"name": "foreign", "country_mismatch": True, "action": "require_3ds"},
    ]}, wall)
    assert engine.assess(attempt(wall)) is None
    assert engine.assess(attempt(wall, email="x@FRAUD.test")).rule == "blocked"
    assert engine.assess(attempt(wall, ip="6.6.6.9")).rule == "blocked"
    foreign = engine.assess(attempt(wall, country="TW"))
    assert (foreign.rule, foreign.action) == ("foreign", "require_3ds")
    big = engine.assess(attempt(wall, country="TW", amount=60000))
    assert (big.rule, big.risk_score, big.risk_level) == ("big-foreign", 80, "elevated")


def test_webhook_chaos_plans_copies(wall: FakeWall) -> None:
    engine = engine_with({"rules": [{"name": "w", "match": {"event": "charge.*"}, "effects": [
        {"webhook": {"duplicate": 2, "delay": 5, "reorder": 3, "bad_signature": True}}]}]},
        wall)
    event = {"gateway": "stripe", "type": "charge.succeeded", "object": {"amount": 1}}
    chaos = engine.chaos("t1", event, {"url": "http://x/"})
    plans = [chaos.for_copy(i) for i in range(1 + chaos.duplicate)]
    assert len(plans) == 3 and all(5 <= p["delay"] <= 8 and p["bad_signature"] for p in plans)
    assert engine.chaos("t1", {**event, "type": "refund.created"}, {"url": "http://x/"}) is None
