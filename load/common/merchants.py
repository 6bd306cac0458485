"""What every load user of a keyed gateway does first and on every call: register a
merchant of its own on the control API, and send a request whose answer a check judges
(a wrong answer is a failure in Locust's statistics, with the check's reason)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from paylab.load.common import settings

Made = TypeVar("Made")


def register(client: Any, gateway: str, make: Callable[[dict[str, Any]], Made],
             what: str) -> Made | None:
    """POST /_sim/merchants for a merchant of `gateway`, made into the user's own object by
    `make`; None (and a failure naming `what`) when that did not work."""
    with client.post("/_sim/merchants", json={"gateway": gateway},
                     headers=settings.control_headers(), name="/_sim/merchants",
                     catch_response=True) as resp:
        try:
            made = make(resp.json()) if resp.status_code == 201 else None
        except (ValueError, KeyError, TypeError):
            made = None
        if made is None:
            resp.failure(f"HTTP {resp.status_code} registering {what}")
        return made


def checked(client: Any, method: str, path: str, name: str,
            check: Callable[[str], str | None], **kwargs: Any) -> bool:
    """One request answered 200 whose body `check` accepts (it returns the problem, or
    None); a failure with the reason otherwise."""
    with client.request(method, path, name=name, catch_response=True, **kwargs) as resp:
        problem = f"HTTP {resp.status_code}" if resp.status_code != 200 else check(
            resp.text or "")
        if problem:
            resp.failure(problem)
        return problem is None
