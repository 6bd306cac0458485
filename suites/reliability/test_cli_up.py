"""`paylab serve` and `paylab up` as users start them: busy ports named by their flag before
anything is written, the active scenario in the banner, preset names, the documented
environment variables, quiet and parseable logs."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import requests
from paylab.simulator.scenarios.loader import preset_names
from paylab.suites.plugins.simulator import PROJECT, free_port
from paylab.suites.reliability.cli_process import clean_env, occupied_port, paylab, serving


def test_up_with_a_busy_shop_port_names_that_flag_and_writes_nothing(tmp_path: Path) -> None:
    with occupied_port() as busy:
        done = paylab(tmp_path, "up", "--port", str(free_port()), "--shop-port", str(busy))
    assert done.code == 2, done.err
    assert len(done.err_lines) == 1, done.err
    assert f"127.0.0.1:{busy} (--shop-port)" in done.err
    assert "Choose another --shop-port." in done.err and "(--port)" not in done.err
    assert not (tmp_path / "state").exists(), "no database before every port is known free"


def test_up_with_a_busy_simulator_port_names_port(tmp_path: Path) -> None:
    with occupied_port() as busy:
        done = paylab(tmp_path, "up", "--port", str(busy), "--shop-port", str(free_port()))
    assert done.code == 2, done.err
    assert done.err_lines == [f"paylab: cannot listen on 127.0.0.1:{busy} (--port): address "
                              "already in use. Is another paylab running? Choose another --port."]
    assert not (tmp_path / "state").exists()


def test_a_busy_port_chosen_by_a_variable_names_the_variable(tmp_path: Path) -> None:
    with occupied_port() as busy:
        done = paylab(tmp_path, "up", "--port", str(free_port()),
                      env=clean_env(SHOP_PORT=str(busy)))
    assert done.code == 2, done.err
    assert done.err_lines == [f"paylab: cannot listen on 127.0.0.1:{busy} (SHOP_PORT): address "
                              "already in use. Is another paylab running? Choose another "
                              "SHOP_PORT."]


def test_a_refusal_is_one_json_object_when_logs_are_json(tmp_path: Path) -> None:
    with occupied_port() as busy:
        done = paylab(tmp_path, "up", "--port", str(busy), "--log-format", "json")
    assert done.code == 2
    (line,) = done.err_lines
    refusal = json.loads(line)
    assert refusal["level"] == "ERROR" and "(--port)" in refusal["message"]


def test_the_banner_shows_the_scenario_kept_across_a_restart(tmp_path: Path) -> None:
    port = free_port()
    flags = ("serve", "--port", str(port), "--db", str(tmp_path / "sim.db"))
    with serving(tmp_path, *flags, port=port) as sim:
        assert requests.put(f"{sim.url}/_sim/scenario", params={"preset": "gateway-outage"},
                            timeout=10).status_code == 200
    with serving(tmp_path, *flags, port=port) as again:
        banner = again.stop().out
    scenario_line = next(line for line in banner.splitlines() if "/_sim/scenario" in line)
    assert scenario_line.endswith("(gateway-outage)"), banner


def test_scenario_and_preset_flags_take_preset_names(tmp_path: Path) -> None:
    for flag, name in (("--scenario", "slow-gateway"), ("--preset", "webhook-chaos")):
        port = free_port()
        with serving(tmp_path, "serve", "--port", str(port), "--db", ":memory:", flag, name,
                     port=port) as sim:
            active = requests.get(f"{sim.url}/_sim/scenario", timeout=10).json()["scenario"]
            assert active["name"] == name
            assert f"({name})" in sim.stop().out


def test_an_unknown_scenario_name_lists_the_presets_in_one_line(tmp_path: Path) -> None:
    for flag in ("--scenario", "--preset"):
        done = paylab(tmp_path, "serve", "--port", str(free_port()), "--db", ":memory:",
                      flag, "slow-gatway")
        assert done.code == 2, done.err
        assert len(done.err_lines) == 1 and "Traceback" not in done.err, done.err
        assert all(name in done.err for name in preset_names()), done.err


def test_up_honours_the_port_variables_and_keeps_the_sdk_quiet(tmp_path: Path) -> None:
    sim_port, shop_port = free_port(), free_port()
    env = clean_env(PAYLAB_PORT=str(sim_port), SHOP_PORT=str(shop_port))
    with serving(tmp_path, "up", port=sim_port, env=env, shop_port=shop_port) as stack:
        assert requests.get(f"http://127.0.0.1:{shop_port}/", timeout=10).status_code == 200
        done = stack.stop()
    assert f"reference shop    http://127.0.0.1:{shop_port}" in done.out
    assert " stripe: " not in done.err, "the stripe SDK's INFO lines are printed"
    assert "Unclosed" not in done.err + done.out


def test_json_logs_and_the_access_log_make_every_line_an_object(tmp_path: Path) -> None:
    sim_port, shop_port = free_port(), free_port()
    with serving(tmp_path, "up", "--port", str(sim_port), "--shop-port", str(shop_port),
                 "--access-log", "--log-format", "json", port=sim_port,
                 shop_port=shop_port) as stack:
        requests.get(f"{stack.url}/stripe/checkout/cs_nope", params={"token": "s3cr3t-query"},
                     timeout=10)
        requests.get(f"http://127.0.0.1:{shop_port}/", timeout=10)
        done = stack.stop()
    lines = [line for line in (done.out + done.err).splitlines() if line.strip()]
    objects = [json.loads(line) for line in lines]  # raises on any line that is not JSON
    access = [o for o in objects if o["logger"].startswith("paylab.access.")]
    hosted = next(o for o in access if o["path"] == "/stripe/checkout/cs_nope")
    assert hosted["logger"] == "paylab.access.simulator"
    assert hosted["method"] == "GET" and hosted["status"] == 404
    assert isinstance(hosted["duration_ms"], float)
    assert any(o["logger"] == "paylab.access.shop" and o["path"] == "/" and o["status"] == 200
               for o in access), "the shop's request"
    assert "s3cr3t-query" not in done.out + done.err, "a query string reached the log"
    assert any("banner" in o for o in objects)


def test_make_up_passes_arguments_through_and_sets_no_port_itself() -> None:
    # Under `make test` this runs inside make: its flags (-w prints "Leaving directory")
    # must not reach the inner make.
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    done = subprocess.run(["make", "-n", "--no-print-directory", "up",
                           "ARGS=--preset slow-gateway"], cwd=PROJECT, env=env,
                          capture_output=True, text=True, timeout=30, check=True)
    assert done.stdout.strip().splitlines()[-1] == ".venv/bin/paylab up --preset slow-gateway"
    makefile = (PROJECT / "Makefile").read_text()
    for var in ("PAYLAB_PORT", "SHOP_PORT", "PAYLAB_SEED", "PAYLAB_HOST"):
        assert f"{var} :=" not in makefile and f"{var} =" not in makefile
