"""More of the scenario engine pinned down where mutation testing found it loose: what a
fraud rule's `match` sees of an attempt, a normal latency's spread, and whether the
simulator owns an address."""

from __future__ import annotations

import ipaddress
import random
import statistics

from paylab.simulator.core.overrides import Client
from paylab.simulator.core.risk import Attempt
from paylab.simulator.core.self_address import _interface_address
from paylab.simulator.scenarios.effects import sample_latency
from paylab.simulator.scenarios.facts import Match
from paylab.simulator.scenarios.fraud import FraudState, attempt_facts
from paylab.simulator.scenarios.model import FraudRule


def attempt(device: str | None) -> Attempt:
    client = Client(ip="198.51.100.7", country="US", device=device, gateway="stripe")
    return Attempt("acct_f", 50_000, "usd", "fp_x", "424242", "US", None, client, 10.0)


def test_a_fraud_rule_can_be_scoped_to_a_device() -> None:
    rule = FraudRule(0, "big-on-kiosk", Match.parse({"device": "kiosk-*"}, str),
                     {"amount_above": 10_000}, "decline", 90)
    state = FraudState((rule,))
    fired = state.assess(attempt("kiosk-7"), attempt_facts(attempt("kiosk-7")))
    assert fired is not None and fired.rule == "big-on-kiosk"
    for device in ("phone-1", None):
        assert state.assess(attempt(device), attempt_facts(attempt(device))) is None


def test_a_normal_latency_spreads_by_its_stddev() -> None:
    rng = random.Random(5)
    assert sample_latency({"normal": {"mean": 80, "stddev": 0}}, rng) == 80.0
    samples = [sample_latency({"normal": {"mean": 5000, "stddev": 400}}, rng)
               for _ in range(200)]
    assert 300 < statistics.stdev(samples) < 500


def test_the_loopback_address_is_this_machines_own() -> None:
    assert _interface_address(ipaddress.ip_address("127.0.0.1"))
    assert not _interface_address(ipaddress.ip_address("192.0.2.1"))  # TEST-NET-1
