"""A client of the simulator's control API (`/_sim`) for tests.

`ControlClient` speaks the raw API (get, post, put, delete) and, bound to one tenant (an
`sk_test_` key), the things a test needs: a scenario for the tenant as a context manager,
the virtual clock, the request journal, webhook deliveries, events, the ledger, and waits
that poll with a deadline and fail with a message saying what never happened.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import requests

T = TypeVar("T")
#: Delivery statuses after which nothing more happens to a delivery.
SETTLED = frozenset({"delivered", "failed", "abandoned"})


class PaylabControlError(requests.HTTPError):
    """A control API call the simulator refused: its status, code, message and field."""

    def __init__(self, response: requests.Response) -> None:
        try:
            error = response.json().get("error") or {}
        except ValueError:
            error = {}
        self.status = response.status_code
        self.code: str = error.get("code") or "http_error"
        self.field: str | None = error.get("field")
        self.detail: str = error.get("message") or response.text[:500]
        where = f" (field {self.field})" if self.field else ""
        super().__init__(f"{response.request.method} {response.url} answered {self.status} "
                         f"{self.code}: {self.detail}{where}", response=response)


class PaylabTimeout(AssertionError):
    """A wait whose deadline passed: says what was awaited and what was seen last."""


def wait_for(fetch: Callable[[], T], ready: Callable[[T], bool], timeout: float = 10.0) -> T:
    """Poll `fetch()` until `ready(value)` or time runs out; the last value (assert on it)."""
    deadline = time.monotonic() + timeout
    value = fetch()
    while not ready(value) and time.monotonic() < deadline:
        time.sleep(0.05)
        value = fetch()
    return value


class Clock:
    """The simulator's virtual clock (shared by every tenant)."""

    def __init__(self, control: ControlClient) -> None:
        self._control = control

    def advance(self, seconds: float) -> float:
        """Move virtual time forward (expiries and due webhook retries fire); the new now."""
        return self._control.post("clock/advance", {"seconds": seconds})["now"]

    def now(self) -> float:
        """The simulator's current virtual time (needs the token on a guarded simulator)."""
        return self._control.get("health")["clock"]["now"]

    def until_outside_daily(self, start: str, minutes: float, *, utc_offset_hours: float = 0.0,
                            margin: float = 5.0) -> float:
        """Real seconds until the virtual clock is clear of a window that recurs daily at
        `start` (`HH:MM` at `utc_offset_hours`) for `minutes` (0: the instant itself),
        widened on both sides by `margin` real seconds for the steps that follow; 0 when
        clear, or when the simulator does not show its clock (guarded, without the token)."""
        clock = self._control.get("health").get("clock") or {}
        if "now" not in clock or not clock.get("time_scale"):
            return 0.0
        scale = float(clock["time_scale"])
        hours, mins = (int(part) for part in start.split(":"))
        begins = hours * 3600 + mins * 60 - margin * scale
        length = minutes * 60 + 2 * margin * scale
        local = (clock["now"] + utc_offset_hours * 3600) % 86400
        # the widened window may straddle midnight: yesterday's, today's and tomorrow's
        for opened in (begins - 86400, begins, begins + 86400):
            if opened <= local < opened + length:
                return (opened + length - local) / scale
        return 0.0

    def wait_outside_daily(self, start: str, minutes: float, *, utc_offset_hours: float = 0.0,
                           margin: float = 5.0, longest: float = 120.0) -> float:
        """Sleep until the virtual clock is clear of a daily window (`until_outside_daily`),
        so that steps a gateway refuses inside it (ECPay's DoAction during its 20:15 close)
        run outside; the real seconds slept. PaylabTimeout, sleeping not at all, when that is
        longer than `longest` real seconds (a simulator at real speed)."""
        wait = self.until_outside_daily(start, minutes, utc_offset_hours=utc_offset_hours,
                                        margin=margin)
        if wait > longest:
            raise PaylabTimeout(
                f"the simulator's clock is in the daily window {start} (UTC{utc_offset_hours:+g},"
                f" {minutes:g} min) for {wait:.0f} more real seconds, longer than {longest:g} s"
                " to wait: run it with a faster --time-scale, or switch the window off")
        time.sleep(wait)
        return wait


class ControlClient:
    """The control API of one simulator, optionally bound to one tenant's API key."""

    def __init__(self, url: str, session: requests.Session | None = None, *,
                 token: str | None = None, tenant: str | None = None) -> None:
        self.url = url.rstrip("/")
        self.session = session or requests.Session()
        self.token = token
        #: The API key (or tenant id) tenant-scoped helpers use when none is given.
        self.tenant = tenant
        self.clock = Clock(self)

    def for_tenant(self, tenant: str) -> ControlClient:
        """The same simulator and credentials, bound to another tenant."""
        return ControlClient(self.url, self.session, token=self.token, tenant=tenant)

    # -- raw API ------------------------------------------------------------------------------
    def headers(self) -> dict[str, str]:
        """The control token as a Bearer header when one is configured (an unguarded
        simulator ignores it)."""
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def request(self, method: str, path: str, *, params: Mapping[str, Any] | None = None,
                json: Any = None, data: bytes | None = None) -> Any:
        """Call `/_sim/<path>`; the JSON answer, or PaylabControlError on a non-2xx."""
        response = self.session.request(method, f"{self.url}/_sim/{path}", params=params,
                                        json=json, data=data, headers=self.headers(),
                                        timeout=30)
        if response.status_code >= 400:
            raise PaylabControlError(response)
        return response.json()

    def get(self, path: str, **params: Any) -> Any:
        """GET a control resource as JSON."""
        return self.request("GET", path, params=params)

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        """POST JSON to a control resource."""
        return self.request("POST", path, json=body or {})

    def _scope(self, tenant: str | None) -> str:
        scope = tenant or self.tenant
        if not scope:
            raise ValueError("no tenant: pass tenant= or bind the client with for_tenant()")
        return scope

    def _ahead(self, method: str, path: str, params: dict[str, Any], *,
               data: bytes | None = None, json: dict[str, Any] | None = None) -> Any:
        """A tenant-scoped write, allowed before the tenant's first API call: `ahead=true`
        in the JSON body when there is one (reset), else in the query (scenarios).

        A simulator older than `ahead` refuses the unknown parameter (400 naming `ahead`)
        and needs no such permission, so the call is repeated without it.
        """
        if json is not None:
            first = {"params": params, "data": data, "json": {**json, "ahead": True}}
        else:
            first = {"params": {**params, "ahead": "true"}, "data": data, "json": None}
        try:
            return self.request(method, path, **first)
        except PaylabControlError as exc:
            if exc.status != 400 or "ahead" not in f"{exc.field} {exc.detail}":
                raise
        return self.request(method, path, params=params, data=data, json=json)

    # -- scenarios ----------------------------------------------------------------------------
    def load_scenario(self, scenario: str | Path | None = None, *, preset: str | None = None,
                      tenant: str | None = None) -> dict[str, Any]:
        """Activate a scenario for the tenant: a preset name, a YAML/JSON text or a file."""
        params: dict[str, Any] = {"tenant": self._scope(tenant)}
        if preset is not None:
            return self._ahead("PUT", "scenario", {**params, "preset": preset})
        if isinstance(scenario, Path):
            scenario = scenario.read_text(encoding="utf-8")
        if not scenario:
            raise ValueError("give a preset name, or a scenario (YAML or JSON text, or a Path)")
        return self._ahead("PUT", "scenario", params, data=scenario.encode("utf-8"))

    def clear_scenario(self, tenant: str | None = None) -> None:
        """Back to normal behaviour for the tenant."""
        self._ahead("DELETE", "scenario", {"tenant": self._scope(tenant)})

    def scenario_state(self, tenant: str | None = None) -> dict[str, Any]:
        """The tenant's active scenario and its counters."""
        return self.get("scenario", tenant=self._scope(tenant))

    @contextmanager
    def scenario(self, scenario: str | Path | None = None, *, preset: str | None = None,
                 tenant: str | None = None) -> Iterator[dict[str, Any]]:
        """`with control.scenario("slow-gateway"):` runs the block under a scenario for the
        tenant and restores normal behaviour after it. A bare name (letters, digits, `-`)
        is a preset; anything else is scenario text (YAML or JSON) or a Path."""
        if preset is None and isinstance(scenario, str) and _is_preset_name(scenario):
            scenario, preset = None, scenario
        state = self.load_scenario(scenario, preset=preset, tenant=tenant)
        try:
            yield state
        finally:
            self.clear_scenario(tenant)

    def presets(self) -> list[dict[str, Any]]:
        """The presets the simulator ships."""
        return self.get("scenario/presets")["presets"]

    # -- state --------------------------------------------------------------------------------
    def reset(self, tenant: str | None = None) -> None:
        """Forget everything the tenant did (payments, events, endpoints, its scenario)."""
        self._ahead("POST", "reset", {}, json={"api_key": self._scope(tenant)})

    def journal(self, tenant: str | None = None, **params: Any) -> list[dict[str, Any]]:
        """The tenant's requests as the simulator saw them, oldest first (`direction="out"`
        for webhook attempts; `after`, `limit`, `gateway`, `run` narrow it)."""
        return self.get("journal", tenant=self._scope(tenant), **params)["entries"]

    def ledger(self, tenant: str | None = None) -> dict[str, Any]:
        """Ground truth per payment: authorized, captured, refunded; and totals."""
        return self.get("ledger", tenant=self._scope(tenant))

    def deliveries(self, tenant: str | None = None, **params: Any) -> list[dict[str, Any]]:
        """The tenant's webhook deliveries with every attempt, newest first."""
        return self.get("webhooks", tenant=self._scope(tenant), **params)["deliveries"]

    def events(self, type: str | None = None, tenant: str | None = None
               ) -> list[dict[str, Any]]:
        """The tenant's Stripe events, newest first (`type` may be a wildcard: `charge.*`).
        Read through the Stripe API with the tenant's key, as the merchant would."""
        key = self._scope(tenant)
        params: dict[str, Any] = {"limit": 100, **({"type": type} if type else {})}
        response = self.session.get(f"{self.url}/stripe/v1/events", params=params,
                                    auth=(key, ""), timeout=30)
        response.raise_for_status()
        return response.json()["data"]

    # -- waits --------------------------------------------------------------------------------
    def wait_for(self, fetch: Callable[[], T], ready: Callable[[T], bool],
                 timeout: float = 10.0) -> T:
        """Poll `fetch()` until `ready(value)`; returns the last value (assert on it)."""
        return wait_for(fetch, ready, timeout)

    def wait_for_event(self, type: str, *, tenant: str | None = None,
                       timeout: float = 10.0) -> dict[str, Any]:
        """The newest event of `type` for the tenant, once there is one; PaylabTimeout if
        none appears in time."""
        events = wait_for(lambda: self.events(type, tenant), bool, timeout)
        if not events:
            raise PaylabTimeout(f"no {type!r} event for the tenant within {timeout:g} s")
        return events[0]

    def wait_for_delivery(self, event_type: str | None = None, *, event_id: str | None = None,
                          status: str | None = "delivered", tenant: str | None = None,
                          timeout: float = 10.0) -> dict[str, Any]:
        """A webhook delivery of the event (by type or id; any event if neither) that
        reached `status` (None: any settled status); PaylabTimeout naming what was seen
        otherwise."""
        wanted = {status} if status else set(SETTLED)

        def matching() -> list[dict[str, Any]]:
            ids = {event_id} if event_id else None
            if ids is None and event_type:
                ids = {e["id"] for e in self.events(event_type, tenant)}
            return [d for d in self.deliveries(tenant)
                    if (ids is None or d["event_id"] in ids) and d["status"] in wanted]

        found = wait_for(matching, bool, timeout)
        if found:
            return found[0]
        seen = [(d["event_id"], d["status"]) for d in self.deliveries(tenant)][:10]
        what = event_id or event_type or "any event"
        raise PaylabTimeout(f"no webhook delivery of {what} reached {sorted(wanted)} within "
                            f"{timeout:g} s; deliveries seen (event, status): {seen}")

def _is_preset_name(text: str) -> bool:
    return 0 < len(text) <= 60 and all(c.isascii() and (c.isalnum() or c == "-")
                                       for c in text) and text == text.lower()

