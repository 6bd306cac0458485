"""paylab as a user gets it: the wheel built from this checkout, installed elsewhere."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
#: Variables that would point a user's run at this checkout's simulators or code.
OURS = ("PAYLAB_URL", "PAYLAB_GATEWAY_URL", "PAYLAB_MERCHANT_URL", "PAYLAB_CONTROL_TOKEN",
        "PYTHONPATH", "VIRTUAL_ENV")


#: Not part of a source tree: environments, caches, reports, mutation copies.
NOT_SOURCE = shutil.ignore_patterns(".git", ".venv", "node_modules", ".mutation", "mutants",
                                    "reports", "state", "build", "*.egg-info", "__pycache__",
                                    ".stamps", "test-results", ".*_cache")


def build_wheel(dest: Path) -> Path:
    """`pip wheel --no-deps` of a copy of this checkout into `dest`; the wheel's path.
    From a copy, because setuptools writes build/ and *.egg-info into the tree it builds."""
    source = dest / "source"
    shutil.copytree(PROJECT, source, ignore=NOT_SOURCE)
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "-q",
                    "-w", str(dest)], check=True, timeout=180, cwd=dest)
    [wheel] = dest.glob("paylab-*.whl")
    return wheel


def pip_install(python: Path | str, *args: str) -> list[str]:
    """The command installing `args` into `python`'s environment: uv's pip when it sits next
    to this interpreter (`make deps` puts it there; it installs in seconds from its cache),
    else this interpreter's pip (`--python`), which a user's machine may be left with."""
    uv = Path(sys.executable).parent / "uv"
    if uv.is_file():
        return [str(uv), "pip", "install", "--quiet", "--python", str(python), *args]
    return [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", *args]


def user_env(**extra: str) -> dict[str, str]:
    """The environment of a user's shell: none of this run's paylab settings."""
    env = {k: v for k, v in os.environ.items() if k not in OURS}
    return {**env, **extra}


def run(cmd: list[str], cwd: Path, timeout: float = 240,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run a command, capturing its output as text."""
    return subprocess.run(cmd, cwd=cwd, env=env or user_env(), capture_output=True,
                          text=True, timeout=timeout)
