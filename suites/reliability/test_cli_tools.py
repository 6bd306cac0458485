"""The tools around the stack fail in one clear line: `paylab load` on a busy web UI port,
and browser tests without chromium."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from paylab.suites.plugins.simulator import LiveSimulator
from paylab.suites.reliability.cli_process import clean_env, occupied_port, paylab

BROWSER_TEST = '''
def test_opens_a_page(page):
    page.goto("about:blank")
'''


def test_load_on_a_busy_web_port_names_it_before_starting_locust(
        tmp_path: Path, simulator: LiveSimulator) -> None:
    with occupied_port() as busy:
        done = paylab(tmp_path, "load", "--gateway-url", simulator.url, "--web-port", str(busy),
                      timeout=30)
    assert done.code == 2, (done.out, done.err[-2000:])
    assert done.err_lines == [f"paylab load: cannot listen on 127.0.0.1:{busy} (--web-port): "
                              "address already in use. Is another paylab running? Choose "
                              "another --web-port."]
    assert "Locust web UI" not in done.out, "the URL of a UI that cannot start was printed"


def test_missing_chromium_is_one_line_naming_the_variable_and_the_package(
        tmp_path: Path) -> None:
    (tmp_path / "test_browser.py").write_text(BROWSER_TEST)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    # loaded as suites/conftest.py loads it, so its fixtures override pytest-playwright's
    (tmp_path / "conftest.py").write_text('pytest_plugins = ["paylab.suites.plugins.browser"]\n')
    missing = tmp_path / "no-such-chromium"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "test_browser.py"],
        cwd=tmp_path, env=clean_env(PAYLAB_CHROMIUM=str(missing)), capture_output=True,
        text=True, timeout=120, check=False)
    assert done.returncode == 1, done.stdout[-3000:]
    expected = (f"chromium not found at {missing}: install it (sudo apt-get install "
                "chromium; make test does) or set PAYLAB_CHROMIUM to its path")
    assert expected in done.stdout.splitlines(), done.stdout[-3000:]
    assert "Traceback" not in done.stdout and "playwright/_impl" not in done.stdout
    assert "1 error" in done.stdout, "a missing browser must fail the test, not skip it"
