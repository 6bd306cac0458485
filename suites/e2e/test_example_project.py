"""examples/merchant as its users run it: paylab's wheel in a fresh virtualenv outside the
repository, the example's own tests through the pytest plugin; and its CI workflow only
runs paylab commands and flags that exist."""

from __future__ import annotations

import re
import shlex
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from paylab.suites.e2e.wheel import PROJECT, build_wheel, pip_install, run, user_env

EXAMPLE = PROJECT / "examples" / "merchant"
WORKFLOW = EXAMPLE / ".github" / "workflows" / "paylab.yml"
PARTS = ("simulator", "shop", "suites", "load", "contracts")


@pytest.fixture(autouse=True)
def _evidence() -> None:
    """No browser here: replaces the layer's browser evidence for these tests."""


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv with the wheel and its `testing` extra (pytest, stripe) from PyPI."""
    wheel = build_wheel(tmp_path_factory.mktemp("wheel"))
    home = tmp_path_factory.mktemp("venv") / "env"
    # without its own pip: this run's installer installs into it (--python), which is faster
    made = run([sys.executable, "-m", "venv", "--without-pip", str(home)], cwd=home.parent)
    assert made.returncode == 0, made.stderr
    installed = run(pip_install(home / "bin" / "python", f"{wheel}[testing]"),
                    cwd=home.parent, timeout=300)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return home


def test_example_tests_pass_against_the_installed_wheel(venv: Path, tmp_path: Path) -> None:
    project = tmp_path / "merchant"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns("__pycache__"))
    done = run([str(venv / "bin" / "python"), "-m", "pytest", "-p", "no:cacheprovider"],
               cwd=project, env=user_env())
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert re.search(r"\b5 passed\b", done.stdout), done.stdout[-2000:]
    assert "paylab-0.1.0" in done.stdout  # the plugin came from the wheel's entry point


def test_the_wheel_adds_only_paylab_to_site_packages(venv: Path) -> None:
    [site] = (venv / "lib").glob("python3*/site-packages")
    assert (site / "paylab" / "testing" / "plugin.py").is_file()
    assert (site / "paylab" / "suites" / "suites.ini").is_file()
    assert [p for p in PARTS if (site / p).exists()] == []
    code = f"import importlib.util as u; print([p for p in {PARTS!r} if u.find_spec(p)])"
    found = run([str(venv / "bin" / "python"), "-c", code], cwd=venv)
    assert found.stdout.strip() == "[]", found.stdout + found.stderr


def workflow_commands(doc: dict[str, Any]) -> list[list[str]]:
    """Every shell command of every `run:` step, split into words (continued lines joined)."""
    commands = []
    for job in doc["jobs"].values():
        for step in job["steps"]:
            script = step.get("run", "").replace("\\\n", " ")
            for line in script.splitlines():
                line = line.split(" > ")[0].rstrip(" &")
                if line.strip():
                    commands.append(shlex.split(line))
    return commands


def flags_of(words: list[str]) -> list[str]:
    """The long options in a command line."""
    return [w.split("=")[0] for w in words if w.startswith("--")]


def test_the_ci_workflow_runs_only_commands_that_exist() -> None:
    doc = yaml.safe_load(WORKFLOW.read_text())
    commands = workflow_commands(doc)
    paylab_bin = str(Path(sys.executable).with_name("paylab"))
    serve = [c for c in commands if "paylab" in c and "serve" in c]
    assert len(serve) == 1, commands
    words = serve[0][serve[0].index("paylab"):]
    helped = run([paylab_bin, "--help"], cwd=PROJECT)
    assert words[1] in helped.stdout
    serve_help = run([paylab_bin, words[1], "--help"], cwd=PROJECT).stdout
    assert flags_of(words) and all(f in serve_help for f in flags_of(words)), words
    port = words[words.index("--port") + 1]
    [health] = [c for c in commands if c[0] == "curl"]
    assert f"http://127.0.0.1:{port}/_sim/health" in health
    [tests] = [c for c in commands if c[0] == "pytest"]
    assert tests[tests.index("--paylab-url") + 1] == f"http://127.0.0.1:{port}"
    pytest_help = run([sys.executable, "-m", "pytest", "--help"], cwd=EXAMPLE).stdout
    assert all(f in pytest_help for f in flags_of(tests)), tests
    install = " ".join(next(c for c in commands if c[:2] == ["pip", "install"]))
    assert "requirements-test.txt" in install
    assert "paylab[testing]" in (EXAMPLE / "requirements-test.txt").read_text()


def test_the_readme_shows_the_workflow_as_it_is() -> None:
    readme = (PROJECT / "README.md").read_text()
    blocks = re.findall(r"```yaml\n(.*?)```", readme, re.S)
    shown = [yaml.safe_load(b) for b in blocks if "paylab serve" in b]
    assert shown == [yaml.safe_load(WORKFLOW.read_text())]
