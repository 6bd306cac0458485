"""The `paylab` command's pieces that need no server: port checks that name the flag,
scenario names (files or presets), flags that default from the documented environment
variables, `--version`, and the log formats (JSON lines, the access log)."""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from paylab.simulator import cli
from paylab.simulator.contracts import Contracts
from paylab.simulator.core.clock import Clock
from paylab.simulator.logs import FIELDS, AccessLogger, JsonFormatter, quiet_third_parties
from paylab.simulator.ports import Listener, PortUnavailable, check_free
from paylab.simulator.scenarios.engine import ScenarioEngine
from paylab.simulator.scenarios.loader import check_source, load_named, preset_names
from paylab.simulator.scenarios.model import ScenarioError
from paylab.simulator.serving import scenario_summary

import paylab


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port something listens on for the length of the test."""
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        yield listening.getsockname()[1]


def test_a_busy_port_is_blamed_on_the_flag_that_chose_it(busy_port: int) -> None:
    free = Listener("--port", "127.0.0.1", 0)
    with pytest.raises(PortUnavailable) as caught:
        check_free([free, Listener("--shop-port", "127.0.0.1", busy_port)])
    message = str(caught.value)
    assert f"127.0.0.1:{busy_port} (--shop-port)" in message
    assert message.endswith("Choose another --shop-port.") and "\n" not in message


def test_two_listeners_on_one_port_are_refused_before_binding() -> None:
    with pytest.raises(PortUnavailable, match=r"--port uses port 8123 too\. Choose another "
                                              r"--shop-port\.$"):
        check_free([Listener("--port", "127.0.0.1", 8123),
                    Listener("--shop-port", "127.0.0.1", 8123)])


def test_free_ports_pass() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    check_free([Listener("--port", "127.0.0.1", port), Listener("--shop-port", "127.0.0.1", 0)])


def test_a_preset_name_loads_the_preset_and_an_unknown_name_lists_them() -> None:
    scenario = load_named("slow-gateway", Contracts(), lambda key: key)
    assert scenario.name == "slow-gateway"
    with pytest.raises(ScenarioError) as caught:
        check_source("slow-gatway")
    assert "no file slow-gatway and no preset by that name" in str(caught.value)
    assert all(name in str(caught.value) for name in preset_names())


def test_serve_flags_take_a_preset_and_refuse_an_unknown_one(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PAYLAB_SCENARIO", raising=False)
    monkeypatch.delenv("PAYLAB_PRESET", raising=False)
    args = cli.build_parser().parse_args(["serve", "--preset", "gateway-outage"])
    assert cli._settings(args).scenario == "gateway-outage"
    args = cli.build_parser().parse_args(["serve", "--scenario", "flaky-network"])
    assert cli._settings(args).scenario == "flaky-network"
    args = cli.build_parser().parse_args(["serve", "--preset", "nope"])
    with pytest.raises(ValueError, match=r"--preset nope: no such preset \(presets: "):
        cli._settings(args)
    args = cli.build_parser().parse_args(["serve", "--scenario", "x.yaml", "--preset", "nope"])
    with pytest.raises(ValueError, match="not both"):
        cli._settings(args)


def test_the_shop_port_defaults_from_shop_port_then_8000(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SHOP_PORT", raising=False)
    assert cli._shop_port(cli.build_parser().parse_args(["up"])) == 8000
    monkeypatch.setenv("SHOP_PORT", "9123")
    assert cli._shop_port(cli.build_parser().parse_args(["up"])) == 9123
    assert cli._shop_port(cli.build_parser().parse_args(["up", "--shop-port", "9124"])) == 9124
    monkeypatch.setenv("SHOP_PORT", "eighty")
    with pytest.raises(ValueError, match="SHOP_PORT='eighty': not a port number"):
        cli._shop_port(cli.build_parser().parse_args(["up"]))


def test_log_flags_default_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAYLAB_LOG_FORMAT", "json")
    monkeypatch.setenv("PAYLAB_ACCESS_LOG", "1")
    args = cli.build_parser().parse_args(["up"])
    assert (args.log_format, args.access_log) == ("json", True)
    monkeypatch.delenv("PAYLAB_LOG_FORMAT")
    monkeypatch.delenv("PAYLAB_ACCESS_LOG")
    args = cli.build_parser().parse_args(["serve"])
    assert (args.log_format, args.access_log) == ("text", False)


def test_version_comes_from_the_package_metadata(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        cli.main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"paylab {paylab.__version__}"


def test_json_lines_carry_the_access_fields_and_never_the_query() -> None:
    class Request:
        method, path, path_qs = "GET", "/stripe/checkout/cs_1", "/stripe/checkout/cs_1?token=t"

    class Response:
        status = 200

    records: list[logging.LogRecord] = []
    logger = logging.getLogger("paylab.test-access")
    logger.addHandler(handler := logging.Handler())
    handler.emit = records.append  # type: ignore[method-assign]
    logger.setLevel(logging.INFO)
    try:
        AccessLogger(logger, "").log(Request(), Response(), 0.01234)  # type: ignore[arg-type]
    finally:
        logger.removeHandler(handler)
    (record,) = records
    assert record.getMessage() == "GET /stripe/checkout/cs_1 200 12.3ms"
    line = JsonFormatter().format(record)
    assert "\n" not in line and "token" not in line
    doc = json.loads(line)
    assert {k: doc[k] for k in ("level", "logger", "method", "path", "status", "duration_ms")} \
        == {"level": "INFO", "logger": "paylab.test-access", "method": "GET",
            "path": "/stripe/checkout/cs_1", "status": 200, "duration_ms": 12.3}
    assert getattr(record, FIELDS)["status"] == 200


def test_the_stripe_sdk_never_logs_below_warning() -> None:
    stripe_log = logging.getLogger("stripe")
    stripe_log.setLevel(logging.DEBUG)
    quiet_third_parties()
    assert stripe_log.level == logging.WARNING


def test_a_file_wins_over_a_preset_of_the_same_name(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("slow-gateway").write_text("name: my-own\nrules: []\n")
    assert load_named("slow-gateway", Contracts(), lambda key: key).name == "my-own"
    check_source("slow-gateway")  # a file: no complaint
    Path("mine.yaml").write_text("name: mine\nrules: []\n")
    assert load_named("mine.yaml", Contracts(), lambda key: key).name == "mine"


def test_the_banner_names_the_global_scenario_and_counts_tenants_with_their_own() -> None:
    engine = ScenarioEngine(Clock(1.0), 1, lambda key: key)
    assert scenario_summary(engine) == "none; PUT one or pick a preset"
    outage = load_named("gateway-outage", Contracts(), lambda key: key)
    engine.load(outage, tenant="acct_a")
    assert scenario_summary(engine) == "none globally; 1 tenant with their own"
    engine.load(load_named("slow-gateway", Contracts(), lambda key: key))
    engine.load(outage, tenant="acct_b")
    assert scenario_summary(engine) == "slow-gateway; 2 tenants with their own"


def test_retention_takes_days_from_the_flag_or_the_variable_and_refuses_under_a_day(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PAYLAB_RETENTION_DAYS", raising=False)
    assert cli._settings(cli.build_parser().parse_args(["serve"])).retention_days == 0
    args = cli.build_parser().parse_args(["serve", "--retention", "7"])
    assert cli._settings(args).retention_days == 7
    monkeypatch.setenv("PAYLAB_RETENTION_DAYS", "3")
    assert cli._settings(cli.build_parser().parse_args(["serve"])).retention_days == 3
    args = cli.build_parser().parse_args(["serve", "--retention", "0.5"])
    with pytest.raises(ValueError, match="retention must be at least 1 day"):
        cli._settings(args)
