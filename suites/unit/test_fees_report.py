"""`paylab report fees`: the comparison from a database file as text (a subprocess of the
real console script), JSON to a file, Markdown and HTML, from a running simulator's URL,
and a refusal (exit 2) when there is nothing to read."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from paylab.simulator import cli, fees_report
from paylab.simulator.core.objects import Objects
from paylab.simulator.core.store import Store
from paylab.suites.unit.inprocess import ClientFactory, start

PAYLAB = Path(sys.executable).with_name("paylab")


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "sim.db"
    objects = Objects(Store(str(path)))
    order = {"created": 1, "gateway": "ecpay", "currency": "twd", "captured_amount": 0,
             "card": None}
    objects.insert("t1", "order", {**order, "id": "o1", "method": "atm", "methods": ["atm"],
                                   "status": "paid", "amount": 2000})
    objects.insert("t1", "order", {**order, "id": "o2", "method": "cvs", "methods": ["cvs"],
                                   "status": "expired", "amount": 500})
    objects.insert("t1", "order", {**order, "id": "o3", "method": "card", "methods": ["card"],
                                   "status": "paid", "amount": 1000})
    objects.store.close()
    return path


def paylab(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(PAYLAB), "report", "fees", *args], capture_output=True,
                          text=True, timeout=60, check=False)


def test_the_text_table_from_a_database_file(db: Path, tmp_path: Path) -> None:
    done = paylab("--db", str(db))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "Fee comparison (tenant: all)"
    atm = next(line for line in lines if line.startswith("ecpay    atm"))
    # NT$2,000 by ATM: 1% = NT$20 on ECPay and NewebPay; no bank transfer on the wallets
    assert re.split(r"\s{2,}", atm.strip()) == [
        "ecpay", "atm", "ATM / bank transfer", "1", "100.00%", "1", "2,000.00", "20.00",
        "1.00%", "n/a", "20.00 (1.00%)", "20.00 (1.00%)", "n/a", "n/a", "n/a"]
    cvs = next(line for line in lines if line.startswith("ecpay    cvs"))
    assert "0.00%" in cvs.split()  # the expired code: a payment that came to nothing
    out = tmp_path / "out" / "fees.json"  # the same flags in-process (no second start-up)
    assert cli.main(["report", "fees", "--db", str(db), "--format", "json", "--tenant", "t1",
                     "--output", str(out)]) == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    totals = {t["gateway"]: t for t in doc["currencies"]["twd"]["totals"]}
    assert (totals["ecpay"]["fee"], totals["ecpay"]["amount"]) == (2000 + 2800, 300000)
    assert totals["linepay"]["unpriced_count"] == 2


def test_markdown_and_html(db: Path) -> None:
    doc = fees_report.from_db(db)
    markdown = fees_report.render(doc, "markdown")
    assert markdown.startswith("# Fee comparison (tenant: all)\n")
    assert "| ecpay | card | card | 1 | 100.00% | 1 | 1,000.00 | 28.00 | 2.80% |" in markdown
    page = fees_report.render(doc, "html")
    assert page.startswith("<!doctype html>") and "<td>28.00 (2.80%)</td>" in page
    empty = fees_report.render({"gateways": [], "currencies": {}, "tenant": "x"}, "text")
    assert empty.endswith("No payments yet.\n") and "(tenant: x)" in empty


def test_nothing_to_read_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["report", "fees", "--db", str(tmp_path / "none.db")]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "no database at" in err
    assert cli.main(["report", "fees", "--url", "http://127.0.0.1:9"]) == 2
    assert "cannot reach" in capsys.readouterr().err


async def test_from_a_running_simulator(aiohttp_client: ClientFactory) -> None:
    sim = await start(aiohttp_client)
    assert (await sim.pay(2000, "usd", "pm_card_visa")).status == 200
    url = str(sim.client.make_url("/")).rstrip("/")
    loop = asyncio.get_running_loop()
    served = await loop.run_in_executor(None, fees_report.from_url, url, sim.key)
    assert served["tenant"] is not None
    assert served["currencies"]["usd"]["rows"][0]["fee"] == 88
    with pytest.raises(ValueError, match="HTTP 404"):
        await loop.run_in_executor(None, fees_report.from_url, url, "nobody")


def test_attach_puts_html_and_markdown_in_the_allure_result(
        db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import allure

    seen: list[tuple[str, str, object]] = []
    monkeypatch.setattr(allure, "attach", lambda body, name, attachment_type: seen.append(
        (name, body, attachment_type)))
    fees_report.attach(fees_report.from_db(db), "after the run")
    assert [(name, kind) for name, _, kind in seen] == [
        ("after the run (html)", allure.attachment_type.HTML),
        ("after the run (markdown)", allure.attachment_type.TEXT)]
    assert seen[0][1].startswith("<!doctype html>") and seen[1][1].startswith("# Fee")
