"""The store with other processes on its file, and its WAL checkpoints off the commit path.

A write waits for another connection's write lock by polling in short fixed steps (not
through SQLite's busy handler, whose growing sleeps starved one worker process of two),
gives up with the gateways' "try again later" after the timeout, and a serving store
copies its WAL back from a thread of its own instead of inside a commit.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

import pytest
from paylab.simulator.core import store as store_module
from paylab.simulator.core.errors import StorageUnavailable
from paylab.simulator.core.store import Store

WRITE = "INSERT INTO meta (key, value) VALUES (?, ?)"


def _holder(path: Path) -> sqlite3.Connection:
    """Another process's connection holding the write lock."""
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    other.execute(WRITE, ("theirs", "1"))
    return other


def test_a_write_polls_for_the_lock_in_short_steps(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "s.db"
    store = Store(path)
    other = _holder(path)
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        if len(slept) == 3:
            other.execute("COMMIT")  # the other process commits while this one waits

    monkeypatch.setattr(store_module.time, "sleep", sleep)
    store.write(WRITE, ("mine", "2"))
    assert slept == [store_module.BUSY_STEP] * 3
    assert store.one("PRAGMA busy_timeout") == (store_module.BUSY_TIMEOUT_MS,)
    store.commit()
    assert sorted(store.all("SELECT key FROM meta WHERE key IN ('mine', 'theirs')")) == [
        ("mine",), ("theirs",)]
    other.close()
    store.close()


def test_a_write_gives_up_after_the_timeout(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "s.db"
    store = Store(path)
    other = _holder(path)
    monkeypatch.setattr(store_module, "BUSY_TIMEOUT_MS", 1)
    with pytest.raises(StorageUnavailable):
        store.write(WRITE, ("mine", "2"))
    assert not store.conn.in_transaction
    other.execute("COMMIT")
    store.write(WRITE, ("mine", "3"))  # the next write opens a batch as usual
    assert store.one("SELECT value FROM meta WHERE key = 'mine'") == ("3",)
    other.close()
    store.close()


def _wait_for(check: object, seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return True
        time.sleep(0.02)
    return False


def test_a_serving_store_checkpoints_from_a_thread(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = Store(path)

    async def serve() -> None:
        for n in range(50):
            store.write(WRITE, (f"k{n}", "x" * 2000))
            await store.durable()

    asyncio.run(serve())
    assert store.one("PRAGMA wal_autocheckpoint") == (0,)  # not inside a commit any more
    checkpointer = store._checkpointer
    assert checkpointer is not None
    assert _wait_for(lambda: checkpointer.checkpoints > 0)
    # everything committed is in the database file now: a passive checkpoint finds nothing
    busy, log, copied = store.one("PRAGMA wal_checkpoint(PASSIVE)")  # type: ignore[misc]
    assert busy == 0 and log == copied
    store.close()
    assert checkpointer._thread is None or not checkpointer._thread.is_alive()
    reopened = Store(path)
    assert reopened.one("SELECT COUNT(*) FROM meta WHERE key LIKE 'k%'") == (50,)
    reopened.close()


def test_a_store_without_a_loop_keeps_sqlite_checkpointing(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    store.write(WRITE, ("k", "v"))
    assert store.one("PRAGMA wal_autocheckpoint") == (1000,)
    assert store._checkpointer is not None and store._checkpointer._thread is None
    store.close()


def test_the_checkpoint_thread_ends_when_idle_and_starts_again(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    Store(path).close()
    checkpointer = store_module.Checkpointer(str(path), every=0.01, idle=0.02)
    checkpointer.committed()
    assert _wait_for(lambda: checkpointer.checkpoints == 1 and checkpointer._thread is None)
    checkpointer.committed()
    assert _wait_for(lambda: checkpointer.checkpoints == 2)
    thread = checkpointer._thread
    checkpointer.close()
    assert thread is None or not thread.is_alive()
