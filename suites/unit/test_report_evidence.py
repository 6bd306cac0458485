"""The Allure results the suites write: readable titles and descriptions, no plumbing in
the set-up list, HTTP evidence previewed on passes and kept in full on failures."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from types import SimpleNamespace
from typing import Any

import pytest
from paylab.suites.plugins.allure_tidy import AllureTidy, title_of
from paylab.suites.plugins.evidence import PREVIEW_CHARS, preview

SAMPLE = '''
import http.server
import threading

import pytest
from paylab.suites.plugins.evidence import EvidenceSession, attach_exchange


@pytest.fixture
def _plumbing():
    yield


@pytest.fixture
def merchant_account():
    yield "acct"


def test_a_blocked_card_is_refused(_plumbing, merchant_account, tmp_path, monkeypatch):
    """A card on the block list.

        Indented detail, not a code block."""
    attach_exchange("POST", "http://sim/v1/x", {"Authorization": "Bearer sk_test_abc"},
                    "a=1", 200, {}, "y" * 10000)


@pytest.mark.parametrize(("card", "document"), [("4000000000000002", "[" * 5000)],
                         ids=["declined"])
def test_the_sdk_sees_a_decline(card, document, merchant_account):
    attach_exchange("POST", "http://sim/v1/x", {}, "a=1", 402, {}, "z" * 10000)
    assert False, "declined differently"


def test_polling_shows_as_one_step():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/nothing-here"
    try:
        with EvidenceSession() as session:
            session.post(url)
            for _ in range(5):
                session.get(url)
            session.get(url + "?other")
    finally:
        server.shutdown()
'''


@pytest.mark.parametrize(("name", "params", "title"), [
    ("test_a_blocked_card_is_refused", None, "A blocked card is refused"),
    ("test_sdk_retry_with_the_same_key", None, "SDK retry with the same key"),
    ("test_3ds_url_is_signed", "visa-200", "3DS URL is signed [visa-200]"),
    ("test_x", "p" * 100, f"X [{'p' * 69}…]"),
    ("test_three_d_secure_redirect", None, "3-D Secure redirect"),
])
def test_titles_read_as_sentences(name: str, params: str | None, title: str) -> None:
    assert title_of(name, params) == title


def test_a_preview_says_what_it_left_out() -> None:
    assert preview("short") == "short"
    cut = preview("x" * (PREVIEW_CHARS + 1234))
    assert cut.startswith("x" * PREVIEW_CHARS) and "1,234 more characters" in cut
    assert "x" * (PREVIEW_CHARS + 1) not in cut


@pytest.fixture(scope="module")
def sample_results(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """Run SAMPLE in its own pytest with the evidence plugin; its Allure results."""
    root = tmp_path_factory.mktemp("sample")
    (root / "test_sample.py").write_text(SAMPLE)
    (root / "pytest.ini").write_text("[pytest]\n")
    out = root / "results"
    run = subprocess.run([sys.executable, "-m", "pytest", str(root / "test_sample.py"), "-q",
                          "-p", "paylab.suites.plugins.evidence", f"--alluredir={out}",
                          "-p", "no:cacheprovider", "-c", str(root / "pytest.ini"),
                          "--rootdir", str(root)], cwd=root, capture_output=True, text=True,
                         timeout=120)
    results = [json.loads(p.read_text()) for p in out.glob("*-result.json")]
    containers = [json.loads(p.read_text()) for p in out.glob("*-container.json")]
    for result in results:
        result["setup"] = sorted(b["name"] for c in containers if result["uuid"] in
                                 c.get("children", []) for b in c.get("befores", []))
        result["teardown"] = sorted(a["name"] for c in containers if result["uuid"] in
                                    c.get("children", []) for a in c.get("afters", []))
        result["texts"] = {a["name"]: (out / a["source"]).read_text()
                           for step in [result, *result.get("steps", [])]
                           for a in step.get("attachments", [])}
    assert len(results) == 3, f"the sample run did not report every test:\n{run.stdout}"
    return results


def _result(results: list[dict[str, Any]], status: str) -> dict[str, Any]:
    (found,) = (r for r in results if r["status"] == status and "olling" not in r["name"])
    return found


def test_results_carry_titles_and_dedented_docstrings(sample_results) -> None:
    passed, failed = _result(sample_results, "passed"), _result(sample_results, "failed")
    assert passed["name"] == "A blocked card is refused"
    assert passed["description"] == ("A card on the block list.\n\n"
                                     "Indented detail, not a code block.")
    assert failed["name"] == "The SDK sees a decline [declined]"
    shown = {p["name"]: p["value"] for p in failed["parameters"]}
    assert shown["card"] == "'4000000000000002'"
    assert len(shown["document"]) < 400
    assert re.search(r"\(5,002 characters, sha256 [0-9a-f]{10}\)$", shown["document"])


def test_long_values_alike_at_the_start_stay_two_tests() -> None:
    """Allure merges results whose parameters are equal; cut values must stay apart."""
    head = "Probe(op=Operation(method='GET', path='/v1/charges'), " + "x" * 400
    results = [SimpleNamespace(parameters=[SimpleNamespace(value=head + tail)])
               for tail in ("starting_after')", "payment_intent')")]
    for result in results:
        AllureTidy().report_result(result)
    first, second = (r.parameters[0].value for r in results)
    assert first != second and len(first) < 400


def test_cases_of_byte_string_parameters_stay_apart() -> None:
    """allure-pytest hashes a bytes parameter as `<class 'bytes'>`: without the title in
    the history id, Allure shows the cases as retries of one test."""
    results = [SimpleNamespace(historyId="same", name=f"A body is refused [{case}]",
                               parameters=[SimpleNamespace(value="<class 'bytes'>")])
               for case in ("{not json", "[1, 2]")]
    for result in results:
        AllureTidy().report_result(result)
    assert results[0].historyId != results[1].historyId
    plain = SimpleNamespace(historyId="kept", name="x [1]",
                            parameters=[SimpleNamespace(value="1")])
    AllureTidy().report_result(plain)
    assert plain.historyId == "kept"


def test_the_set_up_list_leaves_out_plumbing(sample_results) -> None:
    passed = _result(sample_results, "passed")
    assert passed["setup"] == ["merchant_account"], "no _plumbing, tmp_path, monkeypatch"
    assert passed["teardown"] == ["merchant_account"], "no '::<lambda>' finalizers"


def test_a_pass_keeps_a_preview_and_a_failure_everything(sample_results) -> None:
    passed, failed = _result(sample_results, "passed"), _result(sample_results, "failed")
    (shown,) = passed["texts"].values()
    assert len(shown) < PREVIEW_CHARS + 200 and "kept in full only when the test fails" in shown
    assert "sk_test_abc" not in shown, "secrets stay redacted"
    full = failed["texts"]["every HTTP exchange in full (the test failed)"]
    assert "z" * 10000 in full and "HTTP 402" in full


def test_a_polled_get_shows_once_then_as_a_count(sample_results) -> None:
    (polling,) = (r for r in sample_results if r["name"] == "Polling shows as one step")
    steps = [step["name"].split("/nothing")[0] for step in polling["steps"]]
    port = polling["steps"][0]["name"].split(":")[2].split("/")[0]
    base = f"http://127.0.0.1:{port}"
    assert steps == [f"POST {base}", f"GET {base}",
                     "… the same GET 4 more times, last answered 404", f"GET {base}"]
    assert polling["steps"][2]["attachments"][0]["name"] == "last request and response 404"
