"""WAL checkpoints in a thread of their own, off the commit path.

SQLite copies the write-ahead log back into the database file (a checkpoint) inside the
commit that pushes the log past 1,000 pages: that commit, and every answer waiting on it,
then waits for the copy and its fsync. A serving store instead turns that off and lets
this thread, with a connection of its own, run a PASSIVE checkpoint (it never waits for
readers or writers) shortly after commits. sqlite3 releases the GIL while it steps, so the
event loop keeps answering meanwhile. The log stays bounded (it is copied every `every`
seconds while commits come), and a crash loses nothing: WAL replay covers what was not
copied yet. Several processes on one file each run one; SQLite runs one checkpoint at a
time and the others return busy, which is fine.
"""

from __future__ import annotations

import logging
import sqlite3
import threading

log = logging.getLogger("paylab.store")

#: Seconds between checkpoints while commits come.
EVERY = 0.5
#: Seconds without a commit after which the thread ends (the next commit starts another).
IDLE = 5.0


class Checkpointer:
    """Checkpoint one database file's WAL from a background thread."""

    def __init__(self, path: str, every: float = EVERY, idle: float = IDLE) -> None:
        self.path = path
        self.every = every
        self.idle = idle
        self.checkpoints = 0  # how many ran (for tests and curiosity)
        self._lock = threading.Lock()
        self._pending = False
        self._closed = False
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def committed(self) -> None:
        """Note a commit; the thread checkpoints within `every` seconds."""
        self._pending = True
        if self._thread is None and not self._closed:
            with self._lock:
                if self._thread is None and not self._closed:
                    self._thread = threading.Thread(target=self._run, daemon=True,
                                                    name="paylab-checkpoint")
                    self._thread.start()

    def _run(self) -> None:
        try:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                                   timeout=0.1)
        except sqlite3.Error as exc:
            log.warning("checkpoint thread cannot open %s: %s", self.path, exc)
            with self._lock:
                self._thread = None
            return
        idle = 0.0
        try:
            while not self._closed:
                self._wake.wait(self.every)
                if not self._pending:
                    idle += self.every
                    with self._lock:  # a commit noted after this sees no thread: starts one
                        if idle >= self.idle and not self._pending:
                            self._thread = None
                            return
                    continue
                idle = 0.0
                self._pending = False
                self.checkpoint(conn)
        finally:
            conn.close()

    def checkpoint(self, conn: sqlite3.Connection) -> None:
        """One PASSIVE checkpoint; busy (another one running) or failing is only logged."""
        try:
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            self.checkpoints += 1
        except sqlite3.Error as exc:
            log.debug("checkpoint skipped: %s", exc)

    def close(self) -> None:
        """Stop the thread (it ends within moments; the store's close checkpoints last)."""
        self._closed = True
        self._wake.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout=5.0)
