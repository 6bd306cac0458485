"""`paylab reconcile`: the arguments, the inputs they name, the report and the exit code
(0 clean, 1 any discrepancy, 2 bad input)."""

from __future__ import annotations

import argparse
import os
import re
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from paylab.simulator.reconcile.books import from_csv, from_shop_db, load_mapping
from paylab.simulator.reconcile.compare import reconcile
from paylab.simulator.reconcile.model import BookEntry, ReconcileError
from paylab.simulator.reconcile.report import FORMATS, render, summary
from paylab.simulator.reconcile.sources import (
    Simulator,
    in_minor_units,
    ledger_rows,
    settlement_file,
)

CLEAN, FOUND, BAD_INPUT = 0, 1, 2
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_NUMBER = re.compile(r"\d+(\.\d+)?")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of `paylab reconcile`."""
    books = parser.add_argument_group("the merchant's books (one of)")
    books.add_argument("--shop-db", type=Path, metavar="PATH",
                       help="the reference shop's SQLite database")
    books.add_argument("--orders", type=Path, metavar="CSV",
                       help="an order export (CSV); needs --mapping")
    books.add_argument("--mapping", type=Path, metavar="FILE",
                       help="JSON/YAML: which CSV column is the order reference, amount, "
                            "currency, status, gateway, transaction id, refunded, fee; units")
    side = parser.add_argument_group("the gateway's side")
    side.add_argument("--url", default=os.environ.get("PAYLAB_URL", "http://127.0.0.1:8080"),
                      help="the simulator (its /_sim/settlements and /_sim/ledger; "
                           "default PAYLAB_URL, else http://127.0.0.1:8080)")
    side.add_argument("--settlement", type=Path, metavar="FILE",
                      help="neutral settlement rows (JSON or CSV) instead of the simulator's")
    side.add_argument("--control-token", default=os.environ.get("PAYLAB_CONTROL_TOKEN"),
                      help="the simulator's control token (PAYLAB_CONTROL_TOKEN)")
    parser.add_argument("--gateway", help="only this gateway")
    parser.add_argument("--tenant", help="only this tenant (an API key, or a tenant id)")
    parser.add_argument("--date", help="only the money moved on this day, YYYY-MM-DD (UTC; "
                                       "a book entry's paid day)")
    parser.add_argument("--from", dest="since", metavar="DATE", help="from this day")
    parser.add_argument("--to", dest="until", metavar="DATE", help="to this day (included)")
    parser.add_argument("--format", choices=FORMATS, default="text")
    parser.add_argument("--output", type=Path, metavar="PATH",
                        help="write the report here (default: standard output)")


def run(args: argparse.Namespace) -> int:
    """Reconcile; print or write the report; the exit code."""
    try:
        report = build_report(args)
    except ReconcileError as exc:
        print(f"paylab reconcile: {exc}", file=sys.stderr)
        return BAD_INPUT
    text = render(report, args.format)
    if args.output:
        try:
            args.output.write_text(text, encoding="utf-8")
        except OSError as exc:
            print(f"paylab reconcile: --output {args.output}: {exc.strerror}", file=sys.stderr)
            return BAD_INPUT
    else:
        sys.stdout.write(text)
    return CLEAN if report["clean"] else FOUND


def build_report(args: argparse.Namespace) -> dict[str, Any]:
    """Read every input the arguments name and compare them (the report as data)."""
    scope = _scope(args)
    books = _books(args)
    rows = _gateway_rows(args, scope)
    if args.gateway:
        books = [b for b in books if b.gateway in (None, args.gateway)]
        rows = [r for r in rows if r.get("gateway") == args.gateway]
    books = [b for b in books if _in_range(b.date, scope)]
    found = reconcile(books, rows)
    return summary(found, books=len(books), rows=len(rows), scope=scope)


def _scope(args: argparse.Namespace) -> dict[str, Any]:
    for flag, value in (("--date", args.date), ("--from", args.since), ("--to", args.until)):
        if value is not None and not _DATE.fullmatch(value):
            raise ReconcileError(f"{flag} {value!r}: expected YYYY-MM-DD")
    if args.date and (args.since or args.until):
        raise ReconcileError("give --date, or --from/--to, not both")
    since, until = (args.date, args.date) if args.date else (args.since, args.until)
    if since and until and since > until:
        raise ReconcileError(f"--from {since} is after --to {until}")
    return {"gateway": args.gateway, "tenant": args.tenant, "from": since, "to": until}


def _in_range(day: str | None, scope: dict[str, Any]) -> bool:
    if day is None:
        return True
    return (not scope["from"] or day >= scope["from"]) and (not scope["to"] or day <= scope["to"])


def _books(args: argparse.Namespace) -> list[BookEntry]:
    if bool(args.shop_db) == bool(args.orders):
        raise ReconcileError("give --shop-db PATH, or --orders CSV with --mapping FILE")
    if args.shop_db:
        if args.mapping:
            raise ReconcileError("--mapping goes with --orders, not --shop-db")
        return from_shop_db(args.shop_db)
    if not args.mapping:
        raise ReconcileError("--orders needs --mapping FILE (which column is what)")
    return from_csv(args.orders, load_mapping(args.mapping))


def _gateway_rows(args: argparse.Namespace, scope: dict[str, Any]) -> list[dict[str, Any]]:
    if args.settlement:  # a file: every filter applies here
        rows = in_minor_units(settlement_file(args.settlement))
        return [r for r in rows if _in_range(_day(r), scope)
                and (not args.tenant or r.get("tenant") in (None, "", args.tenant))]
    sim = Simulator(args.url, args.control_token)
    params = {k: v for k, v in (("gateway", args.gateway), ("tenant", args.tenant),
                                ("from", scope["from"]), ("to", scope["to"])) if v}
    if scope["from"] or scope["to"]:  # the day the money moved, as a book's paid day
        params["by"] = "created_date"
    rows = sim.settlements(params)
    if rows is None:  # a simulator without settlements: the ledger's rows, undated
        rows = ledger_rows(sim.ledger(args.tenant))
    return in_minor_units(rows)


def _day(row: dict[str, Any]) -> str | None:
    """The UTC day a file's row moved money: its created_at (epoch seconds or ISO text)."""
    created = row.get("created_at")
    text = "" if created is None else str(created)
    if _NUMBER.fullmatch(text):
        return datetime.fromtimestamp(float(text), UTC).strftime("%Y-%m-%d")
    day = text[:10]
    return day if _DATE.fullmatch(day) else None
