"""Webhook endpoints: where a tenant wants its events delivered, and with which secret."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from paylab.simulator.core.clock import Clock
from paylab.simulator.core.credentials import new_credential
from paylab.simulator.core.errors import InvalidRequest
from paylab.simulator.core.objects import Doc, Objects
from paylab.simulator.core.rand import Rand
from paylab.simulator.core.self_address import SelfAddress
from paylab.simulator.core.vocabulary import (
    EVENT_KINDS,
    INVALID_CHOICE,
    INVALID_URL,
    MISSING_PARAMETER,
)

KIND = "webhook_endpoint"


def _nothing() -> None:
    return None


class Endpoints:
    """Create, change, list and delete webhook endpoints; cached per tenant for the outbox."""

    def __init__(self, objects: Objects, clock: Clock, rand: Rand,
                 self_address: SelfAddress | None = None) -> None:
        self.objects = objects
        self.clock = clock
        self.rand = rand
        #: Where this simulator listens; URLs reaching its control API are refused.
        self.self_address = self_address
        self._cache: dict[str, list[Doc]] = {}
        #: Told after a change (other worker processes must drop their caches), and asked
        #: before the cache is read (whether another process changed endpoints since).
        self.changed: Callable[[], None] = _nothing
        self.refresh: Callable[[], object] = _nothing

    def create(
        self,
        tenant: str,
        gateway: str,
        *,
        url: str,
        enabled_events: list[str],
        description: str | None = None,
        metadata: dict[str, str] | None = None,
        api_version: str | None = None,
        secret_prefix: str = "",
    ) -> Doc:
        """Register an endpoint for the event kinds `enabled_events` (or `*`); the returned
        document carries the signing secret (`secret_prefix` and a fresh credential, so
        each gateway's secrets look like its own)."""
        self._check_url(url)
        _check_events(enabled_events)
        doc = {
            "id": self.rand.new_id("we"),
            "gateway": gateway,
            "url": url,
            "enabled_events": list(enabled_events),
            "description": description,
            "metadata": dict(metadata or {}),
            "api_version": api_version,
            "status": "enabled",
            "secret": secret_prefix + new_credential(32),
            "created": int(self.clock.now()),
        }
        saved = self.objects.insert(tenant, KIND, doc, tag=gateway)
        self._changed(tenant)
        return saved

    def get(self, tenant: str, endpoint_id: str) -> Doc:
        """One endpoint of this tenant."""
        return self.objects.get(tenant, KIND, endpoint_id)

    def update(self, tenant: str, endpoint_id: str, changes: dict[str, Any]) -> Doc:
        """Change url, enabled_events, description, metadata or `disabled`."""
        doc = self.get(tenant, endpoint_id)
        if "url" in changes:
            self._check_url(changes["url"])
        if "enabled_events" in changes:
            _check_events(changes["enabled_events"])
            doc["enabled_events"] = list(changes["enabled_events"])
        for key in ("url", "description"):
            if key in changes:
                doc[key] = changes[key]
        if "metadata" in changes:
            doc["metadata"] = merge_metadata(doc["metadata"], changes["metadata"])
        if "disabled" in changes:
            doc["status"] = "disabled" if changes["disabled"] else "enabled"
        saved = self.objects.update(tenant, KIND, doc)
        self._changed(tenant)
        return saved

    def delete(self, tenant: str, endpoint_id: str) -> Doc:
        """Remove an endpoint; pending deliveries to it are abandoned by the dispatcher."""
        doc = self.get(tenant, endpoint_id)
        self.objects.delete(tenant, KIND, endpoint_id)
        self._changed(tenant)
        return doc

    def page(self, tenant: str, **paging: Any) -> tuple[list[Doc], bool]:
        """A page of endpoints, newest first."""
        return self.objects.page(tenant, KIND, **paging)

    def active(self, tenant: str, gateway: str) -> list[Doc]:
        """Enabled endpoints of a tenant on a gateway (cached; every event asks)."""
        self.refresh()
        cached = self._cache.get(tenant)
        if cached is None:
            cached = [doc for _, doc in self.objects.all_of(KIND, tenant)]
            self._cache[tenant] = cached
        return [d for d in cached if d["gateway"] == gateway and d["status"] == "enabled"]

    def forget(self) -> None:
        """Drop the cache (after a reset)."""
        self._cache.clear()

    def _changed(self, tenant: str) -> None:
        self._cache.pop(tenant, None)
        self.changed()

    def _check_url(self, url: str) -> None:
        check_target(self.self_address, url)


def check_target(here: SelfAddress | None, url: str) -> None:
    """Refuse a notification URL that reaches this simulator's own control API."""
    refusal = here.refusal(url) if here is not None else None
    if refusal is not None:
        raise InvalidRequest(INVALID_URL, refusal, param="url")


def _check_events(enabled: list[str]) -> None:
    if not enabled:
        raise InvalidRequest(MISSING_PARAMETER, "Missing required param: enabled_events.",
                             param="enabled_events", names=("enabled_events",))
    for i, name in enumerate(enabled):
        if name != "*" and name not in EVENT_KINDS:
            raise InvalidRequest(
                INVALID_CHOICE,
                f"Invalid enabled_events[{i}]: must be one of *, {', '.join(EVENT_KINDS)}",
                param=f"enabled_events[{i}]", field="enabled_events", index=i,
                allowed=EVENT_KINDS,
            )


def merge_metadata(current: dict[str, str], changes: dict[str, str] | str) -> dict[str, str]:
    """A metadata update: an empty string clears all, an empty value drops one key."""
    if changes == "":
        return {}
    merged = dict(current)
    for key, value in changes.items():
        if value == "":
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged
