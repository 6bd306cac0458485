"""paylab's pytest plugin in a user's own pytest run (a subprocess in a bare directory):
it loads from its entry point, starts and stops its own simulator, tolerates being listed
in `pytest_plugins` too, and sends the control token to a guarded simulator."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
import textwrap
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from paylab.testing.server import TEST_FLAGS, LiveSimulator, start_simulator, stop_simulator

#: A user's tests: the fixtures, the marker (under --strict-markers) and the control API.
USER_TESTS = '''
import json, os, pytest, stripe

CARD = {"amount": 500, "currency": "eur", "payment_method": "pm_card_visa", "confirm": True}
DOWN = "rules: [{name: down, match: {method: POST}, effects: [{error: {status: 503}}]}]"

def test_pays_and_gets_the_webhook(paylab_simulator, paylab_stripe, paylab_webhooks):
    intent = paylab_stripe.v1.payment_intents.create(params=CARD)
    assert paylab_webhooks.wait_for_event("payment_intent.succeeded").data.object.id == intent.id
    process = paylab_simulator.process
    with open(os.environ["SEEN"], "w") as out:
        json.dump({"url": paylab_simulator.url, "pid": process.pid if process else None}, out)

@pytest.mark.paylab_scenario(DOWN)
def test_marked(paylab_stripe, paylab_control):
    with pytest.raises(stripe.APIError):
        paylab_stripe.v1.payment_intents.create(params=CARD)
    paylab_control.clock.advance(60)
'''


def run_user_suite(project: Path, *args: str, env: dict[str, str] | None = None
                   ) -> subprocess.CompletedProcess[str]:
    """pytest in `project` as a user runs it: the plugin comes from the entry point."""
    clean = {k: v for k, v in os.environ.items()
             if k not in ("PAYLAB_URL", "PAYLAB_GATEWAY_URL", "PAYLAB_CONTROL_TOKEN")}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--strict-markers",
         "-p", "no:randomly", *args], cwd=project, env={**clean, **(env or {})},
        capture_output=True, text=True, timeout=120)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A bare directory with the user's tests and nothing of paylab's configuration."""
    root = tmp_path / "merchant"
    root.mkdir()
    (root / "test_user.py").write_text(textwrap.dedent(USER_TESTS))
    return root


def answers(url: str) -> bool:
    """Whether anything answers at `url` (no proxy: loopback)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"{url}/_sim/health", timeout=2):
            return True
    except (OSError, urllib.error.URLError):
        return False


def test_starts_its_own_simulator_and_stops_it(project: Path) -> None:
    # listed explicitly as well as loaded from the entry point: registered once
    (project / "conftest.py").write_text('pytest_plugins = ["paylab.testing.plugin"]\n')
    seen = project / "seen.json"
    done = run_user_suite(project, env={"SEEN": str(seen)})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed" in done.stdout
    started = json.loads(seen.read_text())
    assert started["pid"] is not None, "the plugin did not start a simulator"
    assert not answers(started["url"]), "the simulator outlived the session"
    with pytest.raises(ProcessLookupError):
        os.kill(started["pid"], 0)


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveSimulator, str]]:
    """A simulator whose control API needs a token."""
    # token_urlsafe may start with "-", which reads as an option unless written `--x=TOKEN`
    token = "-" + secrets.token_urlsafe(24)
    sim = start_simulator(tmp_path_factory.mktemp("guarded"), name="guarded",
                          flags=(*TEST_FLAGS, f"--control-token={token}"))
    yield sim, token
    stop_simulator(sim)


def test_uses_a_running_simulator_with_its_control_token(
        project: Path, guarded: tuple[LiveSimulator, str]) -> None:
    sim, token = guarded
    seen = project / "seen.json"
    done = run_user_suite(project, "--paylab-url", sim.url, f"--paylab-control-token={token}",
                          env={"SEEN": str(seen)})
    assert done.returncode == 0, done.stdout + done.stderr
    assert '"pid": null' in seen.read_text() and sim.url in seen.read_text()
    by_env = run_user_suite(project, env={"SEEN": str(seen), "PAYLAB_URL": sim.url,
                                          "PAYLAB_CONTROL_TOKEN": token})
    assert by_env.returncode == 0, by_env.stdout + by_env.stderr


def test_without_the_token_the_guarded_control_api_refuses(
        project: Path, guarded: tuple[LiveSimulator, str]) -> None:
    sim, _ = guarded
    done = run_user_suite(project, "--paylab-url", sim.url,
                          env={"SEEN": str(project / "seen.json")})
    assert done.returncode == 1, done.stdout + done.stderr
    assert "control_token_required" in done.stdout


def test_the_readme_example_runs(tmp_path: Path, simulator: LiveSimulator) -> None:
    """The README's "Use paylab in your own tests" example, as a user's test file."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("## Use paylab in your own tests", 1)[1].split("\n## ", 1)[0]
    [example] = re.findall(r"```python\n(.*?)```", section, re.S)
    (tmp_path / "test_readme_example.py").write_text(example)
    done = run_user_suite(tmp_path, "--paylab-url", simulator.url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "4 passed" in done.stdout
