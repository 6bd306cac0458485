"""Stored documents (core/objects.py): compressed against the preset dictionary, read back
exactly; rows written before compression still read; SQL reads either form."""

from __future__ import annotations

import hashlib
from importlib import resources
from typing import Any

import orjson
import pytest
from paylab.simulator.core import objects
from paylab.simulator.core.objects import Objects, decode, decode_text, encode
from paylab.simulator.core.store import Store
from paylab.suites.unit.inprocess import start

#: The dictionary is a storage format: rows compressed against it must decode forever.
#: A new dictionary is a new file with a new marker byte, never this file rebuilt.
DICTIONARY_SHA256 = "45210e1b515471c7"

PAYMENT: dict[str, Any] = {
    "id": "pi_0000001abcdefghijklmnop", "gateway": "stripe", "status": "succeeded",
    "created": 1796278499, "amount": 2000, "currency": "usd", "amount_received": 2000,
    "payment_method_types": ["card"], "metadata": {"order": "№ 42 – café"},
    "latest_charge": "ch_0000002abcdefghijklmnop", "last_payment_error": None,
    "capture_method": "automatic", "confirmation_method": "automatic",
}


def test_a_document_reads_back_exactly_and_is_stored_compressed() -> None:
    stored = encode(PAYMENT)
    assert stored[0] == objects.Z1
    assert len(stored) < len(orjson.dumps(PAYMENT)) / 2
    assert decode(stored) == PAYMENT
    assert decode_text(stored) == orjson.dumps(PAYMENT).decode()


def test_short_documents_stay_plain_json() -> None:
    doc = {"id": "x", "created": 1}
    assert encode(doc) == orjson.dumps(doc)
    assert decode(encode(doc)) == doc


def test_a_truncated_document_is_an_error_not_a_partial_read() -> None:
    with pytest.raises((ValueError, orjson.JSONDecodeError)):
        decode(encode(PAYMENT)[:-8])


def _write_row(store: Store, object_id: str, data: bytes | str) -> None:
    """A row of tenant `t`, kind `payment`, with `data` stored as it is."""
    store.write("INSERT INTO object_rows (tenant_code, kind_code, id, created, data) VALUES "
                "(?, ?, ?, 1, ?)", (store.names.code("t"), store.names.code("payment"),
                                    object_id, data))


def test_rows_written_as_plain_json_before_still_read() -> None:
    store = Store(":memory:")
    repo = Objects(store)
    for n in range(3):  # as the previous version wrote them: orjson bytes, and text
        data: bytes | str = orjson.dumps({**PAYMENT, "id": f"pi_old{n}"})
        _write_row(store, f"pi_old{n}", data if n else data.decode())
    repo.insert("t", "payment", {**PAYMENT, "id": "pi_new"})
    assert repo.get("t", "payment", "pi_old0")["metadata"] == PAYMENT["metadata"]
    docs, more = repo.page("t", "payment", limit=10)
    assert [d["id"] for d in docs] == ["pi_new", "pi_old2", "pi_old1", "pi_old0"]
    assert not more
    repo.update("t", "payment", {**PAYMENT, "id": "pi_old1", "status": "canceled"})
    assert repo.get("t", "payment", "pi_old1")["status"] == "canceled"


def test_sql_reads_documents_of_either_form_through_paylab_doc() -> None:
    store = Store(":memory:")
    Objects(store).insert("t", "payment", {**PAYMENT, "id": "pi_new"})
    _write_row(store, "pi_old", orjson.dumps({**PAYMENT, "amount": 7}))
    rows = store.all("SELECT id, json_extract(paylab_doc(data), '$.amount') FROM objects "
                     "ORDER BY seq")
    assert rows == [("pi_new", 2000), ("pi_old", 7)]


def test_the_dictionary_is_the_one_rows_were_compressed_against() -> None:
    data = resources.files(objects.__package__).joinpath("data", objects.DICTIONARY)
    assert hashlib.sha256(data.read_bytes()).hexdigest()[:16] == DICTIONARY_SHA256


async def test_api_answers_are_the_stored_documents_exactly(aiohttp_client: Any) -> None:
    sim = await start(aiohttp_client)
    made = await sim.stripe("POST", "/v1/payment_intents",
                            {"amount": 2000, "currency": "usd", "payment_method": "pm_card_visa",
                             "confirm": "true", "metadata[note]": "ünïcode ✓"})
    assert made.status == 200
    again = await sim.stripe("GET", f"/v1/payment_intents/{made.body['id']}")
    assert again.text == made.text
    stored = sim.domain.store.all("SELECT data FROM objects")
    assert stored and all(row[0][0] == objects.Z1 for row in stored)


def test_every_store_reads_documents_in_sql_even_without_objects(tmp_path: Any) -> None:
    path = tmp_path / "s.db"
    Objects(Store(path)).insert("t", "payment", {**PAYMENT, "id": "pi_new"})
    reader = Store(path)  # a process that only reads (metrics, reports): no Objects built
    assert reader.one("SELECT json_extract(paylab_doc(data), '$.currency') FROM objects") == (
        "usd",)
