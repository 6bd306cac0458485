"""Stripe API versions: which exist, which one a request is served, and how an answer
rendered in the latest shape is reshaped for an older version.

The rules are data (`RELEASED`, `CHANGES`); `reshape` is a pure function of an answer tree,
a version and a lookup of the objects older shapes embed (`Related`). It is applied to
every JSON answer of a request that asked for an older version, and to each webhook body
by its endpoint's pinned `api_version`.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from paylab.simulator.core import vocabulary as v

#: Every version Stripe has released, oldest first (the `api_version` values Stripe
#: accepts for a webhook endpoint; its changelog lists the same).
RELEASED: tuple[str, ...] = (
    "2011-01-01", "2011-06-21", "2011-06-28", "2011-08-01", "2011-09-15", "2011-11-17",
    "2012-02-23", "2012-03-25", "2012-06-18", "2012-06-28", "2012-07-09", "2012-09-24",
    "2012-10-26", "2012-11-07", "2013-02-11", "2013-02-13", "2013-07-05", "2013-08-12",
    "2013-08-13", "2013-10-29", "2013-12-03", "2014-01-31", "2014-03-13", "2014-03-28",
    "2014-05-19", "2014-06-13", "2014-06-17", "2014-07-22", "2014-07-26", "2014-08-04",
    "2014-08-20", "2014-09-08", "2014-10-07", "2014-11-05", "2014-11-20", "2014-12-08",
    "2014-12-17", "2014-12-22", "2015-01-11", "2015-01-26", "2015-02-10", "2015-02-16",
    "2015-02-18", "2015-03-24", "2015-04-07", "2015-06-15", "2015-07-07", "2015-07-13",
    "2015-07-28", "2015-08-07", "2015-08-19", "2015-09-03", "2015-09-08", "2015-09-23",
    "2015-10-01", "2015-10-12", "2015-10-16", "2016-02-03", "2016-02-19", "2016-02-22",
    "2016-02-23", "2016-02-29", "2016-03-07", "2016-06-15", "2016-07-06", "2016-10-19",
    "2017-01-27", "2017-02-14", "2017-04-06", "2017-05-25", "2017-06-05", "2017-08-15",
    "2017-12-14", "2018-01-23", "2018-02-05", "2018-02-06", "2018-02-28", "2018-05-21",
    "2018-07-27", "2018-08-23", "2018-09-06", "2018-09-24", "2018-10-31", "2018-11-08",
    "2019-02-11", "2019-02-19", "2019-03-14", "2019-05-16", "2019-08-14", "2019-09-09",
    "2019-10-08", "2019-10-17", "2019-11-05", "2019-12-03", "2020-03-02", "2020-08-27",
    "2022-08-01", "2022-11-15", "2023-08-16", "2023-10-16", "2024-04-10", "2024-06-20",
    "2024-09-30.acacia", "2024-10-28.acacia", "2024-11-20.acacia", "2024-12-18.acacia",
    "2025-01-27.acacia", "2025-02-24.acacia", "2025-03-01.dashboard", "2025-03-31.basil",
    "2025-04-30.basil", "2025-05-28.basil", "2025-06-30.basil", "2025-07-30.basil",
    "2025-08-27.basil", "2025-09-30.clover", "2025-10-29.clover", "2025-11-17.clover",
    "2025-12-15.clover", "2026-01-28.clover", "2026-02-25.clover", "2026-03-25.dahlia",
    "2026-04-22.dahlia", "2026-05-27.dahlia", "2026-06-24.dahlia", "2026-07-29.dahlia",
    "2026-08-26.dahlia", "2026-09-30.endive", "2026-10-28.endive",
)
OLDEST, LATEST = RELEASED[0], RELEASED[-1]
#: Where the pipeline keeps the version a request is served, for the version middleware.
REQUEST_KEY = "paylab.stripe_version"
_KNOWN = frozenset(RELEASED)
#: `YYYY-MM-DD`, or `YYYY-MM-DD.name` as the versions since 2024-09-30 are written.
_WELL_FORMED = re.compile(r"\d{4}-\d{2}-\d{2}(\.[a-z]+)?")


def served(requested: str | None) -> str | None:
    """The version a request naming `requested` is served (None: no header, the latest);
    None when Stripe would refuse it: malformed, or a date no version was released on
    (older than the oldest included). A well-formed date after the latest gets the latest.
    """
    if requested is None or requested in _KNOWN:
        return requested or LATEST
    if not _WELL_FORMED.fullmatch(requested):
        return None
    try:
        day = datetime.date.fromisoformat(requested[:10]).isoformat()
    except ValueError:
        return None
    return LATEST if day > LATEST[:10] else None


# -- shapes --------------------------------------------------------------------------------
#: `related(kind, node)`: the objects of a core kind an older shape embeds in `node` (a
#: PaymentIntent's charges, a Charge's refunds), rendered in the latest shape, oldest first.
Related = Callable[[str, dict[str, Any]], list[dict[str, Any]]]
Undo = Callable[[dict[str, Any], Related], dict[str, Any]]


@dataclass(frozen=True)
class Change:
    """One documented shape change: answers for versions before `since` are reshaped."""

    since: str
    objects: tuple[str, ...]
    summary: str
    undo: Undo


def _id(ref: Any) -> str | None:
    """An id, whether the field holds it or its expanded object."""
    return ref.get("id") if isinstance(ref, dict) else ref


def _placed(node: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    """`node` with `key` added where Stripe's alphabetical order puts it (after id, object)."""
    out: dict[str, Any] = {}
    for name, item in node.items():
        if key not in out and name not in ("id", "object") and name > key:
            out[key] = value
        out[name] = item
    out.setdefault(key, value)
    return out


def _renamed(node: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    """`node` with the key `old` called `new`, in the same place."""
    return {new if name == old else name: item for name, item in node.items()}


def _listed(data: list[dict[str, Any]], url: str) -> dict[str, Any]:
    return {"object": "list", "data": data, "has_more": False, "total_count": len(data),
            "url": url}


def _embed_charges(intent: dict[str, Any], related: Related) -> dict[str, Any]:
    """Before 2022-11-15 a PaymentIntent lists its charges (up to its latest one, so an
    event's snapshot lists the charges made by then)."""
    charges: list[dict[str, Any]] = []
    latest = _id(intent.get("latest_charge"))
    if latest is not None:
        for charge in related(v.CHARGE, intent):
            charges.append(charge)
            if charge["id"] == latest:
                break
    return _placed(intent, "charges",
                   _listed(charges, f"/v1/charges?payment_intent={intent['id']}"))


def _embed_refunds(charge: dict[str, Any], related: Related) -> dict[str, Any]:
    """Before 2022-11-15 a Charge lists its refunds."""
    return _placed(charge, "refunds",
                   _listed(related(v.REFUND, charge), f"/v1/charges/{charge['id']}/refunds"))


_SOURCE_STATUS = {"requires_payment_method": "requires_source",
                  "requires_action": "requires_source_action"}


def _source_words(intent: dict[str, Any], related: Related) -> dict[str, Any]:
    """Before 2019-02-11: requires_source(_action) statuses, `next_source_action` with
    `authorize_with_url`."""
    out = dict(intent, status=_SOURCE_STATUS.get(intent.get("status"), intent.get("status")))
    action = out.get("next_action")
    if isinstance(action, dict) and action.get("type") == "redirect_to_url":
        action = _renamed(dict(action, type="authorize_with_url"), "redirect_to_url",
                          "authorize_with_url")
        out["next_action"] = action
    return _renamed(out, "next_action", "next_source_action") if "next_action" in out else out


def _source_previous(event: dict[str, Any], related: Related) -> dict[str, Any]:
    """An event's `previous_attributes.status` of a PaymentIntent, in the same words."""
    data = event.get("data") or {}
    previous = data.get("previous_attributes") or {}
    if (data.get("object") or {}).get("object") != "payment_intent" or "status" not in previous:
        return event
    status = _SOURCE_STATUS.get(previous["status"], previous["status"])
    return dict(event, data=dict(data, previous_attributes=dict(previous, status=status)))


def _customer_lists(customer: dict[str, Any], related: Related) -> dict[str, Any]:
    """Before 2020-08-27 a Customer lists its sources, subscriptions and tax ids (none of
    which the simulator emulates: always empty)."""
    for name in ("sources", "subscriptions", "tax_ids"):
        listed = _listed([], f"/v1/customers/{customer['id']}/{name}")
        if name not in customer:
            customer = _placed(customer, name, listed)
        elif customer[name] is None:
            customer = dict(customer, **{name: listed})
    return customer


#: The shape differences honoured, newest first.
CHANGES: tuple[Change, ...] = (
    Change("2022-11-15", ("payment_intent",),
           "PaymentIntent `charges` (a list of its charges) removed; use latest_charge",
           _embed_charges),
    Change("2022-11-15", ("charge",),
           "Charge `refunds` (a list of its refunds) no longer included", _embed_refunds),
    Change("2020-08-27", ("customer",),
           "Customer `sources`, `subscriptions` and `tax_ids` lists no longer included "
           "(always empty here: none of them is emulated)", _customer_lists),
    Change("2019-02-11", ("payment_intent",),
           "PaymentIntent statuses requires_source / requires_source_action renamed "
           "requires_payment_method / requires_action; next_source_action renamed "
           "next_action, its authorize_with_url renamed redirect_to_url", _source_words),
    Change("2019-02-11", ("event",), "the same status names in an event's "
           "previous_attributes", _source_previous),
)


def reshape(tree: Any, version: str, related: Related) -> Any:
    """The answer `tree` (latest shape) as `version` shapes it: every object in it, nested
    ones included, reshaped by the changes made after `version`; an event says which
    version rendered it."""
    if version == LATEST:
        return tree
    changes = [c for c in CHANGES if version[:10] < c.since]
    return _walk(tree, version, changes, related)


def _walk(node: Any, version: str, changes: list[Change], related: Related) -> Any:
    if isinstance(node, list):
        return [_walk(item, version, changes, related) for item in node]
    if not isinstance(node, dict):
        return node
    kind = node.get("object") if "id" in node and not node.get("deleted") else None
    for change in changes:
        if kind in change.objects:
            node = change.undo(node, related)
    if kind == "event" and "api_version" in node:
        node = dict(node, api_version=version)
    return {key: _walk(item, version, changes, related) for key, item in node.items()}


# -- lookups -------------------------------------------------------------------------------
def related(renderer: Any, tenant: str | None) -> Related:
    """The lookup `reshape` needs, over `renderer`'s objects for `tenant` (None: the tenant
    the parent object belongs to, for webhook bodies, which carry no key)."""
    objects = renderer.objects

    def owner(kind: str, object_id: str) -> str | None:
        if tenant is not None:
            return tenant
        found = objects.find_any(kind, object_id)
        return found[0] if found is not None else None

    def lookup(kind: str, node: dict[str, Any]) -> list[dict[str, Any]]:
        if kind == v.CHARGE:
            payment, wanted = node["id"], None
        else:
            payment, wanted = _id(node.get("payment_intent")), node["id"]
        who = owner(v.PAYMENT, payment) if payment is not None else None
        if who is None or payment is None:
            return []
        docs = objects.children(who, kind, payment)
        return [renderer.render(kind, d) for d in docs if wanted in (None, d.get("charge"))]

    return lookup
