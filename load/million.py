"""A million payments: fill a database fast, then measure a simulator serving it (issue 16).

    .venv/bin/python -m paylab.load.million                     # 200,000 payments
    .venv/bin/python -m paylab.load.million --payments 1000000  # the issue's figure
    .venv/bin/python -m paylab.load.million --db big.db --reuse # measure a filled file again

How the fill is fast: one create+confirm goes through the real HTTP API of an in-process
simulator, and the rows it wrote (PaymentIntent, PaymentMethod, charge, balance entry,
three events, the journal row) are the template. Every payment is that template with fresh
ids (same prefixes and lengths) and its own `created` (one payment a second, the newest at
the template's time; the template's own rows are deleted first, so rows are in creation
order as the API writes them), serialised by the store's own encoder
(core/objects.encode_json) and inserted by `executemany` in transactions of 20,000
payments: the stored objects are what the API would have made, minus the API's CPU.
Journal rows are cloned for the newest 200,000 payments only (the journal keeps at most
that many itself).

Then two simulators are started in turn with `paylab serve` (one worker), on a database
of 20 payments ("empty": a list or a search still answers a full page of 10, so the ratio
measures the size of the store, not of the answer) and on the filled one, each measured:
time from start to a healthy answer, the latency of retrieve, list, search and the
dashboard's figures (`GET /_sim/stats`), and its resident memory after those requests.
The table prints each target as met or MISSED; latencies are medians of sequential calls,
compared as ratios measured in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import math
import os
import random
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import psutil
from aiohttp.test_utils import TestClient, TestServer
from paylab.simulator.core.objects import decode_text, encode_json

from paylab.testing.server import free_port, wait_healthy

ROOT = Path(__file__).resolve().parent.parent
KEY = "sk_test_million_payments"
CONFIRM = {"amount": "2000", "currency": "usd", "payment_method": "pm_card_visa",
           "confirm": "true"}
BATCH = 20_000
#: The "empty" database: enough payments for a full page of a list or a search.
SMALL = 20
JOURNAL_ROWS = 200_000
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_ID = re.compile(r"\b([a-z]+)_([0-9A-Za-z]{24})\b")

# targets: (name, met?)
RSS_MIB = 150.0
START_S = 2.0
SLOWDOWN = 2.0
BYTES_PER_PAYMENT = 2048


def _base62(n: int, width: int) -> str:
    out = ""
    for _ in range(width):
        n, digit = divmod(n, 62)
        out = _ALPHABET[digit] + out
    return out


async def _template(db: str) -> None:
    """One create+confirm through the real API, into `db`."""
    from paylab.simulator.app import create_app
    from paylab.simulator.settings import Settings

    app = create_app(Settings(db=db, seed=1))
    async with TestClient(TestServer(app)) as client:
        answer = await client.post("/stripe/v1/payment_intents", data=CONFIRM,
                                   headers={"Authorization": f"Bearer {KEY}"})
        if answer.status != 200:
            raise SystemExit(f"template payment failed: {answer.status} {await answer.text()}")


def fill(db: str, payments: int) -> float:
    """Write `payments` create+confirms into a new database `db`; seconds taken."""
    for suffix in ("", "-wal", "-shm"):
        Path(db + suffix).unlink(missing_ok=True)
    started = time.perf_counter()
    asyncio.run(_template(db))
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    rows = conn.execute("SELECT tenant, kind, id, created, parent, tag, data FROM objects "
                        "ORDER BY seq").fetchall()
    journal = conn.execute("SELECT at, gateway, tenant, method, path, status, latency_ms, "
                           "request_id, run_id, idempotency_key, effect, direction "
                           "FROM journal").fetchall()
    stamp = int(max(r[3] for r in rows))
    texts = [decode_text(r[6]) for r in rows]
    ids = sorted({m.group(0) for t in texts for m in _ID.finditer(t)}, key=len, reverse=True)
    pattern = re.compile("|".join([re.escape(i) for i in ids] + [str(stamp)]))
    # the template's own rows go: the clones are written in creation order, as the API does
    codes = dict(conn.execute("SELECT name, code FROM names").fetchall())
    conn.execute("DELETE FROM object_rows")
    conn.execute("DELETE FROM journal")
    for start in range(0, payments, BATCH):
        objects, log = [], []
        for n in range(start, min(start + BATCH, payments)):
            when = stamp - (payments - n)
            fresh = {i: f"{i.split('_')[0]}_F{_base62(n, 7)}{i.split('_', 1)[1][8:]}"
                     for i in ids}
            fresh[str(stamp)] = str(when)

            def swap(m: re.Match[str], fresh: dict[str, str] = fresh) -> str:
                return fresh[m.group(0)]

            for (tenant, kind, oid, _, parent, tag, _), text in zip(rows, texts, strict=True):
                objects.append((codes[tenant], codes[kind], fresh.get(oid, oid), when,
                                fresh.get(parent, parent) if parent else None, tag,
                                encode_json(pattern.sub(swap, text).encode())))
            if payments - n <= JOURNAL_ROWS:
                log.extend((row[0] - (payments - n), *row[1:]) for row in journal)
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO object_rows (tenant_code, kind_code, id, created, "
                         "parent, tag, data) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?)", objects)
        conn.executemany("INSERT INTO journal (at, gateway, tenant, method, path, status, "
                         "latency_ms, request_id, run_id, idempotency_key, effect, direction) "
                         "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", log)
        conn.execute("COMMIT")
        print(f"  {min(start + BATCH, payments):,} payments", end="\r", flush=True)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return time.perf_counter() - started


def footprint(db: str, payments: int) -> dict[str, float]:
    """Bytes per payment: the file (and its WAL), and per table and index (dbstat)."""
    size = sum(os.path.getsize(db + s) for s in ("", "-wal") if os.path.exists(db + s))
    conn = sqlite3.connect(db)
    out = {"file": size / payments}
    for name, pages in conn.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name "
                                    "ORDER BY 2 DESC LIMIT 8"):
        out[name] = pages / payments
    conn.close()
    return out


class Probe:
    """Sequential keep-alive HTTP calls to one simulator."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)

    def get(self, path: str, key: bool = True) -> float:
        """Milliseconds for one GET (its answer must be a 200)."""
        headers = {"Authorization": f"Bearer {KEY}"} if key else {}
        started = time.perf_counter()
        self.conn.request("GET", path, headers=headers)
        answer = self.conn.getresponse()
        body = answer.read()
        took = (time.perf_counter() - started) * 1000
        if answer.status != 200:
            raise RuntimeError(f"GET {path}: {answer.status} {body[:200]!r}")
        return took

    def median(self, paths: Callable[[int], str], n: int, key: bool = True) -> float:
        """Median milliseconds over `n` calls (one warm-up call first); NaN when a call
        failed (the table shows it MISSED, with the error printed)."""
        try:
            self.get(paths(0), key)
            return statistics.median(self.get(paths(i), key) for i in range(1, n + 1))
        except (RuntimeError, OSError) as exc:
            print(f"  {exc}", file=sys.stderr)
            return math.nan


def measure(db: str, ids: list[str], calls: int) -> dict[str, float]:
    """Start `paylab serve` on `db`, time its start, probe it, read its memory."""
    port = free_port()
    command = [sys.executable, "-m", "paylab.simulator", "serve", "--port", str(port),
               "--db", db, "--seed", "1", "--log-level", "warning"]
    started = time.perf_counter()
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        wait_healthy(f"http://127.0.0.1:{port}", process=proc)
        out = {"start_s": time.perf_counter() - started}
        probe = Probe(port)
        pick = random.Random(16)
        out["retrieve_ms"] = probe.median(
            lambda _: f"/stripe/v1/payment_intents/{pick.choice(ids)}", calls)
        out["list_ms"] = probe.median(lambda _: "/stripe/v1/payment_intents?limit=10", calls)
        out["search_ms"] = probe.median(
            lambda _: "/stripe/v1/payment_intents/search?query=status%3A%27succeeded%27"
                      "&limit=10", max(3, calls // 20))
        out["dashboard_ms"] = probe.median(lambda _: "/_sim/stats", max(3, calls // 20),
                                           key=False)
        out["rss_mib"] = psutil.Process(proc.pid).memory_info().rss / 2**20
        return out
    finally:
        proc.terminate()
        proc.wait(30)


def _sample_ids(db: str, n: int = 500) -> list[str]:
    conn = sqlite3.connect(db)
    rows = conn.execute("SELECT id FROM objects WHERE kind = 'payment' ORDER BY random() "
                        "LIMIT ?", (n,)).fetchall()
    conn.close()
    return [r[0] for r in rows]


def report(payments: int, fill_s: float | None, sizes: dict[str, float],
           empty: dict[str, float], full: dict[str, float]) -> list[tuple[str, bool, str]]:
    """Print the figures and the targets; returns (target, met, measured)."""
    if fill_s is not None:
        print(f"fill: {payments:,} create+confirm in {fill_s:,.0f} s "
              f"({payments / fill_s:,.0f} a second)")
    print("bytes per payment: " + ", ".join(f"{k} {v:,.0f}" for k, v in sizes.items()))
    print(f"\n{'':14}{'empty':>12}{f'{payments:,}':>12}{'ratio':>8}")
    for key in ("start_s", "retrieve_ms", "list_ms", "search_ms", "dashboard_ms", "rss_mib"):
        print(f"{key:14}{empty[key]:>12.2f}{full[key]:>12.2f}{full[key] / empty[key]:>8.2f}")
    rows = [(f"database <= {BYTES_PER_PAYMENT} bytes per create+confirm",
             sizes["file"] <= BYTES_PER_PAYMENT, f"{sizes['file']:,.0f}"),
            (f"RSS < {RSS_MIB:g} MiB", full["rss_mib"] < RSS_MIB, f"{full['rss_mib']:.0f} MiB"),
            (f"start-up < {START_S:g} s", full["start_s"] < START_S, f"{full['start_s']:.2f} s")]
    for key, name in (("retrieve_ms", "retrieve"), ("list_ms", "list"),
                      ("search_ms", "search"), ("dashboard_ms", "dashboard figures")):
        ratio = full[key] / empty[key]
        rows.append((f"{name} within {SLOWDOWN:g}x of empty", ratio <= SLOWDOWN,
                     f"{ratio:.2f}x ({full[key]:.1f} vs {empty[key]:.1f} ms)"))
    print()
    for target, met, measured in rows:
        print(f"{'met   ' if met else 'MISSED'}  {target:44} {measured}")
    return rows


async def _request_cpu(rounds: int, calls: int) -> tuple[float, float]:
    """CPU microseconds per in-process create+confirm (client included), documents stored
    plain vs compressed, alternating in one process: (plain, compressed) medians."""
    from paylab.simulator.app import create_app
    from paylab.simulator.core import objects
    from paylab.simulator.settings import Settings

    normal, per = objects.MIN_COMPRESS, {True: [], False: []}  # type: dict[bool, list[float]]
    with tempfile.TemporaryDirectory(prefix="paylab-encode-") as workdir:
        app = create_app(Settings(db=str(Path(workdir) / "cpu.db"), seed=1))
        async with TestClient(TestServer(app)) as client:
            auth = {"Authorization": f"Bearer {KEY}"}
            for n in range(rounds * 2):
                compressed = n % 2 == 1
                objects.MIN_COMPRESS = normal if compressed else 1 << 30
                started = time.process_time()
                for _ in range(calls):
                    answer = await client.post("/stripe/v1/payment_intents", data=CONFIRM,
                                               headers=auth)
                    await answer.read()
                per[compressed].append((time.process_time() - started) / calls * 1e6)
    objects.MIN_COMPRESS = normal
    return statistics.median(per[False]), statistics.median(per[True])


def encode_cost(rounds: int = 5, calls: int = 200) -> None:
    """Print the codec's microseconds per document and its share of a create+confirm."""
    from paylab.simulator.core.objects import decode, encode

    doc = {"id": "evt_0000000aaaaaaaaaaaaaaaaa", "type": "payment.succeeded",
           "created": 1796278499, "gateway": "stripe", "object_kind": "payment",
           "object": {"id": "pi_0000000bbbbbbbbbbbbbbbbb", "amount": 2000, "currency": "usd",
                      "status": "succeeded", "payment_method_types": ["card"],
                      "latest_charge": "ch_0000000ccccccccccccccccc", "metadata": {}},
           "previous_attributes": None, "request": {"id": None, "idempotency_key": None}}
    import orjson

    stored, raw = encode(doc), orjson.dumps(doc)
    timings = {}
    for name, fn in (("orjson.dumps", lambda: orjson.dumps(doc)), ("encode", lambda: encode(doc)),
                     ("orjson.loads", lambda: orjson.loads(raw)),
                     ("decode", lambda: decode(stored))):
        runs = []
        for _ in range(5):
            started = time.perf_counter()
            for _ in range(2000):
                fn()
            runs.append((time.perf_counter() - started) / 2000 * 1e6)
        timings[name] = min(runs)
    print("per document (us, best of 5): " + ", ".join(f"{k} {v:.1f}"
                                                       for k, v in timings.items()))
    plain, compressed = asyncio.run(_request_cpu(rounds, calls))
    print(f"create+confirm in process, CPU per call (client included): plain {plain:,.0f} us, "
          f"compressed {compressed:,.0f} us, ratio {compressed / plain:.3f}")


def main(argv: list[str] | None = None) -> int:
    """Fill (unless --reuse), measure both databases, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, default=200_000)
    parser.add_argument("--db", help="the filled database (default: a temporary file)")
    parser.add_argument("--reuse", action="store_true", help="measure --db as it is")
    parser.add_argument("--calls", type=int, default=200, help="calls per latency figure")
    parser.add_argument("--encode-cost", action="store_true",
                        help="only measure the document codec's CPU cost, then exit")
    args = parser.parse_args(argv)
    if args.encode_cost:
        encode_cost()
        return 0
    workdir = tempfile.TemporaryDirectory(prefix="paylab-million-")
    db = args.db or str(Path(workdir.name) / "million.db")
    empty_db = str(Path(workdir.name) / "empty.db")
    fill(empty_db, SMALL)
    fill_s = None
    if not args.reuse:
        print(f"filling {db} with {args.payments:,} payments")
        fill_s = fill(db, args.payments)
    sizes = footprint(db, args.payments)
    ids = _sample_ids(db)
    empty = measure(empty_db, _sample_ids(empty_db), args.calls)
    if math.isnan(empty["dashboard_ms"]):
        raise SystemExit("the small database's simulator failed a call: nothing to compare")
    full = measure(db, ids, args.calls)
    rows = report(args.payments, fill_s, sizes, empty, full)
    workdir.cleanup()
    return 0 if all(met for _, met, _ in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
