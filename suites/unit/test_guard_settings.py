"""The guard's settings: who may start without a control token, which Host names pass, and
the environment variables behind the new flags."""

from __future__ import annotations

import pytest
from paylab.simulator.guards.hosts import HostAllowList, host_name
from paylab.simulator.settings import Settings

TOKEN = "0123456789abcdef0123"
#: Only ever given to Settings.check(), never bound.
EVERYWHERE = "0.0.0.0"  # noqa: S104


@pytest.mark.parametrize("host", [EVERYWHERE, "::", "", "10.1.2.3", "192.168.0.7",
                                  "ci-runner.internal", "fe80::1"])
def test_a_non_loopback_bind_needs_a_token(host: str) -> None:
    with pytest.raises(ValueError, match="--control-token") as refused:
        Settings(host=host).check()
    assert "--insecure-control" in str(refused.value)
    Settings(host=host, control_token=TOKEN).check()
    Settings(host=host, insecure_control=True).check()


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "127.255.255.254", "::1",
                                  "localhost", "LOCALHOST"])
def test_loopback_needs_no_token(host: str) -> None:
    Settings(host=host).check()


def test_a_short_token_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 16"):
        Settings(control_token="short").check()


def test_the_token_stays_out_of_reprs() -> None:
    assert TOKEN not in repr(Settings(control_token=TOKEN))


def test_environment_variables() -> None:
    settings = Settings.from_env({
        "PAYLAB_HOST": EVERYWHERE, "PAYLAB_CONTROL_TOKEN": TOKEN,
        "PAYLAB_ALLOWED_HOSTS": "ci-runner.internal, paylab.test:8080,,",
    })
    assert settings.control_token == TOKEN
    assert settings.allowed_hosts == ("ci-runner.internal", "paylab.test:8080")
    assert Settings.from_env({"PAYLAB_HOST": EVERYWHERE,
                              "PAYLAB_INSECURE_CONTROL": "1"}).insecure_control
    assert not Settings.from_env({"PAYLAB_INSECURE_CONTROL": "0"}).insecure_control
    with pytest.raises(ValueError, match="PAYLAB_INSECURE_CONTROL"):
        Settings.from_env({"PAYLAB_INSECURE_CONTROL": "perhaps"})
    with pytest.raises(ValueError, match="--control-token"):
        Settings.from_env({"PAYLAB_HOST": EVERYWHERE})


def test_flags_override_the_environment() -> None:
    settings = Settings.from_env({"PAYLAB_ALLOWED_HOSTS": "a.test"},
                                 allowed_hosts=("b.test",))
    assert settings.allowed_hosts == ("b.test",)


@pytest.mark.parametrize("name", ["", "a b", "evil.example/x", "user@host", "[::1", "a:b:c"])
def test_a_malformed_allowed_host_is_refused(name: str) -> None:
    with pytest.raises(ValueError, match="--allowed-host"):
        Settings(allowed_hosts=(name,)).check()


@pytest.mark.parametrize(("header", "name"), [
    ("127.0.0.1:8080", "127.0.0.1"), ("LocalHost.", "localhost"), ("[::1]:80", "::1"),
    ("[::1]", "::1"), ("ci-runner.internal", "ci-runner.internal"), ("", None),
    ("[::1", None), ("localhost:", None), ("localhost:80x", None), ("a@b", None),
    ("::1", None), ("[::1]x", None), ("host name", None), ("h\u00e9.test", None),
])
def test_host_header_parsing(header: str, name: str | None) -> None:
    assert host_name(header) == name


def test_the_allow_list() -> None:
    allowed = HostAllowList.from_settings(Settings(
        host="127.0.0.2", public_url="https://paylab.example:8443/base",
        allowed_hosts=("CI-Runner.internal", "[::2]:9", "10.0.0.5")))
    for ok in ("127.0.0.2:1", "localhost", "127.0.0.1", "[::1]:8080", "paylab.example",
               "paylab.example:8443", "ci-runner.internal:80", "[::2]", "10.0.0.5"):
        assert allowed.allows(ok), ok
    for bad in ("evil.example", "127.0.0.3", "paylab.example.evil", "", "10.0.0.6"):
        assert not allowed.allows(bad), bad
