"""Idempotency records, with the card gateways' semantics (gateways.md 5.4).

A key is bound to the first request's endpoint and parameters. Once execution begins its
status and body are saved and replayed to every retry, errors included. A request that
fails validation before execution saves nothing, so it can be retried with the same key.
A second request while the first is in flight is refused as a conflict.

Several worker processes share the table: a key is read and claimed inside the store's
write lock, so concurrent requests with one key make one execution whichever worker
each reaches.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from paylab.simulator.core.clock import Clock
from paylab.simulator.core.errors import IdempotencyInFlight, IdempotencyMismatch, InvalidRequest
from paylab.simulator.core.store import Store

MAX_KEY_LENGTH = 255
RETENTION_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Replay:
    """A saved response to send again."""

    status: int
    body: bytes


def fingerprint(endpoint: str, pairs: list[tuple[str, str]]) -> str:
    """A digest of the endpoint and its parameters, independent of parameter order."""
    digest = hashlib.sha256(endpoint.encode())
    for key, value in sorted(pairs):
        digest.update(b"\x00" + key.encode() + b"\x01" + value.encode())
    return digest.hexdigest()


class Idempotency:
    """Begin, finish and forget idempotent executions."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def begin(self, tenant: str, key: str, endpoint: str, digest: str) -> Replay | None:
        """Claim `key` for this request, or return the saved response to replay.

        Raises `IdempotencyMismatch` for a key used with other parameters and
        `IdempotencyInFlight` while the first request is still executing.
        """
        if not key or len(key) > MAX_KEY_LENGTH:
            raise InvalidRequest(
                "idempotency_key_invalid",
                f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters long.",
            )
        # read inside the write lock: another worker process claiming the same key at the
        # same moment commits first (its row is seen here) or waits for this one's commit
        self.store.claim()
        row = self.store.one(
            "SELECT fingerprint, endpoint, state, status, body, created FROM idempotency "
            "WHERE tenant = ? AND key = ?",
            (tenant, key),
        )
        if row is not None and row[5] < self.clock.now() - RETENTION_SECONDS:
            self.forget(tenant, key)  # pruned keys start over, as the gateways' do after 24 h
            row = None
        if row is None:
            self.store.write(
                "INSERT INTO idempotency (tenant, key, fingerprint, endpoint, state, created) "
                "VALUES (?, ?, ?, ?, 'in_flight', ?)",
                (tenant, key, digest, endpoint, self.clock.now()),
            )
            return None
        saved_digest, saved_endpoint, state, status, body, _ = row
        if saved_endpoint != endpoint:
            raise IdempotencyMismatch(
                "idempotency_key_reused",
                "Keys for idempotent requests can only be used for the same endpoint they were "
                f"first used for ('{saved_endpoint}' vs '{endpoint}'). Try using a key other "
                "than '" + key + "' if you meant to execute a different request.",
            )
        if saved_digest != digest:
            raise IdempotencyMismatch(
                "idempotency_key_reused",
                "Keys for idempotent requests can only be used with the same parameters they "
                "were first used with. Try using a key other than '" + key + "' if you meant "
                "to execute a different request.",
            )
        if state != "done":
            raise IdempotencyInFlight(
                "idempotency_key_in_use",
                "There is currently another in-progress request using this Idempotency-Key "
                "(probably means you clicked twice). Please retry the request.",
            )
        return Replay(status=status, body=body)

    def finish(self, tenant: str, key: str, status: int, body: bytes) -> None:
        """Save the executed request's response for replays."""
        self.store.write(
            "UPDATE idempotency SET state = 'done', status = ?, body = ? "
            "WHERE tenant = ? AND key = ?",
            (status, body, tenant, key),
        )

    def forget(self, tenant: str, key: str) -> None:
        """Drop a claim whose request never began executing."""
        self.store.write("DELETE FROM idempotency WHERE tenant = ? AND key = ?", (tenant, key))

    def recover(self) -> int:
        """At start-up: claims of requests that died before executing are released."""
        with self.store.atomic() as conn:
            cur = conn.execute("DELETE FROM idempotency WHERE state = 'in_flight'")
        return cur.rowcount
