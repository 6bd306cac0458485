"""The gateway registry: which adapters the simulator mounts, in mount order.

A gateway is one package exposing `GATEWAY` (see `spec.Gateway`) and one entry here.
Gateways outside this repository register through the `paylab.gateways` entry-point group
(`name = "package.module"`, the module exposing `GATEWAY`), so a plug-in needs no change
to paylab itself.
"""

from __future__ import annotations

import importlib
from functools import cache
from importlib.metadata import entry_points

from paylab.simulator.gateways.spec import Gateway

#: Built-in gateways: name -> the module exposing its `GATEWAY`.
BUILT_IN: dict[str, str] = {
    "stripe": "paylab.simulator.gateways.stripe",
    "ecpay": "paylab.simulator.gateways.ecpay",
    "newebpay": "paylab.simulator.gateways.newebpay",
    "paypal": "paylab.simulator.gateways.paypal",
    "linepay": "paylab.simulator.gateways.linepay",
    "jkopay": "paylab.simulator.gateways.jkopay",
}

ENTRY_POINT_GROUP = "paylab.gateways"


class RegistryError(RuntimeError):
    """Two gateways claim one name or mount prefix, or an entry names no gateway."""


@cache
def registered() -> tuple[Gateway, ...]:
    """Every registered gateway: the built-in ones, then plug-ins by entry-point name."""
    modules = dict(BUILT_IN)
    for point in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda p: p.name):
        modules.setdefault(point.name, point.value)
    gateways: list[Gateway] = []
    for name, module_path in modules.items():
        gateway = getattr(importlib.import_module(module_path), "GATEWAY", None)
        if not isinstance(gateway, Gateway) or gateway.name != name:
            raise RegistryError(f"{module_path} does not expose a GATEWAY named {name!r}")
        gateways.append(gateway)
    prefixes = [g.prefix for g in gateways]
    if len(set(prefixes)) != len(prefixes):
        raise RegistryError(f"two gateways share a mount prefix: {sorted(prefixes)}")
    return tuple(gateways)
