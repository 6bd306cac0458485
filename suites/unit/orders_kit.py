"""Helpers for the orders mutation tests: orders in each state, their events, exact errors."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from typing import Any

import pytest
from paylab.simulator.core.domain import Domain
from paylab.simulator.core.errors import CoreError
from paylab.simulator.core.origin import Origin
from paylab.suites.unit.conftest import TENANT

ALL = ["card", "atm", "cvs", "barcode", "webatm"]
#: The request an operation comes from; every event it causes records it.
REQ = Origin(request_id="req_mut", idempotency_key="ik_mut")
ASKED = {"id": "req_mut", "idempotency_key": "ik_mut"}
UNASKED = {"id": None, "idempotency_key": None}


def order(domain: Domain, no: str = "T1", amount: int = 500, **kw: Any) -> dict[str, Any]:
    """A new order of 500 TWD on gateway `g`, offering every method unless told."""
    return domain.orders.create(TENANT, "g", merchant_order_no=no, amount=amount,
                                currency="TWD", methods=kw.pop("methods", ALL), **kw)


def events(domain: Domain) -> list[tuple[str, Any, dict[str, Any]]]:
    """(type, previous attributes, request) of every event, oldest first."""
    return [(e["type"], e["previous_attributes"], e["request"])
            for e in reversed(domain.events.page(TENANT, limit=100)[0])]


def last(domain: Domain) -> tuple[str, Any, dict[str, Any]]:
    """The newest event as `events` gives it."""
    return events(domain)[-1]


def refused(error: type[CoreError], code: str, message: str, call: Any, *args: Any,
            **kwargs: Any) -> CoreError:
    """Run `call`, which must raise `error` with exactly this code and message."""
    with pytest.raises(error) as err:
        call(*args, **kwargs)
    assert (err.value.code, err.value.message) == (code, message)
    return err.value


def authorized(domain: Domain, no: str = "T1", amount: int = 500) -> str:
    """An order authorised by card, not captured."""
    oid = order(domain, no, amount)["id"]
    domain.orders.pay_by_card(TENANT, oid, "4311952222222222", capture=False)
    return oid


def paid_by_webatm(domain: Domain, no: str = "W1") -> str:
    """An order paid by online transfer (no card, no capture)."""
    oid = order(domain, no)["id"]
    domain.orders.pay_direct(TENANT, oid, "webatm")
    return oid


def coded(domain: Domain, method: str = "cvs", no: str = "C1", after: float = 600,
          **kw: Any) -> str:
    """An order awaiting payment of a code that expires `after` seconds from now."""
    oid = order(domain, no)["id"]
    domain.orders.issue_code(TENANT, oid, method, expires_at=domain.clock.now() + after, **kw)
    return oid


@contextlib.contextmanager
def east_of_utc() -> Iterator[None]:
    """The machine's local zone eight hours east of UTC (where the rails' gateways are):
    what the core dates by the virtual clock must not follow it."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "XST-8"
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = before
        time.tzset()
