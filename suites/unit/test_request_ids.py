"""Request ids: drawn from the process's own seeded stream, salted with its boot number,
and never written, so a read is answered while storage refuses writes."""

from __future__ import annotations

from pathlib import Path

from paylab.simulator.core.rand import Rand
from paylab.simulator.core.store import Store


def test_a_request_id_writes_nothing(tmp_path: Path) -> None:
    store = Store(str(tmp_path / "r.db"))
    rand = Rand(7, store=store, boot=1)
    rand.request_token(14)
    assert not store.conn.in_transaction
    assert store.one("SELECT COUNT(*) FROM rand_counters") == (0,)


def test_the_same_seed_and_boot_replay_and_other_boots_differ() -> None:
    first, again, other = Rand(7, boot=1), Rand(7, boot=1), Rand(7, boot=2)
    drawn = [first.request_token(14) for _ in range(50)]
    assert drawn == [again.request_token(14) for _ in range(50)]
    assert len(set(drawn)) == 50 and all(len(t) == 14 for t in drawn)
    assert not set(drawn) & {other.request_token(14) for _ in range(50)}
    first.reseed(0)  # a full reset replays them
    assert [first.request_token(14) for _ in range(50)] == drawn
