"""The gateway's side: neutral settlement rows from a running simulator
(GET /_sim/settlements), or from a file (the same rows as JSON or CSV), and the ledger
(GET /_sim/ledger), whose rows stand in for settlement rows when the simulator serves none."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import requests
from paylab.simulator.core.money import exponent
from paylab.simulator.reconcile.model import ReconcileError

TOKEN_HEADER = "X-Paylab-Control-Token"  # noqa: S105 - a header name, not a secret
_INTEGERS = ("amount", "fee", "net")


class Simulator:
    """The control API of a running simulator."""

    def __init__(self, url: str, token: str | None = None, timeout: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self.headers = {TOKEN_HEADER: token} if token else {}
        self.timeout = timeout

    def get(self, path: str, params: dict[str, str]) -> requests.Response:
        """GET a control path; a simulator that cannot be reached is a ReconcileError."""
        try:
            return requests.get(f"{self.url}/_sim{path}", params=params, headers=self.headers,
                                timeout=self.timeout)
        except requests.RequestException as exc:
            raise ReconcileError(f"--url {self.url}: cannot reach the simulator ({exc})"
                                 ) from None

    def settlements(self, params: dict[str, str]) -> list[dict[str, Any]] | None:
        """The neutral settlement rows, or None when this simulator serves none (404)."""
        answer = self.get("/settlements", {**params, "format": "json"})
        if answer.status_code == 404 and _is_unrouted(answer):
            return None
        return _rows(_json(answer, "/_sim/settlements"), "/_sim/settlements")

    def ledger(self, tenant: str | None) -> dict[str, Any]:
        """GET /_sim/ledger."""
        answer = self.get("/ledger", {"tenant": tenant} if tenant else {})
        return _json(answer, "/_sim/ledger")


def _is_unrouted(answer: requests.Response) -> bool:
    """A 404 for the path itself (a simulator without settlements), not an error about
    the query (an unknown tenant or gateway names its field)."""
    try:
        body = answer.json()
    except ValueError:
        return True
    error = body.get("error") if isinstance(body, dict) else None
    return not (isinstance(error, dict) and error.get("field"))


def _json(answer: requests.Response, what: str) -> Any:
    try:
        body = answer.json()
    except ValueError:
        body = None
    if answer.status_code != 200 or body is None:
        error = body.get("error", body) if isinstance(body, dict) else answer.text[:300]
        message = error.get("message", error) if isinstance(error, dict) else error
        raise ReconcileError(f"{what}: HTTP {answer.status_code}: {message}")
    return body


def _rows(body: Any, what: str) -> list[dict[str, Any]]:
    if isinstance(body, dict):
        for key in ("rows", "settlements", "data"):
            if isinstance(body.get(key), list):
                body = body[key]
                break
    if not isinstance(body, list) or not all(isinstance(r, dict) for r in body):
        raise ReconcileError(f"{what}: expected a list of settlement rows")
    for index, row in enumerate(body):
        for key in ("gateway", "type", "amount", "currency"):
            if key not in row:
                raise ReconcileError(f"{what}: row {index} has no {key!r}")
    return body


def in_minor_units(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows whose amounts are in a gateway's whole units (`decimals` 0 for TWD on ECPay)
    scaled to the currency's minor units, as book entries are; other rows unchanged."""
    out = []
    for row in rows:
        decimals = row.get("decimals")
        places = exponent(str(row["currency"]).lower())
        if isinstance(decimals, int) and decimals != places:
            scale = 10 ** (places - decimals)
            row = {**row, "decimals": places, **{k: (row[k] * scale if isinstance(row.get(k), int)
                                                     else row.get(k)) for k in _INTEGERS}}
        out.append(row)
    return out


def settlement_file(path: Path) -> list[dict[str, Any]]:
    """Neutral settlement rows from a JSON file (a list, or {"rows": [...]}) or a CSV with
    the neutral column names (amounts in minor units)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ReconcileError(f"{path}: cannot read the settlement ({exc.strerror})") from None
    if path.suffix.lower() == ".json":
        try:
            return _rows(json.loads(text), str(path))
        except json.JSONDecodeError as exc:
            raise ReconcileError(f"{path}: not JSON ({exc})") from None
    rows: list[dict[str, Any]] = [dict(r) for r in csv.DictReader(text.splitlines())]
    for line, row in enumerate(rows, start=2):
        for key in (*_INTEGERS, "decimals"):
            if row.get(key) not in (None, ""):
                try:
                    row[key] = int(row[key])
                except ValueError:
                    raise ReconcileError(f"{path}:{line}: {key} {row[key]!r} is not an "
                                         "integer (minor units)") from None
            else:
                row[key] = None
    return _rows(rows, str(path))


def ledger_rows(ledger: dict[str, Any]) -> list[dict[str, Any]]:
    """Settlement-shaped rows from the ledger: a payment row for what each payment
    captured, a refund row for what was refunded; no fee (None), and an order reference
    only where the ledger has one (a form-post order's number)."""
    rows: list[dict[str, Any]] = []
    for pay in ledger.get("payments", []):
        base = {"gateway": pay["gateway"], "tenant": pay.get("tenant"),
                "order_ref": pay.get("merchant_order_no"), "currency": pay["currency"],
                "method": pay.get("method"), "fee": None, "transaction_id": pay["id"]}
        if pay["captured"]:
            rows.append({**base, "type": "payment", "amount": pay["captured"]})
        if pay["refunded"]:
            rows.append({**base, "type": "refund", "amount": -pay["refunded"]})
    return rows
