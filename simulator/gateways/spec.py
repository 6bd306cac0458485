"""What a gateway adapter declares: its operations (route + contracts) and its parts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

    from aiohttp import web
    from paylab.simulator.scenarios.http import FactsReader, FaultRenderer
    from paylab.simulator.webhooks.dispatcher import Notifier


@dataclass(frozen=True)
class Operation:
    """One API operation: route, handler and the contracts of its messages.

    `request` and `query` name the contract of the body and of the query string; the
    adapter validates against them and the OpenAPI document is built from them.
    """

    method: str
    path: str
    operation_id: str
    handler: Callable[..., Any]
    summary: str
    request: str | None = None
    query: str | None = None
    response: str | None = None
    #: A body the handler reads itself (documented in OpenAPI, not validated by the binder).
    request_body: str | None = None
    errors: tuple[int, ...] = (400, 401, 404)
    content_type: str = "application/x-www-form-urlencoded"
    #: The status of a successful answer (201 for an operation that creates something).
    success: int = 200
    #: Other media types a successful answer may take besides `response`'s JSON (a
    #: `format=csv` query, say); documented in OpenAPI as text.
    alternates: tuple[str, ...] = ()


@dataclass(frozen=True)
class Gateway:
    """A mounted gateway."""

    name: str
    prefix: str
    title: str
    build: Callable[..., web.Application]
    notifier: Callable[..., Notifier]
    operations: tuple[Operation, ...] = field(default_factory=tuple)
    error_contract: str | None = None
    security_scheme: dict[str, Any] | None = None
    #: The tenant a credential (API key, merchant id) maps to, or None if not this gateway's.
    tenant_of: Callable[[str], str | None] | None = None
    #: What scenario rules can match on in one of this gateway's requests.
    facts: FactsReader | None = None
    #: An injected error (429, 5xx) in this gateway's own error shape.
    fault: FaultRenderer | None = None
    #: A refusal by the simulator's guard (e.g. a foreign Host), as (status, code, message)
    #: -> a response in this gateway's own error shape.
    refusal: Callable[[int, str, str], web.Response] | None = None
    #: This gateway's name for a core event kind (scenario webhook rules, the dashboard).
    event_name: Callable[[str], str] | None = None
    #: This gateway's default fee schedule (a YAML file, see core.fees); offered to the
    #: domain's balance when the app is built. None: the gateway keeps no fee.
    fee_schedule: Path | None = None
