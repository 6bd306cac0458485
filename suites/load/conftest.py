"""Load layer: `paylab load` runs as a subprocess (Locust's gevent must never patch this
pytest process), against the suite's simulator and shop."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import allure
import pytest
from paylab.suites.plugins.shop import Shop
from paylab.suites.plugins.simulator import PROJECT, LiveSimulator

#: The console script users run, from this venv.
PAYLAB = Path(sys.executable).with_name("paylab")


@pytest.fixture(scope="session")
def simulator_flags() -> tuple[str, ...]:
    """The virtual clock at real speed: a preset's time window (the 30 s of
    gateway-outage) then spans the whole run, however long Locust takes to start."""
    return ("--retry-schedule", "1,2,4,8", "--webhook-timeout", "2")


@dataclass
class LoadRun:
    """One finished `paylab load --headless` run."""

    code: int
    output: str
    verdict: dict[str, Any]
    reports: Path


@pytest.fixture
def paylab_load(simulator: LiveSimulator, shop: Shop, tmp_path: Path,
                request: pytest.FixtureRequest):
    """Run `paylab load` with extra flags against the suite's stack; returns a LoadRun."""
    alluredir = request.config.getoption("--alluredir", default=None) or str(tmp_path / "ar")

    def run(*flags: str, profile: str = "smoke", timeout: float = 180,
            own_result: bool = True) -> LoadRun:
        """`own_result=False` keeps the run's Allure result out of the report (a run that
        is meant to fail would show as a failure); its files are attached here instead."""
        reports = tmp_path / "load"
        cmd = [str(PAYLAB), "load", "--headless", "--profile",
               profile, "--gateway-url", simulator.url, "--merchant-url", shop.url,
               "--reports", str(reports), "--alluredir",
               alluredir if own_result else str(tmp_path / "expected-failure"), *flags]
        done = subprocess.run(cmd, cwd=PROJECT, capture_output=True, text=True,
                              timeout=timeout)
        output = done.stdout + done.stderr
        allure.attach(output[-20000:], name=f"paylab load {' '.join(flags)} output",
                      attachment_type=allure.attachment_type.TEXT)
        verdict_file = reports / f"{profile}-slo.json"
        verdict = json.loads(verdict_file.read_text()) if verdict_file.exists() else {}
        if not own_result:  # the verdict and the figures; Locust's 1 MB HTML stays on disk
            for made in (verdict_file, reports / f"{profile}_stats.csv"):
                if made.exists():
                    allure.attach.file(made, name=made.name, extension=made.suffix[1:])
        return LoadRun(done.returncode, output, verdict, reports)

    return run
