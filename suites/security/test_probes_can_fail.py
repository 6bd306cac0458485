"""The probes are worth running only if they can fail: against a deliberately vulnerable
app they report the leak, the server error and the unescaped echo."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from aiohttp import web

from suites.plugins.webhook_sink import WebhookSink
from suites.security.probes import Target, payloads, probe_target

SQLISH = re.compile(r"'\s*(OR|UNION|;|--)|DROP TABLE", re.IGNORECASE)


class VulnerableApp:
    """Echoes input raw into HTML and crashes with a trace on SQL-looking input."""

    def __init__(self) -> None:
        self.server = WebhookSink()

        async def handle(request: web.Request) -> web.Response:
            value = request.query.get("q", "")
            if request.method == "POST":
                value = (await request.post()).get("name", "")
            if SQLISH.search(str(value)):
                return web.Response(status=500, text="Traceback (most recent call last):\n"
                                    "  sqlite3.OperationalError: near \"'\": syntax error")
            return web.Response(text=f"<p>Hello {value}</p>", content_type="text/html")

        self.server.handler = handle

    def start(self) -> str:
        self.server.start()
        return self.server.url


@pytest.fixture
def vulnerable() -> Iterator[str]:
    app = VulnerableApp()
    url = app.start()
    yield url
    app.server.stop()


def test_unescaped_echo_and_server_errors_are_reported(vulnerable: str) -> None:
    target = Target("vulnerable", "POST", f"{vulnerable}/echo", {"name": "body"}, html=True)
    xss = probe_target(target, "xss")
    assert [p.verdict for p in xss if not p.ok], "an unescaped echo must fail a probe"
    assert any("echoed unescaped" in p.verdict for p in xss)
    sql = probe_target(target, "sql")
    reasons = " ".join(p.verdict for p in sql if not p.ok)
    assert "server error 500" in reasons and "leaks" in reasons


def test_a_safe_echo_passes(vulnerable: str) -> None:
    safe = Target("escaped", "GET", f"{vulnerable}/echo", {"q": "query"}, html=True)
    probes = probe_target(safe, "command")  # no quotes, no markup: the raw echo is harmless
    assert all(p.ok for p in probes), [p.verdict for p in probes if not p.ok]
    assert len(probes) == len(payloads()["command"]) and all(p.status == 200 for p in probes)
