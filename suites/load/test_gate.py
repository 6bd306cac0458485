"""The smoke profile as a CI gate: it passes on a healthy stack from one Locust process (its
limits hold on a machine half as fast and busy: speed itself is load/bench.py's job), and it
demonstrably fails (exit 3, with the reason) when the gateway is down."""

from __future__ import annotations

from paylab.simulator import fees_report
from paylab.suites.load.conftest import LoadRun
from paylab.suites.plugins.evidence import Figures
from paylab.suites.plugins.simulator import Control


def test_smoke_profile_meets_its_slo(paylab_load, figures: Figures, control: Control) -> None:
    run: LoadRun = paylab_load()
    # what the traffic just run cost per gateway and method, and on the others
    comparison = control.get("fees/comparison")
    fees_report.attach(comparison, "fee comparison after the smoke run")
    assert comparison["currencies"], "the smoke run left no payment to price"
    verdict = run.verdict
    assert run.code == 0, run.output[-3000:]
    assert verdict["passed"] and verdict["workers"] == 1
    assert all(v["met"] for v in verdict["verdicts"])
    judged = [v for v in verdict["verdicts"] if v["judged"]]
    assert any(v["objective"] == "requests/s" for v in judged)
    assert any(v["objective"].startswith("p99 ") for v in judged), "no percentile was judged"
    assert {"smoke.html", "smoke_stats.csv", "smoke-slo.json"} <= {
        p.name for p in run.reports.iterdir()}
    names = {v["objective"] for v in verdict["verdicts"]}
    for flow in ("/v1/payment_intents (confirm)", "3DS challenge (pass)", "/v1/refunds",
                 "shop order paid (webhook)", "webhook payment_intent.succeeded"):
        assert f"p99 {flow} (ms)" in names, f"the smoke mix never ran {flow}"
    unjudged = [v["objective"] for v in verdict["verdicts"] if not v["judged"]]
    figures(f"smoke profile: {verdict['requests']} requests, {verdict['failures']} failed, "
            f"{verdict['rps']} req/s from one Locust process, Locust CPU warning "
            f"{verdict['cpu_warning']}, {len(judged)} objectives met, reported but not "
            f"judged: {', '.join(unjudged) or 'none'}")


def test_the_gate_fails_when_the_gateway_is_down(paylab_load, figures: Figures) -> None:
    run: LoadRun = paylab_load("--preset", "gateway-outage", own_result=False)
    assert run.code == 3, run.output[-3000:]
    assert run.verdict["passed"] is False
    missed = {v["objective"] for v in run.verdict["verdicts"] if not v["met"]}
    assert "error ratio" in missed
    assert "SLO missed: error ratio" in run.output
    assert "api_error/service_unavailable [scenario: outage:error=503]" in run.output
    figures(f"smoke under gateway-outage: exit {run.code}; missed {', '.join(sorted(missed))}; "
            f"error ratio {run.verdict['failures'] / run.verdict['requests']:.1%}")
