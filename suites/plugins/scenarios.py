"""Per-test scenarios: load one for the test's own tenant, attach the journal slice
(every request with the effect applied to it) to the report, clear it afterwards."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import allure
import pytest
import requests
import yaml
from paylab.suites.plugins.evidence import EvidenceSession
from paylab.suites.plugins.simulator import LiveSimulator


def alias_bomb(levels: int = 8) -> str:
    """A 'billion laughs' scenario of a few hundred bytes: each list holds nine aliases of
    the previous one, 9**levels strings once expanded (the simulator must refuse it)."""
    parts = ['&a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    names = "abcdefghij"
    for i in range(1, levels):
        parts.append(f"&{names[i]} [" + ",".join([f"*{names[i - 1]}"] * 9) + "]")
    return "rules:\n  - name: boom\n    match: {method: [" + ", ".join(parts) + "]}\n"


class TenantScenario:
    """Load, inspect and clear the scenario of one tenant."""

    def __init__(self, sim: LiveSimulator, session: requests.Session, api_key: str) -> None:
        self.url = f"{sim.url}/_sim/scenario"
        self.sim = sim
        self.session = session
        self.api_key = api_key

    def put(self, doc: dict[str, Any] | str) -> dict[str, Any]:
        """Activate a scenario (a dict is sent as YAML, as a person would write it)."""
        body = doc if isinstance(doc, str) else yaml.safe_dump(doc, sort_keys=False)
        # ahead: tests load their tenant's scenario before its first API call
        response = self.session.put(self.url, params={"tenant": self.api_key, "ahead": "true"},
                                    data=body.encode(), timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    def preset(self, name: str) -> dict[str, Any]:
        """Activate a shipped preset for this tenant."""
        response = self.session.put(self.url, timeout=10, params={
            "tenant": self.api_key, "preset": name, "ahead": "true"})
        assert response.status_code == 200, response.text
        return response.json()

    def state(self) -> dict[str, Any]:
        """What GET /_sim/scenario says for this tenant."""
        return self.session.get(self.url, params={"tenant": self.api_key}, timeout=10).json()

    def clear(self) -> None:
        """Back to normal behaviour."""
        self.session.delete(self.url, params={"tenant": self.api_key, "ahead": "true"},
                            timeout=10)

    def journal(self, direction: str = "in") -> list[dict[str, Any]]:
        """This tenant's journal entries, oldest first."""
        return requests.get(f"{self.sim.url}/_sim/journal", timeout=10, params={
            "tenant": self.api_key, "limit": 5000, "direction": direction}).json()["entries"]

    def effects(self) -> list[str | None]:
        """The effect column of this tenant's requests, in order."""
        return [e["effect"] for e in self.journal()]


@pytest.fixture
def scenario(simulator: LiveSimulator, http: EvidenceSession,
             api_key: str) -> Iterator[TenantScenario]:
    """A scenario scoped to this test's tenant; its journal lands in the report."""
    tenant = TenantScenario(simulator, http, api_key)
    yield tenant
    entries = tenant.journal() + tenant.journal("out")
    allure.attach(json.dumps(entries, indent=2), name="journal (this tenant)",
                  attachment_type=allure.attachment_type.JSON)
    tenant.clear()
