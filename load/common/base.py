"""The base of every gateway user: one tenant per user, and every answer checked for the
gateway's success shape, with a failure reason that names what went wrong."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlencode

from locust import FastHttpUser
from paylab.load.common import settings

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
#: A check on a successful answer's body: None when it is right, else the reason.
Check = Callable[[dict[str, Any]], str | None]


def failure_reason(status: int, body: str, effect: str | None) -> str:
    """A short, stable reason (no ids), so Locust groups failures of the same kind."""
    reason = f"HTTP {status}"
    try:
        error = json.loads(body).get("error") or {}
    except (ValueError, AttributeError):
        error = {}
    if isinstance(error, dict) and error:
        code = error.get("code") or error.get("decline_code") or "-"
        reason += f" {error.get('type', '?')}/{code}"
    elif status:
        reason += " (not a gateway error body)"
    if effect:
        reason += f" [scenario: {effect}]"
    return reason


def report(environment: Any, name: str, started: float, error: BaseException | None) -> None:
    """Record a timing that is not one HTTP request (a webhook's arrival, an order paid),
    from `started` (a `time.perf_counter()` reading) until now."""
    environment.events.request.fire(
        request_type="FLOW", name=name, response_time=(time.perf_counter() - started) * 1000,
        response_length=0, exception=error, context={})


def form(fields: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> str:
    """URL-encode form fields as the Stripe SDK sends them."""
    pairs = fields.items() if isinstance(fields, Mapping) else fields
    return urlencode([(k, str(v).lower() if isinstance(v, bool) else v) for k, v in pairs])


class GatewayUser(FastHttpUser):
    """A Stripe API client with its own tenant; subclasses add the tasks."""

    abstract = True
    host = settings.gateway_url()

    def on_start(self) -> None:
        """Each simulated user is its own tenant (its own test-mode API key)."""
        self.api_key = f"sk_test_load_{uuid.uuid4().hex[:12]}"
        self.auth = {"Authorization": f"Bearer {self.api_key}", **FORM}

    def stripe(self, method: str, path: str, *, name: str, data: Mapping[str, Any] | None = None,
               expect: tuple[int, ...] = (200,), check: Check | None = None
               ) -> dict[str, Any] | None:
        """Call `/stripe/v1{path}`; the parsed body when the answer is right, else None
        (and the request is marked failed with the reason)."""
        body = form(data) if data else None
        with self.client.request(method, f"/stripe/v1{path}", data=body, headers=self.auth,
                                 name=name, catch_response=True) as resp:
            text = resp.text or ""
            if resp.status_code not in expect:
                resp.failure(failure_reason(resp.status_code, text,
                                            resp.headers.get("Paylab-Effect")))
                return None
            try:
                parsed = json.loads(text)
            except ValueError:
                resp.failure(f"HTTP {resp.status_code} body is not JSON")
                return None
            problem = check(parsed) if check else None
            if problem:
                resp.failure(problem)
                return None
            resp.success()
            return parsed


def has(**expected: Any) -> Check:
    """A check that fields of the answer have the expected values."""

    def check(body: dict[str, Any]) -> str | None:
        for key, want in expected.items():
            got = body.get(key)
            if got != want:
                return f"{key} is {got!r}, expected {want!r}"
        return None

    return check
