"""The database's disk fills up: writes get a clear 503 in Stripe's shape (never a 500),
reads keep working, nothing is corrupted, and service resumes by itself when space
returns. A read-only database stops the start with a clear message. Runs on a small tmpfs,
so it needs root (CI runs as root).

(Linux refuses to remount a file system read-only while a process holds a file on it open
for writing, so a database turning read-only under a running simulator cannot be staged
here; a read-only database at start can.)"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from paylab.suites.plugins.evidence import Figures
from paylab.suites.plugins.simulator import (
    PROJECT,
    LiveSimulator,
    start_simulator,
    stop_simulator,
    wait_for,
)
from paylab.suites.plugins.webhook_sink import WebhookSink


def _mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True, text=True)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """An 8 MiB tmpfs to fill up and remount read-only."""
    if os.geteuid() != 0:
        pytest.skip("needs root to mount a small tmpfs (CI runs as root)")
    disk = tmp_path / "disk"
    disk.mkdir()
    try:
        _mount("-t", "tmpfs", "-o", "size=8m", "tmpfs", str(disk))
    except (subprocess.CalledProcessError, FileNotFoundError) as exc:
        pytest.skip(f"cannot mount a tmpfs here: {exc}")
    yield disk
    subprocess.run(["umount", "-l", str(disk)], check=False)


def create(sim: LiveSimulator, key: str, amount: int = 2000) -> requests.Response:
    return requests.post(f"{sim.stripe_url}/v1/payment_intents", timeout=10,
                         headers={"Authorization": f"Bearer {key}"},
                         data={"amount": amount, "currency": "usd",
                               "payment_method": "pm_card_visa", "confirm": "true"})


def fill(disk: Path) -> Path:
    """Write zeros until the file system is full."""
    filler = disk / "filler"
    with filler.open("wb", buffering=0) as out:  # unbuffered: nothing left to fail at close
        try:
            while True:
                out.write(b"\0" * 65536)
        except OSError:
            pass
    return filler


class Answers:
    """Every answer to the writes a test sent, in order: polling for one status must not
    throw away the answers before it (a 500 on the way to the 503 is a failure too)."""

    def __init__(self) -> None:
        self.statuses: list[int] = []

    def create(self, sim: LiveSimulator, key: str) -> requests.Response:
        """One create, its status recorded."""
        response = create(sim, key)
        self.statuses.append(response.status_code)
        return response

    def until(self, sim: LiveSimulator, key: str, code: int,
              timeout: float) -> requests.Response:
        """Create until one is answered `code` (or time runs out); the last answer."""
        return wait_for(lambda: self.create(sim, key), lambda r: r.status_code == code,
                        timeout)

    def unexpected(self) -> list[int]:
        """Answers other than success and the documented 503."""
        return [s for s in self.statuses if s not in (200, 503)]


def test_disk_full(small_disk: Path, tmp_path: Path, webhook_sink: WebhookSink,
                   figures: Figures) -> None:
    sim = start_simulator(tmp_path, db=small_disk / "paylab.db", name="storage",
                          flags=("--cache-mb", "1", "--time-scale", "20",
                                 "--retry-schedule", "1,1,1,1,1,1,1,1"))
    key = f"sk_test_disk_{uuid.uuid4().hex[:8]}"
    headers = {"Authorization": f"Bearer {key}"}
    try:
        requests.post(f"{sim.stripe_url}/v1/webhook_endpoints", headers=headers, timeout=10,
                      data={"url": f"{webhook_sink.url}/hook",
                            "enabled_events[0]": "payment_intent.succeeded"})
        answers = Answers()
        before = answers.create(sim, key).json()["id"]
        filler = fill(small_disk)
        # the first writes may still fit in free pages; the disk is full soon after
        refused = answers.until(sim, key, 503, 20)
        assert refused.status_code == 503, "a full disk never refused a write"
        assert answers.unexpected() == [], f"answers while the disk filled: {answers.statuses}"
        error = refused.json()["error"]
        assert (error["type"], error["code"]) == ("api_error", "storage_unavailable")
        assert refused.headers["Stripe-Should-Retry"] == "true"
        assert requests.get(f"{sim.stripe_url}/v1/payment_intents/{before}", headers=headers,
                            timeout=10).status_code == 200, "reads keep working"
        assert requests.get(f"{sim.url}/_sim/health", timeout=10).status_code == 200
        hosted = requests.get(f"{sim.url}/_sim/journal", timeout=10)
        assert hosted.status_code == 200

        filler.unlink()  # space returns: the service resumes by itself
        recovered = answers.until(sim, key, 200, 20)
        assert recovered.status_code == 200, "writes did not resume after space returned"
        assert answers.unexpected() == [], f"answers until space returned: {answers.statuses}"

        deliveries = wait_for(
            lambda: requests.get(f"{sim.url}/_sim/webhooks", params={"tenant": key},
                                 timeout=10).json()["deliveries"],
            lambda rows: bool(rows) and all(d["status"] == "delivered" for d in rows), 20)
        assert len(deliveries) >= 2, "one delivery before the disk filled, one after"
        assert all(d["status"] == "delivered" for d in deliveries), [
            (d["status"], d["attempts"]) for d in deliveries]
    finally:
        stop_simulator(sim)
    with sqlite3.connect(small_disk / "paylab.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = conn.execute("SELECT COUNT(*) FROM objects WHERE kind = 'payment'"
                              ).fetchone()[0]
    assert stored >= 2  # before the disk filled, and after it emptied
    figures(f"disk full: write refused with 503 storage_unavailable, reads and health kept "
            f"answering; writes resumed when space returned; {stored} payments stored, "
            f"{len(deliveries)} deliveries delivered; integrity_check ok")


def test_a_read_only_database_stops_the_start_clearly(small_disk: Path) -> None:
    seeded = start_simulator(small_disk, db=small_disk / "ro.db", name="seed")
    stop_simulator(seeded)
    _mount("-o", "remount,ro", str(small_disk))
    try:
        run = subprocess.run([sys.executable, "-m", "paylab.simulator", "serve", "--port", "0",
                              "--db", str(small_disk / "ro.db")], cwd=PROJECT, timeout=30,
                             capture_output=True, text=True, check=False)
    finally:
        _mount("-o", "remount,rw", str(small_disk))
    assert run.returncode == 2
    assert "cannot open" in run.stderr and "ro.db" in run.stderr
    assert "Traceback" not in run.stderr
