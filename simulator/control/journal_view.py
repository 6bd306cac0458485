"""What the dashboard reads from the journal: health figures, a filtered tail, one row opened.

Figures come from the journal in SQLite, not from the in-memory counters, because they must
tell effects apart: a call a scenario only slowed down (latency) succeeded, while a call
that got an injected error or a network fault (reset, empty reply, hang...) failed, even if
the payment behind it went through. Everything returned is masked: journal rows never hold
keys (tenants are digests), and bodies were masked when they were stored.
"""

from __future__ import annotations

import re
import time
from typing import Any

from paylab.simulator.core.callbacks import is_callback_id
from paylab.simulator.core.domain import Domain
from paylab.simulator.gateways.names import event_name
from paylab.simulator.journal_bodies import JournalBodies, mask_text

#: Rows looked at for the figures at most (a busy load test writes thousands a second).
SCAN = 50_000
_FAULT = re.compile(r":(error|network)=")
_LATENCY = re.compile(r":latency=")
_OUTCOME = re.compile(r":outcome=")
_COLUMNS = ("seq", "at", "gateway", "tenant", "method", "path", "status", "latency_ms",
            "request_id", "run_id", "idempotency_key", "effect", "direction")
STATUS_CLASSES = {"2xx": (200, 299), "3xx": (300, 399), "4xx": (400, 499),
                  "5xx": (500, 599), "none": (0, 0)}


def effect_kinds(effect: str | None) -> set[str]:
    """The kinds of effect in a journal `effect` text: fault, latency, outcome, webhook."""
    if not effect:
        return set()
    kinds = set()
    if _FAULT.search(effect):
        kinds.add("fault")
    if _LATENCY.search(effect):
        kinds.add("latency")
    if _OUTCOME.search(effect):
        kinds.add("outcome")
    if ":webhook=" in effect:
        kinds.add("webhook")
    return kinds


def failed(status: int, effect: str | None) -> bool:
    """Whether a call counts against the success rate: no answer (0), a 5xx, or an
    injected error or network fault (an `@after` fault did the work but the client never
    learned it). Latency alone never does; a 4xx is the client's or the card's answer."""
    return status == 0 or status >= 500 or "fault" in effect_kinds(effect)


def health(domain: Domain, seconds: int, now: float | None = None) -> dict[str, Any]:
    """Calls, success and error rates, faults and latency-only effects over the window,
    and a per-second series of each, for the tiles and the chart."""
    now = time.time() if now is None else now
    last = domain.journal.store.one("SELECT COALESCE(MAX(seq), 0) FROM journal")[0]
    rows = domain.journal.store.all(
        "SELECT at, status, effect FROM journal WHERE seq > ? AND at > ? AND direction = 'in'",
        (last - SCAN, now - seconds))
    start = int(now) - seconds + 1
    series = [{"t": start + i, "calls": 0, "failed": 0, "faults": 0, "latency": 0}
              for i in range(seconds)]
    totals = {"calls": 0, "ok": 0, "failed": 0, "server_errors": 0, "no_answer": 0,
              "faults": 0, "latency_only": 0, "outcomes": 0}
    for at, status, effect in rows:
        kinds = effect_kinds(effect)
        bad = failed(status, effect)
        totals["calls"] += 1
        totals["failed"] += bad
        totals["ok"] += 200 <= status < 400 and not bad
        totals["server_errors"] += status >= 500
        totals["no_answer"] += status == 0
        totals["faults"] += "fault" in kinds
        totals["latency_only"] += kinds == {"latency"}
        totals["outcomes"] += "outcome" in kinds
        slot = int(at) - start
        if 0 <= slot < seconds:
            point = series[slot]
            point["calls"] += 1
            point["failed"] += bad
            point["faults"] += "fault" in kinds
            point["latency"] += "latency" in kinds and "fault" not in kinds
    calls = totals["calls"]
    return {**totals,
            "success_rate": round((calls - totals["failed"]) / calls, 4) if calls else None,
            "error_rate": round(totals["failed"] / calls, 4) if calls else None,
            "series": series}


def tail(domain: Domain, filters: dict[str, Any], limit: int = 15) -> list[dict[str, Any]]:
    """The newest journal rows that pass `filters` (tenant, gateway, status class, effect
    kind or text), newest first, webhook rows labelled with their event type."""
    where, args = ["1 = 1"], []
    if filters.get("tenant"):
        where.append("tenant = ?")
        args.append(filters["tenant"])
    if filters.get("gateway"):
        where.append("gateway = ?")
        args.append(filters["gateway"])
    if filters.get("status") in STATUS_CLASSES:
        lo, hi = STATUS_CLASSES[filters["status"]]
        where.append("status BETWEEN ? AND ?")
        args += [lo, hi]
    effect = filters.get("effect")
    if effect == "none":
        where.append("effect IS NULL")
    elif effect == "fault":
        where.append("(effect LIKE '%:error=%' OR effect LIKE '%:network=%')")
    elif effect in ("latency", "outcome", "webhook"):
        where.append("effect LIKE ?")
        args.append(f"%:{effect}=%")
    elif effect == "any":
        where.append("effect IS NOT NULL")
    last = domain.journal.store.one("SELECT COALESCE(MAX(seq), 0) FROM journal")[0]
    rows = domain.journal.store.all(
        f"SELECT {', '.join(_COLUMNS)} FROM journal WHERE seq > ? AND "  # noqa: S608 - fixed columns, bound values
        f"{' AND '.join(where)} ORDER BY seq DESC LIMIT ?", (last - SCAN, *args, limit))
    return [dict(zip(_COLUMNS, row, strict=True)) for row in rows]


def labels(domain: Domain, rows: list[dict[str, Any]]) -> dict[str, str]:
    """Event types of the webhook rows (direction out, request_id = event id), by seq."""
    out = {}
    for row in rows:
        if row["direction"] == "out" and row["tenant"] and row["request_id"]:
            event = domain.objects.find(row["tenant"], "event", row["request_id"])
            if event is not None:
                out[str(row["seq"])] = event_name(event.get("gateway"), event.get("type", ""))
    return out


def webhook_labels(domain: Domain, deliveries: list[dict[str, Any]]
                   ) -> dict[str, dict[str, str | None]]:
    """Event type (the gateway's name and the core's kind), target and its URL (masked) of
    each delivery, by delivery id (the delivery rows themselves keep their contract's
    shape). The target is `endpoint` for a registered endpoint, or the name of the
    merchant's URL field a callback was given in (NotifyURL, ReturnURL, PaymentInfoURL)."""
    out: dict[str, dict[str, str | None]] = {}
    for d in deliveries:
        event = domain.objects.find(d["tenant"], "event", d["event_id"]) or {}
        endpoint = domain.outbox.target(d["tenant"], d["endpoint_id"]) or {}  # or callback
        kind = event.get("type")
        name = event_name(event.get("gateway"), kind) if kind else None
        out[str(d["id"])] = {"event_type": name, "event_kind": kind,
                             "target": _target(d["endpoint_id"], endpoint, kind, name),
                             "endpoint_url": mask_text(endpoint["url"])
                             if endpoint.get("url") else None}
    return out


def _target(target_id: str, target: dict[str, Any], kind: str | None,
            name: str | None) -> str:
    """What the dashboard calls a delivery's target: `endpoint`, or the callback's field.
    Gateways that name their notices after the URL field (`ReturnURL`) give it as the
    event's name; others note it on the callback (`metadata.field`)."""
    if not is_callback_id(target_id):
        return "endpoint"
    field = (target.get("metadata") or {}).get("field")
    if field:
        return str(field)
    return name if name and name != kind else "callback"


def opened(domain: Domain, bodies: JournalBodies, seq: int) -> dict[str, Any] | None:
    """One journal row with its masked request and response bodies, or None."""
    row = domain.journal.store.one(
        f"SELECT {', '.join(_COLUMNS)} FROM journal WHERE seq = ?", (seq,))  # noqa: S608
    if row is None:
        return None
    entry = dict(zip(_COLUMNS, row, strict=True))
    entry["path"] = mask_text(entry["path"])
    return {"entry": entry, **bodies.get(seq), "event_type": labels(domain, [entry]).get(
        str(seq))}
