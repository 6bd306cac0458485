"""Seeded ids: reproducible for a seed, never reused after a restart."""

from paylab.simulator.core.clock import Clock
from paylab.simulator.core.domain import Domain
from paylab.simulator.core.rand import Rand
from paylab.simulator.core.store import Store


def test_same_seed_same_ids_other_seed_other_ids() -> None:
    a, b, c = Rand(5), Rand(5), Rand(6)
    ids_a = [a.new_id("pi") for _ in range(5)]
    assert ids_a == [b.new_id("pi") for _ in range(5)]
    assert ids_a != [c.new_id("pi") for _ in range(5)]


def test_a_restart_over_existing_data_gets_a_new_stream(tmp_path) -> None:
    db = tmp_path / "r.db"
    first = Domain(Store(db), Clock(), seed=9)
    first_id = first.rand.new_id("pi")
    first.store.close()
    second = Domain(Store(db), Clock(), seed=9)
    assert second.rand.new_id("pi") != first_id


def test_full_reset_replays_the_seeded_stream(tmp_path) -> None:
    domain = Domain(Store(tmp_path / "r.db"), Clock(), seed=9)
    before = domain.rand.new_id("pi")
    domain.reset()
    assert domain.rand.new_id("pi") == before
