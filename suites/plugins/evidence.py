"""Evidence for the Allure report: every HTTP exchange a test makes, as a step with the
request and response attached. Secrets (Authorization, API keys) are redacted first."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import allure
import pytest
import requests

_KEY = re.compile(r"\b(sk|rk|pk)_(test|live)_[A-Za-z0-9_]+")
_WHSEC = re.compile(r"whsec_[A-Za-z0-9]+")


def redact(text: str) -> str:
    """Hide API keys and webhook secrets, keeping their prefix."""
    text = _KEY.sub(lambda m: f"{m.group(1)}_{m.group(2)}_…redacted", text)
    return _WHSEC.sub("whsec_…redacted", text)


def _headers(headers: Any) -> str:
    lines = []
    for k, v in dict(headers).items():
        shown = "…redacted" if k.lower() in ("authorization", "stripe-signature") else v
        lines.append(f"{k}: {shown}")
    return "\n".join(lines)


def _pretty(body: bytes | str | None) -> str:
    if body is None:
        return ""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
    try:
        return redact(json.dumps(json.loads(text), indent=2, ensure_ascii=False))
    except (ValueError, RecursionError):  # not JSON, or nested too deep to pretty-print
        return redact(text)


def attach_exchange(method: str, url: str, req_headers: Any, req_body: Any, status: int,
                    resp_headers: Any, resp_body: Any) -> None:
    """One request/response pair as Allure attachments."""
    allure.attach(f"{method} {url}\n{_headers(req_headers)}\n\n{_pretty(req_body)}",
                  name="request", attachment_type=allure.attachment_type.TEXT)
    allure.attach(f"HTTP {status}\n{_headers(resp_headers)}\n\n{_pretty(resp_body)}",
                  name=f"response {status}", attachment_type=allure.attachment_type.TEXT)


@dataclass
class Exchange:
    """A recorded HTTP exchange (for contract checks after the fact)."""

    method: str
    url: str
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        """The response body as JSON."""
        return json.loads(self.body)


class EvidenceSession(requests.Session):
    """A requests session that reports each exchange to Allure and keeps it for checks."""

    def __init__(self) -> None:
        super().__init__()
        self.exchanges: list[Exchange] = []

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        with allure.step(f"{method.upper()} {url.split('?')[0]}"):
            response = super().request(method, url, *args, **kwargs)
            req = response.request
            attach_exchange(req.method or method, req.url or url, req.headers, req.body,
                            response.status_code, response.headers, response.content)
            self.exchanges.append(Exchange(method.upper(), response.url, response.status_code,
                                           response.content, dict(response.headers)))
            return response


@pytest.fixture
def http() -> Iterator[EvidenceSession]:
    """A requests session whose every exchange lands in the report."""
    with EvidenceSession() as session:
        yield session


_FIGURES = pytest.StashKey[list[tuple[str, str]]]()


class Figures:
    """Measured figures of one test: attached to its report and listed at the end of the run."""

    def __init__(self, config: pytest.Config, test: str) -> None:
        self._config, self._test = config, test

    def __call__(self, summary: str, detail: str = "") -> None:
        """Record one line of figures, with optional detail (a table) for the report only."""
        allure.attach(f"{summary}\n\n{detail}".strip(), name="figures",
                      attachment_type=allure.attachment_type.TEXT)
        self._config.stash.setdefault(_FIGURES, []).append((self._test, summary))


@pytest.fixture
def figures(request: pytest.FixtureRequest) -> Figures:
    """Report measured figures (RSS, counts, schedules) in Allure and in the run's summary."""
    return Figures(request.config, request.node.nodeid)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """List every figure recorded by the run's tests, so a console run shows them too."""
    recorded = config.stash.get(_FIGURES, [])
    if recorded:
        terminalreporter.section("figures")
        for test, summary in recorded:
            terminalreporter.write_line(f"{test}\n    {summary}")
