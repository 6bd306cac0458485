"""paylab as a user gets it: the wheel built from this checkout, installed elsewhere."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
#: Variables that would point a user's run at this checkout's simulators or code.
OURS = ("PAYLAB_URL", "PAYLAB_GATEWAY_URL", "PAYLAB_MERCHANT_URL", "PAYLAB_CONTROL_TOKEN",
        "PYTHONPATH", "VIRTUAL_ENV")


def build_wheel(dest: Path) -> Path:
    """`pip wheel . --no-deps` of this checkout into `dest`; the wheel's path."""
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(PROJECT), "--no-deps", "-q",
                    "-w", str(dest)], check=True, timeout=180, cwd=dest)
    [wheel] = dest.glob("paylab-*.whl")
    return wheel


def user_env(**extra: str) -> dict[str, str]:
    """The environment of a user's shell: none of this run's paylab settings."""
    env = {k: v for k, v in os.environ.items() if k not in OURS}
    return {**env, **extra}


def run(cmd: list[str], cwd: Path, timeout: float = 240,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run a command, capturing its output as text."""
    return subprocess.run(cmd, cwd=cwd, env=env or user_env(), capture_output=True,
                          text=True, timeout=timeout)
