"""Evidence for the Allure report: every HTTP exchange a test makes, as a step with the
request and response attached. Secrets (Authorization, API keys) are redacted first.

A passing test's exchanges are what a reader skims, and a thousand tests' bodies made the
single-file report tens of megabytes: each step keeps the first PREVIEW_CHARS of its
exchange, and a test that fails gets every exchange of the test in full, in one more
attachment. Also registers `allure_tidy` (titles, descriptions, the set-up list).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import allure
import allure_commons
import pytest
import requests
from paylab.suites.plugins import allure_tidy

_KEY = re.compile(r"\b(sk|rk|pk)_(test|live)_[A-Za-z0-9_]+")
_WHSEC = re.compile(r"whsec_[A-Za-z0-9]+")
#: Characters of an exchange kept in its step; the rest only if the test fails.
PREVIEW_CHARS = 4000
#: The most kept of a failing test's exchanges in full (a 1 MB body is kept, 100 are not).
FULL_CHARS = 2_000_000


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


def exchange_text(method: str, url: str, req_headers: Any, req_body: Any, status: int,
                  resp_headers: Any, resp_body: Any) -> str:
    """One request/response pair as text, secrets redacted."""
    return (f"{method} {url}\n{_headers(req_headers)}\n\n{_pretty(req_body)}\n\n"
            f"HTTP {status}\n{_headers(resp_headers)}\n\n{_pretty(resp_body)}")


def preview(text: str, limit: int = PREVIEW_CHARS) -> str:
    """`text`, cut at `limit` characters with a note of what was left out and where it is."""
    if len(text) <= limit:
        return text
    return (f"{text[:limit]}\n\n[… {len(text) - limit:,} more characters: kept in full "
            "only when the test fails]")


class _Recorder:
    """The running test's exchanges (pytest runs one test at a time per process, and each
    xdist worker is a process of its own): their full text, attached only if the test
    fails, and the repeats of a polled GET, shown as one step instead of one each."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.last: tuple[str, str, str] | None = None
        self.repeats: list[tuple[int, str]] = []

    def reset(self) -> None:
        """A new test."""
        self.texts.clear()
        self.repeats.clear()
        self.last = None

    def full(self) -> str:
        """Every exchange, in order, cut at FULL_CHARS."""
        separator = "\n\n" + "=" * 72 + "\n\n"
        return preview(separator.join(self.texts), FULL_CHARS)

    def flush(self) -> None:
        """The polls held back, as one step: how many, with the last answer attached."""
        if self.repeats:
            status, text = self.repeats[-1]
            with allure.step(f"… the same GET {len(self.repeats)} more times, last "
                             f"answered {status}"):
                allure.attach(preview(text), name=f"last request and response {status}",
                              attachment_type=allure.attachment_type.TEXT)
            self.repeats.clear()


_RECORDER = _Recorder()


#: JPEG quality of page screenshots: text stays legible at a fifth of a PNG's size, and
#: screenshots were most of the report's weight.
SCREENSHOT_QUALITY = 70


def attach_screenshot(page: Any, name: str, *, full_page: bool = True) -> None:
    """A screenshot of a Playwright page as it is now, in the report (JPEG)."""
    allure.attach(page.screenshot(full_page=full_page, type="jpeg", quality=SCREENSHOT_QUALITY),
                  name=name, attachment_type=allure.attachment_type.JPG)


def attach_exchange(method: str, url: str, req_headers: Any, req_body: Any, status: int,
                    resp_headers: Any, resp_body: Any) -> None:
    """One request/response pair as an Allure attachment (a preview; see the module), for
    exchanges made without EvidenceSession."""
    text = exchange_text(method, url, req_headers, req_body, status, resp_headers, resp_body)
    _RECORDER.texts.append(text)
    allure.attach(preview(text), name=f"request and response {status}",
                  attachment_type=allure.attachment_type.TEXT)


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
        key = (method.upper(), url, repr(kwargs.get("params")))
        if key[0] == "GET" and key == _RECORDER.last:  # polling: one step for them all
            response = super().request(method, url, *args, **kwargs)
            self._record(response)
            _RECORDER.repeats.append((response.status_code, _RECORDER.texts[-1]))
            return response
        _RECORDER.flush()
        _RECORDER.last = key
        with allure.step(f"{method.upper()} {url.split('?')[0]}"):
            response = super().request(method, url, *args, **kwargs)
            text = self._record(response)
            allure.attach(preview(text), name=f"request and response {response.status_code}",
                          attachment_type=allure.attachment_type.TEXT)
            return response

    def _record(self, response: requests.Response) -> str:
        req = response.request
        text = exchange_text(req.method or "", req.url or "", req.headers, req.body,
                             response.status_code, response.headers, response.content)
        _RECORDER.texts.append(text)
        self.exchanges.append(Exchange((req.method or "").upper(), response.url,
                                       response.status_code, response.content,
                                       dict(response.headers)))
        return text


@pytest.fixture
def http() -> Iterator[EvidenceSession]:
    """A requests session whose every exchange lands in the report."""
    with EvidenceSession() as session:
        yield session


_FIGURES = pytest.StashKey[list[tuple[str, str]]]()
_HIDER = pytest.StashKey[allure_tidy.AllureTidy]()


#: The name under which a test's figures travel in its report's `user_properties`: the
#: report is what reaches the process that prints the summary, also from xdist workers.
FIGURES_PROPERTY = "paylab figures"


class Figures:
    """Measured figures of one test: attached to its report and listed at the end of the run."""

    def __init__(self, item: pytest.Item) -> None:
        self._item = item

    def __call__(self, summary: str, detail: str = "") -> None:
        """Record one line of figures, with optional detail (a table) for the report only."""
        allure.attach(f"{summary}\n\n{detail}".strip(), name="figures",
                      attachment_type=allure.attachment_type.TEXT)
        self._item.user_properties.append((FIGURES_PROPERTY, summary))


@pytest.fixture
def figures(request: pytest.FixtureRequest) -> Figures:
    """Report measured figures (RSS, counts, schedules) in Allure and in the run's summary."""
    return Figures(request.node)


class _FigureCollector:
    """Collects each test's figures from its last report (teardown): in a run of one
    process, and in the controller of xdist workers, which is the one that prints."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when != "teardown":
            return
        recorded = self.config.stash.setdefault(_FIGURES, [])
        recorded.extend((report.nodeid, value) for name, value in report.user_properties
                        if name == FIGURES_PROPERTY)


def pytest_configure(config: pytest.Config) -> None:
    """Titles, descriptions and the set-up list (see allure_tidy), once per session; the
    figures collector."""
    if not config.pluginmanager.has_plugin("paylab-figures"):
        config.pluginmanager.register(_FigureCollector(config), "paylab-figures")
    if not config.pluginmanager.has_plugin("paylab-allure-tidy"):
        hider = allure_tidy.AllureTidy()
        config.pluginmanager.register(allure_tidy, "paylab-allure-tidy")
        config.pluginmanager.register(hider, "paylab-allure-tidy-fixtures")
        allure_commons.plugin_manager.register(hider)  # unnamed: a nested run adds its own
        config.stash[_HIDER] = hider


def pytest_unconfigure(config: pytest.Config) -> None:
    """Leave allure's (process-wide) plugin manager as it was, for nested pytest runs."""
    hider = config.stash.get(_HIDER, None)
    if hider is not None:
        allure_commons.plugin_manager.unregister(hider)


def pytest_runtest_setup(item: pytest.Item) -> None:
    """A new test: forget the previous one's exchanges."""
    _RECORDER.reset()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """A failed set-up, call or teardown: every exchange of the test, in full."""
    _RECORDER.flush()  # a poll that ended the phase
    report = (yield).get_result()
    if report.failed and _RECORDER.texts:
        allure.attach(_RECORDER.full(), name="every HTTP exchange in full (the test failed)",
                      attachment_type=allure.attachment_type.TEXT)
        _RECORDER.texts.clear()  # once, even if teardown fails as well


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """List every figure recorded by the run's tests, so a console run shows them too."""
    recorded = config.stash.get(_FIGURES, [])
    if recorded:
        terminalreporter.section("figures")
        for test, summary in recorded:
            terminalreporter.write_line(f"{test}\n    {summary}")
