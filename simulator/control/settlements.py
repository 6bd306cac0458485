"""Control API for settlements: the neutral rows every gateway settles (JSON or CSV), and
each gateway's own settlement file.

GET /_sim/settlements?gateway=&tenant=&date=YYYY-MM-DD | from=&to=&by=&format=json|csv
GET /_sim/settlements/<gateway>.<ext>?tenant=&date=... (the gateway's own layout)

Dates are UTC days of the virtual clock, both ends inclusive, compared with each row's
settlement date (or, with by=created_date, the day the money moved).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web
from paylab.simulator.control.handlers import ControlContext, ControlError
from paylab.simulator.core.settlements import COLUMNS
from paylab.simulator.gateways.kit.settlement import settlement_module, settlements, write_csv
from paylab.simulator.gateways.spec import Operation as Op

_J = "application/json"
_C = "control/settlements"


async def get_settlements(ctx: ControlContext, request: web.Request, params: Mapping
                          ) -> dict[str, Any] | web.Response:
    """GET /_sim/settlements: the neutral rows (format=csv: as a CSV file)."""
    rows = _rows(ctx, params, params.get("gateway"))
    if params.get("format") == "csv":
        body = write_csv(COLUMNS, [[r[c] for c in COLUMNS] for r in rows])
        return _file(body, "text/csv", "settlements.csv")
    return {"rows": rows, "count": len(rows), "totals": totals(rows),
            "at": ctx.domain.clock.now()}


async def get_settlement_file(ctx: ControlContext, request: web.Request, params: Mapping
                              ) -> web.Response:
    """GET /_sim/settlements/<gateway>.<ext>: the gateway's own settlement file."""
    name = request.match_info["file"]
    gateway, _, ext = name.rpartition(".")
    module = settlement_module(gateway) if gateway in _names(ctx) else None
    spec = getattr(module, "FILE", None)
    if module is None or spec is None or spec.ext != ext:
        raise ControlError(404, "not_found", f"No settlement file {name!r}; one of: "
                           f"{', '.join(available(ctx))}.", "file")
    body = module.render(_rows(ctx, params, gateway), ctx.domain.clock.now())
    return _file(body, spec.media_type, name)


def available(ctx: ControlContext) -> list[str]:
    """The settlement files the mounted gateways offer (`<gateway>.<ext>`)."""
    files = []
    for gateway in _names(ctx):
        spec = getattr(settlement_module(gateway), "FILE", None)
        if spec is not None:
            files.append(f"{gateway}.{spec.ext}")
    return files


def totals(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Sums per gateway and currency: count, amount, fee and net."""
    sums: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows:
        key = (row["gateway"], row["currency"])
        total = sums.setdefault(key, {"gateway": key[0], "currency": key[1], "count": 0,
                                      "amount": 0, "fee": 0, "net": 0})
        total["count"] += 1
        for field in ("amount", "fee", "net"):
            total[field] += row[field]
    return [sums[k] for k in sorted(sums)]


def _rows(ctx: ControlContext, params: Mapping, gateway: str | None) -> list[dict[str, Any]]:
    tenant = ctx.known_tenant(params, "tenant", "credential")
    names = _names(ctx)
    if gateway is not None and gateway not in names:
        raise ControlError(400, "gateway_unknown",
                           f"No gateway {gateway!r}; one of: {', '.join(names)}.", "gateway")
    since, until = _dates(params)
    return settlements(ctx.domain, names).rows(
        tenant, gateway, since, until, by=params.get("by", "settlement_date"))


def _dates(params: Mapping) -> tuple[str | None, str | None]:
    """(since, until) from date= or from=/to= (never both)."""
    if params.get("date") and (params.get("from") or params.get("to")):
        raise ControlError(400, "conflicting_parameters",
                           "Give date= (one day) or from=/to= (a range), not both.", "date")
    if params.get("date"):
        return params["date"], params["date"]
    since, until = params.get("from"), params.get("to")
    if since and until and since > until:
        raise ControlError(400, "invalid_range", f"from ({since}) is after to ({until}).",
                           "from")
    return since, until


def _names(ctx: ControlContext) -> list[str]:
    return [g.name for g in ctx.gateways]


def _file(body: bytes, media_type: str, filename: str) -> web.Response:
    return web.Response(body=body, content_type=media_type, charset="utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{filename}"'})


OPERATIONS: tuple[Op, ...] = (
    Op("GET", "/settlements", "Settlements",
       get_settlements, "Settlement rows of every gateway: one per payment and refund, "
       "with fee, net and settlement date (format=csv for a CSV file)",
       query=f"{_C}#/$defs/query", response=_C, errors=(400, 404), content_type=_J,
       alternates=("text/csv",)),  # format=csv
    Op("GET", "/settlements/{file}", "SettlementFile", get_settlement_file,
       "A gateway's own settlement file, e.g. stripe.csv, ecpay.csv (CSV)",
       query=f"{_C}#/$defs/file_query", errors=(400, 404), content_type="text/csv"),
)
