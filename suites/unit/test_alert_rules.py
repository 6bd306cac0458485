"""Threshold alert rules: loading and validation, every kind's edges, firing and resolving
once per transition, scoping (global, per tenant), and the control API over them."""

from __future__ import annotations

from typing import Any

import pytest
from paylab.simulator.alerts import loader
from paylab.simulator.alerts.evaluator import Alerts
from paylab.simulator.alerts.model import AlertRulesError, fingerprint
from paylab.simulator.alerts.requests import failed
from paylab.simulator.core.domain import Domain
from paylab.simulator.core.overrides import Client
from paylab.simulator.core.risk import Attempt, Decision
from paylab.suites.unit.inprocess import contracts

T1, T2 = "acct_one", "acct_two"


def same(value: str) -> str:
    return value


def rules(*items: dict[str, Any]) -> dict[str, Any]:
    return {"rules": list(items)}


def rule(kind: str, name: str = "r", **params: Any) -> dict[str, Any]:
    return {"name": name, "kind": kind, "params": params}


def build(doc: dict[str, Any]) -> Any:
    return loader.build(doc, contracts(), same)


class FakeKpis:
    """Window rows by tenant, as core.kpi_windows serves them; records what was asked."""

    def __init__(self) -> None:
        self.by_tenant: dict[str | None, list[dict[str, Any]]] = {}
        self.backlog: dict[str | None, int] = {}
        self.asked: list[tuple[str | None, float, str | None, str | None]] = []

    def rows(self, tenant: str | None, seconds: float | None, *, gateway: str | None = None,
             method: str | None = None) -> list[dict[str, Any]]:
        self.asked.append((tenant, seconds, gateway, method))
        return [r for r in self.by_tenant.get(tenant, [])
                if gateway in (None, r["gateway"]) and method in (None, r["method"])]

    def webhook_backlog(self, tenant: str | None, gateway: str | None = None) -> int:
        return self.backlog.get(tenant, 0)

    def reset(self, tenant: str | None) -> None:
        """The domain resets its KPI windows with the rest of the state."""


def row(gateway: str = "stripe", method: str = "card", *, succeeded: int = 0, failed: int = 0,
        refunds: int = 0, p99: float | None = None, count: int = 0) -> dict[str, Any]:
    finished = succeeded + failed
    return {"gateway": gateway, "method": method, "volume": finished, "succeeded": succeeded,
            "failed": failed, "failure_rate": failed / finished if finished else None,
            "refunds": refunds, "refund_rate": refunds / succeeded if succeeded else None,
            "latency_ms": {"p50": None, "p95": None, "p99": p99, "count": count}}


@pytest.fixture
def told() -> list[dict[str, Any]]:
    return []


@pytest.fixture
def engine(domain: Domain, told: list[dict[str, Any]]) -> Alerts:
    domain.kpis = FakeKpis()  # type: ignore[attr-defined]
    return Alerts(domain, contracts(), same, build(rules()), notify=told.append)


def attempt(domain: Domain, tenant: str = T1, amount: int = 2000, currency: str = "usd", *,
            card: str = "fp1", email: str | None = None, ip: str | None = None,
            country: str | None = None, card_country: str | None = "US") -> Attempt:
    return Attempt(tenant, amount, currency, card, "424242", card_country, email,
                   Client(ip=ip, country=country), domain.clock.now())


def use(engine: Alerts, *items: dict[str, Any], tenant: str | None = None) -> None:
    engine.put(build(rules(*items)), tenant)


def firing(engine: Alerts, tenant: str | None = None) -> list[dict[str, Any]]:
    return engine.state.listing(tenant, "firing")["alerts"]


# -- loading and validation ---------------------------------------------------------------------
def test_the_defaults_load_and_name_every_kind() -> None:
    defaults = build(loader.defaults_document())
    assert {r.kind for r in defaults.rules} == {
        "amount_above", "frequency", "failure_rate", "refund_rate", "geography",
        "latency_p99_above", "webhook_backlog_above"}
    assert all(r.severity in ("warning", "critical") for r in defaults.rules)


@pytest.mark.parametrize(("doc", "where"), [
    (rules(rule("frequency", key="phone", count=3, window=60)), 'rules[0] "r": params.key'),
    (rules(rule("frequency", count=3, window=60)), 'rules[0] "r": params.key'),
    (rules(rule("failure_rate", above=1.5, window=60)), 'rules[0] "r": params.above'),
    (rules(rule("failure_rate", above=0.5, window=61)), 'rules[0] "r": params.window'),
    (rules(rule("geography", allow=["USA"])), 'rules[0] "r": params.allow[0]'),
    (rules(rule("geography", allow=["US"], source="ip")), 'rules[0] "r": params.source'),
    (rules(rule("amount_above", amount=-1)), 'rules[0] "r": params.amount'),
    (rules(rule("amount_above", amount=5, extra=1)), 'rules[0] "r": params.extra'),
    (rules({**rule("amount_above", amount=5), "kind": "amount_below"}), 'rules[0] "r": kind'),
    (rules({**rule("amount_above", amount=5), "severity": "page"}), 'rules[0] "r": severity'),
    ({"rules": [], "extra": True}, "extra"),
    ({}, "rules"),
])
def test_a_bad_rule_is_refused_naming_the_rule_and_field(doc: dict[str, Any],
                                                         where: str) -> None:
    with pytest.raises(AlertRulesError) as caught:
        build(doc)
    assert caught.value.where == where


def test_rule_names_are_unique() -> None:
    with pytest.raises(AlertRulesError) as caught:
        build(rules(rule("amount_above", amount=1), rule("amount_above", amount=2)))
    assert caught.value.where == 'rules[1] "r": name'


def test_yaml_is_read_and_bounded_like_a_scenario() -> None:
    doc = loader.read_text("rules:\n  - {name: big, kind: amount_above, params: {amount: 9}}\n")
    assert build(doc).rules[0].params == {"amount": 9}
    with pytest.raises(AlertRulesError, match="anchors"):
        loader.read_text("a: &x 1\nb: *x\n")
    with pytest.raises(AlertRulesError, match="mapping with `rules`"):
        loader.read_text("- 1\n")


def test_parsing_folds_currency_and_countries_and_maps_tenants() -> None:
    parsed = loader.build(rules(
        {**rule("amount_above", amount=1, currency="EUR"), "tenant": "sk_test_x"},
        rule("geography", "g", allow=["tw", "US", "us"])), contracts(), lambda k: "t:" + k)
    assert parsed.rules[0].params["currency"] == "eur"
    assert parsed.rules[0].tenant == "t:sk_test_x"
    assert parsed.rules[1].params["allow"] == ["TW", "US"]
    assert parsed.rules[1].tenant is None


def test_a_fingerprint_is_stable_and_depends_on_tenant_and_labels() -> None:
    labels = {"alertname": "a", "severity": "warning"}
    assert fingerprint("t", labels) == fingerprint("t", dict(reversed(labels.items())))
    assert fingerprint("t", labels) != fingerprint("u", labels)
    assert fingerprint("t", labels) != fingerprint("t", {**labels, "key": "ip"})
    assert len(fingerprint(None, labels)) == 16


# -- event-driven rules -------------------------------------------------------------------------
def test_amount_above_fires_strictly_above_and_only_in_its_currency(
        domain: Domain, engine: Alerts, told: list[dict[str, Any]]) -> None:
    use(engine, rule("amount_above", "big", amount=10000, currency="eur"))
    assert engine.observe(attempt(domain, amount=10000, currency="eur")) == []
    assert engine.observe(attempt(domain, amount=10001, currency="usd")) == []
    [alert] = engine.observe(attempt(domain, amount=10001, currency="EUR"))
    assert (alert["rule"], alert["kind"], alert["status"]) == ("big", "amount_above", "firing")
    assert (alert["value"], alert["threshold"], alert["tenant"]) == (10001, 10000, T1)
    assert alert["labels"] == {"alertname": "big", "severity": "warning", "currency": "eur"}
    assert alert["starts_at"] == domain.clock.now() and alert["ends_at"] is None
    assert alert["id"] == "alert_1" and told == [alert]


def test_an_event_alert_fires_once_and_resolves_a_window_after_its_last_breach(
        domain: Domain, engine: Alerts, told: list[dict[str, Any]]) -> None:
    use(engine, rule("amount_above", "big", amount=100, window=60))
    started = domain.clock.now()
    assert len(engine.observe(attempt(domain, amount=500))) == 1
    domain.advance_clock(30)
    assert engine.observe(attempt(domain, amount=900)) == []  # still the same episode
    assert firing(engine)[0]["value"] == 900
    domain.advance_clock(59.9)  # 59.9 s after the last breach
    assert engine.tick() == []
    domain.advance_clock(0.1)  # exactly the window after it
    [resolved] = engine.tick()
    assert resolved["status"] == "resolved" and resolved["starts_at"] == started
    assert resolved["ends_at"] == domain.clock.now()
    assert engine.tick() == [] and [a["status"] for a in told] == ["firing", "resolved"]
    [again] = engine.observe(attempt(domain, amount=500))  # a new episode, a new record
    assert again["id"] == "alert_2"
    listed = engine.state.listing()
    assert [a["id"] for a in listed["alerts"]] == ["alert_2", "alert_1"]
    assert listed["firing"] == 1


def test_frequency_counts_per_key_within_the_window(domain: Domain, engine: Alerts) -> None:
    use(engine, rule("frequency", "burst", key="ip", count=3, window=60))
    for _ in range(3):
        assert engine.observe(attempt(domain, ip="203.0.113.1")) == []
        domain.advance_clock(10)
    assert engine.observe(attempt(domain, ip="198.51.100.2")) == []  # another key
    [alert] = engine.observe(attempt(domain, ip="203.0.113.1"))  # the 4th within 60 s
    assert (alert["value"], alert["threshold"]) == (4, 3)
    assert alert["labels"]["key"] == "ip" and alert["labels"]["key_value"] == "203.0.113.1"


def test_a_frequency_hit_exactly_a_window_old_has_aged_out(domain: Domain,
                                                           engine: Alerts) -> None:
    use(engine, rule("frequency", "burst", key="card", count=2, window=60))
    engine.observe(attempt(domain, card="c"))
    domain.advance_clock(1)
    engine.observe(attempt(domain, card="c"))
    domain.advance_clock(59)  # the first is now exactly 60 s old
    assert engine.observe(attempt(domain, card="c")) == []
    domain.advance_clock(0.5)
    assert len(engine.observe(attempt(domain, card="c"))) == 1


@pytest.mark.parametrize(("key", "extra", "value"), [
    ("email", {"email": "Buyer@Example.com"}, "buyer@example.com"),
    ("merchant", {}, T1),
    ("card", {"card": "fpX"}, "fpX"),
])
def test_frequency_keys(domain: Domain, engine: Alerts, key: str, extra: dict[str, Any],
                        value: str) -> None:
    use(engine, rule("frequency", "burst", key=key, count=1, window=60))
    engine.observe(attempt(domain, **extra))
    [alert] = engine.observe(attempt(domain, **extra))
    assert alert["labels"]["key_value"] == value


def test_frequency_ignores_attempts_without_the_key(domain: Domain, engine: Alerts) -> None:
    use(engine, rule("frequency", "burst", key="email", count=1, window=60))
    for _ in range(3):
        assert engine.observe(attempt(domain, email=None)) == []


@pytest.mark.parametrize(("source", "country", "card_country", "fires"), [
    ("client", "KP", "US", "KP"), ("client", "us", "KP", None), ("client", None, "KP", None),
    ("card", "KP", "US", None), ("card", "US", "ir", "IR"), ("card", "KP", None, None),
])
def test_geography_reads_the_client_or_the_card_country(
        domain: Domain, engine: Alerts, source: str, country: str | None,
        card_country: str | None, fires: str | None) -> None:
    use(engine, rule("geography", "geo", allow=["US", "TW"], source=source))
    started = engine.observe(attempt(domain, country=country, card_country=card_country))
    assert [a["labels"].get("country") for a in started] == ([fires] if fires else [])
    if fires:
        assert started[0]["labels"]["source"] == source
        assert started[0]["value"] is None and started[0]["threshold"] is None


def test_geography_defaults_to_the_client_country(domain: Domain, engine: Alerts) -> None:
    use(engine, rule("geography", "geo", allow=["US"]))
    assert len(engine.observe(attempt(domain, country="IR", card_country="US"))) == 1


# -- scoping ------------------------------------------------------------------------------------
def test_a_tenant_set_replaces_the_global_one_and_delete_restores(
        domain: Domain, engine: Alerts) -> None:
    use(engine, rule("amount_above", "global-big", amount=100))
    use(engine, rule("amount_above", "own-big", amount=1000), tenant=T2)
    assert [a["rule"] for a in engine.observe(attempt(domain, T1, amount=500))] == ["global-big"]
    assert engine.observe(attempt(domain, T2, amount=500)) == []
    assert [a["rule"] for a in engine.observe(attempt(domain, T2, amount=5000))] == ["own-big"]
    assert engine.describe(T2)["source"] == "custom"
    assert engine.clear(T2) is True and engine.clear(T2) is False
    assert engine.describe(T2)["source"] == "global"
    assert engine.describe(None)["source"] == "custom"
    assert engine.clear(None) is True
    assert engine.describe(None)["source"] == "default"


def test_a_rule_naming_a_tenant_judges_only_that_tenant(domain: Domain,
                                                        engine: Alerts) -> None:
    use(engine, {**rule("amount_above", "t2-only", amount=100), "tenant": T2})
    assert engine.observe(attempt(domain, T1, amount=500)) == []
    assert len(engine.observe(attempt(domain, T2, amount=500))) == 1


def test_alerts_are_listed_per_tenant_and_reset_with_it(domain: Domain,
                                                        engine: Alerts) -> None:
    use(engine, rule("amount_above", "big", amount=100))
    engine.observe(attempt(domain, T1, amount=500))
    engine.observe(attempt(domain, T2, amount=500))
    assert [a["tenant"] for a in engine.state.listing(T2)["alerts"]] == [T2]
    domain.reset(T2)
    assert engine.state.listing(T2) == {"alerts": [], "firing": 0}
    assert engine.state.listing()["firing"] == 1
    domain.reset()
    assert engine.state.listing() == {"alerts": [], "firing": 0}


def test_the_assessor_shows_attempts_then_asks_the_fraud_rules(domain: Domain,
                                                               engine: Alerts) -> None:
    verdict = Decision("decline", "rule", 90, "highest")

    class Inner:
        def assess(self, seen: Attempt) -> Decision:
            return verdict

    use(engine, rule("amount_above", "big", amount=100))
    assert engine.assessor(Inner()).assess(attempt(domain, amount=500)) is verdict
    assert engine.assessor(None).assess(attempt(domain, amount=50)) is None
    assert engine.state.listing()["firing"] == 1


def test_a_failing_receiver_neither_undoes_the_alert_nor_fails_the_attempt(
        domain: Domain) -> None:
    def broken(doc: dict[str, Any]) -> None:
        raise RuntimeError("receiver bug")

    engine = Alerts(domain, contracts(), same, build(rules(rule("amount_above", amount=1))),
                    notify=broken)
    assert engine.assessor(None).assess(attempt(domain, amount=5)) is None
    assert engine.state.listing()["firing"] == 1


# -- window rules -------------------------------------------------------------------------------
def kpis(domain: Domain) -> FakeKpis:
    return domain.kpis  # type: ignore[attr-defined,no-any-return]


def test_failure_rate_fires_above_the_share_with_the_minimum_volume(
        domain: Domain, engine: Alerts, told: list[dict[str, Any]]) -> None:
    use(engine, rule("failure_rate", "failing", above=0.5, window=60, min_volume=4))
    figures = kpis(domain)
    figures.by_tenant[None] = [row(succeeded=2, failed=2), row("ecpay", "atm", failed=3)]
    assert engine.tick() == []  # 50% is not above 50%; 3 attempts are below the volume
    assert figures.asked[-1] == (None, 60.0, None, None)
    figures.by_tenant[None] = [row(succeeded=1, failed=3), row("ecpay", "atm", failed=3)]
    [alert] = engine.tick()
    assert (alert["value"], alert["threshold"], alert["tenant"]) == (0.75, 0.5, None)
    assert alert["labels"] == {"alertname": "failing", "severity": "warning",
                               "gateway": "stripe", "method": "card"}
    assert engine.tick() == []  # still firing: no new transition
    figures.by_tenant[None] = [row(succeeded=2, failed=2)]
    [resolved] = engine.tick()
    assert resolved["status"] == "resolved" and resolved["id"] == alert["id"]
    assert [a["status"] for a in told] == ["firing", "resolved"]


def test_failure_rate_judges_a_gateway_whose_calls_fail_outright(domain: Domain,
                                                                  engine: Alerts) -> None:
    use(engine, rule("failure_rate", "down", above=0.5, window=60, min_volume=4))
    for status in (503, 500, 200):
        engine.calls.count(T1, "ecpay", status)
    assert engine.tick() == []  # 3 calls: below the volume
    engine.calls.count(T2, "ecpay", 200)
    assert engine.tick() == []  # 2 of 4: not above half
    engine.calls.count(T2, "ecpay", 0)  # no answer at all
    [alert] = engine.tick()
    assert (alert["value"], alert["threshold"], alert["tenant"]) == (0.6, 0.5, None)
    assert (alert["labels"]["gateway"], alert["labels"]["method"]) == ("ecpay", "*")
    assert engine.calls.window(T2, 60) == [{"gateway": "ecpay", "requests": 2, "errors": 1}]
    assert engine.calls.window(None, 60, "stripe") == []
    domain.advance_clock(59)
    assert engine.tick() == []
    domain.advance_clock(1)  # the calls' second is now a full window old
    assert [a["status"] for a in engine.tick()] == ["resolved"]


def test_a_failure_rate_rule_of_one_method_ignores_outright_failures(domain: Domain,
                                                                     engine: Alerts) -> None:
    use(engine, rule("failure_rate", "down", above=0.1, window=60, min_volume=1,
                     method="card"))
    engine.calls.count(T1, "stripe", 503)
    assert engine.tick() == []


def test_the_call_counter_counts_server_errors_and_silence_only() -> None:
    assert [failed(s) for s in (0, 200, 402, 429, 499, 500, 503)] == [
        True, False, False, False, False, True, True]


def test_failure_rate_filters_by_gateway_and_method(domain: Domain, engine: Alerts) -> None:
    use(engine, rule("failure_rate", "ecpay-atm", above=0.1, window=900, gateway="ecpay",
                     method="atm", min_volume=1))
    kpis(domain).by_tenant[None] = [row(failed=5), row("ecpay", "atm", failed=1)]
    [alert] = engine.tick()
    assert alert["labels"]["gateway"] == "ecpay" and alert["value"] == 1.0
    assert kpis(domain).asked[-1] == (None, 900.0, "ecpay", "atm")


def test_refund_rate_edges(domain: Domain, engine: Alerts) -> None:
    use(engine, rule("refund_rate", "refunds", above=0.2, window=3600, min_volume=5))
    kpis(domain).by_tenant[None] = [row(succeeded=5, refunds=1)]  # 20%: not above
    assert engine.tick() == []
    kpis(domain).by_tenant[None] = [row(succeeded=4, refunds=4)]  # below the volume
    assert engine.tick() == []
    kpis(domain).by_tenant[None] = [row(succeeded=5, refunds=2)]
    [alert] = engine.tick()
    assert (alert["value"], alert["threshold"]) == (0.4, 0.2)


def test_latency_p99_edges(domain: Domain, engine: Alerts) -> None:
    use(engine, rule("latency_p99_above", "slow", ms=500, window=60, min_volume=3))
    kpis(domain).by_tenant[None] = [row(p99=500, count=3), row("paypal", p99=900, count=2)]
    assert engine.tick() == []
    kpis(domain).by_tenant[None] = [row(p99=500.5, count=3)]
    [alert] = engine.tick()
    assert (alert["value"], alert["threshold"]) == (500.5, 500)


def test_webhook_backlog_edges(domain: Domain, engine: Alerts) -> None:
    use(engine, rule("webhook_backlog_above", "backlog", count=10))
    kpis(domain).backlog[None] = 10
    assert engine.tick() == []
    kpis(domain).backlog[None] = 11
    [alert] = engine.tick()
    assert (alert["value"], alert["threshold"], alert["labels"].get("gateway")) == (11, 10, None)
    kpis(domain).backlog[None] = 0
    assert [a["status"] for a in engine.tick()] == ["resolved"]


def test_window_rules_of_a_tenant_judge_that_tenant_only(domain: Domain,
                                                         engine: Alerts) -> None:
    use(engine, rule("webhook_backlog_above", "global-backlog", count=100))
    use(engine, rule("webhook_backlog_above", "own-backlog", count=1), tenant=T2)
    kpis(domain).backlog.update({None: 5, T2: 5})
    [alert] = engine.tick()
    assert (alert["rule"], alert["tenant"]) == ("own-backlog", T2)


def test_without_kpi_windows_window_rules_wait(domain: Domain) -> None:
    domain.kpis = None  # type: ignore[attr-defined]
    engine = Alerts(domain, contracts(), same, build(rules(rule("webhook_backlog_above",
                                                                count=0))))
    assert engine.tick() == []
