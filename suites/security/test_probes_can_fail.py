"""The probes are worth running only if they can fail. Against deliberately broken apps the
verdicts report the leak, the server error and the unescaped echo (also when escaped only
partly), a refusal that never reached the probed field, error pages served as HTML, an
evaluated template, a header smuggled into the answer, and a probe that could not be sent.
The same engine, operations and verdicts as `test_injection.py`; only the app differs."""

from __future__ import annotations

import html
import re
from collections.abc import Awaitable, Callable, Iterator

import pytest
from aiohttp import web
from paylab.suites.plugins.webhook_sink import WebhookSink
from paylab.suites.security.injection.engine import Probe, probe_operation
from paylab.suites.security.injection.payloads import payloads
from paylab.suites.security.injection.shapes import Field
from paylab.suites.security.injection.surfaces import Operation, surface

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
SQLISH = re.compile(r"'\s*(OR|UNION|;|--)|DROP TABLE", re.IGNORECASE)
TEMPLATE = re.compile(r"(\{\{|\$\{|<%=|#\{)\s*(\d+)\s*\*\s*(\d+)\s*(\}\}|\}|%>)")
CREATE = surface("stripe").operation("CreatePaymentIntent")
CAPTURE = surface("stripe").operation("CapturePaymentIntent")
STRIPE_MISSING_AMOUNT = {"error": {"type": "invalid_request_error", "code": "parameter_missing",
                                   "message": "Missing required param: amount.",
                                   "param": "amount"}}


def echo_page(method: str = "POST") -> Operation:
    """A one-field page (`name`, valid value "World") that names no refused field."""
    where = "body" if method == "POST" else "query"
    return Operation("stub", "Echo", method, "/echo", (Field("name", where),),
                     {"name": "World"}, {}, {}, {}, "form", "html", names_fields=False)


@pytest.fixture
def stub() -> Iterator[Callable[[Handler], str]]:
    """Start an app that answers every request with `handler`; its base URL."""
    started: list[WebhookSink] = []

    def start(handler: Handler) -> str:
        sink = WebhookSink()
        sink.handler = handler
        sink.start()
        started.append(sink)
        return sink.url

    yield start
    for sink in started:
        sink.stop()


async def _values(request: web.Request) -> dict[str, str]:
    values = dict(request.query)
    if request.method == "POST":
        values.update({k: str(v) for k, v in (await request.post()).items()})
    return values


def _failed(probes: list[Probe]) -> list[str]:
    return [p.verdict.text for p in probes if not p.verdict.ok]


def test_unescaped_echo_and_server_errors_are_reported(stub: Callable[[Handler], str]) -> None:
    async def vulnerable(request: web.Request) -> web.Response:
        value = (await _values(request)).get("name", "")
        if SQLISH.search(value):
            return web.Response(status=500, text="Traceback (most recent call last):\n"
                                "  sqlite3.OperationalError: near \"'\": syntax error")
        return web.Response(text=f"<p>Hello {value}</p>", content_type="text/html")

    url = stub(vulnerable)
    xss = probe_operation(url, echo_page(), "xss")
    assert any("echoed unescaped" in v for v in _failed(xss)), _failed(xss)
    assert any("injected <script> element" in v for v in _failed(xss))
    reasons = " ".join(_failed(probe_operation(url, echo_page(), "sql")))
    assert "server error 500" in reasons and "leaks" in reasons


def test_a_partly_escaped_echo_is_reported(stub: Callable[[Handler], str]) -> None:
    async def partly(request: web.Request) -> web.Response:  # < and > escaped, quotes not
        value = (await _values(request)).get("name", "").replace("<", "&lt;").replace(">", "&gt;")
        return web.Response(text=f'<input name="n" value="{value}"><p>{value}</p>',
                            content_type="text/html")

    failed = _failed(probe_operation(stub(partly), echo_page(), "xss"))
    assert any("injected onerror= attribute" in v for v in failed), failed


def test_a_safe_echo_passes(stub: Callable[[Handler], str]) -> None:
    async def escaped(request: web.Request) -> web.Response:
        value = html.escape((await _values(request)).get("name", ""))
        return web.Response(text=f'<input value="{value}"><p>{value}</p>',
                            content_type="text/html")

    url = stub(escaped)
    for category in ("xss", "command", "template"):
        probes = probe_operation(url, echo_page("GET"), category, every_payload=True)
        assert not _failed(probes), _failed(probes)
        assert len(probes) == len(payloads()[category]) + 1  # and the control probe


def test_a_stripe_shaped_400_to_everything_fails(stub: Callable[[Handler], str]) -> None:
    """The planted bug the old verdict passed: every probe "refused cleanly"."""
    async def refuse(request: web.Request) -> web.Response:
        return web.json_response(STRIPE_MISSING_AMOUNT, status=400)

    url = stub(refuse)
    probes = probe_operation(url, CREATE, "sql")
    assert all(not p.verdict.ok for p in probes)
    controls = [p for p in probes if p.payload is None]
    # a control that points at an object (the customer) fails making it from the stub
    refused = [p for p in controls if "not sent: could not make" not in p.verdict.text]
    assert refused and all("control value was refused" in p.verdict.text for p in refused)
    others = [p for p in probes if p.payload is not None and p.field.name != "amount"]
    assert all("stopped before the handler: refused 'amount'" in p.verdict.text
               for p in others), [p.verdict.text for p in others][:3]
    captured = probe_operation(url, CAPTURE, "sql")  # needs an authorised intent first
    assert all(not p.verdict.ok for p in captured)
    assert all("not sent: could not make authorized_intent" in p.verdict.text
               for p in captured if p.payload is None)

    async def refuse_vaguely(request: web.Request) -> web.Response:
        return web.json_response({"error": {"type": "invalid_request_error",
                                            "message": "Bad request."}}, status=400)

    vague = _failed(probe_operation(stub(refuse_vaguely), CREATE, "xss"))
    assert vague and all("refused naming no field" in v or "control" in v
                         or "not sent: could not make" in v for v in vague)


def _accepting(render: Callable[[dict[str, str]], web.Response]) -> Handler:
    """A PaymentIntent stub: harmless values get JSON 200, anything else `render`."""
    async def handle(request: web.Request) -> web.Response:
        values = await _values(request)
        hostile = {k: v for k, v in values.items() if not re.fullmatch(r"[\w@.:/ -]*", v)}
        hostile |= {k: v for k, v in request.headers.items()
                    if k in ("Idempotency-Key", "Stripe-Version")
                    and not re.fullmatch(r"[\w.-]*", v)}
        if hostile:
            return render(hostile)
        return web.json_response({"id": "pi_1", "object": "payment_intent", **values})
    return handle


def test_error_pages_served_as_html_fail(stub: Callable[[Handler], str]) -> None:
    """Planted bug (a): error bodies as text/html, echoing the payload."""
    url = stub(_accepting(lambda bad: web.Response(
        status=400, text=f"<h1>Invalid</h1><p>{next(iter(bad.values()))}</p>",
        content_type="text/html")))
    failed = _failed(probe_operation(url, CREATE, "xss"))
    assert failed and all("served as text/html, not application/json" in v for v in failed)


def test_an_evaluated_template_fails(stub: Callable[[Handler], str]) -> None:
    def evaluate(bad: dict[str, str]) -> web.Response:
        rendered = {k: TEMPLATE.sub(lambda m: str(int(m[2]) * int(m[3])), v)
                    for k, v in bad.items()}
        return web.json_response({"id": "pi_1", "object": "payment_intent", **rendered})

    failed = _failed(probe_operation(stub(_accepting(evaluate)), CREATE, "template",
                                     every_payload=True))
    assert any("evaluated the template: answered '49'" in v for v in failed), failed
    assert len([v for v in failed if "evaluated" in v]) == 4 * len(CREATE.fields)


def test_headers_go_out_raw_and_a_smuggled_header_is_reported(
        stub: Callable[[Handler], str]) -> None:
    seen: list[str] = []

    async def reflect(request: web.Request) -> web.Response:  # a header that splits the answer
        seen.extend(request.headers.getall("Set-Cookie", []))
        response = web.json_response({"id": "pi_1", "object": "payment_intent"})
        if "Set-Cookie" in request.headers:
            response.headers["Set-Cookie"] = request.headers["Set-Cookie"]
        return response

    failed = _failed(probe_operation(stub(reflect), CREATE, "header_crlf"))
    assert "pwned=1" in seen, "the CR/LF payload was cleaned before it was sent"
    assert any("response splitting: the answer carries Set-Cookie: pwned=1" in v
               for v in failed), failed
