"""The Prometheus alerting rules shipped in simulator/alerts/prometheus/: valid for `promtool check
rules`, proven by `promtool test rules` on synthetic series (each alert fires where it
must and stays quiet on clean traffic), and written only on metrics the simulator exports
at /_sim/metrics. promtool comes from Debian's `prometheus` package (`make deps` installs
it): without it these tests fail, they do not skip."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from paylab.suites.unit.inprocess import ClientFactory, start

RULES_DIR = Path(__file__).resolve().parents[2] / "simulator" / "alerts" / "prometheus"
RULES = RULES_DIR / "paylab-alerts.rules.yml"
TESTS = RULES_DIR / "paylab-alerts.test.yml"
#: A histogram's series are its family name with one of these suffixes.
HISTOGRAM_SUFFIXES = ("_bucket", "_count", "_sum")


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    """Run promtool in the rules' folder (the test file names the rules relatively)."""
    binary = shutil.which("promtool")
    assert binary, "promtool is missing: install Debian's `prometheus` package (make deps)"
    return subprocess.run([binary, *args], cwd=RULES_DIR, capture_output=True, text=True,
                          timeout=60, check=False)


def test_the_rules_pass_promtool_check() -> None:
    done = promtool("check", "rules", RULES.name)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS: 7 rules found" in done.stdout


def test_the_rules_pass_their_promtool_unit_tests() -> None:
    done = promtool("test", "rules", TESTS.name)
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_alert_is_tested_firing_and_names_its_paylab_rule() -> None:
    rules = [r for g in yaml.safe_load(RULES.read_text())["groups"] for r in g["rules"]]
    tests = yaml.safe_load(TESTS.read_text())["tests"]
    fired = {case["alertname"] for t in tests for case in t["alert_rule_test"]
             if case["exp_alerts"]}
    quiet = {case["alertname"] for t in tests for case in t["alert_rule_test"]
             if not case["exp_alerts"]}
    names = {r["alert"] for r in rules}
    assert fired == names and quiet == names
    assert all(r["labels"]["severity"] in ("warning", "critical") and r["labels"]["rule"]
               for r in rules)


def metric_families(expr: str) -> set[str]:
    """The paylab_* metric families an expression reads (histogram series folded)."""
    names = set(re.findall(r"\bpaylab_[a-z0-9_]+", expr))
    return {next((n.removesuffix(s) for s in HISTOGRAM_SUFFIXES if n.endswith(s)), n)
            for n in names}


def test_metric_families_are_read_from_expressions() -> None:
    assert metric_families('rate(paylab_request_duration_seconds_bucket{le="1"}[5m]) '
                           "/ paylab_payments_total") == {
        "paylab_request_duration_seconds", "paylab_payments_total"}


async def test_every_metric_the_rules_use_is_exported(aiohttp_client: ClientFactory) -> None:
    used = set()
    for group in yaml.safe_load(RULES.read_text())["groups"]:
        for rule in group["rules"]:
            used |= metric_families(rule["expr"])
    assert len(used) == 6, used
    sim = await start(aiohttp_client)
    scraped = (await sim.control("GET", "/metrics")).text
    exported = set(re.findall(r"^# TYPE (paylab_[a-z0-9_]+) ", scraped, re.MULTILINE))
    assert used <= exported, f"not exported by /_sim/metrics: {sorted(used - exported)}"


@pytest.mark.parametrize("name", ["paylab_payments_total", "paylab_declines_total"])
def test_the_rules_read_the_counters_by_gateway_and_method(name: str) -> None:
    text = RULES.read_text()
    assert f"sum by (gateway, method) (increase({name}" in text
