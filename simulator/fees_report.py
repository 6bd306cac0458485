"""`paylab report fees`: the gateway comparison of the traffic run, as a table.

Reads `GET /_sim/fees/comparison` of a running simulator (`--url`, default PAYLAB_URL or
the local one) or a simulator's database file (`--db`: the gateways' own schedules and
the tenants' stored overrides), and prints it as text, JSON, Markdown or HTML
(`--format`), to stdout or `--output FILE`. Amounts are shown in each currency's major
units, never converted between currencies; monthly fees are shown apart, not prorated.
Exit 0, or 2 when the simulator cannot be reached or the database is not there.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

FORMATS = ("text", "json", "markdown", "html")
DEFAULT_URL = "http://127.0.0.1:8080"
FAMILY_NAMES = {"card": "card", "bank_transfer": "ATM / bank transfer",
                "convenience_store": "convenience store", "wallet": "wallet", None: "-"}
NOTE = ("Amounts in each currency's own units, never converted; fees by each tenant's "
        "effective schedule (examples or placeholders unless overridden: see each "
        "gateway's fees.yaml); n/a: the gateway has no method of that family; monthly "
        "fees shown apart, not prorated.")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of `paylab report fees`."""
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--url", default=os.environ.get("PAYLAB_URL", DEFAULT_URL),
                       help="a running simulator (default PAYLAB_URL, else %(default)s)")
    where.add_argument("--db", type=Path, metavar="FILE",
                       help="a simulator's SQLite database instead of a running one")
    parser.add_argument("--tenant", help="one tenant (id or API key); default: every tenant")
    parser.add_argument("--format", choices=FORMATS, default="text", help="default text")
    parser.add_argument("--output", type=Path, metavar="FILE", help="write here, not stdout")


def run(args: argparse.Namespace) -> int:
    """Fetch (or compute) the comparison, render it, write it; the exit code."""
    try:
        doc = from_db(args.db, args.tenant) if args.db else from_url(args.url, args.tenant)
    except (OSError, ValueError) as exc:
        print(f"paylab report fees: {exc}", file=sys.stderr)
        return 2
    text = render(doc, args.format)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def from_url(url: str, tenant: str | None = None, timeout: float = 10) -> dict[str, Any]:
    """The comparison served by a running simulator."""
    query = "?" + urllib.parse.urlencode({"tenant": tenant}) if tenant else ""
    target = f"{url.rstrip('/')}/_sim/fees/comparison{query}"
    try:
        with urllib.request.urlopen(target, timeout=timeout) as answer:  # noqa: S310
            return json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        raise ValueError(f"{target}: HTTP {exc.code}: {exc.read().decode(errors='replace')}"
                         ) from exc
    except urllib.error.URLError as exc:
        raise OSError(f"cannot reach {target}: {exc.reason}") from exc


def from_db(path: Path, tenant: str | None = None) -> dict[str, Any]:
    """The comparison computed from a simulator's database file (read as it is)."""
    from paylab.simulator.core import fee_comparison
    from paylab.simulator.core.fees import FeeSchedules
    from paylab.simulator.core.objects import Objects
    from paylab.simulator.core.store import Store
    from paylab.simulator.gateways import all_gateways

    if not Path(path).is_file():
        raise OSError(f"no database at {path}")
    schedules = FeeSchedules(Objects(Store(str(path))))
    for gateway in all_gateways():
        if gateway.fee_schedule is not None:
            schedules.offer(gateway.name, gateway.fee_schedule)
    return fee_comparison.compare(schedules.objects.store, schedules, tenant)


def attach(doc: dict[str, Any], name: str = "fee comparison") -> None:
    """Attach the comparison to the running Allure test: HTML, and Markdown beside it."""
    import allure

    allure.attach(render(doc, "html"), name=f"{name} (html)",
                  attachment_type=allure.attachment_type.HTML)
    allure.attach(render(doc, "markdown"), name=f"{name} (markdown)",
                  attachment_type=allure.attachment_type.TEXT)


# -- rendering --------------------------------------------------------------------------
def money(amount: int | None, decimals: int) -> str:
    """Minor units as major units with thousands separators; n/a for None."""
    if amount is None:
        return "n/a"
    return f"{amount / 10 ** decimals:,.{decimals}f}"


def percent(rate: float | None) -> str:
    """A fraction as a percentage to two places; - for None."""
    return "-" if rate is None else f"{rate * 100:.2f}%"


def tables(doc: dict[str, Any]) -> list[tuple[str, list[str], list[list[str]]]]:
    """(title, header, rows) of every table: per currency, the traffic and the totals."""
    out = []
    gateways = doc["gateways"]
    for currency, data in doc["currencies"].items():
        dec, code = data["decimals"], currency.upper()
        header = ["Gateway", "Method", "Family", "Payments", "Success", "Settled",
                  f"Amount {code}", "Fee", "Rate", *(f"on {g}" for g in gateways)]
        rows = [[r["gateway"], r["method"], FAMILY_NAMES.get(r["family"], r["family"]),
                 str(r["count"]), percent(r["success_rate"]), str(r["settled_count"]),
                 money(r["amount"], dec), money(r["fee"], dec), percent(r["effective_rate"]),
                 *(_cell(r["on"][g], dec) for g in gateways)] for r in data["rows"]]
        out.append((f"{code}: the traffic run, and its settled payments on each gateway",
                    header, rows))
        header = ["Gateway", "Could take", f"Amount {code}", "Fee", "Rate", "n/a payments",
                  f"n/a amount {code}", "Monthly fee (apart)"]
        rows = [[t["gateway"], str(t["count"]), money(t["amount"], dec), money(t["fee"], dec),
                 percent(t["effective_rate"]), str(t["unpriced_count"]),
                 money(t["unpriced_amount"], dec), money(t["monthly_fee"], dec)]
                for t in sorted(data["totals"], key=_cheapest)]
        out.append((f"{code}: all settled {code} traffic on one gateway (cheapest first)",
                    header, rows))
    return out


def _cell(cell: dict[str, Any], decimals: int) -> str:
    if cell["fee"] is None:
        return "n/a"
    return f"{money(cell['fee'], decimals)} ({percent(cell['effective_rate'])})"


def _cheapest(total: dict[str, Any]) -> tuple:
    """Gateways that take the most traffic first, then the lowest rate."""
    rate = total["effective_rate"]
    return (-total["count"], rate if rate is not None else 1e9, total["gateway"])


def _title(doc: dict[str, Any]) -> str:
    return f"Fee comparison (tenant: {doc.get('tenant') or 'all'})"


def render(doc: dict[str, Any], fmt: str = "text") -> str:
    """The comparison in `fmt` (one of FORMATS)."""
    if fmt == "json":
        return json.dumps(doc, indent=2, sort_keys=True) + "\n"
    parts = tables(doc)
    if fmt == "markdown":
        lines = [f"# {_title(doc)}", "", NOTE, ""]
        for title, header, rows in parts:
            lines += [f"## {title}", "", "| " + " | ".join(header) + " |",
                      "|" + "---|" * len(header)]
            lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |"
                      for row in rows]
            lines.append("")
        if not parts:
            lines.append("No payments yet.")
        return "\n".join(lines) + "\n"
    if fmt == "html":
        body = [f"<h1>{html.escape(_title(doc))}</h1>", f"<p>{html.escape(NOTE)}</p>"]
        for title, header, rows in parts:
            body.append(f"<h2>{html.escape(title)}</h2><table><thead><tr>"
                        + "".join(f"<th>{html.escape(h)}</th>" for h in header)
                        + "</tr></thead><tbody>")
            body += ["<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
                     for row in rows]
            body.append("</tbody></table>")
        if not parts:
            body.append("<p>No payments yet.</p>")
        style = ("body{font-family:sans-serif}table{border-collapse:collapse;margin:1em 0}"
                 "td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}"
                 "td:first-child,th:first-child{text-align:left}")
        return ("<!doctype html><html><head><meta charset=\"utf-8\"><title>"
                f"{html.escape(_title(doc))}</title><style>{style}</style></head><body>"
                + "\n".join(body) + "</body></html>\n")
    lines = [_title(doc), NOTE, ""]
    for title, header, rows in parts:
        widths = [max(len(x) for x in col) for col in zip(header, *rows, strict=False)]
        lines += [title, "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
        lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True))
                  for row in rows]
        lines.append("")
    if not parts:
        lines.append("No payments yet.")
    return "\n".join(lines) + "\n"
