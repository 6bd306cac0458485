"""One-time values in the store: first use accepted, a repeat refused while it lives, per
tenant and scope, across two processes' connections, and forgotten by a reset."""

from __future__ import annotations

from pathlib import Path

from paylab.simulator.core.clock import Clock
from paylab.simulator.core.domain import Domain
from paylab.simulator.core.nonces import PRUNE_EVERY
from paylab.simulator.core.store import Store
from paylab.suites.unit.conftest import TENANT, FakeWall


def test_a_value_is_accepted_once_while_it_lives(domain: Domain) -> None:
    nonces = domain.nonces
    assert nonces.claim(TENANT, "request", "n-1", 60) is True
    assert nonces.claim(TENANT, "request", "n-1", 60) is False
    assert nonces.claim(TENANT, "other", "n-1", 60) is True
    assert nonces.claim("acct_other", "request", "n-1", 60) is True
    domain.advance_clock(61)
    assert nonces.claim(TENANT, "request", "n-1", 60) is True
    assert nonces.claim(TENANT, "request", "n-1", 60) is False


def test_a_reset_forgets_them(domain: Domain) -> None:
    assert domain.nonces.claim(TENANT, "request", "n-2", 600)
    domain.reset(TENANT)
    assert domain.nonces.claim(TENANT, "request", "n-2", 600)


def test_expired_rows_are_pruned(domain: Domain) -> None:
    for i in range(3):
        domain.nonces.claim(TENANT, "request", f"old-{i}", 1)
    domain.advance_clock(5)
    for i in range(PRUNE_EVERY):
        domain.nonces.claim(TENANT, "request", f"new-{i}", 600)
    rows = domain.store.all("SELECT value FROM nonces WHERE value LIKE 'old-%'")
    assert rows == []


def test_two_domains_on_one_database_share_them(tmp_path: Path, wall: FakeWall) -> None:
    path = str(tmp_path / "db.sqlite")
    first = Domain(Store(path), Clock(wall=wall), seed=7)
    second = Domain(Store(path), Clock(wall=wall), seed=7)
    assert first.nonces.claim(TENANT, "request", "shared", 60)
    first.store.commit()
    assert second.nonces.claim(TENANT, "request", "shared", 60) is False
