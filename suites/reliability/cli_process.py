"""Running the `paylab` command as users do, in a scratch directory, for the CLI tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests
from paylab.suites.plugins.simulator import wait_healthy

#: Variables that would point the command elsewhere than the test says.
ISOLATE = ("PAYLAB_", "SHOP_")


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without PAYLAB_* and SHOP_* settings, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(ISOLATE)}
    return {**env, **extra}


@dataclass
class Finished:
    """What a command printed and how it ended."""

    code: int
    out: str
    err: str

    @property
    def err_lines(self) -> list[str]:
        """Non-empty lines on stderr."""
        return [line for line in self.err.splitlines() if line.strip()]


def paylab(workdir: Path, *args: str, env: dict[str, str] | None = None,
           timeout: float = 60) -> Finished:
    """Run `paylab ARGS` to its end; a run that outlives `timeout` is killed (with its
    children) and reported as exit code -9, so a hang fails the test instead of stalling."""
    process = subprocess.Popen([sys.executable, "-m", "paylab.simulator", *args], cwd=workdir,
                               env=env or clean_env(), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        out, err = process.communicate()
        return Finished(-9, out, err)
    return Finished(process.returncode, out, err)


@dataclass
class Running:
    """A `paylab serve` or `paylab up` started by a test."""

    process: subprocess.Popen[str]
    url: str

    def stop(self) -> Finished:
        """Ctrl-C, as a user would, and what it printed."""
        self.process.send_signal(signal.SIGINT)
        try:
            out, err = self.process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            out, err = self.process.communicate()
        return Finished(self.process.returncode, out, err)


@contextmanager
def serving(workdir: Path, *args: str, port: int, env: dict[str, str] | None = None,
            shop_port: int | None = None) -> Iterator[Running]:
    """`paylab ARGS` running until the block ends (stopped with Ctrl-C); with `shop_port`,
    once the shop (which `paylab up` starts after the simulator) answers too."""
    process = subprocess.Popen([sys.executable, "-m", "paylab.simulator", *args], cwd=workdir,
                               env=env or clean_env(), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    running = Running(process, f"http://127.0.0.1:{port}")
    try:
        wait_healthy(running.url, timeout=60, process=process)
        if shop_port is not None:
            _wait_answers(f"http://127.0.0.1:{shop_port}/", process)
        yield running
    finally:
        if process.poll() is None:
            running.stop()


def _wait_answers(url: str, process: subprocess.Popen[str], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            requests.get(url, timeout=2)
            return
        except requests.ConnectionError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing answered at {url}")


@contextmanager
def occupied_port() -> Iterator[int]:
    """A port something listens on until the block ends."""
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        yield listening.getsockname()[1]
