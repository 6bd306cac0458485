"""Group commit: savepoints isolate failures, and `durable()` waits for the commit."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from simulator.core.errors import StorageUnavailable
from simulator.core.store import Store


def count(store: Store) -> int:
    return store.one("SELECT COUNT(*) FROM meta WHERE key LIKE 'k%'")[0]


def put(store: Store, key: str) -> None:
    with store.atomic() as conn:
        conn.execute("INSERT INTO meta (key, value) VALUES (?, 'v')", (key,))


def test_a_failed_operation_rolls_back_only_itself() -> None:
    store = Store(":memory:")
    put(store, "k1")
    with pytest.raises(sqlite3.IntegrityError), store.atomic() as conn:  # noqa: PT012
        conn.execute("INSERT INTO meta (key, value) VALUES ('k2', 'v')")
        conn.execute("INSERT INTO meta (key, value) VALUES ('k1', 'dup')")
    put(store, "k3")
    assert count(store) == 2  # k1 and k3; k2 went with its failed operation


async def test_writes_in_one_tick_commit_together_before_anyone_answers(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = Store(path)
    reader = sqlite3.connect(path)

    async def request(key: str) -> int:
        put(store, key)
        await store.durable()
        # once durable() returns, another connection (another process) sees the write
        return reader.execute("SELECT COUNT(*) FROM meta WHERE key = ?", (key,)).fetchone()[0]

    seen = await asyncio.gather(*(request(f"k{i}") for i in range(50)))
    assert seen == [1] * 50
    store.close()


async def test_durable_is_immediate_when_nothing_is_open() -> None:
    store = Store(":memory:")
    await asyncio.wait_for(store.durable(), 0.1)


async def test_a_failed_commit_fails_every_waiter(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    # make COMMIT fail: a deferred foreign-key violation is only checked at commit time
    store.conn.execute("PRAGMA foreign_keys=ON")
    with store.atomic() as conn:
        conn.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
        conn.execute("CREATE TABLE child (p INTEGER REFERENCES parent(id) "
                     "DEFERRABLE INITIALLY DEFERRED)")
    await store.durable()
    put(store, "k1")
    with store.atomic() as conn:
        conn.execute("INSERT INTO child (p) VALUES (42)")
    with pytest.raises(StorageUnavailable):
        await store.durable()
    assert count(store) == 0  # the whole batch rolled back, nothing half-applied
    put(store, "k2")
    await store.durable()
    assert count(store) == 1  # and the store recovers for the next batch


def test_reset_of_one_tenant_keeps_the_others(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    with store.atomic() as conn:
        for tenant in ("a", "b"):
            conn.execute("INSERT INTO objects (tenant, kind, id, seq, created, data) "
                         "VALUES (?, 'x', 'id1', 1, 0, '{}')", (tenant,))
    store.reset("a")
    assert store.all("SELECT tenant FROM objects") == [("b",)]
