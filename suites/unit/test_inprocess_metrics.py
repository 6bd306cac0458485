"""/_sim/metrics has latency histograms, not only counters: per gateway, method and route
template, with fixed buckets, kept in the database so every process on it adds to and
reads the same figures."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from paylab.simulator.core.store import Store
from paylab.simulator.metrics import BUCKETS, Metrics
from paylab.suites.unit.inprocess import ClientFactory, Sim, start

NAME = "paylab_request_duration_seconds"
SAMPLE = re.compile(r'^(\w+)\{(.*)\} (\S+)$')


@pytest.fixture
async def sim(aiohttp_client: ClientFactory) -> Sim:
    return await start(aiohttp_client)


def samples(text: str, name: str) -> list[tuple[dict[str, str], float]]:
    """Every sample of metric `name` in Prometheus text: (labels, value)."""
    out = []
    for line in text.splitlines():
        match = SAMPLE.match(line)
        if match and match.group(1) == name:
            labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', match.group(2)))
            out.append((labels, float(match.group(3))))
    return out


def series(text: str, method: str, route: str) -> dict[str, float]:
    """le -> cumulative count of one route's histogram."""
    return {labels["le"]: value for labels, value in samples(text, NAME + "_bucket")
            if labels["method"] == method and labels["route"] == route
            and labels["gateway"] == "stripe"}


async def test_metrics_have_a_latency_histogram_per_route(sim: Sim) -> None:
    created = [(await sim.pay()).body["id"] for _ in range(3)]
    for intent in created:
        await sim.stripe("GET", f"/v1/payment_intents/{intent}")
    await sim.stripe("GET", "/v1/nowhere")
    answer = await sim._send("GET", "/_sim/metrics")
    assert answer.status == 200
    text = answer.text
    assert f"# TYPE {NAME} histogram" in text
    creates = series(text, "POST", "/v1/payment_intents")
    reads = series(text, "GET", "/v1/payment_intents/{intent}")  # the template, not the ids
    assert list(creates) == [f"{b:g}" for b in BUCKETS] + ["+Inf"]
    assert creates["+Inf"] == 3 and reads["+Inf"] == 3
    assert series(text, "GET", "unmatched")["+Inf"] == 1
    for histogram in (creates, reads):
        counts = list(histogram.values())
        assert counts == sorted(counts), "buckets are cumulative"
    count = {tuple(sorted(labels.items())): v for labels, v in samples(text, NAME + "_count")}
    total = {tuple(sorted(labels.items())): v for labels, v in samples(text, NAME + "_sum")}
    key = (("gateway", "stripe"), ("method", "POST"), ("route", "/v1/payment_intents"))
    assert count[key] == 3 and 0 < total[key] < 30


async def test_injected_latency_lands_in_its_bucket(sim: Sim) -> None:
    await sim.control("PUT", "/scenario", raw='{"rules": [{"name": "slow", '
                      '"effects": [{"latency": {"fixed": 60}}]}]}')
    await sim.stripe("GET", "/v1/charges")
    text = (await sim._send("GET", "/_sim/metrics")).text
    charges = series(text, "GET", "/v1/charges")
    # at least the injected 60 ms; the upper bound leaves a busy machine room to answer
    assert charges["0.05"] == 0 and charges["1"] == 1 and charges["+Inf"] == 1


def test_histograms_live_in_the_store_and_are_shared(tmp_path: Path) -> None:
    db = tmp_path / "shared.db"
    first, second = Store(db), Store(db)
    one, other = Metrics(store=first), Metrics(store=second)
    one.request("stripe", 200, 3.0, None, method="GET", route="/v1/charges")
    first.commit()
    other.request("stripe", 200, 700.0, None, method="GET", route="/v1/charges")
    second.commit()
    for reader in (one, other):  # either process sees both observations
        text = reader.prometheus()
        assert series(text, "GET", "/v1/charges") == {
            **{f"{b:g}": (2 if b >= 1 else 1) if b >= 0.005 else 0 for b in BUCKETS},
            "+Inf": 2}
    assert first.all("SELECT SUM(count) FROM latency_buckets") == [(2,)]
    first.close()
    second.close()


async def test_a_reset_keeps_the_histograms(sim: Sim) -> None:
    await sim.pay()
    assert (await sim.control("POST", "/reset", {})).status == 200
    text = (await sim._send("GET", "/_sim/metrics")).text
    assert series(text, "POST", "/v1/payment_intents")["+Inf"] == 1  # counters only go up
