"""`paylab reconcile`'s inputs and outputs: column mappings and their errors, minor and
decimal units, the reference shop's database, settlement files, the ledger's stand-in rows,
the simulator's answers, the reports and the exit codes."""

from __future__ import annotations

import argparse
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from paylab.shop.db import ShopDB
from paylab.simulator.reconcile import cli
from paylab.simulator.reconcile.books import from_csv, from_shop_db, load_mapping, to_minor
from paylab.simulator.reconcile.compare import reconcile
from paylab.simulator.reconcile.model import KINDS, BookEntry, ReconcileError
from paylab.simulator.reconcile.report import render, summary
from paylab.simulator.reconcile.sources import in_minor_units, ledger_rows, settlement_file


def pay(ref: str | None, amount: int = 1850, *, txn: str = "", currency: str = "usd",
        fee: int | None = 84, gateway: str = "stripe", **more: Any) -> dict[str, Any]:
    """A neutral settlement payment row."""
    return {"gateway": gateway, "type": "payment", "order_ref": ref, "currency": currency,
            "transaction_id": txn or f"ch_{ref}", "amount": amount, "fee": fee, **more}


def book(ref: str, amount: int = 1850, **more: Any) -> BookEntry:
    """A paid order on stripe unless told otherwise."""
    return BookEntry(**{"order_ref": ref, "amount": amount, "currency": "usd", "paid": True,
                        "gateway": "stripe", **more})


# -- mapping and units ------------------------------------------------------------------------
def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


MAPPING = {"columns": {"order_ref": "Order", "amount": "Total", "currency": "Cur",
                       "status": "State", "refunded": "Refunded", "fee": "Fee"},
           "units": "decimal", "paid_status": ["PAID", "Refunded"]}


def test_decimal_units_in_each_currency() -> None:
    assert to_minor("12.50", "usd", "decimal", "x") == 1250
    assert to_minor("1250", "jpy", "decimal", "x") == 1250
    assert to_minor("1.234", "kwd", "decimal", "x") == 1234
    assert to_minor(" 1250 ", "usd", "minor", "x") == 1250
    with pytest.raises(ReconcileError, match=r"x: '12.505' must be at most 2 decimals in USD"):
        to_minor("12.505", "usd", "decimal", "x")
    with pytest.raises(ReconcileError, match=r"x: '12.5' must be a whole number"):
        to_minor("12.5", "usd", "minor", "x")
    with pytest.raises(ReconcileError, match="is not a number"):
        to_minor("NaN", "usd", "minor", "x")
    with pytest.raises(ReconcileError, match="is not a number"):
        to_minor("12,50", "usd", "decimal", "x")


def test_csv_with_a_yaml_mapping(tmp_path: Path) -> None:
    mapping = write(tmp_path, "m.yaml", json.dumps(MAPPING))
    orders = write(tmp_path, "o.csv", "Order,Total,Cur,State,Refunded,Fee\n"
                   "A1,18.50,USD,paid,,0.84\nA2,24.00,usd,refunded,24.00,\n"
                   "A3,5,usd,cancelled,,\n")
    entries = from_csv(orders, load_mapping(mapping))
    assert entries == [
        BookEntry("A1", 1850, "usd", True, fee=84, status="paid"),
        BookEntry("A2", 2400, "usd", True, refunded=2400, status="refunded"),
        BookEntry("A3", 500, "usd", False, status="cancelled")]


def test_default_currency_gateway_and_delimiter(tmp_path: Path) -> None:
    mapping = write(tmp_path, "m.json", json.dumps({
        "columns": {"order_ref": "no", "amount": "amt", "status": "st", "date": "day"},
        "currency": "TWD", "gateway": "ecpay", "delimiter": ";"}))
    orders = write(tmp_path, "o.csv", "no;amt;st;day\nX;100;paid;2026-12-03T10:00:00\n")
    (entry,) = from_csv(orders, load_mapping(mapping))
    assert entry == BookEntry("X", 100, "twd", True, gateway="ecpay", status="paid",
                              date="2026-12-03")


@pytest.mark.parametrize(("doc", "message"), [
    ({"columns": {"order_ref": "a", "status": "s", "currency": "c"}},
     r"columns: 'amount' is a required property"),
    ({"columns": {"order_ref": "a", "amount": "b", "status": "s"}, "currency": "c"},
     r"currency: 'c' does not match"),
    ({"columns": {"order_ref": "a", "amount": "b", "status": "s", "currency": "c"},
      "units": "cents"}, r"units: 'cents' is not one of \['minor', 'decimal'\]"),
    ({"columns": {"order_ref": "a", "amount": "b", "status": "s", "colour": "c"}},
     r"columns: Additional properties are not allowed \('colour' was unexpected\)"),
    ({"columns": {"order_ref": "a", "amount": "b", "status": "s"}},
     "give columns.currency or a currency for every row"),
    ([1, 2], r"\(top level\): \[1, 2\] is not of type 'object'"),
])
def test_mapping_errors_say_what_is_wrong(tmp_path: Path, doc: Any, message: str) -> None:
    path = write(tmp_path, "m.json", json.dumps(doc))
    with pytest.raises(ReconcileError, match=message) as caught:
        load_mapping(path)
    assert str(caught.value).startswith(f"{path}: ")


def test_unreadable_or_unparsable_mapping(tmp_path: Path) -> None:
    with pytest.raises(ReconcileError, match="cannot read the mapping"):
        load_mapping(tmp_path / "absent.yaml")
    with pytest.raises(ReconcileError, match="not JSON or YAML"):
        load_mapping(write(tmp_path, "m.yaml", "columns: [unclosed\n"))


def test_csv_errors_name_the_line_and_column(tmp_path: Path) -> None:
    mapping = load_mapping(write(tmp_path, "m.json", json.dumps(MAPPING)))
    missing = write(tmp_path, "a.csv", "Order,Total,Cur,State\nA,1,usd,paid\n")
    with pytest.raises(ReconcileError, match=r"no column 'Refunded', 'Fee'"):
        from_csv(missing, mapping)
    bad = write(tmp_path, "b.csv", "Order,Total,Cur,State,Refunded,Fee\nA,1,usd,paid,,\n"
                "B,lots,usd,paid,,\n")
    with pytest.raises(ReconcileError, match=r"b.csv:3: Total: 'lots' is not a number"):
        from_csv(bad, mapping)
    empty = write(tmp_path, "c.csv", "Order,Total,Cur,State,Refunded,Fee\n,1,usd,paid,,\n")
    with pytest.raises(ReconcileError, match=r"c.csv:2: Order is empty"):
        from_csv(empty, mapping)
    currency = write(tmp_path, "d.csv", "Order,Total,Cur,State,Refunded,Fee\nA,1,dollars,paid,,\n")
    with pytest.raises(ReconcileError, match="currency 'dollars' is not a 3-letter code"):
        from_csv(currency, mapping)


# -- the reference shop's books ---------------------------------------------------------------
def test_shop_database_orders_trades_and_wallets(tmp_path: Path) -> None:
    db = ShopDB(str(tmp_path / "shop.db"))
    card = db.create_order("c1", [], 1850, "usd")
    with db.recording("evt_1", "checkout.session.completed"):
        db.mark_paid(card, "pi_1", "a@example.com", "evt_1")
    trade_order = db.create_order("c2", [], 2400, "usd")
    trade_no = db.create_trade(trade_order, "ecpay", "credit", 750)
    wallet_order = db.create_order("c3", [], 1450, "usd")
    wallet = db.create_wallet_payment(wallet_order, "paypal", "14.50", "USD")
    db.set_wallet_transaction(wallet_order, "PP-1")
    entries = {e.order_ref: e for e in from_shop_db(tmp_path / "shop.db")}
    assert entries[card] == BookEntry(card, 1850, "usd", True, gateway="stripe",
                                      transaction_id="pi_1", status="paid",
                                      date=entries[card].date)
    assert entries[trade_no] == BookEntry(trade_no, 75000, "twd", False, gateway="ecpay",
                                          status="pending", date=entries[trade_no].date)
    assert entries[wallet["reference"]] == BookEntry(
        wallet["reference"], 1450, "usd", False, gateway="paypal", transaction_id="PP-1",
        status="pending", date=entries[wallet["reference"]].date)
    assert len(entries) == 3


def test_shop_database_errors(tmp_path: Path) -> None:
    with pytest.raises(ReconcileError, match="no such shop database"):
        from_shop_db(tmp_path / "absent.db")
    with pytest.raises(ReconcileError, match="not a shop database"):
        from_shop_db(write(tmp_path, "x.db", "not sqlite at all, just text" * 10))


# -- the gateway's side -----------------------------------------------------------------------
def test_ledger_rows_stand_in_for_settlement_rows() -> None:
    ledger = {"payments": [
        {"id": "pi_1", "tenant": "t", "gateway": "stripe", "currency": "usd",
         "captured": 1850, "refunded": 500},
        {"id": "pi_2", "tenant": "t", "gateway": "stripe", "currency": "usd",
         "captured": 0, "refunded": 0},
        {"id": "ord_1", "tenant": "t", "gateway": "ecpay", "currency": "twd", "captured": 750,
         "refunded": 0, "method": "credit", "merchant_order_no": "PL1"}]}
    rows = ledger_rows(ledger)
    assert [(r["type"], r["transaction_id"], r["order_ref"], r["amount"], r["fee"])
            for r in rows] == [("payment", "pi_1", None, 1850, None),
                               ("refund", "pi_1", None, -500, None),
                               ("payment", "ord_1", "PL1", 750, None)]


def test_whole_unit_rows_are_scaled_to_minor_units() -> None:
    ecpay = {"gateway": "ecpay", "type": "payment", "currency": "twd", "decimals": 0,
             "amount": 750, "fee": 21, "net": 729}
    stripe = {**pay("o1"), "decimals": 2}
    undeclared = pay("o2")
    assert in_minor_units([ecpay, stripe, undeclared]) == [
        {**ecpay, "decimals": 2, "amount": 75000, "fee": 2100, "net": 72900}, stripe, undeclared]
    assert in_minor_units([{**ecpay, "fee": None, "net": None}])[0]["fee"] is None
    assert in_minor_units([{**ecpay, "currency": "JPY"}])[0]["amount"] == 750


def test_settlement_csv_and_json_files(tmp_path: Path) -> None:
    csv_rows = settlement_file(write(
        tmp_path, "s.csv", "gateway,type,order_ref,transaction_id,amount,currency,fee,net\n"
        "stripe,payment,o1,ch_1,1850,usd,84,1766\nstripe,refund,o1,re_1,-500,usd,,\n"))
    assert [(r["amount"], r["fee"], r["net"]) for r in csv_rows] == [(1850, 84, 1766),
                                                                      (-500, None, None)]
    assert settlement_file(write(tmp_path, "s.json", json.dumps({"rows": [pay("o1")]}))) == [
        pay("o1")]
    with pytest.raises(ReconcileError, match=r"s2.csv:2: amount '18.50' is not an integer"):
        settlement_file(write(tmp_path, "s2.csv", "gateway,type,amount,currency\n"
                              "stripe,payment,18.50,usd\n"))
    with pytest.raises(ReconcileError, match="row 0 has no 'currency'"):
        settlement_file(write(tmp_path, "s3.json", json.dumps([{"gateway": "x", "type": "payment",
                                                                 "amount": 1}])))


# -- reports and the command ------------------------------------------------------------------
REPORT_SCHEMA = Path(__file__).resolve().parents[2] / "contracts/reconcile/report.schema.json"


def test_the_json_report_satisfies_its_contract() -> None:
    found = reconcile([book("o1", 1851), book("o2"), book("o2"), book("o3", paid=False)],
                      [pay("o1"), pay("o2"), pay("o3"), pay("o3", txn="ch_x")])
    assert {d.kind for d in found} == {"amount_mismatch", "duplicate", "paid_not_in_books"}
    report = summary(found, books=4, rows=4, scope={"gateway": "stripe", "tenant": None,
                                                    "from": None, "to": "2026-12-03"})
    validator = Draft202012Validator(json.loads(REPORT_SCHEMA.read_text()))
    validator.validate(json.loads(render(report, "json")))
    report["discrepancies"][0]["kind"] = "rounding"
    assert not validator.is_valid(report), "the contract names every kind"


def test_reports_in_every_format() -> None:
    found = reconcile([book("o1", 1851)], [pay("o1")])
    report = summary(found, books=1, rows=1, scope={"gateway": "stripe"})
    assert report["clean"] is False and report["counts"]["amount_mismatch"] == 1
    assert sum(report["counts"].values()) == 1 and list(report["counts"]) == list(KINDS)
    assert json.loads(render(report, "json"))["discrepancies"][0] == {
        "kind": "amount_mismatch", "order_ref": "o1", "gateway": "stripe",
        "transaction_id": "ch_o1", "detail": "", "side": None, "books_figure": 1851,
        "gateway_figure": 1850}
    text = render(report, "text")
    assert "1 discrepancy: amount_mismatch 1" in text
    assert "amount_mismatch" in text and "books=1851 gateway=1850" in text
    assert "<td>amount_mismatch</td>" in render(report, "html")
    clean = summary([], books=0, rows=0, scope={})
    assert "clean: no discrepancy" in render(clean, "text")


def run(tmp_path: Path, *argv: str) -> int:
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    return cli.run(parser.parse_args(list(argv)))


def test_command_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mapping = write(tmp_path, "m.json", json.dumps(MAPPING))
    orders = write(tmp_path, "o.csv", "Order,Total,Cur,State,Refunded,Fee\n"
                   "o1,18.50,usd,paid,,0.84\n")
    settled = write(tmp_path, "s.json", json.dumps([  # 2026-12-03 23:59:59 UTC
        pay("o1", created_at=1796342399, settlement_date="2026-12-05")]))
    flags = ("--orders", str(orders), "--mapping", str(mapping), "--settlement", str(settled))
    assert run(tmp_path, *flags) == 0
    assert "clean" in capsys.readouterr().out
    out = tmp_path / "r.json"
    assert run(tmp_path, *flags, "--date", "2026-12-04", "--format", "json",
               "--output", str(out)) == 1
    assert json.loads(out.read_text())["counts"]["in_books_never_paid"] == 1
    assert run(tmp_path, *flags, "--date", "2026-12-03", "--gateway", "stripe") == 0
    assert run(tmp_path, *flags, "--gateway", "ecpay") == 1
    capsys.readouterr()
    assert run(tmp_path, *flags, "--date", "03/12/2026") == 2
    assert "--date '03/12/2026': expected YYYY-MM-DD" in capsys.readouterr().err
    iso = write(tmp_path, "s2.csv", "gateway,type,order_ref,transaction_id,amount,currency,"
                "fee,created_at\nstripe,payment,o1,ch_1,1850,usd,84,2026-12-04T00:00:00Z\n")
    assert run(tmp_path, *flags[:4], "--settlement", str(iso), "--date", "2026-12-04") == 0
    assert run(tmp_path, *flags[:4], "--settlement", str(iso), "--date", "2026-12-03") == 1
    assert run(tmp_path, *flags, "--from", "2026-12-05", "--to", "2026-12-01") == 2
    assert run(tmp_path, *flags, "--date", "2026-12-03", "--from", "2026-12-01") == 2
    assert run(tmp_path, "--orders", str(orders), "--settlement", str(settled)) == 2
    assert "--orders needs --mapping" in capsys.readouterr().err
    assert run(tmp_path, "--settlement", str(settled)) == 2
    assert run(tmp_path, "--url", "http://127.0.0.1:9", *flags[:4]) == 2
    assert "cannot reach the simulator" in capsys.readouterr().err


# -- the simulator's answers ------------------------------------------------------------------
class _Fake(BaseHTTPRequestHandler):
    """A control API: /_sim/settlements answers what `settlements` holds (None: unrouted)."""

    settlements: tuple[int, Any] | None = None
    ledger: dict[str, Any] = {}  # noqa: RUF012 - set per test
    seen: list[str] = []  # noqa: RUF012 - set per test

    def do_GET(self) -> None:
        self.seen.append(self.path)
        if self.path.startswith("/_sim/ledger"):
            status, body = 200, self.ledger
        elif self.path.startswith("/_sim/settlements") and self.settlements is not None:
            status, body = self.settlements
        else:
            status, body = 404, {"error": {"code": "not_found", "message": "no", "field": None}}
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        """Quiet."""


@pytest.fixture
def fake() -> Any:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Fake)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Fake.settlements, _Fake.ledger, _Fake.seen = None, {}, []
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_settlement_rows_from_the_simulator(fake: str, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    _Fake.settlements = (200, {"rows": [pay("o1"), pay("o9")], "count": 2})
    orders = write(tmp_path, "o.csv", "Order,Total,Cur,State,Refunded,Fee\no1,18.50,usd,paid,,\n")
    mapping = write(tmp_path, "m.json", json.dumps(MAPPING))
    flags = ("--url", fake, "--orders", str(orders), "--mapping", str(mapping), "--format",
             "json")
    assert run(tmp_path, *flags, "--tenant", "sk_test_x", "--from", "2026-12-01") == 1
    report = json.loads(capsys.readouterr().out)
    assert [(d["kind"], d["order_ref"]) for d in report["discrepancies"]] == [
        ("paid_not_in_books", "o9")]
    assert _Fake.seen == [
        "/_sim/settlements?tenant=sk_test_x&from=2026-12-01&by=created_date&format=json"]
    _Fake.settlements = (404, {"error": {"code": "unknown_tenant", "message": "No tenant x",
                                         "field": "tenant"}})
    assert run(tmp_path, *flags, "--tenant", "x") == 2
    assert "/_sim/settlements: HTTP 404: No tenant x" in capsys.readouterr().err


def test_without_settlements_the_ledger_stands_in(fake: str, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    _Fake.ledger = {"payments": [
        {"id": "pi_1", "tenant": "t", "gateway": "stripe", "currency": "usd", "captured": 1850,
         "refunded": 500}]}
    orders = write(tmp_path, "o.csv", "Order,Total,Cur,State,Refunded,Fee,Txn\n"
                   "o1,18.50,usd,paid,,,pi_1\n")
    mapping = write(tmp_path, "m.json", json.dumps(
        {**MAPPING, "columns": {**MAPPING["columns"], "transaction_id": "Txn"}}))
    assert run(tmp_path, "--url", fake, "--orders", str(orders), "--mapping", str(mapping),
               "--format", "json", "--tenant", "t") == 1
    (only,) = json.loads(capsys.readouterr().out)["discrepancies"]
    assert (only["kind"], only["order_ref"], only["gateway_figure"]) == (
        "refund_missing_in_books", "o1", 500)
    assert _Fake.seen == ["/_sim/settlements?tenant=t&format=json", "/_sim/ledger?tenant=t"]
