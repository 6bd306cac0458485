"""Threshold alerts through the control API and at start-up: rules shown, set (YAML or
JSON), refused and restored; alerts listed; `--alert-rules FILE`; two processes on one
store; transitions handed to the receivers."""

from __future__ import annotations

import json
from typing import Any

import pytest
from paylab.simulator import cli
from paylab.simulator.alerts.evaluator import Alerts, notifier_for
from paylab.simulator.alerts.model import AlertRulesError
from paylab.simulator.core.domain import Domain
from paylab.suites.unit.inprocess import ClientFactory, Sim, contracts, start
from paylab.suites.unit.test_alert_rules import attempt, build, rule, rules, same


# -- the control API ----------------------------------------------------------------------------
@pytest.fixture
async def sim(aiohttp_client: ClientFactory) -> Sim:
    return await start(aiohttp_client)


async def test_rules_are_shown_set_in_yaml_refused_when_bad_and_restored(sim: Sim) -> None:
    shown = (await sim.control("GET", "/alerts/rules")).body
    assert shown["scope"] == "*" and shown["source"] == "default"
    assert len(shown["rules"]) == 8
    yaml_rules = "rules:\n  - {name: big, kind: amount_above, params: {amount: 5000}}\n"
    put = await sim.control("PUT", "/alerts/rules", raw=yaml_rules)
    assert put.status == 200 and put.body["source"] == "custom"
    assert put.body["rules"] == [{"name": "big", "kind": "amount_above",
                                  "severity": "warning", "params": {"amount": 5000}}]
    bad = await sim.control("PUT", "/alerts/rules", raw=json.dumps(
        rules(rule("frequency", key="ip", count=0, window=60))))
    assert bad.status == 400
    assert bad.body["error"]["code"] == "invalid_alert_rules"
    assert bad.body["error"]["field"] == 'rules[0] "r": params.count'
    assert (await sim.control("GET", "/alerts/rules")).body["rules"][0]["name"] == "big"
    empty = await sim.control("PUT", "/alerts/rules", raw="")
    assert empty.status == 400
    cleared = (await sim.control("DELETE", "/alerts/rules")).body
    assert cleared["cleared"] is True and cleared["source"] == "default"


async def test_an_unknown_tenant_and_bad_queries_are_refused(sim: Sim) -> None:
    unknown = await sim.control("GET", "/alerts", query={"tenant": "sk_test_nobody"})
    assert unknown.status == 404 and unknown.body["error"]["code"] == "unknown_tenant"
    bad = await sim.control("GET", "/alerts", query={"status": "open"})
    assert bad.status == 400 and bad.body["error"]["field"] == "status"


async def test_a_payment_through_the_api_fires_and_lists(sim: Sim) -> None:
    await sim.control("PUT", "/alerts/rules", raw=json.dumps(rules(
        rule("amount_above", "big", amount=5000))))
    assert (await sim.pay(amount=4000)).status == 200
    assert (await sim.control("GET", "/alerts")).body == {"alerts": [], "firing": 0}
    assert (await sim.pay(amount=6000)).status == 200
    listed = (await sim.control("GET", "/alerts", query={"tenant": sim.key})).body
    assert listed["firing"] == 1
    [alert] = listed["alerts"]
    assert (alert["rule"], alert["tenant"], alert["value"]) == ("big", sim.tenant, 6000)
    assert (await sim.control("GET", "/alerts", query={"status": "resolved"})).body[
        "alerts"] == []
    await sim.control("POST", "/clock/advance", {"seconds": 301})
    resolved = (await sim.control("GET", "/alerts", query={"status": "resolved"})).body
    assert [a["id"] for a in resolved["alerts"]] == [alert["id"]]


# -- start-up, processes, receivers -------------------------------------------------------------
def test_serve_takes_an_alert_rules_file_and_refuses_a_missing_one(
        tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PAYLAB_ALERT_RULES", raising=False)
    path = tmp_path / "rules.yaml"
    path.write_text("rules: []\n")
    args = cli.build_parser().parse_args(["serve", "--alert-rules", str(path)])
    assert cli._settings(args).alert_rules == str(path)
    args = cli.build_parser().parse_args(["serve", "--alert-rules", str(tmp_path / "no.yaml")])
    with pytest.raises(ValueError, match=r"--alert-rules .*no\.yaml: no such file"):
        cli._settings(args)
    assert cli._settings(cli.build_parser().parse_args(["serve"])).alert_rules is None


async def test_the_rules_file_replaces_the_defaults_and_a_bad_one_stops_the_start(
        aiohttp_client: ClientFactory, tmp_path: Any) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("description: ours\nrules:\n"
                    "  - {name: big, kind: amount_above, params: {amount: 1}}\n")
    sim = await start(aiohttp_client, alert_rules=str(path))
    shown = (await sim.control("GET", "/alerts/rules")).body
    assert (shown["source"], shown["description"]) == ("file", "ours")
    assert [r["name"] for r in shown["rules"]] == ["big"]
    path.write_text("rules:\n  - {name: big, kind: amount_above, params: {}}\n")
    with pytest.raises(AlertRulesError, match="params"):
        await start(aiohttp_client, alert_rules=str(path))


def test_two_processes_fire_and_resolve_an_episode_once(domain: Domain) -> None:
    heard: list[dict[str, Any]] = []
    doc = build(rules(rule("amount_above", "big", amount=100, window=60)))
    one, two = (Alerts(domain, contracts(), same, doc, notify=heard.append) for _ in "12")
    assert len(one.observe(attempt(domain, amount=500))) == 1
    assert two.observe(attempt(domain, amount=500)) == []
    domain.advance_clock(60)
    assert len(two.tick()) == 1 and one.tick() == []
    assert [a["status"] for a in heard] == ["firing", "resolved"]


def test_transitions_are_queued_for_the_alert_receivers(domain: Domain) -> None:
    notify = notifier_for(domain)
    assert notify is not None and notify.__self__.domain is domain  # type: ignore[attr-defined]
