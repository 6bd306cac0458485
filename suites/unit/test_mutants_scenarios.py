"""The scenario engine's parts in detail: how effects fold into a plan, what a plan says,
webhook chaos per copy, scopes and their persistence, matching, fraud keys and windows,
and the errors a bad document gets."""

from __future__ import annotations

import random
from typing import Any

import pytest
from paylab.simulator.core.cards import fingerprint
from paylab.simulator.core.clock import Clock
from paylab.simulator.core.overrides import Client
from paylab.simulator.core.risk import Attempt
from paylab.simulator.core.store import Store
from paylab.simulator.scenarios import loader
from paylab.simulator.scenarios.effects import (
    Chaos,
    Plan,
    decline_behaviour,
    outcome_behaviour,
    sample_latency,
)
from paylab.simulator.scenarios.engine import ScenarioEngine
from paylab.simulator.scenarios.facts import Facts, Match
from paylab.simulator.scenarios.model import Effect, ScenarioError, where_of
from paylab.suites.unit.conftest import FakeWall
from paylab.suites.unit.inprocess import contracts


def build(doc: dict[str, Any]) -> Any:
    return loader.build(doc, contracts(), lambda key: "acct_" + key)


def engine(wall: FakeWall, store: Store | None = None) -> ScenarioEngine:
    return ScenarioEngine(Clock(wall=wall), 1, lambda key: "acct_" + key, store)


def facts(**values: Any) -> Facts:
    return Facts(**{"gateway": "stripe", "method": "POST", "path": "/v1/payment_intents",
                    **values})


# -- plans ------------------------------------------------------------------------------------
def test_the_first_error_or_fault_wins_and_excludes_the_other() -> None:
    rng = random.Random(1)
    plan = Plan()
    plan.add("a", Effect("network", {"fault": "reset"}), rng)
    plan.add("b", Effect("error", {"status": 503}), rng)
    plan.add("c", Effect("network", {"fault": "hang"}), rng)
    assert (plan.network, plan.error) == ({"fault": "reset"}, None)
    assert plan.describe() == "a:network=reset"
    other = Plan()
    other.add("a", Effect("error", {"status": 500, "when": "after"}), rng)
    other.add("b", Effect("network", {"fault": "reset"}), rng)
    other.add("c", Effect("error", {"status": 502}), rng)
    assert (other.error, other.network) == ({"status": 500, "when": "after"}, None)
    assert other.describe() == "a:error=500@after"


def test_outcomes_first_wins_and_are_labelled() -> None:
    rng = random.Random(1)
    plan = Plan()
    plan.add("p", Effect("outcome", {"processing": {}}), rng)
    plan.add("d", Effect("outcome", {"decline": "lost_card"}), rng)
    plan.add("l", Effect("latency", {"fixed": 2.5}), rng)
    assert plan.outcome is not None and plan.outcome.outcome == "processing"
    assert plan.describe() == "p:outcome=processing:5s->succeed; l:latency=2.50ms"
    assert plan.latency_ms == 2.5
    labels = []
    for spec in ({"decline": "lost_card"}, {"require_3ds": True},
                 {"processing": {"seconds": 1.5, "then": "decline:expired_card"}}):
        one = Plan()
        one.add("r", Effect("outcome", spec), rng)
        labels.append(one.describe())
    assert labels == ["r:outcome=decline:lost_card", "r:outcome=require_3ds",
                      "r:outcome=processing:1.5s->decline:expired_card"]


def test_forced_outcomes_carry_the_published_codes() -> None:
    fraud = decline_behaviour("fraudulent")
    assert (fraud.outcome, fraud.risk_level, fraud.risk_score) == ("block", "highest", 95)
    expired = decline_behaviour("expired_card")
    assert (expired.outcome, expired.code, expired.decline_code, expired.message) == (
        "decline", "expired_card", "expired_card", "Your card has expired.")
    unknown = decline_behaviour("do_not_honor")
    assert (unknown.code, unknown.decline_code, unknown.message) == (
        "declined", "do_not_honor", "Your card was declined.")
    assert outcome_behaviour({"require_3ds": True}).outcome == "authenticate"
    settle = outcome_behaviour({"processing": {}})
    assert (settle.outcome, settle.delay, settle.then.outcome) == ("processing", 5.0, "succeed")
    later = outcome_behaviour({"processing": {"seconds": 9, "then": "decline:lost_card"}})
    assert (later.delay, later.then.outcome, later.then.decline_code) == (
        9.0, "decline", "lost_card")


def test_latency_samples_are_in_milliseconds_from_their_distribution() -> None:
    rng = random.Random(4)
    assert sample_latency({"fixed": 7}, rng) == 7.0
    assert sample_latency({"normal": {"mean": -50, "stddev": 1}}, rng) == 0.0
    same = random.Random(9)
    assert sample_latency({"lognormal": {"p50": 100, "p99": 100}}, same) == pytest.approx(100)


def test_webhook_chaos_merges_rules_and_plans_each_copy() -> None:
    rng = random.Random(2)
    chaos = Chaos()
    chaos.add("a", Effect("webhook", {"delay": 5, "duplicate": 1, "drop_then_retry": 2}), rng)
    chaos.add("b", Effect("webhook", {"delay": 3, "duplicate": 3, "stale_timestamp": 60,
                                      "bad_signature": True}), rng)
    chaos.add("c", Effect("webhook", {"duplicate": 2, "drop_then_retry": 1,
                                      "stale_timestamp": 30}), rng)
    assert (chaos.delay, chaos.duplicate, chaos.drop_then_retry) == (8, 3, 2)
    assert (chaos.bad_signature, chaos.stale_timestamp, chaos.jitter) == (True, 60, [])
    note = ("a:webhook=delay=5,drop_then_retry=2,duplicate=1; b:webhook=bad_signature=True,"
            "delay=3,duplicate=3,stale_timestamp=60; c:webhook=drop_then_retry=1,duplicate=2,"
            "stale_timestamp=30")
    assert chaos.for_copy(0) == {"delay": 8, "drop_then_retry": 2, "bad_signature": True,
                                 "stale_timestamp": 60, "note": note}
    assert chaos.for_copy(2)["note"] == note + " (copy 2)"
    calm = Chaos()
    calm.add("q", Effect("webhook", {"delay": 1}), rng)
    assert (calm.bad_signature, calm.duplicate) == (False, 0)


def test_reordering_draws_one_jitter_per_copy_within_the_bound() -> None:
    short = Chaos()
    short.add("r", Effect("webhook", {"reorder": 0.5}), random.Random(5))
    assert all(0 <= j <= 0.5 for j in short.jitter)
    chaos = Chaos()
    chaos.add("r", Effect("webhook", {"reorder": 10, "delay": 1}), random.Random(5))
    assert len(chaos.jitter) == 11 and all(0 <= j <= 10 for j in chaos.jitter)
    assert [chaos.for_copy(i)["delay"] for i in range(3)] == [1 + j for j in chaos.jitter[:3]]
    assert len(set(chaos.jitter)) == 11


# -- the engine -------------------------------------------------------------------------------
def test_an_idle_engine_has_no_scenario_anywhere(wall: FakeWall) -> None:
    idle = engine(wall)
    assert idle.idle and idle.scopes() == [] and idle.evaluate(facts()) is None
    assert idle.state() == {"scope": "*", "scenario": None, "loaded_at": None, "rules": []}
    assert idle.chaos("t", {"gateway": "stripe", "type": "x"}, {"url": "u"}) is None
    assert not idle.clear()


def test_state_counts_request_webhook_and_fraud_rules(wall: FakeWall) -> None:
    active = engine(wall)
    doc = {"name": "all", "rules": [
        {"name": "slow", "effects": [{"latency": {"fixed": 1}}]},
        {"name": "hooks", "effects": [{"webhook": {"delay": 1}}]}],
        "fraud": [{"name": "big", "amount_above": 10, "action": "review"}]}
    active.load(build(doc), "acct_t")
    assert not active.idle and active.scopes() == ["acct_t"]
    active.evaluate(facts(tenant="acct_t"))
    state = active.state("acct_t")
    assert state["scope"] == "acct_t" and state["loaded_at"] == wall.now
    assert state["scenario"] == doc
    assert state["rules"] == [
        {"name": "slow", "phase": "request", "matches": 1, "applied": 1},
        {"name": "hooks", "phase": "webhook", "matches": 0, "applied": 0},
        {"name": "big", "phase": "fraud", "matches": 0, "applied": 0}]
    assert active.state()["scenario"] is None  # the global scope is still empty


def test_webhook_chaos_needs_a_webhook_rule_that_matches(wall: FakeWall) -> None:
    active = engine(wall)
    active.load(build({"rules": [
        {"name": "big", "match": {"amount": {"min": 1000}, "currency": "usd",
                                  "event": "charge.*"},
         "effects": [{"webhook": {"duplicate": 1}}]}]}))
    event = {"gateway": "stripe", "type": "charge.succeeded",
             "object": {"amount": 1000, "currency": "usd"}}
    assert active.chaos("acct_t", event, {"url": "https://x/"}).duplicate == 1
    assert active.chaos("acct_t", {**event, "object": {"amount": 999, "currency": "usd"}},
                        {"url": "https://x/"}) is None
    assert active.chaos("acct_t", {**event, "object": None}, {"url": "https://x/"}) is None
    requests_only = engine(wall)
    requests_only.load(build({"rules": [{"name": "e", "effects": [{"error": {"status": 503}}]}]}))
    assert requests_only.chaos("acct_t", event, {"url": "https://x/"}) is None


def test_scopes_persist_and_are_forgotten_by_resets(wall: FakeWall) -> None:
    store = Store(":memory:")
    first = engine(wall, store)
    doc = {"name": "g", "rules": [{"name": "e", "effects": [{"error": {"status": 503}}]}]}
    first.load(build(doc))
    first.load(build({**doc, "name": "mine"}), "acct_a")
    first.load(build({**doc, "name": "theirs"}), "acct_b")
    restarted = engine(wall, store)
    assert sorted(restarted.restore(contracts())) == ["*", "acct_a", "acct_b"]
    assert restarted.scopes() == ["*", "acct_a", "acct_b"]
    assert restarted.state("acct_a")["scenario"]["name"] == "mine"
    restarted.forget_tenants("acct_a")
    assert restarted.scopes() == ["*", "acct_b"]
    assert engine(wall, store).restore(contracts()) == ["*", "acct_b"]
    restarted.forget_tenants(None)
    assert restarted.scopes() == [] and engine(wall, store).restore(contracts()) == []
    assert engine(wall).restore(contracts()) == []  # no store: nothing to restore


def test_a_scenario_seed_fixes_its_sampling(wall: FakeWall) -> None:
    doc = {"seed": 5, "rules": [{"name": "p", "lifetime": {"probability": 0.5},
                                 "effects": [{"error": {"status": 503}}]}]}

    def pattern(default_seed: int) -> list[bool]:
        active = ScenarioEngine(Clock(wall=wall), default_seed, lambda k: k)
        active.load(build(doc))
        return [active.evaluate(facts()) is not None for _ in range(40)]

    assert pattern(1) == pattern(2)
    unseeded = {k: v for k, v in doc.items() if k != "seed"}

    def default(default_seed: int) -> list[bool]:
        active = ScenarioEngine(Clock(wall=wall), default_seed, lambda k: k)
        active.load(build(unseeded))
        return [active.evaluate(facts()) is not None for _ in range(40)]

    assert default(1) != default(2)


def test_fraud_rules_apply_only_where_loaded(wall: FakeWall) -> None:
    active = engine(wall)
    active.load(build({"rules": [{"name": "e", "effects": [{"error": {"status": 503}}]}]}))
    attempt = Attempt("acct_t", 99999, "usd", "fp", "424242", "US", None, Client(), wall.now)
    assert active.assess(attempt) is None
    active.load(build({"fraud": [{"name": "big", "amount_above": 10, "action": "decline"}]}),
                "acct_t")
    decision = active.assess(attempt)
    assert (decision.action, decision.rule, decision.risk_score, decision.risk_level) == (
        "decline", "big", 90, "highest")


# -- lifetimes --------------------------------------------------------------------------------
def count_applied(wall: FakeWall, lifetime: dict[str, Any], times: list[float]) -> list[bool]:
    active = engine(wall)
    active.load(build({"rules": [{"name": "r", "lifetime": lifetime,
                                  "effects": [{"error": {"status": 503}}]}]}))
    start, out = wall.now, []
    for at in times:
        wall.now = start + at
        out.append(active.evaluate(facts()) is not None)
    return out


def test_windows_without_an_end_last_and_default_to_the_start(wall: FakeWall) -> None:
    assert count_applied(wall, {"window": {"start": 5}}, [0, 4.9, 5, 1e6]) == [
        False, False, True, True]
    assert count_applied(wall, {"window": {"end": 5}}, [0, 4.9, 5]) == [True, True, False]


def test_rates_default_to_a_second_and_the_ramp_stops_at_its_end(wall: FakeWall) -> None:
    assert count_applied(wall, {"rate": {"limit": 1}}, [0, 0.5, 1.0, 1.5]) == [
        False, True, False, True]
    assert count_applied(wall, {"rate": {"limit": 1, "per": 10}}, [0, 5, 9.9, 10]) == [
        False, True, True, False]
    ramp = count_applied(wall, {"ramp": {"from": 0.0, "to": 0.0, "over": 10}},
                         [0, 5, 20, 100])
    assert ramp == [False] * 4
    assert all(count_applied(wall, {"ramp": {"from": 1.0, "to": 1.0, "over": 10}},
                             [0, 50, 500]))
    assert count_applied(wall, {"every": 2}, [0, 0, 0, 0]) == [False, True, False, True]
    assert count_applied(wall, {"first": 1}, [0, 0]) == [True, False]


# -- matching ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("spec", "values", "expected"), [
    ({"bin": "4242*"}, {"card": "4242424242424242"}, True),
    ({"bin": "4242"}, {"card": None}, False),
    ({"bin": ["5555", "4000"]}, {"card": "4000000000000002"}, True),
    ({"ip": "10.1.*"}, {"ip": "10.1.9.9"}, True),
    ({"ip": "10.0.0.0/8"}, {"ip": "not-an-ip"}, False),
    ({"ip": "bad/cidr"}, {"ip": "10.0.0.1"}, False),
    ({"ip": "10.1.2.3/8"}, {"ip": "10.9.9.9"}, True),  # host bits set: still the network
    ({"device": "phone-*"}, {"device": "phone-7"}, True),
    ({"device": "phone-*"}, {"device": "Phone-7"}, False),
    ({"currency": "USD"}, {"currency": "usd"}, True),
    ({"amount": {"min": 100}}, {"amount": None}, False),
    ({"amount": {"max": 100}}, {"amount": 100}, True),
    ({"amount": {"max": 100}}, {"amount": 101}, False),
    ({"amount": {"min": 100}}, {"amount": 100}, True),
    ({"amount": {"min": 100}}, {"amount": 99}, False),
    ({"tenant": "sk_test_x"}, {"tenant": "acct_sk_test_x"}, True),
    ({"event": "charge.*"}, {"event": None}, False),
    ({}, {}, True),
])
def test_matching(spec: dict[str, Any], values: dict[str, Any], expected: bool) -> None:
    match = Match.parse(spec, lambda key: "acct_" + key)
    assert match.test(facts(**values)) is expected


def test_a_match_spec_is_not_consumed_by_parsing() -> None:
    spec = {"amount": {"min": 5}, "method": ["POST", "Get"]}
    match = Match.parse(spec, lambda key: key)
    assert spec == {"amount": {"min": 5}, "method": ["POST", "Get"]}
    assert match.patterns == {"method": ("post", "get")}
    assert (match.amount_min, match.amount_max) == (5, None)


# -- fraud keys and lists ---------------------------------------------------------------------
def attempt(wall: FakeWall, **changes: Any) -> Attempt:
    fields: dict[str, Any] = {
        "tenant": "acct_t", "amount": 100, "currency": "usd", "card_fingerprint": "fp",
        "card_bin": "424242", "card_country": "US", "email": None,
        "client": Client(ip="1.2.3.4", country="US", device="d1"), "at": wall.now, **changes}
    return Attempt(**fields)


def fraud_engine(wall: FakeWall, *rules: dict[str, Any]) -> ScenarioEngine:
    active = engine(wall)
    active.load(build({"fraud": list(rules)}))
    return active


@pytest.mark.parametrize(("key", "first", "same_key", "other_key"), [
    ("email", {"email": "A@x.com"}, {"email": "a@X.COM"}, {"email": "b@x.com"}),
    ("device", {}, {"client": Client(device="d1")}, {"client": Client(device="d2")}),
    ("ip", {}, {"client": Client(ip="1.2.3.4")}, {"client": Client(ip="5.6.7.8")}),
    ("card", {}, {"card_fingerprint": "fp"}, {"card_fingerprint": "other"}),
])
def test_velocity_counts_per_key(wall: FakeWall, key: str, first: dict, same_key: dict,
                                 other_key: dict) -> None:
    active = fraud_engine(wall, {"name": "v", "velocity": {"key": key, "count": 1,
                                                           "window": 60},
                                 "action": "decline"})
    assert active.assess(attempt(wall, **first)) is None
    assert active.assess(attempt(wall, **other_key)) is None
    assert active.assess(attempt(wall, **same_key)).rule == "v"


def test_velocity_without_the_key_never_fires(wall: FakeWall) -> None:
    active = fraud_engine(wall, {"name": "v", "velocity": {"key": "email", "count": 1,
                                                           "window": 60},
                                 "action": "decline"})
    for _ in range(3):
        assert active.assess(attempt(wall, email=None)) is None
        assert active.assess(attempt(wall, email="")) is None


def test_velocity_sums_amounts_inside_the_window(wall: FakeWall) -> None:
    active = fraud_engine(wall, {"name": "s", "velocity": {"key": "card", "sum": 1000,
                                                           "window": 60},
                                 "action": "review"})
    assert active.assess(attempt(wall, amount=600)) is None
    assert active.assess(attempt(wall, amount=400)) is None  # 1000: not above
    assert active.assess(attempt(wall, amount=1)).rule == "s"
    wall.now += 60
    assert active.assess(attempt(wall, amount=999)) is None  # the window slid past


def test_card_testing_counts_only_small_amounts(wall: FakeWall) -> None:
    active = fraud_engine(wall, {"name": "ct", "card_testing": {
        "small_amount": 100, "count": 1, "window": 60}, "action": "decline"})
    assert active.assess(attempt(wall, amount=100)) is None
    assert active.assess(attempt(wall, amount=101)) is None
    assert active.assess(attempt(wall, amount=101)) is None
    assert active.assess(attempt(wall, amount=50)).rule == "ct"


@pytest.mark.parametrize(("key", "one", "other"), [
    ("device", Client(ip="1.1.1.1", device="a"), Client(ip="1.1.1.1", device="b")),
    ("tenant", Client(ip="1.1.1.1"), Client(ip="1.1.1.1")),
])
def test_card_testing_can_count_per_device_or_tenant(wall: FakeWall, key: str, one: Client,
                                                      other: Client) -> None:
    active = fraud_engine(wall, {"name": "ct", "card_testing": {
        "count": 1, "window": 60, "key": key}, "action": "decline"})
    assert active.assess(attempt(wall, client=one)) is None
    other_tenant = "acct_u" if key == "tenant" else "acct_t"
    assert active.assess(attempt(wall, client=other, tenant=other_tenant)) is None
    assert active.assess(attempt(wall, client=one)).rule == "ct"


def test_card_testing_defaults_to_300_by_ip(wall: FakeWall) -> None:
    active = fraud_engine(wall, {"name": "ct", "card_testing": {"count": 1, "window": 60},
                                 "action": "decline"})
    assert active.assess(attempt(wall, amount=300)) is None
    assert active.assess(attempt(wall, amount=301, client=Client(ip="1.2.3.4"))) is None
    assert active.assess(attempt(wall, amount=300, client=Client(ip="9.9.9.9"))) is None
    assert active.assess(attempt(wall, amount=1, client=Client(ip="1.2.3.4"))).rule == "ct"


@pytest.mark.parametrize(("lists", "changes", "fires"), [
    ({"cards": ["4242 4242 4242 4242"]}, {"card_fingerprint": fingerprint("4242424242424242")},
     True),
    ({"cards": ["4242424242424242"]}, {"card_fingerprint": "other"}, False),
    ({"bins": ["4242421234"]}, {}, True),
    ({"bins": ["555555"]}, {}, False),
    ({"emails": ["*@fraud.example"]}, {"email": "Bob@Fraud.Example"}, True),
    ({"emails": ["*@fraud.example"]}, {"email": None}, False),
    ({"countries": ["tw"]}, {"client": Client(country="TW")}, True),
    ({"countries": ["TW"]}, {"client": Client(country="JP")}, False),
    ({"countries": ["TW"]}, {"client": Client(country=None)}, False),
    ({"ips": ["10.0.0.0/8"]}, {"client": Client(ip="10.9.9.9")}, True),
    ({"ips": ["10.0.0.0/8"]}, {"client": Client(ip="11.0.0.1")}, False),
    ({"ips": ["10.0.0.0/8"]}, {"client": Client(ip="garbage")}, False),
    ({"ips": ["10.0.0.0/8"]}, {"client": Client(ip=None)}, False),
])
def test_block_lists(wall: FakeWall, lists: dict, changes: dict, fires: bool) -> None:
    active = fraud_engine(wall, {"name": "b", "block_list": lists, "action": "decline"})
    assert (active.assess(attempt(wall, **changes)) is not None) is fires


@pytest.mark.parametrize(("card", "client", "fires"), [
    ("US", "us", False), ("US", "TW", True), (None, "TW", False), ("US", None, False),
])
def test_country_mismatch(wall: FakeWall, card: str | None, client: str | None,
                          fires: bool) -> None:
    active = fraud_engine(wall, {"name": "geo", "country_mismatch": True,
                                 "action": "require_3ds"})
    decision = active.assess(attempt(wall, card_country=card, client=Client(country=client)))
    assert (decision is not None) is fires
    if decision:
        assert (decision.risk_score, decision.risk_level) == (65, "elevated")


def test_only_the_first_firing_rule_decides_but_all_record(wall: FakeWall) -> None:
    active = fraud_engine(
        wall,
        {"name": "a", "amount_above": 10, "action": "review"},
        {"name": "b", "velocity": {"key": "card", "count": 1, "window": 60},
         "action": "decline"},
        {"name": "c", "match": {"currency": "eur"}, "amount_above": 0, "action": "decline"})
    assert active.assess(attempt(wall, amount=50)).rule == "a"
    assert active.assess(attempt(wall, amount=50)).rule == "a"
    assert active.assess(attempt(wall, amount=5)).rule == "b"  # b counted all three
    assert active.state()["rules"] == [
        {"name": "a", "phase": "fraud", "matches": 2, "applied": 2},
        {"name": "b", "phase": "fraud", "matches": 1, "applied": 1},
        {"name": "c", "phase": "fraud", "matches": 0, "applied": 0}]


# -- documents --------------------------------------------------------------------------------
@pytest.mark.parametrize(("doc", "message"), [
    ({"rules": [{"name": "w", "lifetime": {"window": {"start": 5, "end": 5}},
                 "effects": [{"error": {"status": 503}}]}]},
     'rules[0] "w": lifetime.window: end must be after start'),
    ({"rules": [{"name": "s", "lifetime": {"sequence": ["pass"]},
                 "effects": [{"error": {"status": 503}}]}]},
     'rules[0] "s": effects: a sequence lifetime carries the effects in its steps'),
    ({"rules": [{"name": "ln", "effects": [{"latency": {"lognormal": {"p50": 0, "p99": 9}}}]}]},
     'rules[0] "ln": effects[0]: latency.lognormal needs 0 < p50 <= p99'),
    ({"rules": [{"name": "seq", "lifetime": {"sequence": [
        {"latency": {"uniform": [9, 1]}}]}}]},
     'rules[0] "seq": effects[0]: latency.uniform needs [low, high] with low <= high'),
    ({"fraud": [{"name": "v", "velocity": {"key": "card", "window": 5}, "action": "decline"}]},
     'fraud[0] "v": velocity: give a count, a sum, or both'),
    ({"fraud": [{"name": "ip", "block_list": {"ips": ["10.0.0.0/8", "nope"]},
                 "action": "decline"}]},
     'fraud[0] "ip": block_list.ips: not an IP or CIDR: nope'),
    ({"rules": [{"name": "mix", "lifetime": {"sequence": [
        {"latency": {"fixed": 1}}, {"webhook": {"delay": 1}}]}}]},
     'rules[0] "mix": effects: webhook effects and request effects need separate rules'),
])
def test_model_errors_name_rule_field_and_reason(doc: dict, message: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        build(doc)
    assert str(caught.value) == message


def test_defaults_of_a_minimal_document() -> None:
    scenario = build({"rules": [{"name": "only", "effects": [{"error": {"status": 503}}]}],
                      "fraud": [{"name": "f", "amount_above": 1, "action": "require_3ds"},
                                {"name": "g", "amount_above": 1, "action": "review"},
                                {"name": "h", "amount_above": 1, "action": "decline",
                                 "risk_score": 42}]})
    assert (scenario.name, scenario.description, scenario.seed) == ("unnamed", "", None)
    assert [r.risk_score for r in scenario.fraud] == [65, 75, 42]
    assert scenario.rules[0].lifetime == {} and scenario.rules[0].steps == ()
    steps = build({"rules": [{"name": "s", "lifetime": {"sequence": [
        "pass", {"error": {"status": 503}}, [{"latency": {"fixed": 1}},
                                             {"error": {"status": 500}}]]}}]}).rules[0].steps
    assert [[e.kind for e in step] for step in steps] == [[], ["error"], ["latency", "error"]]


@pytest.mark.parametrize(("path", "where"), [
    (("rules", 0, "effects", 1, "latency"), 'rules[0] "slow": effects[1].latency'),
    (("rules", 0), 'rules[0] "slow"'),
    (("rules", 5, "name"), "rules[5]: name"),
    (("fraud", 0), "fraud[0]"),
    (("seed",), "seed"),
    ((), ""),
    (("a", 1, "b", 2), "a[1].b[2]"),
])
def test_where_names_rule_and_field(path: tuple, where: str) -> None:
    doc = {"rules": [{"name": "slow"}], "fraud": ["not a mapping"]}
    assert where_of(path, doc) == where


@pytest.mark.parametrize(("text", "where"), [
    ("{" + '"a": {' * 33 + "}" * 34, "a: "), ("a:\n" + "".join(
        "  " * i + "- \n" for i in range(1, 34)), "line 33: "),
])
def test_too_deep_documents_say_where_and_how_deep(text: str, where: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        loader.read_text(text)
    assert str(caught.value) == (
        f"{where}the scenario is nested deeper than 32 levels (mappings and lists); at most "
        "32 are allowed")


def test_scenario_text_is_bounded_and_must_be_a_mapping(tmp_path: Any) -> None:
    with pytest.raises(ScenarioError, match="larger than 1048576 bytes"):
        loader.read_text(b"#" * (1024 * 1024 + 1))
    assert loader.read_text(b'  {"name": "j"}') == {"name": "j"}
    assert loader.read_text("name: y\n") == {"name": "y"}
    with pytest.raises(ScenarioError, match="a scenario is a mapping"):
        loader.read_text("7")
    missing = tmp_path / "missing.yaml"
    with pytest.raises(ScenarioError) as unreadable:
        loader.load_file(missing, contracts(), lambda k: k)
    assert str(unreadable.value) == f"cannot read {missing}: No such file or directory"
    good = tmp_path / "s.yaml"
    good.write_text("name: from-file\nrules: [{name: r, match: {tenant: sk_test_x},\n"
                    "  effects: [{error: {status: 503}}]}]\n")
    loaded = loader.load_file(good, contracts(), lambda key: "acct_" + key)
    assert loaded.name == "from-file"
    assert loaded.rules[0].match.patterns == {"tenant": ("acct_sk_test_x",)}


@pytest.mark.parametrize(("match", "fires", "misses"), [
    ({"tenant": "t"}, {}, {"tenant": "acct_u"}),
    ({"amount": {"min": 500}}, {"amount": 500}, {"amount": 499}),
    ({"currency": "EUR"}, {"currency": "eur"}, {"currency": "usd"}),
    ({"card": "4242*"}, {}, {"card_bin": "555555"}),
    ({"bin": "424242"}, {}, {"card_bin": "400000"}),
    ({"email": "*@shop.example"}, {"email": "a@shop.example"}, {"email": None}),
    ({"ip": "1.2.0.0/16"}, {}, {"client": Client(ip="9.9.9.9")}),
    ({"country": "us"}, {}, {"client": Client(country="TW")}),
    ({"method": "post", "gateway": "*", "path": "*"}, {}, None),
])
def test_fraud_rules_match_on_the_attempt(wall: FakeWall, match: dict, fires: dict,
                                          misses: dict | None) -> None:
    active = fraud_engine(wall, {"name": "m", "match": match, "amount_above": 0,
                                 "action": "decline"})
    assert active.assess(attempt(wall, **fires)) is not None
    if misses is not None:
        assert active.assess(attempt(wall, **misses)) is None


@pytest.mark.parametrize(("match", "client", "fires"), [
    ({"gateway": "stripe"}, {"gateway": "stripe"}, True),
    ({"gateway": "stripe"}, {"gateway": "ecpay"}, False),
    ({"gateway": "*"}, {}, True),  # no request behind the attempt: any gateway still matches
    ({"card": "4000000000009995"}, {"card": "4000000000009995"}, True),
    ({"card": "4000000000009995"}, {"card": "4242424242424242"}, False),
    ({"card": "4242*"}, {}, True),  # a saved method: its BIN is all there is to match
    ({"run": "r-1"}, {"run": "r-1"}, True),
    ({"run": "r-1"}, {"run": "r-2"}, False),
])
def test_a_fraud_rule_matches_the_gateway_card_and_run_of_the_request(
        wall: FakeWall, match: dict, client: dict, fires: bool) -> None:
    active = fraud_engine(wall, {"name": "g", "match": match, "amount_above": 0,
                                 "action": "decline"})
    seen = attempt(wall, client=Client(ip="1.2.3.4", country="US", device="d1", **client))
    assert (active.assess(seen) is not None) is fires


def test_a_rule_that_does_not_match_does_not_stop_the_next(wall: FakeWall) -> None:
    active = fraud_engine(
        wall, {"name": "eur", "match": {"currency": "eur"}, "amount_above": 0,
               "action": "decline"},
        {"name": "any", "amount_above": 0, "action": "review"})
    assert active.assess(attempt(wall)).rule == "any"


@pytest.mark.parametrize(("lists", "changes", "fires"), [
    ({"emails": ["*"]}, {"email": None}, False),  # no email is not a blocked email
    ({"bins": ["555555"]}, {"email": "a@b.example"}, False),
    ({"ips": ["1.2.3.99/16"]}, {}, True),  # host bits set: still the network
])
def test_block_list_edges(wall: FakeWall, lists: dict, changes: dict, fires: bool) -> None:
    active = fraud_engine(wall, {"name": "b", "block_list": lists, "action": "decline"})
    assert (active.assess(attempt(wall, **changes)) is not None) is fires


def test_webhook_chaos_without_a_stale_timestamp_signs_now() -> None:
    chaos = Chaos()
    chaos.add("d", Effect("webhook", {"delay": 1}), random.Random(1))
    assert chaos.for_copy(0)["stale_timestamp"] == 0
