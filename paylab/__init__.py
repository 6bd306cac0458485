"""paylab: a payment-integration test harness and stateful gateway simulator.

Everything paylab installs lives under this one import name, so that its parts never
collide with a user's own top-level packages: `paylab.simulator` (the gateway simulator),
`paylab.shop` (the reference merchant), `paylab.suites` (the layered test suites),
`paylab.load` (Locust tooling) and `paylab.testing` (the pytest plugin for users' suites).

In the wheel these folders sit inside this package. In a checkout they stay at the
repository's top level, the project's agreed layout; this package then reaches them
through its `__path__`, so the same imports work in both places.
"""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

_HERE = Path(__file__).resolve().parent
if not (_HERE / "simulator").is_dir():  # a checkout: the parts are the repository's folders
    __path__.append(str(_HERE.parent))  # type: ignore[name-defined]

try:
    __version__ = metadata.version("paylab")
except metadata.PackageNotFoundError:  # imported from a checkout that was never installed
    __version__ = "0+unknown"
