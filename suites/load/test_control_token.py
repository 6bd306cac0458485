"""`paylab load` against a simulator whose control API is token-guarded: the Paylab tab's
figures and preset buttons send PAYLAB_CONTROL_TOKEN (a headless run's `--preset` takes
its headers from the same `settings.control_headers`).

The tab's code is driven in a child process: importing it imports Locust, whose gevent
must never patch this pytest process."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator

import pytest

from paylab.testing.server import LiveSimulator, start_simulator, stop_simulator

#: Reads the figures, switches a preset on and off, and prints what each step saw.
TAB = """
import locust  # first, as `locust -f` does: gevent patches before anything imports ssl
import json, sys
from paylab.load.common.webui import SimulatorView
view = SimulatorView(sys.argv[1])
stats = view.stats()
on = view.switch("slow-gateway")
off = view.switch(None)
print(json.dumps({"stats": stats is not None, "error": view._error[:200],
                  "on": on[1], "off": off[1]}))
"""


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveSimulator, str]]:
    # token_urlsafe may start with "-", which reads as an option unless written `--x=TOKEN`
    token = "-" + secrets.token_urlsafe(24)
    sim = start_simulator(tmp_path_factory.mktemp("guarded"),
                          flags=(f"--control-token={token}",))
    yield sim, token
    stop_simulator(sim)


def drive_tab(url: str, token: str | None) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "PAYLAB_CONTROL_TOKEN"}
    if token is not None:
        env["PAYLAB_CONTROL_TOKEN"] = token
    run = subprocess.run([sys.executable, "-c", TAB, url], env=env, capture_output=True,
                         text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stderr[-2000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_the_tab_sends_the_control_token(guarded: tuple[LiveSimulator, str]) -> None:
    sim, token = guarded
    assert drive_tab(sim.url, token) == {"stats": True, "error": "", "on": 200, "off": 200}


def test_without_the_token_the_guard_refuses_the_tab(guarded: tuple[LiveSimulator, str]) -> None:
    sim, _ = guarded
    seen = drive_tab(sim.url, None)
    assert seen["stats"] is False and "401" in seen["error"]
    assert (seen["on"], seen["off"]) == (401, 401)
