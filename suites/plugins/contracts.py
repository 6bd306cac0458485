"""Check recorded HTTP exchanges against contracts/: each response against its operation's
contract (by method, path and status), errors against the gateway's error contract."""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass

import allure
import pytest
from paylab.simulator.contracts import Contracts, contract_id
from paylab.simulator.control.routes import OPERATIONS as CONTROL
from paylab.simulator.gateways import all_gateways
from paylab.simulator.gateways.spec import Operation
from paylab.suites.plugins.evidence import Exchange


@dataclass(frozen=True)
class Route:
    """A compiled operation path."""

    method: str
    pattern: re.Pattern[str]
    operation: Operation
    error_contract: str | None


def _compile(prefix: str, op: Operation) -> re.Pattern[str]:
    regex = re.sub(r"\{[^}]+\}", "[^/]+", prefix + op.path)
    return re.compile(f"^{regex}$")


class WireContracts:
    """Find the contract of any exchange and validate it."""

    def __init__(self, contracts: Contracts) -> None:
        self.contracts = contracts
        self.routes = [Route(op.method, _compile(g.prefix, op), op, g.error_contract)
                       for g in all_gateways() for op in g.operations]
        self.routes += [Route(op.method, _compile("/_sim", op), op, "common/error")
                        for op in CONTROL]

    def route(self, method: str, url: str) -> Route | None:
        """The operation an exchange went to."""
        path = urllib.parse.urlsplit(url).path
        return next((r for r in self.routes
                     if r.method == method and r.pattern.match(path)), None)

    def violations(self, exchange: Exchange) -> list[str]:
        """What is wrong with one exchange's response (empty when it conforms).

        A body a scenario's network fault corrupted on purpose is not checked.
        """
        route = self.route(exchange.method, exchange.url)
        if route is None or "network=" in exchange.headers.get("Paylab-Effect", ""):
            return []
        ok = 200 <= exchange.status < 300
        short = route.operation.response if ok else route.error_contract
        if short is None:
            return []
        return self.contracts.errors(contract_id(short), exchange.json())

    def check(self, short: str, instance: object) -> None:
        """Assert an instance conforms to a contract, listing every violation."""
        errors = self.contracts.errors(contract_id(short), instance)
        assert not errors, f"{short}: " + "; ".join(errors[:10])


@pytest.fixture(scope="session")
def wire_contracts() -> WireContracts:
    """The contract checker, built once."""
    return WireContracts(Contracts())


def check_exchanges(checker: WireContracts, exchanges: list[Exchange]) -> int:
    """Validate every exchange; fail listing all violations. Returns how many were checked."""
    problems = []
    for ex in exchanges:
        for v in checker.violations(ex):
            problems.append(f"{ex.method} {ex.url} -> {ex.status}: {v}")
    with allure.step(f"{len(exchanges)} responses validated against contracts/"):
        assert not problems, "\n".join(problems[:20])
    return len(exchanges)
