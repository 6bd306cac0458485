"""The running state of active scenarios, kept in the store so every worker process
shares it: how often each rule matched and applied, and the timestamped hits of sliding
windows (rate lifetimes, fraud velocity and card-testing windows).

Every update is a write in the current batch, taken under SQLite's write lock, so two
workers counting the same rule count one sequence: `first: 3` fires three times in all.
"""

from __future__ import annotations

from paylab.simulator.core.store import Store

_COUNT = ("INSERT INTO scenario_counters (scope, phase, rule, matches, applied) "
          "VALUES (?, ?, ?, 1, 0) ON CONFLICT (scope, phase, rule) "
          "DO UPDATE SET matches = matches + 1")
_READ = "SELECT matches FROM scenario_counters WHERE scope = ? AND phase = ? AND rule = ?"
_APPLIED = ("UPDATE scenario_counters SET applied = applied + 1 "
            "WHERE scope = ? AND phase = ? AND rule = ?")
_PRUNE = "DELETE FROM scenario_hits WHERE scope = ? AND slot = ? AND at <= ?"
_HIT = "INSERT INTO scenario_hits (scope, slot, at, amount) VALUES (?, ?, ?, ?)"
_HITS = "SELECT amount FROM scenario_hits WHERE scope = ? AND slot = ?"


class Tally:
    """Counters and windows of the scenarios active in one store."""

    def __init__(self, store: Store | None = None) -> None:
        """Without a store (unit tests of one rule) the state lives in a private one."""
        self.store = store if store is not None else Store(":memory:")

    def match(self, scope: str, phase: str, rule: int) -> int:
        """Count one match of a rule; returns its matches so far, this one included."""
        self.store.write(_COUNT, (scope, phase, rule))
        return int(self.store.conn.execute(_READ, (scope, phase, rule)).fetchone()[0])

    def applied(self, scope: str, phase: str, rule: int) -> None:
        """Count one application of a rule (after `match`)."""
        self.store.write(_APPLIED, (scope, phase, rule))

    def count(self, scope: str, phase: str, rule: int) -> None:
        """A match that applied (fraud rules: they count only when they fire)."""
        self.match(scope, phase, rule)
        self.applied(scope, phase, rule)

    def counts(self, scope: str) -> dict[tuple[str, int], tuple[int, int]]:
        """(phase, rule) -> (matches, applied) of one scope."""
        rows = self.store.all("SELECT phase, rule, matches, applied FROM scenario_counters "
                              "WHERE scope = ?", (scope,))
        return {(phase, rule): (matches, applied) for phase, rule, matches, applied in rows}

    def window(self, scope: str, slot: str, at: float, seconds: float, amount: int,
               record: bool = True) -> list[int]:
        """Drop hits older than `seconds` before `at`, add this one (unless not
        `record`), and return the amounts of the hits left in the window."""
        self.store.write(_PRUNE, (scope, slot, at - seconds))
        if record:
            self.store.write(_HIT, (scope, slot, at, amount))
        return [row[0] for row in self.store.conn.execute(_HITS, (scope, slot))]

    def take(self, scope: str, slot: str, at: float, seconds: float, limit: int) -> bool:
        """A rate: whether a hit at `at` still fits `limit` per `seconds` (and record it
        when it does)."""
        self.store.write(_PRUNE, (scope, slot, at - seconds))
        row = self.store.conn.execute("SELECT COUNT(*) FROM scenario_hits "
                                      "WHERE scope = ? AND slot = ?", (scope, slot)).fetchone()
        if row[0] >= limit:
            return False
        self.store.write(_HIT, (scope, slot, at, 0))
        return True

    def forget(self, scope: str) -> None:
        """A scope's scenario was replaced or cleared: its counters and windows go."""
        with self.store.atomic() as conn:
            conn.execute("DELETE FROM scenario_counters WHERE scope = ?", (scope,))
            conn.execute("DELETE FROM scenario_hits WHERE scope = ?", (scope,))
