"""Mutation-testing kills for callback targets (simulator/core/callbacks.py): the stored
target field by field, every refusal exactly, and which events reach which target; and the
outbox's side of them (finding a target, counting and recording attempts)."""

from __future__ import annotations

from typing import Any

import pytest
from paylab.simulator.core.callbacks import Callbacks, is_callback_id
from paylab.simulator.core.domain import Domain
from paylab.simulator.core.errors import InvalidRequest
from paylab.simulator.core.outbox import Outbox
from paylab.simulator.core.self_address import SelfAddress
from paylab.simulator.core.vocabulary import INVALID_URL, MISSING_PARAMETER
from paylab.suites.unit.conftest import TENANT, FakeWall

URL = "https://merchant.example/notify"


def _callbacks(domain: Domain, self_address: SelfAddress | None = None) -> Callbacks:
    return Callbacks(domain.objects, domain.clock, domain.rand, self_address)


def test_a_target_is_stored_field_by_field(domain: Domain) -> None:
    domain.advance_clock(42)
    doc = domain.callbacks.register(TENANT, "gw", "ord_1", URL, ("order.paid", "order.failed"),
                                    metadata={"name": "ReturnURL"})
    assert doc["id"].startswith("cb_") and len(doc["id"]) > 3
    assert doc == {"id": doc["id"], "object": "callback", "gateway": "gw", "tenant": TENANT,
                   "subject_id": "ord_1", "url": URL, "kinds": ["order.paid", "order.failed"],
                   "metadata": {"name": "ReturnURL"}, "created": int(domain.clock.now())}
    assert domain.callbacks.get(TENANT, doc["id"]) == doc
    bare = domain.callbacks.register(TENANT, "gw", "ord_1", "http://m.example/n", ["*"])
    assert bare["metadata"] == {}
    assert domain.callbacks.get(TENANT, bare["id"])["metadata"] == {}


@pytest.mark.parametrize("url", ["ftp://merchant.example/n", "http:///notify", "notify",
                                 "", "mailto:a@b.example"])
def test_urls_that_are_not_absolute_http_are_refused(domain: Domain, url: str) -> None:
    with pytest.raises(InvalidRequest) as err:
        domain.callbacks.register(TENANT, "gw", "ord_1", url, ["*"])
    assert (err.value.code, err.value.param) == (INVALID_URL, "url")
    assert err.value.message == (f"Invalid callback URL {url!r}: it must be an absolute http "
                                 "or https URL.")
    assert domain.callbacks.for_subject(TENANT, "ord_1") == []


def test_urls_reaching_the_simulators_control_api_are_refused(domain: Domain) -> None:
    here = SelfAddress("127.0.0.1", 8080)
    url = "http://127.0.0.1:8080/_sim/reset"
    with pytest.raises(InvalidRequest) as err:
        _callbacks(domain, here).register(TENANT, "gw", "ord_1", url, ["*"])
    assert (err.value.code, err.value.message, err.value.param) == (
        INVALID_URL, here.refusal(url), "url")
    # elsewhere on the same host is fine, and so is any URL without a known self address
    assert _callbacks(domain, here).register(TENANT, "gw", "ord_1", "http://127.0.0.1:9/n",
                                             ["*"])["url"] == "http://127.0.0.1:9/n"
    assert _callbacks(domain).register(TENANT, "gw", "ord_1", url, ["*"])["url"] == url


def test_a_target_needs_an_event_kind(domain: Domain) -> None:
    with pytest.raises(InvalidRequest) as err:
        domain.callbacks.register(TENANT, "gw", "ord_1", URL, [])
    assert (err.value.code, err.value.message, err.value.param) == (
        MISSING_PARAMETER, "A callback needs at least one event kind (or '*').", "kinds")
    assert err.value.context == {"names": ("kinds",)}


def test_targets_are_read_per_tenant_and_subject_oldest_first(domain: Domain) -> None:
    first = domain.callbacks.register(TENANT, "gw", "ord_1", URL, ["*"])
    second = domain.callbacks.register(TENANT, "gw", "ord_1", URL, ["order.paid"])
    domain.callbacks.register(TENANT, "other", "ord_2", URL, ["*"])
    theirs = domain.callbacks.register("acct_other", "gw", "ord_1", URL, ["*"])
    assert domain.callbacks.for_subject(TENANT, "ord_1") == [first, second]
    assert domain.callbacks.get(TENANT, theirs["id"]) is None
    assert domain.callbacks.get(TENANT, "cb_missing") is None
    # filed under their gateway, so the store can list one gateway's targets
    assert domain.objects.page(TENANT, "callback", tags=["gw"], limit=5)[0] == [second, first]


def _event(obj: Any, kind: str = "order.paid", gateway: str = "gw") -> dict[str, Any]:
    return {"id": "evt_1", "type": kind, "gateway": gateway, "object": obj}


def test_an_event_reaches_its_objects_targets_on_its_gateway_wanting_its_kind(
        domain: Domain) -> None:
    every = domain.callbacks.register(TENANT, "gw", "ord_1", URL, ["*"])
    paid = domain.callbacks.register(TENANT, "gw", "ord_1", URL, ["order.paid"])
    domain.callbacks.register(TENANT, "other", "ord_1", URL, ["*"])
    domain.callbacks.register(TENANT, "gw", "ord_2", URL, ["*"])
    match = domain.callbacks.matching
    assert match(TENANT, _event({"id": "ord_1"})) == [every, paid]
    assert match(TENANT, _event({"id": "ord_1"}, "order.failed")) == [every]
    assert match(TENANT, _event({"id": "ord_1"}, gateway="third")) == []
    assert match("acct_other", _event({"id": "ord_1"})) == []


@pytest.mark.parametrize("obj", [None, {}, {"id": 7}, {"id": None}])
def test_events_without_an_object_id_reach_no_target(domain: Domain, obj: Any) -> None:
    domain.callbacks.register(TENANT, "gw", "7", URL, ["*"])
    domain.callbacks.register(TENANT, "gw", "None", URL, ["*"])
    event = _event(obj)
    if obj is None:
        del event["object"]
    assert domain.callbacks.matching(TENANT, event) == []


@pytest.mark.parametrize(("target", "is_callback"), [
    ("cb_0100001abc", True), ("we_0100001abc", False), ("cbx_1", False), ("cb", False),
    ("CB_1", False), ("xcb_1", False)])
def test_a_callback_id_is_told_from_an_endpoint_id(target: str, is_callback: bool) -> None:
    assert is_callback_id(target) is is_callback


# -- the outbox's side of callbacks -----------------------------------------------------------
def test_an_outbox_without_callbacks_finds_no_callback_target(domain: Domain) -> None:
    callback = domain.callbacks.register(TENANT, "gw", "ord_1", URL, ["*"])
    bare = Outbox(domain.store, domain.endpoints, domain.clock)
    assert bare.target(TENANT, callback["id"]) is None
    assert domain.outbox.target(TENANT, callback["id"]) == callback


def test_attempts_are_counted_per_event_and_target_and_recorded_in_full(
        domain: Domain, wall: FakeWall) -> None:
    callback = domain.callbacks.register(TENANT, "gw", "ord_1", URL, ["*"])
    event = domain.events.emit(TENANT, "gw", "order.paid", "order", {"id": "ord_1"})
    outbox = domain.outbox
    assert outbox.attempts_for(event["id"], callback["id"]) == 0
    (delivery,) = outbox.claim_due(10)
    outbox.record_attempt(delivery, started=wall.now, duration_ms=2.5, status_code=500,
                          response="no", error="server error", signed_at=1234)
    assert outbox.attempts_for(event["id"], callback["id"]) == 1
    assert outbox.attempts_for(event["id"], "cb_other") == 0
    assert outbox.last_signed_at(delivery.id) == 1234
    assert outbox.listing()[0]["attempts"] == [
        {"n": 1, "started": wall.now, "duration_ms": 2.5, "status_code": 500,
         "response": "no", "error": "server error"}]
    wall.now += 5
    (again,) = outbox.claim_due(10)
    outbox.record_attempt(again, started=wall.now, duration_ms=1, status_code=None,
                          response=None, error="refused")
    assert outbox.attempts_for(event["id"], callback["id"]) == 2
