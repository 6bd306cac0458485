"""`paylab reconcile` against the simulator and the reference shop: each discrepancy made on
purpose (a dropped notification, a shop killed while the gateway notifies it, duplicated
callbacks, a refund at the gateway behind the shop's back, a second charge of one order, and
edits in an exported order CSV), and the command finds every one and nothing else.

The shop is this test's own (its own API key, so its own tenant and its own database); the
suites' simulator retries webhooks 1, 2, 4 and 8 virtual seconds apart at 20x, so a
delivery runs out of retries in under a second of real time."""

from __future__ import annotations

import csv
import json
import sqlite3
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import allure
import requests
from jsonschema import Draft202012Validator
from paylab.simulator.cli import main as paylab
from paylab.suites.plugins.scenarios import TenantScenario
from paylab.suites.plugins.shop import ShopClient, start_shop, stop_shop
from paylab.suites.plugins.simulator import PROJECT, Control, LiveSimulator
from paylab.suites.reliability.taiwan_rails import Opened, Rails

#: Sent with a scenario: every attempt of every delivery dropped (more than the retries).
LOST = {"rules": [{"name": "lost", "effects": [{"webhook": {"drop_then_retry": 10}}]}]}
TWICE = {"rules": [{"name": "twice", "effects": [{"webhook": {"duplicate": 2}}]}]}
REPORT = Draft202012Validator(json.loads(
    (PROJECT / "contracts" / "reconcile" / "report.schema.json").read_text()))
MAPPING = {"columns": {"order_ref": "order", "amount": "total", "currency": "currency",
                       "status": "status", "transaction_id": "payment", "refunded": "refunded",
                       "fee": "fee"}, "units": "decimal", "gateway": "stripe"}


def settled(control: Control, key: str, within: float = 20.0) -> list[dict[str, Any]]:
    """The tenant's deliveries once none is pending or in flight."""
    deadline = time.monotonic() + within
    while True:
        deliveries = control.deliveries(key, limit=1000)
        if all(d["status"] in ("delivered", "failed") for d in deliveries):
            return deliveries
        assert time.monotonic() < deadline, [d["status"] for d in deliveries]
        time.sleep(0.05)


def order_id_of(answer: requests.Response) -> str:
    assert answer.status_code == 303, answer.text[:300]
    return answer.headers["Location"].split("/orders/")[1].split("?")[0]


def stripe_post(sim: LiveSimulator, key: str, path: str, data: dict[str, Any]) -> dict:
    answer = requests.post(f"{sim.stripe_url}/v1/{path}", data=data, timeout=10,
                           headers={"Authorization": f"Bearer {key}"})
    assert answer.status_code == 200, answer.text
    return answer.json()


def reconcile(tmp_path: Path, name: str, *argv: str) -> tuple[int, dict[str, Any]]:
    """Run the command (in process) with a JSON report, then write the text and HTML ones
    too, and attach all three to the report."""
    report = tmp_path / f"{name}.json"
    code = paylab(["reconcile", *argv, "--format", "json", "--output", str(report)])
    assert code in (0, 1), "bad input (exit 2): see stderr"
    for fmt in ("text", "html"):
        out = tmp_path / f"{name}.{fmt}"
        assert paylab(["reconcile", *argv, "--format", fmt, "--output", str(out)]) == code
        allure.attach.file(str(out), name=f"reconcile {name} ({fmt})",
                           attachment_type=allure.attachment_type.TEXT if fmt == "text"
                           else allure.attachment_type.HTML)
    allure.attach.file(str(report), name=f"reconcile {name} (json)",
                       attachment_type=allure.attachment_type.JSON)
    data = json.loads(report.read_text())
    REPORT.validate(data)
    return code, data


def found(report: dict[str, Any]) -> set[tuple[str, str | None]]:
    return {(d["kind"], d["order_ref"]) for d in report["discrepancies"]}


def export_orders(db: Path, out: Path) -> list[dict[str, str]]:
    """The shop's orders as a merchant's export: decimal totals, no refunds, no fees."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT id, amount, currency, status, payment_intent FROM orders "
                            "ORDER BY created").fetchall()
    finally:
        conn.close()
    lines = [{"order": i, "total": f"{a / 100:.2f}", "currency": c.upper(), "status": s,
              "payment": p or "", "refunded": "", "fee": ""} for i, a, c, s, p in rows]
    write_csv(out, lines)
    return lines


def write_csv(out: Path, lines: list[dict[str, str]]) -> None:
    with out.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(MAPPING["columns"].values()))
        writer.writeheader()
        writer.writerows(lines)


def test_reconcile_finds_every_discrepancy_made_on_purpose(
        simulator: LiveSimulator, control: Control, tmp_path: Path) -> None:
    key = f"sk_test_recon_{uuid.uuid4().hex[:12]}"
    shop = start_shop(tmp_path, simulator.url, api_key=key)
    port, db = int(shop.url.rsplit(":", 1)[1]), shop.db
    assert db is not None
    scenario = TenantScenario(simulator, requests.Session(), key)
    sim_flags = ("--url", simulator.url, "--tenant", key, "--gateway", "stripe")
    try:
        client = ShopClient(shop)
        with ThreadPoolExecutor(4) as pool:  # each shopper with a cart of their own
            paid = pool.map(lambda _: ShopClient(shop).paid_order(), range(8))
            clean = dict(zip("DEFGHJKU", paid, strict=True))
        abandoned = client.start_order()  # checked out, never paid
        settled(control, key)
        code, report = reconcile(tmp_path, "clean", *sim_flags, "--shop-db", str(db))
        assert (code, report["discrepancies"]) == (0, []), "clean traffic reconciles clean"

        scenario.put(TWICE)  # duplicated callbacks: the shop applies each event once
        twice = client.paid_order()
        assert sum(d["copy"] > 0 for d in settled(control, key)) >= 2, "copies were sent"
        scenario.put(LOST)  # dropped notifications: paid, the shop never hears of it
        lost = order_id_of(client.pay(client.start_order()))
        failed = sum(d["status"] == "failed" for d in settled(control, key))
        assert failed > 0
        scenario.clear()

        hosted = client.start_order()  # the shop is killed while the gateway notifies it
        assert shop.process is not None
        shop.process.kill()
        shop.process.wait(10)
        crashed = order_id_of(client.pay(hosted))
        refused = sum(d["status"] == "failed" for d in settled(control, key))
        assert refused > failed, "every retry refused: the shop was down"
        shop = start_shop(tmp_path, simulator.url, api_key=key, port=port, db=db)

        stripe_post(simulator, key, "refunds",  # a refund behind the shop's back
                    {"payment_intent": _intent(db, clean["D"]), "amount": 500})
        stripe_post(simulator, key, "payment_intents", {  # the same order charged twice
            "amount": 1850, "currency": "usd", "payment_method": "pm_card_visa",
            "confirm": "true", "metadata[order_id]": clean["E"]})
        settled(control, key)
        for order in (lost, crashed):
            assert client.status(order)["status"] == "pending"
        assert client.status(twice) == {**client.status(twice), "status": "paid",
                                         "fulfilments": 1}

        gateway_side = {("paid_not_in_books", lost), ("paid_not_in_books", crashed),
                        ("refund_missing_in_books", clean["D"]), ("duplicate", clean["E"])}
        code, report = reconcile(tmp_path, "shop-db", *sim_flags, "--shop-db", str(db))
        assert code == 1 and found(report) == gateway_side
        assert len(report["discrepancies"]) == 4

        # the same books exported as a CSV, then edited by hand
        orders = tmp_path / "orders.csv"
        lines = export_orders(db, orders)
        by_id = {line["order"]: line for line in lines}
        abandoned_id = client.order_of(abandoned, simulator)
        by_id[clean["F"]]["total"] = "18.00"
        by_id[clean["G"]]["currency"] = "EUR"
        by_id[clean["H"]]["refunded"] = "5.00"
        by_id[abandoned_id]["status"] = "paid"
        by_id[clean["K"]]["fee"] = "0.01"
        write_csv(orders, [*lines, by_id[clean["J"]]])
        mapping = tmp_path / "mapping.json"
        mapping.write_text(json.dumps(MAPPING))
        csv_flags = (*sim_flags, "--orders", str(orders), "--mapping", str(mapping))
        code, report = reconcile(tmp_path, "csv", *csv_flags)
        assert code == 1 and found(report) == gateway_side | {
            ("amount_mismatch", clean["F"]), ("currency_mismatch", clean["G"]),
            ("refund_missing_at_gateway", clean["H"]), ("in_books_never_paid", abandoned_id),
            ("duplicate", clean["J"]), ("fee_mismatch", clean["K"])}
        assert len(report["discrepancies"]) == 10
        assert {d["kind"] for d in report["discrepancies"]} == set(report["counts"]), \
            "every kind made on purpose and found"

        # and as CI runs it: the installed command's exit code
        ran = subprocess.run([sys.executable, "-m", "paylab.simulator", "reconcile",
                              *csv_flags], cwd=PROJECT, capture_output=True, text=True,
                             timeout=60, check=False)
        assert ran.returncode == 1, ran.stderr
        assert "10 discrepancies" in ran.stdout
    finally:
        scenario.clear()
        stop_shop(shop)


def test_reconcile_on_the_form_post_rails_in_whole_dollars(simulator: LiveSimulator,
                                                           tmp_path: Path) -> None:
    """ECPay and NewebPay settle whole New Taiwan dollars under the merchant's own trade
    number: a book in decimal TWD matches them, and an edited amount or an unpaid order
    marked paid is found, each once."""
    for gateway, method in (("ecpay", "ATM"), ("newebpay", "VACC")):
        rails = Rails(simulator.url, gateway)

        def opened(amount: int, rails: Rails = rails, method: str = method) -> Opened:
            if rails.merchant.gateway == "ecpay":
                return rails.ecpay_order(method, amount, "https://shop.example/paid")
            return rails.newebpay_order(method, amount)

        paid = [opened(1500), opened(820)]
        for each in paid:
            assert rails.simulate(each).status_code == 200
        unpaid = opened(990)
        books = tmp_path / f"{gateway}.csv"
        books.write_text("trade,amount,state\n" + "".join(
            f"{o.number},{amount},{state}\n" for o, amount, state in (
                (paid[0], "1500", "paid"), (paid[1], "821.00", "paid"),
                (unpaid, "990", "paid"))))
        mapping = tmp_path / f"{gateway}.yaml"
        mapping.write_text(f"columns: {{order_ref: trade, amount: amount, status: state}}\n"
                           f"units: decimal\ncurrency: TWD\ngateway: {gateway}\n")
        code, report = reconcile(tmp_path, gateway, "--url", simulator.url, "--gateway",
                                 gateway, "--tenant", rails.tenant, "--orders", str(books),
                                 "--mapping", str(mapping))
        assert code == 1 and [(d["kind"], d["order_ref"], d["books_figure"],
                               d["gateway_figure"]) for d in report["discrepancies"]] == [
            ("in_books_never_paid", unpaid.number, 99000, None),
            ("amount_mismatch", paid[1].number, 82100, 82000)], gateway


def _intent(db: Path, order_id: str) -> str:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT payment_intent FROM orders WHERE id = ?",
                            (order_id,)).fetchone()[0]
    finally:
        conn.close()
