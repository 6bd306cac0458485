"""Suite-wide wiring: options, layer markers from directories, Allure layer labels."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import allure
import pytest

pytest.register_assert_rewrite("paylab.suites.plugins")

from paylab.suites.plugins.contracts import check_exchanges  # noqa: E402 - after the rewrite hook

pytest_plugins = [  # in dependency order, so each is imported once, as a plugin
    # paylab's own pytest plugin, which users install: the suites' fixtures wrap its. Its
    # entry point (named after the module) normally loaded it already, and then this is a
    # no-op; it loads it in a checkout installed before the plugin existed.
    "paylab.testing.plugin",
    "paylab.suites.plugins.evidence",
    "paylab.suites.plugins.simulator",
    "paylab.suites.plugins.kpi_table",  # the run's KPI table in Allure
    "paylab.suites.plugins.contracts",
    "paylab.suites.plugins.scenarios",
    "paylab.suites.plugins.webhook_sink",
    "paylab.suites.plugins.shop",
    "paylab.suites.plugins.browser",
    "paylab.suites.plugins.scheduling",  # which tests xdist hands out one by one
]

SUITES = Path(__file__).parent
LAYERS = ("unit", "contract", "reliability", "security", "e2e", "load")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("paylab")
    group.addoption("--gateway-url", default=None,
                    help="run against this simulator (default: start a fresh one; "
                         "env PAYLAB_GATEWAY_URL)")
    group.addoption("--merchant-url", default=None,
                    help="run merchant probes against this shop (env PAYLAB_MERCHANT_URL)")


def layer_of(path: Path) -> str | None:
    """The layer a test file belongs to: its first directory under suites/."""
    try:
        first = path.resolve().relative_to(SUITES).parts[0]
    except ValueError:
        return None
    return first if first in LAYERS else None


#: The test files that take longest in their layer (--durations on 2 cores, idle and busy),
#: longest first. When xdist workers share a layer (`paylab test`, PAYLAB_TEST_WORKERS),
#: these start first: a worker that picked one up last would run on alone while the others
#: sat idle (xdist gives each worker whole files, in collection order).
LONG_FILES = (
    "security/test_injection.py",   # 75 s idle, 200 s busy: 700 probes
    "security/test_fuzzing.py",     # 30 s idle, 130 s busy: schemathesis
    "reliability/test_soak.py",     # 20 s of paced traffic (PAYLAB_SOAK_SECONDS)
    "reliability/test_cli_up.py",   # 10 s idle, 80 s busy: a `paylab up` per test
)


_LONG_RANK = {(SUITES / name).resolve(): rank for rank, name in enumerate(LONG_FILES)}


def _long_files_first(item: pytest.Item) -> int:
    return _LONG_RANK.get(Path(item.fspath).resolve(), len(LONG_FILES))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test with its layer, so `-m contract` works and strict markers hold. In an
    xdist worker, the long files go first (stable: each file keeps its own order, and every
    worker collects the same order, as xdist requires); a run of one process keeps pytest's."""
    for item in items:
        layer = layer_of(Path(item.fspath))
        if layer is not None:
            item.add_marker(getattr(pytest.mark, layer))
    if os.environ.get("PYTEST_XDIST_WORKER"):
        items.sort(key=_long_files_first)


#: Layers whose every HTTP response is checked against contracts/ after each test.
CHECKED_LAYERS = ("contract", "reliability")


@pytest.fixture(autouse=True)
def _responses_conform(request: pytest.FixtureRequest) -> Iterator[None]:
    if layer_of(Path(request.node.fspath)) not in CHECKED_LAYERS:
        yield
        return
    session = request.getfixturevalue("http")
    checker = request.getfixturevalue("wire_contracts")
    yield
    check_exchanges(checker, session.exchanges)


@pytest.fixture(autouse=True)
def _allure_layer(request: pytest.FixtureRequest) -> None:
    """Group the report by layer: parent suite and a `layer` label."""
    layer = layer_of(Path(request.node.fspath))
    if layer is not None:
        allure.dynamic.parent_suite(layer)
        allure.dynamic.label("layer", layer)
        allure.dynamic.suite(Path(request.node.fspath).stem.removeprefix("test_"))
