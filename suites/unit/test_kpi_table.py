"""The KPI table of a run (suites/plugins/kpi_table.py): read from each simulator the
session started before it stops, attached once to the Allure results, and never a
failure when a simulator is gone."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from paylab.suites.plugins import kpi_table

from paylab.testing.server import free_port

ROW = {"gateway": "stripe", "method": "card", "volume": 4, "amount": {"usd": 2000},
       "succeeded": 1, "failed": 2, "success_rate": 0.3333, "failure_rate": 0.6667,
       "declines": {"fraudulent": 1, "generic_decline": 1}, "decline_rate": 0.6667,
       "refunds": 1, "refund_rate": 1.0, "refunded_amount": {"usd": 500},
       "average_amount": {"usd": 2000.0}, "median_amount": {"usd": 2000.0},
       "latency_ms": {"p50": 1.2, "p95": 4.0, "p99": 9.5, "count": 5},
       "webhooks": {"delivered": 3, "failed": 1, "failure_rate": 0.25, "lag_ms_p50": 40.0,
                    "lag_ms_p99": 1200.0, "backlog": 0},
       "challenges": 1, "challenge_rate": 0.25, "fraud_blocks": 1}


class _Stats(BaseHTTPRequestHandler):
    """A stand-in simulator: /_sim/stats with one run row."""

    def do_GET(self) -> None:
        body = json.dumps({"kpis": {"windows": {"run": [ROW]}}}).encode()
        self.send_response(200 if self.path == "/_sim/stats" else 404)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        """Quiet."""


@pytest.fixture
def stand_in() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Stats)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_row_flattens_into_the_columns() -> None:
    line = kpi_table.flat("http://sim", ROW)
    assert list(line) == list(kpi_table.COLUMNS)
    assert (line["simulator"], line["gateway"], line["declines"], line["amount"]) == (
        "http://sim", "stripe", "fraudulent: 1, generic_decline: 1", "usd: 2000")
    assert (line["latency_p99_ms"], line["requests"], line["webhook_lag_p99_ms"]) == (
        "9.5", "5", "1200.0")
    assert kpi_table.flat("x", {**ROW, "success_rate": None})["success_rate"] == ""


def test_csv_and_html_carry_every_row() -> None:
    captured = [("http://a", [ROW]), ("http://b", [{**ROW, "method": "<b>"}])]
    text = kpi_table.as_csv(captured)
    lines = text.splitlines()
    assert lines[0] == ",".join(kpi_table.COLUMNS)
    assert len(lines) == 3 and lines[1].startswith("http://a,stripe,card,4,1,2,0.3333,")
    page = kpi_table.as_html(captured)
    assert page.count("<tr>") == 3 and "&lt;b&gt;" in page and "<b>" not in page


def test_a_simulator_gone_is_no_failure(stand_in: str) -> None:
    assert kpi_table.run_rows(stand_in) == [ROW]
    assert kpi_table.run_rows(f"http://127.0.0.1:{free_port()}") is None
    assert kpi_table.run_rows(stand_in + "/elsewhere") is None  # 404: not a simulator


SAMPLE = '''
import pytest
from paylab.testing.server import LiveSimulator

@pytest.fixture(scope="session")
def started():
    sim = LiveSimulator("{url}", process=object())
    yield sim
    open("{stopped}", "w").write("stopped")
    # the figures were read before this teardown: a simulator gone by now is no matter

@pytest.fixture(scope="session")
def pointed_at():
    return LiveSimulator("{url}")  # not started by the session: left out

def test_one(started, pointed_at):
    assert started.url

@pytest.fixture(scope="session")
def gone():
    return LiveSimulator("http://127.0.0.1:{dead}", process=object())

def test_two(gone):
    assert gone.url
'''


def test_the_session_attaches_one_table(stand_in: str, tmp_path: Path) -> None:
    stopped = tmp_path / "stopped"
    (tmp_path / "test_sample.py").write_text(SAMPLE.format(url=stand_in, stopped=stopped,
                                                           dead=free_port()))
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    out = tmp_path / "results"
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly",
                          "-p", "paylab.suites.plugins.kpi_table", f"--alluredir={out}",
                          "-p", "no:cacheprovider", "-c", str(tmp_path / "pytest.ini"),
                          "--rootdir", str(tmp_path), str(tmp_path / "test_sample.py")],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert stopped.exists()
    globals_ = [json.loads(p.read_text()) for p in out.glob("*-globals.json")]
    names = sorted(a["name"] for g in globals_ for a in g.get("attachments", []))
    assert names == ["KPI figures of the run", "KPI figures of the run (CSV)"]
    (csv_file,) = (out / a["source"] for g in globals_ for a in g["attachments"]
                   if a["name"].endswith("(CSV)"))
    rows = csv_file.read_text().splitlines()
    assert len(rows) == 2 and rows[1].startswith(f"{stand_in},stripe,card,4,")
