"""The reconciliation report as text, JSON or HTML: what was compared and every
discrepancy, counted per kind."""

from __future__ import annotations

import html
import json
from typing import Any

from paylab.simulator.reconcile.model import KINDS, Discrepancy

FORMATS = ("text", "json", "html")


def summary(found: list[Discrepancy], *, books: int, rows: int,
            scope: dict[str, Any]) -> dict[str, Any]:
    """The report as data (the JSON format)."""
    counts = dict.fromkeys(KINDS, 0)
    for each in found:
        counts[each.kind] += 1
    return {"clean": not found, "scope": scope, "book_entries": books, "gateway_rows": rows,
            "counts": counts, "discrepancies": [d.as_dict() for d in found]}


def render(report: dict[str, Any], fmt: str) -> str:
    """`report` (from `summary`) in one of FORMATS."""
    if fmt == "json":
        return json.dumps(report, indent=2, sort_keys=False) + "\n"
    if fmt == "html":
        return _html(report)
    return _text(report)


def _figures(item: dict[str, Any]) -> str:
    return f"books={item['books_figure']!r} gateway={item['gateway_figure']!r}"


def _text(report: dict[str, Any]) -> str:
    scope = " ".join(f"{k}={v}" for k, v in report["scope"].items() if v) or "everything"
    lines = [f"reconcile ({scope}): {report['book_entries']} book entries, "
             f"{report['gateway_rows']} gateway rows"]
    if report["clean"]:
        lines.append("clean: no discrepancy")
    else:
        total = len(report["discrepancies"])
        lines.append(f"{total} discrepanc{'y' if total == 1 else 'ies'}: " + ", ".join(
            f"{k} {n}" for k, n in report["counts"].items() if n))
        for item in report["discrepancies"]:
            where = " ".join(f"{k}={item[k]}" for k in ("gateway", "order_ref",
                                                         "transaction_id") if item[k])
            note = f" ({item['detail']})" if item["detail"] else ""
            lines.append(f"  {item['kind']:<26} {where} {_figures(item)}{note}")
    return "\n".join(lines) + "\n"


def _html(report: dict[str, Any]) -> str:
    esc = html.escape
    rows = "".join(
        "<tr>" + "".join(f"<td>{esc(str(item[k] if item[k] is not None else ''))}</td>"
                         for k in ("kind", "gateway", "order_ref", "transaction_id",
                                   "books_figure", "gateway_figure", "detail")) + "</tr>"
        for item in report["discrepancies"])
    counts = "".join(f"<li>{esc(k)}: {n}</li>" for k, n in report["counts"].items())
    verdict = "clean: no discrepancy" if report["clean"] else (
        f"{len(report['discrepancies'])} discrepancies")
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>paylab reconcile</title>"
        "<style>body{font-family:sans-serif}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:4px 8px}</style></head><body>"
        f"<h1>Reconciliation</h1><p>{esc(verdict)}; {report['book_entries']} book entries, "
        f"{report['gateway_rows']} gateway rows</p><ul>{counts}</ul>"
        "<table><tr><th>kind</th><th>gateway</th><th>order</th><th>transaction</th>"
        f"<th>books</th><th>gateway figure</th><th>detail</th></tr>{rows}</table>"
        "</body></html>\n")
