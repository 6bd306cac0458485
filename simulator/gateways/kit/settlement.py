"""What every gateway's settlement file shares: its description, CSV writing and amounts.

Each gateway package has a `settlement` module exposing `FILE` (a `SettlementFile`:
the file's extension, media type, whether its layout is the gateway's documented one
or our reading of it), `render(rows, now) -> bytes` (neutral rows from core.settlements, in
the gateway's own layout) and, if the gateway numbers its transactions otherwise than by
the order's trade reference, `names(domain, tenant, order) -> Naming | None`.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import importlib
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from importlib.metadata import entry_points
from types import ModuleType
from typing import TYPE_CHECKING, Any

from paylab.simulator.core.settlements import Settlements

if TYPE_CHECKING:
    from paylab.simulator.core.domain import Domain

TAIPEI = dt.timezone(dt.timedelta(hours=8))


@dataclass(frozen=True)
class SettlementFile:
    """A gateway's settlement file: `ext` (csv), its media type, and `documented`: True
    when the columns are the gateway's published ones, False when they are our reading
    (then `note` says so, and the file's first line is that note as a comment)."""

    ext: str
    media_type: str
    documented: bool
    note: str


def write_csv(header: Sequence[str], lines: Iterable[Sequence[Any]], *,
              comment: str | None = None, bom: bool = False) -> bytes:
    """CSV text (CRLF line ends, as spreadsheets write them), UTF-8; `comment` as a first
    `# ...` line; `bom` prefixes the UTF-8 byte-order mark some gateways' files carry."""
    out = io.StringIO()
    if comment:
        out.write(f"# {comment}\r\n")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(lines)
    text = out.getvalue()
    return (("\ufeff" if bom else "") + text).encode("utf-8")


def major(amount: int, decimals: int) -> str:
    """Minor units as a decimal string in major units (2000, 2 -> "20.00"; 500, 0 -> "500")."""
    if decimals <= 0:
        return str(amount)
    return f"{Decimal(amount).scaleb(-decimals):.{decimals}f}"


def utc_time(epoch: float) -> str:
    """`YYYY-MM-DD HH:MM:SS` in UTC."""
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


def local_time(epoch: float, fmt: str = "%Y-%m-%d %H:%M:%S", zone: dt.tzinfo = TAIPEI) -> str:
    """An epoch second in a time zone (Taiwan by default)."""
    return dt.datetime.fromtimestamp(epoch, zone).strftime(fmt)


def settlement_module(gateway: str) -> ModuleType | None:
    """The `settlement` module of a registered gateway's package, or None if it has none
    (a gateway without settlement data simply offers no file)."""
    from paylab.simulator.gateways import registry  # registry imports every gateway

    path = registry.BUILT_IN.get(gateway) or next(
        (p.value for p in entry_points(group=registry.ENTRY_POINT_GROUP) if p.name == gateway),
        None)
    if path is None:
        return None
    try:
        return importlib.import_module(f"{path}.settlement")
    except ModuleNotFoundError:
        return None


def settlements(domain: Domain, gateways: Iterable[str]) -> Settlements:
    """The domain's settlement rows, each gateway's orders named by its `names`."""
    namers = {}
    for name in gateways:
        module = settlement_module(name)
        names = getattr(module, "names", None)
        if names is not None:
            namers[name] = functools.partial(names, domain)
    return Settlements(domain.objects, domain.balance.fees, domain.clock, namers)
