"""Contract layer: every response a test receives is validated against contracts/."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from suites.plugins.contracts import WireContracts, check_exchanges
from suites.plugins.evidence import EvidenceSession


@pytest.fixture(autouse=True)
def _responses_conform(http: EvidenceSession, wire_contracts: WireContracts) -> Iterator[None]:
    yield
    check_exchanges(wire_contracts, http.exchanges)
