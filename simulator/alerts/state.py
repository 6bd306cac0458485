"""Alert state in the store: firing episodes, their resolution, and `frequency` hits.

Every write runs in a store savepoint, inside whatever transaction the caller has open
(a payment attempt's, or the evaluator's tick). Transitions are conditional writes (a
partial unique index allows one firing row per fingerprint; resolving updates only a row
still firing), so processes sharing the database each see a transition happen once.
"""

from __future__ import annotations

from typing import Any

import orjson
from paylab.simulator.alerts.model import FIRING, RESOLVED, Breach, record
from paylab.simulator.core.store import Store

ALL = "all"
#: A firing alert breached again (issue16: C2). `'firing'` is FIRING written out: the
#: partial index alerts_firing serves the lookup only then (bound, SQLite scans the table).
REFRESH = ("UPDATE alerts SET last_breach = MAX(last_breach, ?), hold = ?, "
           "data = json_set(data, '$.value', ?) WHERE fingerprint = ? AND status = 'firing'")


def _tenant_key(tenant: str | None) -> str:
    return tenant or ""


class AlertState:
    """Read and write alert records and frequency hits."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # -- transitions ------------------------------------------------------------------------
    def breach(self, breach: Breach, now: float) -> dict[str, Any] | None:
        """Record a breach: a new firing alert (returned) or a refresh of the one firing."""
        fp = breach.fingerprint()
        with self.store.atomic() as conn:
            # issue16: C2 - the refresh first (a burst breaches on every attempt), through
            # the partial index (its `status = 'firing'` must be written out, not bound)
            if self._refresh(conn, breach, fp, now):
                return None
            cur = conn.execute(
                "INSERT OR IGNORE INTO alerts (tenant, fingerprint, status, kind, starts_at, "
                "last_breach, hold, data) VALUES (?, ?, ?, ?, ?, ?, ?, '{}')",
                (_tenant_key(breach.tenant), fp, FIRING, breach.rule.kind, now, now,
                 breach.rule.hold))
            if cur.rowcount == 1:
                doc = record(int(cur.lastrowid or 0), breach, now)
                conn.execute("UPDATE alerts SET data = ? WHERE seq = ?",
                             (orjson.dumps(doc).decode(), cur.lastrowid))
                return doc
            self._refresh(conn, breach, fp, now)  # another process started it just now
        return None

    @staticmethod
    def _refresh(conn: Any, breach: Breach, fp: str, now: float) -> bool:
        """Refresh the alert firing for `fp`, if one is; whether one was."""
        return conn.execute(REFRESH, (now, breach.rule.hold, breach.value, fp)).rowcount > 0

    def resolve(self, seq: int, now: float) -> dict[str, Any] | None:
        """Resolve one firing alert; returns its record, or None if it was not firing."""
        with self.store.atomic() as conn:
            row = conn.execute("SELECT data FROM alerts WHERE seq = ? AND status = ?",
                               (seq, FIRING)).fetchone()
            if row is None:
                return None
            doc = {**orjson.loads(row[0]), "status": RESOLVED, "ends_at": now}
            conn.execute("UPDATE alerts SET status = ?, ends_at = ?, data = ? "
                         "WHERE seq = ? AND status = ?",
                         (RESOLVED, now, orjson.dumps(doc).decode(), seq, FIRING))
        return doc

    def stale(self, kinds: tuple[str, ...], now: float) -> list[int]:
        """Firing alerts of these (event-driven) kinds whose hold has passed since the last
        breach: a breach exactly `hold` seconds ago has aged out."""
        marks = ",".join("?" * len(kinds))
        rows = self.store.all(
            f"SELECT seq FROM alerts WHERE status = ? AND kind IN ({marks}) "  # noqa: S608
            "AND last_breach + hold <= ? ORDER BY seq", (FIRING, *kinds, now))
        return [r[0] for r in rows]

    def firing(self, kinds: tuple[str, ...]) -> list[tuple[int, str]]:
        """(seq, fingerprint) of every firing alert of these kinds."""
        marks = ",".join("?" * len(kinds))
        return [(r[0], r[1]) for r in self.store.all(
            f"SELECT seq, fingerprint FROM alerts WHERE status = ? "  # noqa: S608
            f"AND kind IN ({marks}) ORDER BY seq", (FIRING, *kinds))]

    # -- reading ----------------------------------------------------------------------------
    def listing(self, tenant: str | None = None, status: str = ALL,
                limit: int = 100) -> dict[str, Any]:
        """Records newest first (one tenant's, or everyone's) and how many are firing."""
        where, args = "1 = 1", []
        if tenant is not None:
            where, args = "tenant = ?", [tenant]
        firing = self.store.one(f"SELECT COUNT(*) FROM alerts WHERE {where} "  # noqa: S608
                                "AND status = ?", (*args, FIRING))
        if status != ALL:
            where, args = f"{where} AND status = ?", [*args, status]
        rows = self.store.all(f"SELECT data FROM alerts WHERE {where} "  # noqa: S608
                              "ORDER BY seq DESC LIMIT ?", (*args, limit))
        return {"alerts": [orjson.loads(r[0]) for r in rows],
                "firing": int(firing[0]) if firing else 0}

    # -- frequency --------------------------------------------------------------------------
    def hit(self, tenant: str, rule: str, key: str, at: float, window: float,
            cap: int | None = None) -> int:
        """Count one attempt for `key`; returns the attempts within the window ending now
        (a hit exactly `window` seconds old has aged out), counted up to `cap` at most
        (counting every hit of a busy key cost each attempt more as traffic went on)."""
        # issue16: C2 - three plain statements, no savepoint: the delete only forgets
        # hits that had aged out (no count reads them), so it may stand on its own
        self.store.write("DELETE FROM alert_hits WHERE tenant = ? AND rule = ? AND key = ? "
                         "AND at <= ?", (tenant, rule, key, at - window))
        self.store.write("INSERT INTO alert_hits (tenant, rule, key, at) VALUES (?, ?, ?, ?)",
                         (tenant, rule, key, at))
        row = self.store.one("SELECT COUNT(*) FROM (SELECT 1 FROM alert_hits WHERE "
                             "tenant = ? AND rule = ? AND key = ? LIMIT ?)",
                             (tenant, rule, key, -1 if cap is None else cap))
        return int(row[0])

    def prune(self, before: float) -> None:
        """Forget hits older than any window can reach."""
        self.store.write("DELETE FROM alert_hits WHERE at <= ?", (before,))
