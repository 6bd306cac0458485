"""Browser fixtures: Debian chromium through Playwright, and evidence for the report."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import allure
import pytest
from paylab.suites.plugins.evidence import attach_screenshot
from playwright.sync_api import BrowserContext, Page

CHROMIUM = os.environ.get("PAYLAB_CHROMIUM", "/usr/bin/chromium")
#: One line instead of Playwright's 40-line launch traceback when chromium is missing.
NO_CHROMIUM = (f"chromium not found at {CHROMIUM}: install it (sudo apt-get install "
               "chromium; make test does) or set PAYLAB_CHROMIUM to its path")
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run",
                  "--disable-quic"]


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, Any]:
    """Debian's chromium; Playwright's own browser download is never used."""
    if shutil.which(CHROMIUM) is None:  # a path that is no executable file, or a bare name
        pytest.fail(NO_CHROMIUM, pytrace=False)  # not on PATH
    return {"executable_path": CHROMIUM, "args": CHROMIUM_FLAGS, "headless": True}


@pytest.fixture(scope="session")
def browser_context_args() -> dict[str, Any]:
    """A desktop viewport, so screenshots read like a shopper's screen."""
    return {"viewport": {"width": 1280, "height": 860}}


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture
def browser_evidence(request: pytest.FixtureRequest, context: BrowserContext,
                      tmp_path: Path) -> Iterator[None]:
    """Trace every test; keep it on failure. Screenshot every final page."""
    context.tracing.start(screenshots=True, snapshots=True, sources=False)
    yield
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    for n, each in enumerate(context.pages):
        try:
            attach_screenshot(each, f"final page {n + 1}: {each.url}")
        except Exception as exc:  # a page that closed itself has nothing to show
            allure.attach(str(exc), name=f"no screenshot of page {n + 1}",
                          attachment_type=allure.attachment_type.TEXT)
    if failed:
        trace = tmp_path / "trace.zip"
        context.tracing.stop(path=trace)
        allure.attach.file(trace, name="playwright trace (npx playwright show-trace)",
                           extension="zip")
    else:
        context.tracing.stop()


@pytest.fixture
def dialogs(page: Page) -> list[str]:
    """Every alert/confirm/prompt the page tried to open (an XSS payload would)."""
    seen: list[str] = []

    def record(dialog: Any) -> None:
        seen.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record)
    return seen
