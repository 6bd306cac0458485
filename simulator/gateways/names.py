"""Each gateway's names for the core's neutral event kinds, for the places outside the
adapters that show or match them: scenario webhook rules (users write the gateway's own
names) and the dashboard."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache


@cache
def _namers() -> dict[str, Callable[[str], str]]:
    from paylab.simulator.gateways.registry import registered

    return {g.name: g.event_name for g in registered() if g.event_name is not None}


def event_name(gateway: str | None, kind: str) -> str:
    """What `gateway` calls the event kind `kind` (the kind itself if it has no word)."""
    namer = _namers().get(gateway or "")
    return namer(kind) if namer is not None else kind
