"""Gateway adapters: one package per gateway, each owning its wire format.

Every adapter exposes a `GATEWAY` descriptor (see `spec.Gateway`): its mount prefix, the
sub-application factory, its webhook notifier and its operations for the OpenAPI document;
`registry` lists the adapters (one entry each) and finds plug-ins by entry point.
"""

from __future__ import annotations

from paylab.simulator.gateways.spec import Gateway


def all_gateways() -> list[Gateway]:
    """Every mounted gateway, in mount order (see `registry`)."""
    from paylab.simulator.gateways.registry import registered

    return list(registered())


def tenant_for(gateways: list[Gateway], value: str) -> str:
    """The tenant a credential maps to on the first gateway that knows it, or the value
    itself (already a tenant id)."""
    for gateway in gateways:
        if gateway.tenant_of is not None and (tenant := gateway.tenant_of(value)):
            return tenant
    return value
