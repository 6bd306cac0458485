"""Hostile input at the unit level (the "Hardening" issue, items 5-7): bounded scenario
reading, webhook URLs aimed at the simulator itself, a bounded redelivery rate, header
bytes that are not UTF-8, and integers that are digits only."""

from __future__ import annotations

from pathlib import Path

import pytest
from multidict import CIMultiDict
from paylab.simulator.contracts import Contracts, contract_id
from paylab.simulator.core import throttle
from paylab.simulator.core.clock import Clock
from paylab.simulator.core.domain import Domain
from paylab.simulator.core.errors import InvalidRequest
from paylab.simulator.core.outbox import REDELIVERY_BURST, REDELIVERY_WINDOW, Outbox
from paylab.simulator.core.self_address import SelfAddress, normal_path
from paylab.simulator.core.store import Store
from paylab.simulator.headers import (
    BadHeader,
    check_headers,
    header,
    lenient_header,
    recorded_header,
)
from paylab.simulator.scenarios import loader
from paylab.simulator.scenarios.model import ScenarioError
from paylab.suites.unit.conftest import TENANT, FakeWall

BOMB = ('rules:\n  - name: boom\n    match: {method: [&a ["lol","lol"], &b [*a,*a], '
        "&c [*b,*b]]}\n")


# -- scenario text ---------------------------------------------------------------------------
@pytest.mark.parametrize("text", [
    "[" * 20000 + "]" * 20000,
    "rules: " + "[" * 20000 + "]" * 20000,
    "rules:\n" + "".join("  " * i + "- \n" for i in range(1, 40)),
    '{"rules": [' + '{"a": ' * 20000 + "1" + "}" * 20000 + "]}",
    '{"rules": ' + "[" * 33 + "]" * 33 + "}",
], ids=["yaml flow", "yaml under rules", "yaml block", "json 20k", "json 34 deep"])
def test_deep_documents_are_refused_naming_the_limit(text: str) -> None:
    with pytest.raises(ScenarioError, match=f"nested deeper than {loader.MAX_DEPTH} levels"):
        loader.read_text(text)


def test_the_deepest_allowed_document_still_reads() -> None:
    doc = loader.read_text('{"rules": ' + "[" * 31 + "]" * 31 + "}")
    assert isinstance(doc["rules"], list)


@pytest.mark.parametrize("text", [BOMB, "name: &n x\n", "rules: []\nother: *missing\n",
                                  "base: &b {a: 1}\nrule: {<<: *b}\n"],
                         ids=["bomb", "anchor alone", "alias alone", "merge key"])
def test_anchors_and_aliases_are_refused(text: str) -> None:
    with pytest.raises(ScenarioError, match="anchors and aliases"):
        loader.read_text(text)


def test_constructor_errors_are_scenario_errors() -> None:
    with pytest.raises(ScenarioError, match="not valid YAML or JSON"):
        loader.read_text("seed: " + "9" * 5000)  # int() refuses 5,000 digits


def test_the_pure_python_parser_is_bounded_too(monkeypatch: pytest.MonkeyPatch) -> None:
    import yaml

    monkeypatch.setattr(loader, "_LOADER", yaml.SafeLoader)
    with pytest.raises(ScenarioError, match="nested deeper"):
        loader.read_text("[" * 5000 + "]" * 5000)
    with pytest.raises(ScenarioError, match="anchors and aliases"):
        loader.read_text(BOMB)
    assert loader.read_text("rules:\n  - name: a\n") == {"rules": [{"name": "a"}]}


def test_a_hostile_scenario_file_is_a_scenario_error(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(BOMB)
    with pytest.raises(ScenarioError, match="anchors and aliases"):
        loader.load_file(path, Contracts(), lambda key: key)


# -- webhook URLs that reach the control API ---------------------------------------------------
HERE = SelfAddress("127.0.0.1", 8080, "https://paylab.example.com")


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8080/_sim/webhooks/1/redeliver", "http://localhost:8080/_sim",
    "http://LocalHost.:8080/_sim/reset", "http://a.localhost:8080/_sim/reset",
    "http://[::1]:8080/_sim/x", "http://[::ffff:7f00:1]:8080/_sim/x", "http://0.0.0.0:8080/_sim/",
    "http://[::]:8080/_sim/x", "http://127.9.9.9:8080/_sim/x", "http://127.1:8080/_sim/x",
    "http://2130706433:8080/_sim/x", "http://0x7f.0.0.1:8080/_sim/x",
    "http://127.0.0.1:8080/a/../_sim/x", "http://127.0.0.1:8080/%5f%53IM/x",
    "http://127.0.0.1:8080//_sim/x", "http://127.0.0.1:8080/./_sim/x",
    "https://paylab.example.com/_sim/reset", "https://PAYLAB.example.com:443/_sim/reset",
])
def test_urls_reaching_the_control_api_are_refused(url: str) -> None:
    assert HERE.refusal(url) is not None


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8081/_sim/x", "http://127.0.0.1:8080/_simulator", "http://127.0.0.1:8080/",
    "http://127.0.0.1:8080/stripe/v1/x", "http://10.9.8.7:8080/_sim/x",
    "https://paylab.example.com:8443/_sim/x", "https://hooks.example.com/_sim/x",
    "http://127.0.0.1:99999/_sim/x",
])
def test_other_urls_pass(url: str) -> None:
    assert HERE.refusal(url) is None


def test_port_zero_means_any_port_and_a_bound_name_is_local() -> None:
    assert SelfAddress("127.0.0.1", 0).refusal("http://127.0.0.1:1234/_sim/x")
    assert SelfAddress("paylab-sim", 8080).refusal("http://paylab-sim:8080/_sim/x")


def test_dot_segments_and_encodings_are_resolved() -> None:
    assert normal_path("/a/b/../../_sim/./x") == "/_sim/x"
    assert normal_path("/..//%5Fsim") == "/_sim"


async def test_a_name_resolving_here_is_refused_at_delivery() -> None:
    async def loopback(host: str, port: int) -> list[str]:
        return ["127.0.0.1"]

    async def elsewhere(host: str, port: int) -> list[str]:
        return ["203.0.113.9"]

    async def failing(host: str, port: int) -> list[str]:
        raise OSError("no such name")

    url = "http://sneaky.example:8080/_sim/webhooks/1/redeliver"
    assert HERE.refusal(url) is None  # no DNS when endpoints are created
    assert await HERE.resolved_refusal(url, loopback) is not None
    assert await HERE.resolved_refusal(url, elsewhere) is None
    assert await HERE.resolved_refusal(url, failing) is None
    assert await HERE.resolved_refusal("http://sneaky.example:8080/hooks", loopback) is None


def test_endpoints_refuse_such_urls_on_create_and_update(wall: FakeWall) -> None:
    domain = Domain(Store(":memory:"), Clock(wall=wall), seed=7,
                    self_address=SelfAddress("127.0.0.1", 8080))
    endpoints = domain.endpoints
    with pytest.raises(InvalidRequest) as refused:
        endpoints.create(TENANT, "stripe", url="http://127.0.0.1:8080/_sim/reset",
                         enabled_events=["*"])
    assert refused.value.param == "url"
    ep = endpoints.create(TENANT, "stripe", url="http://127.0.0.1:9/hook", enabled_events=["*"])
    with pytest.raises(InvalidRequest):
        endpoints.update(TENANT, ep["id"], {"url": "http://localhost:8080/_sim/reset"})
    assert endpoints.get(TENANT, ep["id"])["url"] == "http://127.0.0.1:9/hook"


# -- redelivery bound ---------------------------------------------------------------------------
def test_the_throttle_defers_beyond_its_burst() -> None:
    booked: list[float] = []
    slots = []
    for _ in range(4):
        slot, booked = throttle.take(booked, 100.0, 3, 60)
        slots.append(slot)
    assert slots == [100.0, 100.0, 100.0, 160.0]
    assert throttle.next_slot(booked, 159.0, 3, 60) == 160.0  # the first three have left
    assert throttle.next_slot(booked, 161.0, 3, 60) == 161.0
    slots = []
    for _ in range(3):
        slot, booked = throttle.take(booked, 161.0, 3, 60)
        slots.append(slot)
    assert slots == [161.0, 161.0, 220.0]
    assert len(booked) <= 4  # what is stored stays bounded
    assert throttle.next_slot([], 100.0, 3, 60) == 100.0


def _delivered_row(domain: Domain, wall: FakeWall) -> int:
    domain.endpoints.create(TENANT, "stripe", url="http://127.0.0.1:9/hook",
                            enabled_events=["payment.created"])
    domain.payments.create(TENANT, "stripe", {"amount": 2000, "currency": "usd"})
    (claimed,) = domain.outbox.claim_due(10)
    domain.outbox.record_attempt(claimed, started=wall.now, duration_ms=1, status_code=200,
                                 response="ok", error=None)
    return claimed.id


def test_a_pending_redelivery_is_not_queued_twice(domain: Domain, wall: FakeWall) -> None:
    delivery = _delivered_row(domain, wall)
    assert domain.outbox.redeliver(delivery)
    assert domain.outbox.redeliver(delivery)  # already pending: nothing more is queued
    assert len(domain.outbox.claim_due(10)) == 1
    assert not domain.outbox.redeliver(999_999)


def test_redeliveries_beyond_the_burst_wait_for_the_window(domain: Domain,
                                                           wall: FakeWall) -> None:
    delivery, outbox = _delivered_row(domain, wall), domain.outbox
    for _ in range(REDELIVERY_BURST):  # each one sent and answered at once, as a loop does
        assert outbox.redeliver(delivery)
        (claimed,) = outbox.claim_due(10)
        outbox.record_attempt(claimed, started=wall.now, duration_ms=1, status_code=200,
                              response="ok", error=None)
    assert outbox.redeliver(delivery)  # accepted, but not due yet
    assert outbox.claim_due(10) == []
    row = outbox.listing()[0]
    assert row["status"] == "pending"
    assert row["next_attempt_at"] == pytest.approx(domain.clock.now() + REDELIVERY_WINDOW)
    wall.now += REDELIVERY_WINDOW
    assert len(outbox.claim_due(10)) == 1


def test_the_redelivery_limit_is_stored_not_kept_in_the_process(domain: Domain,
                                                                wall: FakeWall) -> None:
    delivery = _delivered_row(domain, wall)
    for _ in range(REDELIVERY_BURST):
        assert domain.outbox.redeliver(delivery)
        (claimed,) = domain.outbox.claim_due(10)
        domain.outbox.record_attempt(claimed, started=wall.now, duration_ms=1,
                                     status_code=200, response="ok", error=None)
    # another process (or this one after a restart) sharing the store sees the same limit
    other = Outbox(domain.store, domain.endpoints, domain.clock, domain.outbox.retry_schedule)
    assert other.redeliver(delivery)
    assert other.claim_due(10) == []


# -- headers -----------------------------------------------------------------------------------
def _headers(**values: str) -> CIMultiDict[str]:
    return CIMultiDict({k.replace("_", "-"): v for k, v in values.items()})


def test_header_bytes_that_are_not_utf8_are_refused_ignored_or_escaped() -> None:
    bad = b"run-\xff\xfe".decode("utf-8", "surrogateescape")  # as aiohttp decodes them
    headers = _headers(X_Paylab_Run=bad, Idempotency_Key="fine-é")
    with pytest.raises(BadHeader) as refused:
        header(headers, "x-paylab-run")
    assert refused.value.name == "x-paylab-run"
    with pytest.raises(BadHeader):
        check_headers(headers, ["Idempotency-Key", "X-Paylab-Run"])
    assert header(headers, "Idempotency-Key") == "fine-é"
    assert header(headers, "Missing") is None
    assert lenient_header(headers, "X-Paylab-Run") is None
    assert recorded_header(headers, "X-Paylab-Run") == "run-\\xff\\xfe"
    assert recorded_header(headers, "Idempotency-Key") == "fine-é"


# -- integers ----------------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["100\n", "100\r\n", " 100", "100 ", "+100", "１００", "١٠٠",
                                   "1_00", "10²", "0x64", ""])
def test_form_integers_are_ascii_digits_only(value: str) -> None:
    contracts = Contracts()
    ref = contract_id("stripe/requests/payment_intent_create")
    coerced = contracts.coerce(ref, {"amount": value, "currency": "usd"})
    assert coerced["amount"] == value  # left a string, so the contract refuses it
    problem = contracts.problem(ref, coerced)
    assert problem is not None and problem.path == ("amount",)


def test_form_integers_still_coerce() -> None:
    contracts = Contracts()
    ref = contract_id("stripe/requests/payment_intent_create")
    assert contracts.coerce(ref, {"amount": "100"})["amount"] == 100
    assert contracts.coerce(ref, {"amount": "-5"})["amount"] == -5  # the contract's minimum

