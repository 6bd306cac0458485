"""Tenants and kinds stored as codes (core/names.py): each name once, its code in every
row; a rolled-back code is never served from the cache; a read allocates nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from paylab.simulator.core.errors import NotFound, StorageUnavailable
from paylab.simulator.core.objects import Objects
from paylab.simulator.core.store import Store


def _doc(object_id: str) -> dict:
    return {"id": object_id, "created": 1, "amount": 100}


def test_each_name_is_stored_once_and_rows_carry_codes(tmp_path: Path) -> None:
    store = Store(tmp_path / "n.db")
    repo = Objects(store)
    for n in range(5):
        repo.insert("acct_4a457e85a449f2b0", "payment", _doc(f"pi_{n}"))
    repo.insert("acct_other", "payment", _doc("pi_x"))
    assert store.all("SELECT name FROM names ORDER BY code") == [
        ("acct_4a457e85a449f2b0",), ("payment",), ("acct_other",)]
    assert store.all("SELECT DISTINCT typeof(tenant_code), typeof(kind_code) "
                     "FROM object_rows") == [("integer", "integer")]
    assert [d["id"] for d in repo.page("acct_other", "payment")[0]] == ["pi_x"]


def test_a_code_rolled_back_with_its_savepoint_is_not_served_again() -> None:
    """Codes a failed request allocated go with its savepoint; another name may take the
    same number afterwards, so the cache must not keep the old pairing (else one tenant
    would read another's documents)."""
    store = Store(":memory:")
    repo = Objects(store)

    def failing_request() -> None:
        with store.atomic():
            repo.insert("acct_gone", "payment", _doc("pi_1"))
            raise RuntimeError("the request failed after its insert")

    with pytest.raises(RuntimeError):
        failing_request()
    repo.insert("acct_kept", "payment", _doc("pi_2"))
    assert repo.find("acct_gone", "payment", "pi_2") is None
    assert repo.get("acct_kept", "payment", "pi_2")["id"] == "pi_2"
    repo.insert("acct_gone", "payment", _doc("pi_3"))
    assert repo.find("acct_kept", "payment", "pi_3") is None
    assert repo.page("acct_gone", "payment")[0] == [_doc("pi_3")]


async def test_a_batch_sqlite_rolled_back_by_itself_leaves_no_stale_code() -> None:
    """On a full disk SQLite rolls the whole open transaction back on its own; a code
    allocated in it must not be used afterwards for a row (the number goes to the next
    new name, which would then own that row). Served on an event loop, the batch's end
    comes later, so the next request in the same turn of the loop must notice it."""
    store = Store(":memory:")
    repo = Objects(store)

    def lost_batch() -> None:
        with store.atomic():
            repo.insert("acct_gone", "payment", _doc("pi_1"))
            store.conn.execute("ROLLBACK")  # what SQLite does by itself on SQLITE_FULL

    with pytest.raises(StorageUnavailable):
        lost_batch()
    repo.insert("acct_gone", "payment", _doc("pi_2"))
    repo.insert("acct_new", "payment", _doc("pi_3"))
    assert repo.find("acct_new", "payment", "pi_2") is None
    assert repo.page("acct_gone", "payment")[0] == [_doc("pi_2")]
    assert store.all("SELECT tenant, id FROM objects ORDER BY seq") == [
        ("acct_gone", "pi_2"), ("acct_new", "pi_3")]
    await asyncio.sleep(0)  # the loop commits the batch
    assert store.all("SELECT tenant, id FROM objects ORDER BY seq") == [
        ("acct_gone", "pi_2"), ("acct_new", "pi_3")]


def test_reads_of_unknown_names_find_nothing_and_write_nothing() -> None:
    store = Store(":memory:")
    repo = Objects(store)
    repo.insert("acct_a", "payment", _doc("pi_1"))
    store.commit()
    before = store.all("SELECT * FROM names")
    assert repo.find("acct_new", "payment", "pi_1") is None
    assert repo.find("acct_a", "refund", "pi_1") is None
    assert repo.find_any("refund", "pi_1") is None
    assert repo.page("acct_new", "payment") == ([], False)
    assert repo.children("acct_new", "charge", "pi_1") == []
    assert list(repo.newest_first("payment", "acct_new")) == []
    assert repo.tagged("acct_new", "payment", "x") is None
    repo.delete("acct_new", "payment", "pi_1")
    repo.retag("acct_new", "payment", "pi_1", "x")
    with pytest.raises(NotFound, match="No such refund: 'pi_1'"):
        repo.update("acct_a", "refund", _doc("pi_1"))
    with pytest.raises(NotFound, match="No such payment: 'pi_1'"):
        repo.update("acct_new", "payment", _doc("pi_1"))
    assert store.all("SELECT * FROM names") == before
    assert repo.find_any("payment", "pi_1") == ("acct_a", _doc("pi_1"))


def test_codes_written_by_another_process_are_read(tmp_path: Path) -> None:
    first, second = Store(tmp_path / "s.db"), Store(tmp_path / "s.db")
    Objects(first).insert("acct_a", "payment", _doc("pi_1"))
    first.commit()
    reader = Objects(second)
    assert reader.get("acct_a", "payment", "pi_1")["id"] == "pi_1"
    reader.insert("acct_b", "payment", _doc("pi_2"))
    second.commit()
    assert Objects(first).find("acct_b", "payment", "pi_2") == _doc("pi_2")


def test_a_known_name_costs_no_statement_and_is_never_written_again() -> None:
    """The cache is what keeps codes off the hot path: once a process knows a name, using
    it reads nothing from `names` and writes nothing to it (a second allocation would also
    need the write lock a read-only request does not take)."""
    store = Store(":memory:")
    repo = Objects(store)
    repo.insert("acct_a", "payment", _doc("pi_1"))
    fresh = Store(":memory:")  # a process that did not allocate them: it reads each once
    fresh.conn.execute("INSERT INTO names (name) VALUES ('acct_a'), ('payment')")
    for names, reads in ((store.names, 0), (fresh.names, 2)):
        seen: list[str] = []
        names.store.conn.set_trace_callback(seen.append)
        codes = [names.code("acct_a") for _ in range(3)] + [names.find("payment")]
        names.store.conn.set_trace_callback(None)
        assert codes[:3] == [codes[0]] * 3 and None not in codes
        touching = [s for s in seen if "names" in s]
        assert len(touching) == reads, touching
        assert all(s.startswith("SELECT") for s in touching), touching
