"""Load profiles, shapes and the SLO gate's arithmetic (no Locust process needed)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from paylab.load.common.profiles import (
    SHAPES,
    ProfileError,
    duration,
    load_profile,
    profile_names,
    shape_defaults,
    users_at,
)
from paylab.load.common.slo import (
    MIN_SAMPLES,
    RequestFigures,
    RunFigures,
    evaluate,
    load_slo,
    missed,
)

LOAD = Path(__file__).resolve().parents[2] / "load"


def test_every_profile_loads_has_an_slo_and_ends() -> None:
    names = profile_names()
    assert {"smoke", "ci", "stress", "soak"} <= set(names)
    for name in names:
        profile = load_profile(name)
        assert profile.shape in SHAPES
        assert load_slo(name), f"profile {name} has no SLO in load/slo.yaml"
        end = duration(profile)
        assert users_at(profile.shape, profile.params, 0) is not None
        assert users_at(profile.shape, profile.params, end) is None


def test_profile_users_are_real_user_classes() -> None:
    source = "".join(p.read_text() for p in (LOAD / "users").glob("*.py"))
    for name in profile_names():
        for user in load_profile(name).users:
            assert f"class {user}(" in source, f"{name} names unknown user class {user}"


def test_profile_params_override_the_shape_defaults(tmp_path: Path) -> None:
    path = tmp_path / "profiles.yaml"
    path.write_text("shapes:\n  steady: {users: 5, spawn_rate: 1, duration: 60}\n"
                    "profiles:\n  quick: {shape: steady, params: {duration: 7}}\n")
    assert load_profile("quick", path).params == {"users": 5, "spawn_rate": 1, "duration": 7}


def test_unknown_profiles_and_shapes_are_refused() -> None:
    with pytest.raises(ProfileError, match="no profile 'nope'"):
        load_profile("nope")
    with pytest.raises(ProfileError, match="unknown shape"):
        shape_defaults("zigzag")


def test_shapes_follow_their_parameters() -> None:
    ramp = {"start_users": 10, "end_users": 110, "spawn_rate": 5, "duration": 100}
    assert users_at("ramp", ramp, 0) == (10, 5.0)
    assert users_at("ramp", ramp, 50) == (60, 5.0)
    assert users_at("ramp", ramp, 100) is None
    spike = {"base_users": 5, "spike_users": 50, "spike_at": 10, "spike_for": 5,
             "spawn_rate": 50, "duration": 30}
    assert [users_at("spike", spike, t)[0] for t in (0, 9.9, 10, 14.9, 15, 29)] == \
        [5, 5, 50, 50, 5, 5]
    stages = {"stages": [[10, 1, 1], [20, 7, 2]]}
    assert users_at("stages", stages, 5) == (1, 1.0)
    assert users_at("stages", stages, 10) == (7, 2.0)
    assert users_at("stages", stages, 20) is None
    assert users_at("steady", {"users": 3, "spawn_rate": 3, "duration": 9}, 8.9) == (3, 3.0)


def _run(failures: int = 0, rps: float = 500.0, p95: float = 10, p99: float = 20) -> RunFigures:
    return RunFigures(requests=1000, failures=failures, rps=rps, per_request=(
        RequestFigures("/v1/payment_intents (confirm)", 900, failures, p95, p99),
        RequestFigures("webhook payment_intent.succeeded", 100, 0, 900, 1500)))


SLO = {"error_ratio": 0.01, "min_rps": 300, "default": {"p95": 250, "p99": 600},
       "requests": {"webhook payment_intent.succeeded": {"p95": 2000, "p99": 4000}}}


def test_a_healthy_run_meets_every_objective() -> None:
    verdicts = evaluate(SLO, _run())
    assert len(verdicts) == 2 + 2 * 2
    assert missed(verdicts) == []


@pytest.mark.parametrize(("run", "objective"), [
    (_run(failures=11), "error ratio"),
    (_run(rps=299.9), "requests/s"),
    (_run(p95=251), "p95 /v1/payment_intents (confirm) (ms)"),
    (_run(p99=601), "p99 /v1/payment_intents (confirm) (ms)"),
])
def test_each_objective_can_be_missed(run: RunFigures, objective: str) -> None:
    assert [v.objective for v in missed(evaluate(SLO, run))] == [objective]


def test_per_request_limits_override_the_default() -> None:
    webhook = [v for v in evaluate(SLO, _run()) if "webhook" in v.objective]
    assert {v.limit for v in webhook} == {2000, 4000}
    assert all(v.met for v in webhook)


def test_a_run_without_requests_fails() -> None:
    empty = RunFigures(requests=0, failures=0, rps=0.0, per_request=())
    assert {v.objective for v in missed(evaluate(SLO, empty))} == {
        "error ratio", "requests/s", "requests made"}


def _with(*rows: RequestFigures) -> RunFigures:
    return RunFigures(requests=1000, failures=0, rps=500.0, per_request=rows)


def test_a_row_with_few_samples_is_reported_not_judged() -> None:
    slow_and_rare = RequestFigures("/v1/refunds", 2, 0, 130, 130)  # 2 samples: noise
    verdicts = evaluate({**SLO, "min_samples": 100}, _with(slow_and_rare))
    rows = [v for v in verdicts if "/v1/refunds" in v.objective]
    assert len(rows) == 2 and missed(verdicts) == []
    assert all(not v.judged and "2 samples" in v.note for v in rows)
    assert "not judged" in rows[0].line()
    enough = RequestFigures("/v1/refunds", 100, 0, 260, 130)
    assert [v.objective for v in missed(evaluate({**SLO, "min_samples": 100},
                                                 _with(enough)))] == [
        "p95 /v1/refunds (ms)"]


def test_the_default_minimum_sample_count_applies_without_a_setting() -> None:
    rows = evaluate(SLO, _with(RequestFigures("/v1/refunds", 99, 0, 900, 900)))
    assert missed(rows) == [] and MIN_SAMPLES == 100


def test_set_up_calls_are_reported_but_never_judged_on_percentiles() -> None:
    setup = RequestFigures("/v1/webhook_endpoints", 500, 0, 900, 900)
    slo = {**SLO, "setup_requests": ["/v1/webhook_endpoints"]}
    rows = [v for v in evaluate(slo, _with(setup)) if "webhook_endpoints" in v.objective]
    assert rows and all(not v.judged and "set-up" in v.note for v in rows)
    assert missed(evaluate(slo, _with(setup))) == []


@pytest.mark.parametrize(("module", "user"), [("jkopay", "JkoPayUser"),
                                              ("linepay", "LinePayUser"),
                                              ("paypal", "PaypalUser")])
def test_the_locustfile_runs_each_wallet_user(module: str, user: str) -> None:
    tree = ast.parse((LOAD / "locustfile.py").read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                and node.module == f"paylab.load.users.{module}" for alias in node.names}
    assert imported == {user}
