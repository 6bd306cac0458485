"""`paylab test` from an installed paylab: the suites inside the package run with the
configuration shipped next to them (suites/suites.ini), which must say what
pyproject.toml says for a checkout; and the control token is passed on."""

from __future__ import annotations

import argparse
import configparser
import sys
import tomllib
from pathlib import Path

import pytest
from paylab.simulator.testrun import SUITES_INI, layer_command, layer_env, locate
from paylab.suites.e2e.wheel import PROJECT, build_wheel, run, user_env

#: pyproject keys that only matter in a checkout (the installed run names its layer).
CHECKOUT_ONLY = {"testpaths"}


@pytest.fixture(autouse=True)
def _evidence() -> None:
    """No browser here: replaces the layer's browser evidence for these tests."""


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.strip().splitlines() if line.strip()]


def test_the_shipped_ini_says_what_pyproject_says() -> None:
    table = tomllib.loads((PROJECT / "pyproject.toml").read_text())["tool"]["pytest"][
        "ini_options"]
    ini = configparser.ConfigParser()
    ini.read(PROJECT / "suites" / SUITES_INI)
    shipped = dict(ini["pytest"])
    expected = {k: v for k, v in table.items() if k not in CHECKOUT_ONLY}
    assert set(shipped) == set(expected)
    for key, value in expected.items():
        got = _lines(shipped[key]) if isinstance(value, list) else shipped[key]
        assert got == value, key


def test_a_checkout_is_configured_by_pyproject(tmp_path: Path) -> None:
    layout = locate(cwd=tmp_path, package_root=PROJECT)
    assert not layout.installed and layout.root == PROJECT
    command = layer_command(layout, "unit", tmp_path / "results", ["-x"])
    assert command[3:5] == ["suites/unit", f"--alluredir={tmp_path / 'results'}"]
    assert "-c" not in command and command[-1] == "-x"


def test_an_installed_package_is_configured_by_the_shipped_ini(tmp_path: Path) -> None:
    site = tmp_path / "site-packages" / "paylab"
    (site / "suites" / "unit").mkdir(parents=True)
    (site / "simulator").mkdir()
    layout = locate(cwd=tmp_path, package_root=site)
    assert layout.installed and layout.root == tmp_path  # results go to the caller's cwd
    command = layer_command(layout, "unit", tmp_path / "results", [])
    assert command[3] == str(site / "suites" / "unit")
    assert command[command.index("-c") + 1] == str(site / "suites" / SUITES_INI)
    assert command[command.index("--rootdir") + 1] == str(site / "suites")


def test_the_control_token_is_passed_on() -> None:
    args = argparse.Namespace(gateway_url="http://127.0.0.1:9", merchant_url=None)
    env = layer_env(args, {"PAYLAB_CONTROL_TOKEN": "t" * 32, "PATH": "/bin"})
    assert env["PAYLAB_CONTROL_TOKEN"] == "t" * 32
    assert env["PAYLAB_GATEWAY_URL"] == "http://127.0.0.1:9"


def test_paylab_test_runs_the_suites_of_an_installed_package(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    """The wheel's files on PYTHONPATH (this run's interpreter has the suites' own
    dependencies), `paylab test` from a directory that is not a checkout."""
    wheel = build_wheel(tmp_path_factory.mktemp("wheel"))
    site = tmp_path_factory.mktemp("site")
    installed = run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target",
                     str(site), str(wheel)], cwd=site)
    assert installed.returncode == 0, installed.stderr
    work = tmp_path_factory.mktemp("work")
    # only unit/test_money.py is collected: importing the layer's other 200 files (their
    # assertion rewriting has no cache in a fresh install) took most of this test's time.
    # pytest makes a relative --ignore-glob absolute from the working directory.
    unit = site / "paylab" / "suites" / "unit"
    done = run([sys.executable, "-m", "paylab.simulator", "test", "--layer", "unit",
                "--no-report", "--", "-k", "money", "-p", "no:xdist",
                f"--ignore-glob={unit}/test_[!m]*.py", f"--ignore-glob={unit}/test_m[!o]*.py"],
               cwd=work, timeout=300, env=user_env(PYTHONPATH=str(site)))
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-4000:]
    assert f"rootdir: {site / 'paylab' / 'suites'}" in output
    assert f"configfile: {SUITES_INI}" in output
    assert "test_money.py" in output and " passed" in output
    assert "unit         passed" in output
    assert any((work / "reports" / "allure-results").glob("*-result.json"))
