"""Objects.first_matches: a search page reads newest first and stops one match past the
page, so a search over a large store costs a page, not the store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from paylab.simulator.core.objects import Objects
from paylab.simulator.core.store import Store


def _objects(tmp_path: Path, n: int = 50) -> Objects:
    objects = Objects(Store(str(tmp_path / "s.db")))
    for i in range(n):
        objects.insert("t1", "thing", {"id": f"th_{i:03d}", "created": i, "even": i % 2 == 0})
        objects.insert("t2", "thing", {"id": f"th_other{i:03d}", "created": i, "even": True})
    return objects


def test_a_page_reads_no_further_than_one_match_past_it(tmp_path: Path) -> None:
    objects = _objects(tmp_path)
    seen: list[str] = []

    def even(doc: dict[str, Any]) -> bool:
        seen.append(doc["id"])
        return doc["even"]

    shown, more, total = objects.first_matches("thing", "t1", even, limit=3)
    assert [d["id"] for _, d in shown] == ["th_048", "th_046", "th_044"]
    assert more is True
    assert total == 4
    assert seen == [f"th_{i:03d}" for i in range(49, 41, -1)]  # 49 down to 42, no more


def test_the_next_page_starts_below_the_cursor_and_the_last_says_no_more(
        tmp_path: Path) -> None:
    objects = _objects(tmp_path, 10)
    first, more, _ = objects.first_matches("thing", "t1", lambda d: d["even"], limit=3)
    assert more
    second, more, _ = objects.first_matches("thing", "t1", lambda d: d["even"],
                                            before=first[-1][0], limit=3)
    assert [d["id"] for _, d in second] == ["th_002", "th_000"]
    assert more is False


def test_count_all_counts_every_match_of_the_tenant(tmp_path: Path) -> None:
    objects = _objects(tmp_path)
    shown, more, total = objects.first_matches("thing", "t1", lambda d: d["even"], limit=2,
                                               count_all=True)
    assert (len(shown), more, total) == (2, True, 25)
    shown, more, total = objects.first_matches("thing", "t1", lambda d: True, limit=50,
                                               count_all=True)
    assert (len(shown), more, total) == (50, False, 50)


def test_newest_first_pages_through_chunks_without_losing_a_row(tmp_path: Path) -> None:
    objects = _objects(tmp_path, 25)
    ids = [d["id"] for _, d in objects.newest_first("thing", "t1", chunk=7)]
    assert ids == [f"th_{i:03d}" for i in range(24, -1, -1)]
