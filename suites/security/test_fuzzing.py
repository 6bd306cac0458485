"""Property-based fuzzing of every operation in /_sim/openapi.json with schemathesis,
including its stateful phase (create -> retrieve/confirm/capture/cancel via OpenAPI links):
zero server errors, zero schema violations. PAYLAB_FUZZ_EXAMPLES raises the budget;
PAYLAB_FUZZ_WORKERS runs that many requests at once (1 by default)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import allure
from paylab.suites.plugins.simulator import start_simulator, stop_simulator

# Operations the fuzzer must not call: they would change the rest of the run on purpose
# (a random scenario, a revoked fuzzing key, random alert rules), and the rule set's
# per-kind shapes (if/then) are beyond schemathesis' generator: it spent minutes, then
# gave up with a schema error. Each has its own probes (injection, unit tests).
EXCLUDED = ("control.PutScenario", "control.RevokeKey", "control.PutAlertRules")


def test_schemathesis_finds_no_server_error_or_contract_violation(tmp_path: Path) -> None:
    # its own simulator: the fuzzer resets state and moves the clock, which must not
    # disturb the other probes
    simulator = start_simulator(tmp_path, name="fuzz")
    try:
        _fuzz(simulator.url, tmp_path)
    finally:
        stop_simulator(simulator)


def _fuzz(url: str, tmp_path: Path) -> None:
    examples = os.environ.get("PAYLAB_FUZZ_EXAMPLES", "10")
    workers = os.environ.get("PAYLAB_FUZZ_WORKERS", "1")
    cmd = [sys.executable, "-m", "schemathesis.cli", "run", f"{url}/_sim/openapi.json",
           "--checks", "not_a_server_error,response_schema_conformance,"
           "status_code_conformance,content_type_conformance",
           "--phases", "examples,coverage,fuzzing,stateful",
           "-H", "Authorization: Bearer sk_test_schemathesis", "--seed", "20261126",
           "--max-examples", examples, "--generation-database", "none", "--no-color",
           "--request-timeout", "10", "--workers", workers, "--report", "junit",
           "--report-junit-path", str(tmp_path / "schemathesis.xml")]
    for operation in EXCLUDED:
        cmd += ["--exclude-operation-id", operation]
    with allure.step(f"schemathesis, {examples} examples per operation, stateful phase on"):
        run = subprocess.run(cmd, capture_output=True, text=True, timeout=900, check=False)
        allure.attach(run.stdout[-30000:], name="schemathesis output",
                      attachment_type=allure.attachment_type.TEXT)
    assert run.returncode == 0, run.stdout[-4000:]
    summary = [line for line in run.stdout.splitlines() if "generated" in line]
    allure.attach("\n".join(summary), name="summary", attachment_type=allure.attachment_type.TEXT)
