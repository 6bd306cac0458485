"""Group commit: savepoints isolate failures, and `durable()` waits for the commit."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from paylab.simulator.core.clock import Clock
from paylab.simulator.core.domain import Domain
from paylab.simulator.core.errors import StorageUnavailable
from paylab.simulator.core.objects import Objects
from paylab.simulator.core.store import Store


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


async def test_a_batch_sqlite_rolls_back_by_itself_fails_its_waiters_only(tmp_path: Path) -> None:
    """On a full disk SQLite may roll the whole transaction back on its own. The requests
    whose writes went with it must fail; a later write must start a new batch (not be
    saved on its own, outside any transaction, and then be reported as failed)."""
    store = Store(tmp_path / "s.db")
    pages = store.one("PRAGMA page_count")[0]
    store.conn.execute(f"PRAGMA max_page_count={pages + 4}")

    async def earlier_request() -> None:
        put(store, "k1")
        await store.durable()

    async def later_request() -> None:
        with pytest.raises(StorageUnavailable), store.atomic() as conn:
            conn.execute("INSERT INTO meta (key, value) VALUES ('big', ?)", ("x" * 10**6,))
        assert not store.conn.in_transaction, "SQLite rolled the batch back"
        put(store, "k2")
        await store.durable()

    earlier, later = await asyncio.gather(earlier_request(), later_request(),
                                          return_exceptions=True)
    assert isinstance(earlier, StorageUnavailable)
    assert later is None
    reader = sqlite3.connect(tmp_path / "s.db")
    assert [r[0] for r in reader.execute("SELECT key FROM meta WHERE key LIKE 'k%'")] == ["k2"]


def test_a_full_reset_forgets_revoked_keys_in_memory_as_on_disk(tmp_path: Path) -> None:
    domain = Domain(Store(tmp_path / "s.db"), Clock(), seed=1)
    domain.revoke("acct_gone")
    domain.reset("acct_other")
    assert "acct_gone" in domain.revoked
    domain.reset()
    restarted = Domain(Store(tmp_path / "s.db"), Clock(), seed=1)
    assert domain.revoked == restarted.revoked == set()


def test_reset_of_one_tenant_keeps_the_others(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    for tenant in ("a", "b"):
        Objects(store).insert(tenant, "x", {"id": "id1", "created": 0})
    store.reset("a")
    assert store.all("SELECT tenant FROM objects") == [("b",)]


def test_objects_stored_with_text_names_move_to_codes(tmp_path: Path) -> None:
    """A state file of the version before names became codes (a rowid `objects` table
    with text tenant and kind, and its indexes) opens with every row, in order, under
    the same tenant, kind, parent and tag, readable through the API's repository."""
    path = tmp_path / "v2.db"
    old = sqlite3.connect(path)
    old.executescript("""
        CREATE TABLE objects (seq INTEGER PRIMARY KEY, tenant TEXT NOT NULL,
            kind TEXT NOT NULL, id TEXT NOT NULL, created REAL NOT NULL, parent TEXT,
            tag TEXT, data BLOB NOT NULL);
        CREATE UNIQUE INDEX objects_id ON objects (kind, id, tenant);
        CREATE INDEX objects_list ON objects (tenant, kind);
        INSERT INTO objects VALUES (3, 'acct_a', 'payment', 'pi_1', 1, NULL, 'cus_1',
                                    '{"id": "pi_1"}');
        INSERT INTO objects VALUES (9, 'acct_b', 'charge', 'ch_1', 2, 'pi_1', NULL,
                                    '{"id": "ch_1"}');
        INSERT INTO objects VALUES (12, 'acct_a', 'payment', 'pi_2', 3, NULL, NULL,
                                    '{"id": "pi_2"}');
    """)
    old.close()
    store = Store(path)
    assert store.all("SELECT seq, tenant, kind, id, parent, tag FROM objects ORDER BY seq") == [
        (3, "acct_a", "payment", "pi_1", None, "cus_1"),
        (9, "acct_b", "charge", "ch_1", "pi_1", None),
        (12, "acct_a", "payment", "pi_2", None, None)]
    assert store.one("SELECT type FROM sqlite_master WHERE name = 'objects'") == ("view",)
    repo = Objects(store)
    assert [d["id"] for d in repo.page("acct_a", "payment")[0]] == ["pi_2", "pi_1"]
    assert repo.tagged("acct_a", "payment", "cus_1") == {"id": "pi_1"}
    assert repo.children("acct_b", "charge", "pi_1") == [{"id": "ch_1"}]
    assert repo.find("acct_b", "payment", "pi_1") is None
    store.close()
    assert Store(path).one("SELECT COUNT(*) FROM objects") == (3,)  # and opens again


def test_databases_of_the_first_schema_are_migrated(tmp_path: Path) -> None:
    """A state file written before objects became a rowid table and deliveries gained
    `copy` opens with every row intact."""
    path = tmp_path / "v1.db"
    old = sqlite3.connect(path)
    old.executescript("""
        CREATE TABLE objects (tenant TEXT NOT NULL, kind TEXT NOT NULL, id TEXT NOT NULL,
            seq INTEGER NOT NULL, created REAL NOT NULL, parent TEXT, tag TEXT,
            data BLOB NOT NULL, PRIMARY KEY (tenant, kind, id)) WITHOUT ROWID;
        CREATE INDEX objects_list ON objects (tenant, kind, seq);
        INSERT INTO objects VALUES ('t', 'payment_intent', 'pi_1', 1, 0, NULL, NULL, '{}');
        INSERT INTO objects VALUES ('t', 'payment_intent', 'pi_2', 2, 0, NULL, NULL, '{}');
        CREATE TABLE deliveries (id INTEGER PRIMARY KEY, tenant TEXT NOT NULL,
            gateway TEXT NOT NULL, event_id TEXT NOT NULL, endpoint_id TEXT NOT NULL,
            status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_at REAL,
            created REAL NOT NULL, UNIQUE (event_id, endpoint_id));
        INSERT INTO deliveries VALUES (7, 't', 'stripe', 'evt_1', 'we_1', 'pending', 1, 5, 0);
        CREATE TABLE journal (seq INTEGER PRIMARY KEY, at REAL NOT NULL, gateway TEXT NOT NULL,
            tenant TEXT, method TEXT NOT NULL, path TEXT NOT NULL, status INTEGER NOT NULL,
            latency_ms REAL NOT NULL, request_id TEXT, run_id TEXT, idempotency_key TEXT,
            effect TEXT);
    """)
    old.close()
    store = Store(path)
    assert store.all("SELECT id FROM objects ORDER BY seq") == [("pi_1",), ("pi_2",)]
    assert store.one("SELECT id, status, copy FROM deliveries") == (7, "pending", 0)
    assert "direction" in store._columns("journal")
    with store.atomic() as conn:  # the new unique key admits a duplicate copy
        conn.execute("INSERT INTO deliveries (tenant, gateway, event_id, endpoint_id, status, "
                     "created, copy) VALUES ('t', 'stripe', 'evt_1', 'we_1', 'pending', 0, 1)")
