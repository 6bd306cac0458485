"""SQLite-backed state with group commit.

All writes go through `Store.atomic()`, a synchronous savepoint inside one shared
transaction per event-loop tick. Handlers then `await store.durable()`: the transaction
commits once for every request that wrote in that tick, and only then do their responses
leave. So an acknowledged write is always committed, at the cost of one commit per batch
rather than one per request. A serving store copies its WAL back into the file from a
thread (core/checkpoints.py), not inside a commit, and a batch waits for another process's
write lock by polling in short fixed steps (issue16: C).
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from paylab.simulator.core.checkpoints import Checkpointer
from paylab.simulator.core.errors import StorageUnavailable
from paylab.simulator.core.names import Names

_SCHEMA = resources.files(__package__).joinpath("schema.sql").read_text(encoding="utf-8")

#: Tables cleared by a reset, in an order that keeps references valid.
_STATE_TABLES = ("delivery_attempts", "deliveries", "idempotency", "object_rows", "journal",
                 "timers", "tenants", "nonces",
                 "alerts", "alert_hits",
                 # issue16: S - seeded draw counters, scenarios and their counters
                 "rand_counters", "scenarios", "scenario_counters", "scenario_hits")

#: How long a write waits for another process's write lock (ms), and the step it polls in
#: (s). issue16: C
BUSY_TIMEOUT_MS = 10_000
BUSY_STEP = 0.0002

#: Columns added after a table first shipped: (table, column, definition).
_ADDED_COLUMNS = (("journal", "direction", "TEXT NOT NULL DEFAULT 'in'"),
                  ("delivery_attempts", "signed_at", "INTEGER"),
                  ("deliveries", "redeliveries", "TEXT"))


class Store:
    """One SQLite connection per process, WAL mode, committed in batches."""

    def __init__(self, path: str | Path, synchronous: str = "NORMAL", cache_mb: int = 64
                 ) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            try:
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StorageUnavailable("storage_unavailable",
                                         f"cannot create {Path(self.path).parent}: {exc}") from exc
        try:
            self.conn = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=10.0
            )
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute(f"PRAGMA synchronous={synchronous}")
            self.conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            # a generous page cache keeps indexes in memory (in KiB when negative)
            self.conn.execute(f"PRAGMA cache_size={-1024 * int(cache_mb)}")
            self.conn.executescript(_SCHEMA)
            self._migrate()
        except sqlite3.Error as exc:
            raise StorageUnavailable(
                "storage_unavailable", f"cannot open {self.path} for writing: {exc}"
            ) from exc
        self._in_tx = False
        self._depth = 0
        self._rollback_listeners: list[Callable[[], None]] = []
        #: tenant and kind codes of the documents (core/names.py)
        self.names = Names(self)
        self._waiters: list[asyncio.Future[None]] = []
        self._commit_handle: asyncio.Handle | None = None
        self._failed: BaseException | None = None
        # issue16: C - a serving store checkpoints its WAL from a thread, not in a commit
        self._checkpointer = Checkpointer(self.path) if self.path != ":memory:" else None
        self._served = False

    def _columns(self, table: str) -> set[str]:
        return {row[1] for row in self.conn.execute(f"PRAGMA table_info({table})")}

    def _migrate(self) -> None:
        """Bring databases written by older versions up to the current schema."""
        for table, column, definition in _ADDED_COLUMNS:
            if column not in self._columns(table):
                self.conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")
        objects_sql = self.one("SELECT sql FROM sqlite_master WHERE name = 'objects' "
                               "AND type = 'table'")
        if objects_sql:
            # documents moved to object_rows, their tenant and kind as codes (core/names.py):
            # move every row (a table WITHOUT ROWID from older versions too), then put the
            # view in the table's place
            self.conn.executescript(
                "BEGIN; INSERT OR IGNORE INTO names (name) "  # noqa: S608 - fixed DDL
                "SELECT tenant FROM objects UNION SELECT kind FROM objects; "
                "INSERT INTO object_rows (seq, tenant_code, kind_code, id, created, parent, "
                "tag, data) SELECT o.seq, t.code, k.code, o.id, o.created, o.parent, o.tag, "
                "o.data FROM objects o JOIN names t ON t.name = o.tenant "
                "JOIN names k ON k.name = o.kind ORDER BY o.seq; DROP TABLE objects; "
                + _SCHEMA + " COMMIT;"
            )
        if "copy" not in self._columns("deliveries"):
            # the unique key gained `copy`: rebuild the table, keeping every row
            self.conn.executescript(
                "BEGIN; ALTER TABLE deliveries RENAME TO deliveries_v1; "  # noqa: S608 - fixed DDL
                "DROP INDEX IF EXISTS deliveries_due; DROP INDEX IF EXISTS deliveries_tenant; "
                + _SCHEMA
                + "INSERT INTO deliveries (id, tenant, gateway, event_id, endpoint_id, status, "
                "attempts, next_at, created) SELECT id, tenant, gateway, event_id, endpoint_id, "
                "status, attempts, next_at, created FROM deliveries_v1; "
                "DROP TABLE deliveries_v1; COMMIT;"
            )
        # issue16: D - documents are stored compressed (core/objects.py); rows written
        # before stay plain JSON and read as they are, so no row is rewritten. SQL reads
        # either form through paylab_doc(data), on every connection (readers too).
        from paylab.simulator.core.objects import register_sql  # here: objects imports store

        register_sql(self.conn)

    # -- writes ---------------------------------------------------------------------------
    @contextlib.contextmanager
    def atomic(self) -> Iterator[sqlite3.Connection]:
        """Run a group of writes all-or-nothing inside the current batch.

        On an exception the savepoint rolls back and the exception propagates; the rest
        of the batch is unaffected.
        """
        self._ensure_batch()
        name = f"sp{self._depth}"
        self._depth += 1
        try:
            self.conn.execute(f"SAVEPOINT {name}")
            try:
                yield self.conn
            except BaseException:
                self.conn.execute(f"ROLLBACK TO {name}")
                self.conn.execute(f"RELEASE {name}")
                self._rolled_back()
                raise
            else:
                self.conn.execute(f"RELEASE {name}")
        except sqlite3.OperationalError as exc:
            # disk full, read-only file system, I/O error: the gateway's "try again later"
            raise StorageUnavailable("storage_unavailable",
                                     f"storage refused a write: {exc}") from exc
        finally:
            self._depth -= 1
            if self._depth == 0 and self._commit_handle is None:
                self._schedule_commit()

    def write(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        """One write statement inside the current batch. A single statement is atomic by
        itself, so it needs no savepoint (the cheap path for the hottest writes)."""
        self._ensure_batch()
        try:
            cursor = self.conn.execute(sql, params)
        except sqlite3.OperationalError as exc:
            raise StorageUnavailable("storage_unavailable",
                                     f"storage refused a write: {exc}") from exc
        finally:
            if self._depth == 0 and self._commit_handle is None:
                self._schedule_commit()
        return cursor

    def write_many(self, sql: str, rows: Iterable[Sequence[Any]]) -> sqlite3.Cursor:
        """One statement over many rows, all-or-nothing (a savepoint keeps the rows
        already written from staying when a later one fails)."""
        with self.atomic() as conn:
            return conn.executemany(sql, rows)

    def _ensure_batch(self) -> None:
        """Open a batch unless one is open. SQLite may roll a whole transaction back by
        itself (a full disk, an I/O error); then the batch is gone, and so is everything
        its waiters wrote: they fail, and this write starts a new batch instead of being
        saved on its own outside any transaction."""
        self.notice_lost_batch()
        if not self._in_tx:
            self._begin()

    def notice_lost_batch(self) -> None:
        """If SQLite rolled the open batch back by itself, fail its waiters and tell the
        rollback listeners now (a cache must not hand out what that batch wrote)."""
        if self._in_tx and not self.conn.in_transaction:
            self._in_tx = False
            self._rolled_back()
            self._fail_waiters(StorageUnavailable(
                "storage_unavailable", "storage rolled back the batch this write was in"))

    def on_rollback(self, listener: Callable[[], None]) -> None:
        """Call `listener` after anything written in this process was rolled back (a
        savepoint or a whole batch): caches of rows written since must forget them."""
        self._rollback_listeners.append(listener)

    def _rolled_back(self) -> None:
        for listener in self._rollback_listeners:
            listener()

    def _fail_waiters(self, error: StorageUnavailable) -> None:
        waiters, self._waiters = self._waiters, []
        for fut in waiters:
            if not fut.done():
                fut.set_exception(error)

    def _begin(self) -> None:
        # issue16: C - another process may hold the write lock: poll for it in short fixed
        # steps rather than through SQLite's busy handler, whose sleeps grow (1, 2, 5, 10 ...
        # 100 ms): a waiter slept through most moments the lock was free, and one worker
        # process starved while the other served
        try:
            self.conn.execute("PRAGMA busy_timeout=0")
            try:
                self._begin_polling()
            finally:
                self.conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        except sqlite3.Error as exc:
            raise StorageUnavailable(
                "storage_unavailable", f"storage refused a write: {exc}"
            ) from exc
        self._in_tx = True

    def _begin_polling(self) -> None:
        deadline = 0.0
        while True:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if getattr(exc, "sqlite_errorcode", None) != sqlite3.SQLITE_BUSY:
                    raise
                now = time.monotonic()
                deadline = deadline or now + BUSY_TIMEOUT_MS / 1000
                if now >= deadline:
                    raise
                time.sleep(BUSY_STEP)

    def _schedule_commit(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.commit()  # no event loop (CLI, unit tests): commit right away
            return
        self._commit_handle = loop.call_soon(self.commit)
        if not self._served and self._checkpointer is not None:
            self._served = True  # commits now come in batches on a loop: checkpoint apart
            self.conn.execute("PRAGMA wal_autocheckpoint=0")

    def commit(self) -> None:
        """Commit the open batch now and release everyone waiting on it."""
        self._commit_handle = None
        if not self._in_tx:
            return
        try:
            self.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            with contextlib.suppress(sqlite3.Error):
                self.conn.execute("ROLLBACK")
            self._in_tx = False
            self._rolled_back()
            self._fail_waiters(StorageUnavailable("storage_unavailable",
                                                  f"storage could not commit: {exc}"))
            return
        self._in_tx = False
        if self._served:
            self._checkpointer.committed()  # type: ignore[union-attr]
        waiters, self._waiters = self._waiters, []
        for fut in waiters:
            if not fut.done():
                fut.set_result(None)

    async def durable(self) -> None:
        """Wait until everything written so far is committed (no-op when nothing is open)."""
        if not self._in_tx:
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(fut)
        await fut

    # -- issue16: W: several worker processes on one file ---------------------------------
    #: Whether `Domain` recovers rows left in flight when it opens this store. With several
    #: worker processes the one that takes the dispatcher lease recovers instead (see
    #: simulator.leadership): a worker starting beside others must not touch theirs.
    recovers_at_open = True

    def claim(self) -> None:
        """Open the write batch now (SQLite's write lock), so that reads deciding a write
        see every other process's commits and none can slip in before the write."""
        try:
            self._ensure_batch()
        finally:
            if self._depth == 0 and self._commit_handle is None:
                self._schedule_commit()

    def data_version(self) -> int:
        """SQLite's `PRAGMA data_version`: changes when another connection commits."""
        row = self.conn.execute("PRAGMA data_version").fetchone()
        return int(row[0])

    # -- reads ----------------------------------------------------------------------------
    def one(self, sql: str, params: tuple = ()) -> tuple | None:
        """First row of a query, or None."""
        return self.conn.execute(sql, params).fetchone()

    def all(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Every row of a query."""
        return self.conn.execute(sql, params).fetchall()

    # -- meta -----------------------------------------------------------------------------
    def get_meta(self, key: str, default: str | None = None) -> str | None:
        """A persisted simulator setting (boot count, clock offset)."""
        row = self.one("SELECT value FROM meta WHERE key = ?", (key,))
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        """Persist a simulator setting inside the current batch."""
        with self.atomic() as conn:
            conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    # -- lifecycle ------------------------------------------------------------------------
    def reset(self, tenant: str | None = None) -> None:
        """Delete all state, or one tenant's state, in the current batch."""
        with self.atomic() as conn:
            if tenant is None:
                for table in _STATE_TABLES:
                    conn.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
                conn.execute("DELETE FROM meta WHERE key != 'boots'")
                return
            conn.execute(
                "DELETE FROM delivery_attempts WHERE delivery_id IN "
                "(SELECT id FROM deliveries WHERE tenant = ?)",
                (tenant,),
            )
            for table in ("deliveries", "idempotency", "journal", "timers",
                          "tenants", "nonces",
                          "alerts", "alert_hits"):
                conn.execute(f"DELETE FROM {table} WHERE tenant = ?", (tenant,))  # noqa: S608
            conn.execute("DELETE FROM object_rows WHERE tenant_code = "
                         "(SELECT code FROM names WHERE name = ?)", (tenant,))

    def close(self) -> None:
        """Commit what is open and close the connection."""
        if self._commit_handle is not None:
            self._commit_handle.cancel()
        self.commit()
        if self._checkpointer is not None:
            self._checkpointer.close()
        self.conn.close()
