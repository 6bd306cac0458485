"""`paylab test` runs a layer's test files in parallel xdist workers (PAYLAB_TEST_WORKERS):
which layers, how many workers, the caller's own pytest flags winning, and the long files
first in every worker's collection."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
from paylab.simulator import testrun
from paylab.simulator.testrun import (
    LAYERS,
    PARALLEL_LAYERS,
    layer_command,
    layer_workers,
    locate,
    worker_args,
    worker_count,
)
from paylab.suites import conftest as suites_conftest
from paylab.suites.plugins import scheduling
from paylab.suites.plugins.simulator import PROJECT

XDIST = ["-n", "2", "--dist", "loadfile", "--no-loadscope-reorder"]


@pytest.fixture(autouse=True)
def _evidence() -> None:
    """No browser here: replaces the layer's browser evidence for these tests."""


def test_the_load_layer_never_gets_workers() -> None:
    assert "load" not in PARALLEL_LAYERS and set(PARALLEL_LAYERS) < set(LAYERS)
    assert worker_args("load", 4) == []
    for layer in PARALLEL_LAYERS:
        assert worker_args(layer, 2) == XDIST


@pytest.mark.parametrize("workers", [0, 1])
def test_one_worker_is_one_process(workers: int) -> None:
    assert worker_args("unit", workers) == []


@pytest.mark.parametrize("extra", [["-n", "4"], ["-n4"], ["--numprocesses=3"], ["-p", "no:xdist"],
                                   ["-pno:xdist"], ["--dist", "load"]])
def test_the_callers_own_xdist_flags_win(extra: list[str]) -> None:
    assert worker_args("security", 2, extra) == []


def test_the_command_keeps_its_shape_with_workers(tmp_path: Path) -> None:
    layout = locate(cwd=tmp_path, package_root=PROJECT)
    command = layer_command(layout, "contract", tmp_path / "results", ["-x"], workers=2)
    assert command[3:5] == ["suites/contract", f"--alluredir={tmp_path / 'results'}"]
    assert command[-1] == "-x" and command[-1 - len(XDIST):-1] == XDIST
    assert "-n" not in layer_command(layout, "load", tmp_path / "results", [], workers=2)


def test_the_worker_count_comes_from_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(testrun.os, "cpu_count", lambda: 8)
    assert worker_count({}) == 2
    assert worker_count({"PAYLAB_TEST_WORKERS": "auto"}) == 8
    assert worker_count({"PAYLAB_TEST_WORKERS": " 3 "}) == 3
    assert worker_count({"PAYLAB_TEST_WORKERS": "0"}) == 0
    monkeypatch.setattr(testrun.os, "cpu_count", lambda: 1)
    assert worker_count({}) == 1  # never more by default than the machine has CPUs


def test_the_browser_layer_doubles_the_default_workers_only() -> None:
    """Browser and reliability tests mostly wait, so by default they get twice the workers;
    a count the caller chose is kept for every layer, and one process stays one process."""
    assert layer_workers("e2e", 2, {}) == 4
    assert layer_workers("reliability", 2, {}) == 4
    assert layer_workers("security", 2, {}) == 2
    assert layer_workers("e2e", 2, {"PAYLAB_TEST_WORKERS": "2"}) == 2
    assert layer_workers("e2e", 1, {}) == 1
    assert layer_workers("e2e", 0, {}) == 0


@pytest.mark.parametrize("value", ["two", "-1", "2.5", "auto2"])
def test_a_bad_worker_count_is_refused_by_name(value: str) -> None:
    with pytest.raises(ValueError, match="PAYLAB_TEST_WORKERS"):
        worker_count({"PAYLAB_TEST_WORKERS": value})


def test_without_xdist_every_layer_runs_in_one_process(monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    monkeypatch.setattr(testrun.importlib.util, "find_spec", lambda name: None)
    assert worker_count({}) == 0
    assert capsys.readouterr().err == ""  # the default needs no word
    assert worker_count({"PAYLAB_TEST_WORKERS": "4"}) == 0
    assert "needs pytest-xdist" in capsys.readouterr().err


def test_the_long_files_exist_and_go_first() -> None:
    suites = Path(suites_conftest.__file__).parent
    for name in suites_conftest.LONG_FILES:
        assert (suites / name).is_file(), f"LONG_FILES names {name}, which is gone"

    class Item:
        def __init__(self, path: Path) -> None:
            self.fspath = path

    rank = suites_conftest._long_files_first  # the sort key itself
    assert rank(Item(suites / suites_conftest.LONG_FILES[0])) == 0
    assert rank(Item(suites / "unit" / "test_money.py")) == len(suites_conftest.LONG_FILES)


def test_a_bad_worker_count_stops_the_run_before_it_touches_the_results(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    results = tmp_path / testrun.RESULTS
    results.mkdir(parents=True)
    (results / "last-run-result.json").write_text("{}")
    monkeypatch.setattr(testrun, "locate",
                        lambda: testrun.Layout(tmp_path, tmp_path / "suites", installed=True))
    monkeypatch.setenv("PAYLAB_TEST_WORKERS", "many")
    args = argparse.Namespace(layer=["unit"], gateway_url=None, merchant_url=None,
                              pytest_args=[], no_report=True)
    assert testrun.run_tests(args, report=lambda root: 0) == 2
    assert "PAYLAB_TEST_WORKERS must be a number" in capsys.readouterr().err
    assert (results / "last-run-result.json").exists()


def test_the_split_files_exist_and_hand_out_single_tests() -> None:
    """Under `loadfile`, a split file's tests are units of their own; every other file is
    one unit, from a checkout (paths under suites/) as from the installed suites."""
    suites = Path(suites_conftest.__file__).parent
    for name in scheduling.SPLIT_FILES:
        assert (suites / name).is_file(), f"SPLIT_FILES names {name}, which is gone"
    unit = scheduling.work_unit
    for test in ("suites/e2e/test_checkout.py::test_happy_path", "e2e/test_checkout.py::t[a]"):
        assert unit(test) == test
    for whole in ("suites/e2e/test_dashboard.py", "e2e/test_dashboard.py",
                  "suites/e2e/old_test_checkout.py"):  # only ending like a split file
        assert unit(f"{whole}::test_x") == whole


@pytest.mark.parametrize(("dist", "splits"), [("loadfile", True), ("load", False),
                                              ("loadscope", False), ("no", False)])
def test_only_loadfile_gets_the_split_scheduler(dist: str, splits: bool) -> None:
    class Config:
        def getvalue(self, name: str) -> object:
            return {"dist": dist, "tx": ["popen", "popen"]}.get(name)

    made = scheduling.pytest_xdist_make_scheduler(config=Config(), log=None)
    assert (made is not None) == splits
    if made is not None:
        test = "suites/e2e/test_checkout.py::test_happy_path"
        assert made._split_scope(test) == test
        assert made._split_scope("suites/e2e/test_money.py::t") == "suites/e2e/test_money.py"


def test_only_a_waiting_layer_with_work_after_it_runs_beside() -> None:
    beside = {"PAYLAB_TEST_BESIDE": "1"}
    assert testrun.runs_beside("reliability", ["security", "e2e", "load"], beside)
    assert not testrun.runs_beside("reliability", ["load"], beside)  # load runs alone
    assert not testrun.runs_beside("reliability", [], beside)
    assert not testrun.runs_beside("unit", ["contract"], beside)
    assert not testrun.runs_beside("reliability", ["e2e"], {})  # one after the other
    assert not testrun.runs_beside("reliability", ["e2e"], {"PAYLAB_TEST_BESIDE": "0"})


def test_a_layer_beside_the_others_ends_before_load_and_its_output_is_printed_whole(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    """reliability starts first and ends last of the two before load; load only starts once
    it has ended (it finds its mark), and every layer's verdict is in the summary."""
    done = tmp_path / "reliability-ended"
    scripts = {
        "reliability": f"import time, pathlib; print('rel-1'); time.sleep(1.5); "
                       f"pathlib.Path({str(done)!r}).touch(); print('rel-2')",
        "unit": f"import pathlib, sys; print('unit ran'); "
                f"sys.exit(3 if pathlib.Path({str(done)!r}).exists() else 0)",
        "load": f"import pathlib, sys; sys.exit(0 if pathlib.Path({str(done)!r}).exists() "
                f"else 4)",
    }
    monkeypatch.setattr(testrun, "locate",
                        lambda: testrun.Layout(tmp_path, tmp_path / "suites", installed=True))
    monkeypatch.setattr(testrun, "layer_command",
                        lambda layout, layer, results, extra, workers:
                        [testrun.sys.executable, "-c", scripts[layer]])
    monkeypatch.setenv("PAYLAB_TEST_BESIDE", "1")
    args = argparse.Namespace(layer=["reliability", "unit", "load"], gateway_url=None,
                              merchant_url=None, pytest_args=[], no_report=True)
    assert testrun.run_tests(args, report=lambda root: 0) == 0
    out = capfd.readouterr().out
    assert "beside the next layers" in out
    assert out.index("unit ran") < out.index("rel-1\nrel-2")  # kept whole, printed at its end
    assert out.index("rel-2") < out.index("=== layer: load")
    summary = out[out.index("=== summary ==="):]
    assert [line.split()[0] for line in summary.splitlines()[1:4]] == [
        "reliability", "unit", "load"]


def test_the_waiting_layer_starts_first_and_load_stays_last() -> None:
    assert testrun.run_order(list(LAYERS)) == [
        "reliability", "unit", "contract", "security", "e2e", "load"]
