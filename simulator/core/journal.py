"""The request journal: every gateway request, its outcome and any effect applied."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from paylab.simulator.core.store import Store

MAX_ROWS = 200_000


@dataclass(frozen=True)
class Entry:
    """One request as the journal records it."""

    at: float
    gateway: str
    tenant: str | None
    method: str
    path: str
    status: int
    latency_ms: float
    request_id: str | None = None
    run_id: str | None = None
    idempotency_key: str | None = None
    effect: str | None = None
    direction: str = "in"


class Journal:
    """Append entries (in the current batch) and read them back."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._appended = 0

    def append(self, entry: Entry) -> None:
        """Record one request; old rows are trimmed every few thousand appends."""
        self.store.write(
            "INSERT INTO journal (at, gateway, tenant, method, path, status, latency_ms, "
            "request_id, run_id, idempotency_key, effect, direction) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (entry.at, entry.gateway, entry.tenant, entry.method, entry.path, entry.status,
             round(entry.latency_ms, 3), entry.request_id, entry.run_id,
             entry.idempotency_key, entry.effect, entry.direction),
        )
        self._appended += 1
        if self._appended % 5000 == 0:
            self.store.write(
                "DELETE FROM journal WHERE seq <= (SELECT MAX(seq) FROM journal) - ?",
                (MAX_ROWS,),
            )

    def read(
        self,
        *,
        after: int = 0,
        limit: int = 200,
        gateway: str | None = None,
        tenant: str | None = None,
        run_id: str | None = None,
        direction: str | None = None,
    ) -> list[dict[str, Any]]:
        """Entries after sequence number `after`, oldest first."""
        where, args = ["seq > ?"], [after]
        for column, value in (("gateway", gateway), ("tenant", tenant), ("run_id", run_id),
                              ("direction", direction)):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        rows = self.store.all(
            "SELECT seq, at, gateway, tenant, method, path, status, latency_ms, request_id, "  # noqa: S608 - fixed column names
            "run_id, idempotency_key, effect, direction FROM journal "
            f"WHERE {' AND '.join(where)} "
            "ORDER BY seq LIMIT ?",
            (*args, limit),
        )
        keys = ("seq", "at", "gateway", "tenant", "method", "path", "status", "latency_ms",
                "request_id", "run_id", "idempotency_key", "effect", "direction")
        return [dict(zip(keys, row, strict=True)) for row in rows]
