"""Rows the SLO gate reports but does not judge (too few samples, one-off set-up calls) are
named with the reason wherever a verdict is read: the console, the JSON verdict file and
the Allure result's SLO table."""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

import pytest
from paylab.load.common.allure_result import slo_table, write_result
from paylab.load.common.profiles import load_profile
from paylab.load.common.slo import (
    RequestFigures,
    RunFigures,
    evaluate,
    summary,
    verdict_document,
)
from paylab.load.run import _conclude

SLO = {"error_ratio": 0.01, "min_rps": 100, "min_samples": 100,
       "setup_requests": ["/v1/webhook_endpoints"], "default": {"p95": 250, "p99": 600}}
#: A healthy row, a rare slow one (3 samples) and a slow set-up call with plenty.
RUN = RunFigures(requests=1503, failures=0, rps=300.0, per_request=(
    RequestFigures("/v1/payment_intents (confirm)", 1000, 0, 20, 40),
    RequestFigures("/v1/refunds", 3, 0, 900, 900),
    RequestFigures("/v1/webhook_endpoints", 500, 0, 800, 900)))
FEW = "3 samples, fewer than 100"
SETUP = "a one-off set-up call"


def _document() -> dict:
    return verdict_document("smoke", RUN, evaluate(SLO, RUN), cpu_warning=False, workers=1,
                            failures_by_reason=[])


def test_the_console_summary_names_each_unjudged_row_and_why() -> None:
    line = summary("smoke", evaluate(SLO, RUN))
    assert line.startswith("SLO gate: all 4 judged objectives met for profile smoke")
    assert "4 reported, not judged" in line
    assert f"p95 /v1/refunds (ms) ({FEW}" in line
    assert f"p99 /v1/webhook_endpoints (ms) ({SETUP}" in line
    assert "confirm" not in line.split("not judged")[1], "a judged row is not listed"


def test_the_console_summary_of_a_missed_run_counts_only_judged_objectives() -> None:
    slow = RunFigures(requests=1000, failures=0, rps=300.0, per_request=(
        RequestFigures("/v1/payment_intents (confirm)", 1000, 0, 400, 40),))
    line = summary("smoke", evaluate(SLO, slow))
    assert line == "SLO gate: 1 of 4 judged objectives missed for profile smoke"


def test_the_json_verdict_lists_the_unjudged_rows_with_their_reason() -> None:
    document = json.loads(json.dumps(_document()))  # what the file holds
    assert document["passed"] is True
    reasons = {row["objective"]: row["why"] for row in document["not_judged"]}
    assert set(reasons) == {"p95 /v1/refunds (ms)", "p99 /v1/refunds (ms)",
                            "p95 /v1/webhook_endpoints (ms)", "p99 /v1/webhook_endpoints (ms)"}
    assert reasons["p95 /v1/refunds (ms)"].startswith(FEW)
    assert reasons["p95 /v1/webhook_endpoints (ms)"].startswith(SETUP)
    judged = {v["objective"]: v["judged"] for v in document["verdicts"]}
    assert judged["p95 /v1/payment_intents (confirm) (ms)"] is True
    assert judged["p95 /v1/refunds (ms)"] is False


def test_the_allure_slo_table_says_not_judged_and_why() -> None:
    rows = list(csv.DictReader(slo_table(_document()["verdicts"]).splitlines()))
    by_objective = {row["objective"]: row for row in rows}
    assert by_objective["p95 /v1/refunds (ms)"]["verdict"] == "not judged"
    assert by_objective["p95 /v1/refunds (ms)"]["why not judged"].startswith(FEW)
    assert by_objective["p99 /v1/webhook_endpoints (ms)"]["why not judged"].startswith(SETUP)
    confirm = by_objective["p95 /v1/payment_intents (confirm) (ms)"]
    assert (confirm["verdict"], confirm["why not judged"]) == ("met", "")
    assert by_objective["error ratio"]["verdict"] == "met"


def test_a_missed_objective_reads_missed_in_the_table() -> None:
    missed = {"objective": "error ratio", "limit": 0.01, "measured": 0.2, "met": False,
              "judged": True, "note": ""}
    (row,) = csv.DictReader(slo_table([missed]).splitlines())
    assert (row["verdict"], row["measured"]) == ("MISSED", "0.2")


def _load_result(results: Path) -> dict:
    (result,) = results.glob("*-result.json")
    return json.loads(result.read_text())


def test_the_allure_result_leads_with_the_slo_table(tmp_path: Path) -> None:
    verdicts = _document()["verdicts"]
    write_result(tmp_path, name="smoke profile", passed=True, message="ok", start_ms=1,
                 stop_ms=2, files=[], verdicts=verdicts, parameters={})
    result = _load_result(tmp_path)
    first = result["attachments"][0]
    assert (first["name"], first["type"]) == ("SLO table", "text/csv")
    table = (tmp_path / first["source"]).read_text()
    assert "not judged" in table and FEW in table
    description = result["description"].splitlines()
    assert description[0] == "| objective | limit | measured | verdict | why not judged |"
    assert any(line.startswith("| p95 /v1/refunds (ms) | 250 | 900 | not judged | 3 samples")
               for line in description)
    skipped = [s["name"] for s in result["steps"] if s["status"] == "skipped"]
    assert len(skipped) == 4 and all("not judged" in name for name in skipped)


def test_paylab_load_prints_and_reports_the_unjudged_rows(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`paylab load`'s own closing lines (what a CI log shows) and its Allure result."""
    reports, results = tmp_path / "load", tmp_path / "results"
    reports.mkdir()
    (reports / "smoke-slo.json").write_text(json.dumps(_document()))
    options = argparse.Namespace(preset=None, alluredir=str(results), expect_workers=None,
                                 workers=0)
    code = _conclude(options, load_profile("smoke"), reports / "smoke", 0, 0.0)
    out = capsys.readouterr().out
    assert code == 0
    assert "reported, not judged: p95 /v1/refunds (ms) (3 samples" in out
    assert f"p95 /v1/webhook_endpoints (ms) ({SETUP}" in out
    assert "not judged" in _load_result(results)["statusDetails"]["message"]
