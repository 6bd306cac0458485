"""Build the preset dictionary stored documents are compressed against (issue 16).

Runs the simulator in this process on an in-memory database with a fixed seed, makes the
documents a shop typically makes (payments that succeed, fail, wait for capture and are
refunded, customers, setup intents, their charges, balance entries and events), and writes
one document of each kind and event type, rarest first and most common last (deflate reaches
the end of a dictionary with the shortest distances). Timestamps and client secrets are
normalised, so two runs write the same bytes.

The dictionary is a format: rows compressed against it must always decode. Never rebuild
it in place; a new dictionary gets a new file and a new marker byte in core/objects.py.

    .venv/bin/python scripts/build_doc_dictionary.py [--out PATH] [--check]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import re
import sys
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "simulator" / "core" / "data" / "documents.zdict.txt"
#: The window the dictionary must fit in (core/objects.py compresses with 2**14 bytes).
MAX_BYTES = 1 << 14
KEY = "sk_test_dictionary_builder"
SEED = 16
_STAMP = re.compile(rb"\b1[0-9]{9}\b")
#: Client secrets are random by design (and no secret belongs in a shipped file).
_SECRET = re.compile(rb"_secret_[A-Za-z0-9]+")
#: Kinds in the order they go in: the commonest (most rows per payment) last.
ORDER = ("customer", "setup_intent", "refund", "balance_entry", "payment_method", "charge",
         "event", "payment")


async def _traffic(client: TestClient) -> None:
    """The calls whose documents the dictionary is made of."""
    auth = {"Authorization": f"Bearer {KEY}"}

    async def post(path: str, data: dict[str, str]) -> dict[str, Any]:
        answer = await client.post(f"/stripe/v1/{path}", headers=auth, data=data)
        return await answer.json()

    paid = await post("payment_intents", {"amount": "2000", "currency": "usd",
                                          "payment_method": "pm_card_visa", "confirm": "true"})
    await post("payment_intents", {"amount": "1500", "currency": "usd",
                                   "payment_method": "pm_card_chargeDeclined", "confirm": "true"})
    held = await post("payment_intents", {"amount": "3000", "currency": "eur",
                                          "payment_method": "pm_card_mastercard",
                                          "capture_method": "manual", "confirm": "true"})
    if "id" in held:
        await post(f"payment_intents/{held['id']}/capture", {})
    if "id" in paid:
        await post("refunds", {"payment_intent": paid["id"], "amount": "500"})
    customer = await post("customers", {"email": "shopper@example.com", "name": "A Shopper"})
    if "id" in customer:
        await post("setup_intents", {"customer": customer["id"], "confirm": "true",
                                     "payment_method": "pm_card_visa"})


async def _documents() -> list[tuple[str, str, bytes]]:
    """(kind, tag, stored bytes) of every document the traffic left, oldest first."""
    from paylab.simulator.app import DOMAIN, create_app
    from paylab.simulator.core import objects
    from paylab.simulator.settings import Settings

    objects.MIN_COMPRESS = 1 << 30  # plain JSON: the dictionary must not shape itself
    app = create_app(Settings(db=":memory:", seed=SEED))
    async with TestClient(TestServer(app)) as client:
        await _traffic(client)
        store = app[DOMAIN].store
        rows = store.all("SELECT kind, COALESCE(tag, ''), data FROM objects ORDER BY seq")
    return [(kind, tag, bytes(data)) for kind, tag, data in rows]


def build() -> bytes:
    """The dictionary's bytes."""
    chosen: dict[tuple[str, str], bytes] = {}
    for kind, tag, data in asyncio.run(_documents()):
        key = (kind, tag if kind == "event" else "")
        chosen.setdefault(key, _SECRET.sub(b"_secret_" + b"x" * 24,
                                           _STAMP.sub(b"1700000000", data)))
    rank = {kind: n for n, kind in enumerate(ORDER)}
    parts = sorted(chosen.items(), key=lambda item: (rank.get(item[0][0], -1), item[0][1]))
    out = b"".join(data for _, data in parts)
    return out[-MAX_BYTES:]


def main() -> int:
    """Write (or, with --check, compare against) the dictionary file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--check", action="store_true",
                        help="exit 1 unless the file holds what this script builds")
    args = parser.parse_args()
    data = build()
    digest = hashlib.sha256(data).hexdigest()[:16]
    if args.check:
        same = args.out.exists() and args.out.read_bytes() == data
        print(f"{args.out}: {'same' if same else 'DIFFERS'} ({len(data)} bytes, {digest})")
        return 0 if same else 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(data)
    print(f"wrote {args.out}: {len(data)} bytes, sha256 {digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
