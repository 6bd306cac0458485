"""Readable Allure results, set centrally: a title made from the test's name and
parameters, its docstring (dedented) as the description, and a set-up list without the
suites' plumbing.

allure-pytest reports every fixture a test's closure holds, each in a "container" with a
`before` (the set-up) and an `after` per finalizer (`name::finalizer`), written when the
fixture is finalized. So the filter sits on allure's own `report_container` hook, first in
line: fixtures that do no set-up a reader cares about (pytest's and plugins' own, names
starting with `_`, evidence, contract checking, flags, keys) are dropped from the
container before it is written, unless they failed; `report_result` likewise cuts very
long parameter values. Registered by the evidence plugin.
"""

from __future__ import annotations

import hashlib
import inspect
import re
import sys
from pathlib import Path
from typing import Any

import allure
import allure_commons
import pytest

#: Our own fixtures that are plumbing: HTTP evidence, measured figures, the contract
#: checker, the control helper, flags, URLs, keys, fake clocks, browser evidence.
PLUMBING = frozenset({
    "http", "figures", "wire_contracts", "control", "control_headers", "simulator_flags",
    "paylab_simulator_flags", "paylab_url", "paylab_session", "server_settings", "api_key",
    "paylab_api_key", "paylab_control", "paylab_control_token", "wall", "browser_evidence",
    "dialogs", "browser_type_launch_args", "browser_context_args",
})
#: Fixtures of other plugins that do real set-up a reader wants to see.
SHOWN_THIRD_PARTY = frozenset({"aiohttp_client", "aiohttp_server", "browser", "context",
                               "page"})
#: Words the title writes as they are spelt, not lower case.
SPELLING = {
    "api": "API", "sdk": "SDK", "http": "HTTP", "https": "HTTPS", "json": "JSON",
    "url": "URL", "urls": "URLs", "id": "ID", "ids": "IDs", "3ds": "3DS", "csv": "CSV",
    "slo": "SLO", "ui": "UI", "cli": "CLI", "xss": "XSS", "csrf": "CSRF", "utf": "UTF",
    "yaml": "YAML", "html": "HTML", "sql": "SQL", "sqlite": "SQLite", "tls": "TLS",
    "ip": "IP", "cvc": "CVC", "hmac": "HMAC", "openapi": "OpenAPI", "stripe": "Stripe",
    "ecpay": "ECPay", "newebpay": "NewebPay", "linepay": "LINE Pay", "jkopay": "JKOPay",
    "paypal": "PayPal", "locust": "Locust", "allure": "Allure", "oom": "OOM", "rss": "RSS",
    "sigterm": "SIGTERM", "sigkill": "SIGKILL", "dns": "DNS", "tcp": "TCP", "pm": "pm",
    "atm": "ATM", "webatm": "WebATM", "cvs": "CVS", "mpg": "MPG",
}
#: Runs of words written otherwise.
PHRASES = {"three d secure": "3-D Secure", "3d secure": "3-D Secure"}
#: The longest parameter id shown in a title (the parameters are listed below it).
MAX_PARAMS = 70
#: The longest parameter value kept in a result (a value is also in the search index).
MAX_PARAM_VALUE = 300


def title_of(name: str, params: str | None = None) -> str:
    """`test_a_blocked_card_is_refused[x]` -> "A blocked card is refused [x]"."""
    words = [SPELLING.get(w.lower(), w) for w in re.sub(r"^test_?", "", name).split("_") if w]
    text = " ".join(words) or name
    for phrase, spelt in PHRASES.items():
        text = re.sub(rf"\b{phrase}\b", spelt, text, flags=re.IGNORECASE)
    text = text[0].upper() + text[1:] if text[0].islower() else text
    if params:
        shown = params if len(params) <= MAX_PARAMS else params[:MAX_PARAMS - 1] + "…"
        text += f" [{shown}]"
    return text


def _explicit(item: pytest.Item, attribute: str) -> bool:
    return getattr(getattr(item, "obj", None), attribute, None) is not None


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> Any:
    """After allure-pytest has named the result (it does so when set-up ends), rename it,
    unless the test set a title of its own with @allure.title."""
    yield
    if not _explicit(item, "__allure_display_name__"):
        callspec = getattr(item, "callspec", None)
        allure.dynamic.title(title_of(getattr(item, "originalname", item.name),
                                      callspec.id if callspec else None))
    doc = getattr(getattr(item, "function", None), "__doc__", None)
    if doc and item.get_closest_marker("allure_description") is None:
        allure.dynamic.description(inspect.cleandoc(doc))  # indented lines are not code


def is_internal(fixturedef: pytest.FixtureDef[Any]) -> bool:
    """True for fixtures a reader of the report does not need in the set-up list."""
    name = fixturedef.argname
    if name.startswith("_") or name in PLUMBING:
        return True
    return _third_party(fixturedef.func) and name not in SHOWN_THIRD_PARTY


def _third_party(func: Any) -> bool:
    """Defined by pytest or an installed plugin, not by paylab or the tests themselves."""
    func = inspect.unwrap(func)  # pytest-asyncio wraps async fixtures
    if (getattr(func, "__module__", "") or "").startswith("paylab."):
        return False
    try:
        source = Path(inspect.getsourcefile(func) or "")
    except TypeError:  # a builtin: no source file
        return True
    return bool({"site-packages", "dist-packages"} & set(source.parts)) or \
        Path(sys.base_prefix) in source.parents


#: How allure-pytest shows a `bytes` parameter (allure_commons.utils.represent).
BYTES_SHOWN = "<class 'bytes'>"


class AllureTidy:
    """Drops internal fixtures from Allure's containers and cuts long parameter values."""

    def __init__(self) -> None:
        self.internal: set[str] = set()

    @pytest.hookimpl(tryfirst=True)
    def pytest_fixture_setup(self, fixturedef: pytest.FixtureDef[Any]) -> None:
        """Classify each fixture as it is set up (by then allure has opened its container)."""
        if is_internal(fixturedef):
            self.internal.add(fixturedef.argname)

    @allure_commons.hookimpl(tryfirst=True)
    def report_container(self, container: Any) -> None:
        """Before the container is written: drop internal fixtures that passed, and
        pytest's own cache-clearing finalizers (`name::<lambda>`); a yield fixture's
        teardown (`name::1`) is shown under the fixture's name."""
        container.befores = [b for b in container.befores
                             if b.name not in self.internal or _failed(b)]
        afters = []
        for after in container.afters:
            base, _, finalizer = after.name.partition("::")
            if _failed(after) or (base not in self.internal and finalizer != "<lambda>"):
                after.name = base
                afters.append(after)
        container.afters = afters
        if not container.befores and not container.afters:
            container.children = []  # nothing left to show: link it to no test


    @allure_commons.hookimpl(tryfirst=True)
    def report_result(self, result: Any) -> None:
        """Before the result is written: a parameter's value (a 20k-deep document, a 1 MB
        body) is shown to MAX_PARAM_VALUE characters; the test's own code has it all. A
        digest of the whole value stays: Allure tells tests apart by their parameters, and
        two long values alike in their first characters would merge into one test.

        allure-pytest shows (and hashes into the history id) a `bytes` parameter as its type
        alone, so the cases of a test parametrised over byte strings would share one id and
        Allure would show them as retries of one test: their ids take in the test's title,
        which names the case."""
        if any(p.value == BYTES_SHOWN for p in result.parameters):
            result.historyId = hashlib.md5(  # noqa: S324 - an id, as allure-pytest's own
                f"{result.historyId}{result.name}".encode()).hexdigest()
        for parameter in result.parameters:
            value = parameter.value or ""
            if len(value) > MAX_PARAM_VALUE:
                digest = hashlib.sha256(value.encode("utf-8", "replace")).hexdigest()[:10]
                parameter.value = (f"{value[:MAX_PARAM_VALUE]}… ({len(value):,} characters, "
                                   f"sha256 {digest})")


def _failed(fixture: Any) -> bool:
    return getattr(fixture, "status", "passed") not in ("passed", None)
