"""The core's guards in detail: which webhook URLs reach the simulator itself (and what the
refusal says), the redelivery throttle's window, dashboard login sessions, and the errors
for headers that are not text."""

from __future__ import annotations

import socket

import pytest
from paylab.simulator.core import throttle
from paylab.simulator.core.control_sessions import MAX_SESSIONS, ControlSessions
from paylab.simulator.core.errors import InvalidRequest
from paylab.simulator.core.self_address import SelfAddress, address, target_of
from paylab.simulator.core.store import Store
from paylab.simulator.gateways.stripe.wire import bad_header
from paylab.suites.unit.conftest import FakeWall


def outgoing_address(family: socket.AddressFamily = socket.AF_INET) -> str | None:
    """A non-loopback address of this machine (the one it would route out through)."""
    probe = socket.socket(family, socket.SOCK_DGRAM)
    try:  # UDP: no packet leaves; documentation addresses, never anyone's
        probe.connect(("2001:db8::1" if family == socket.AF_INET6 else "192.0.2.1", 9))
        found = probe.getsockname()[0]
    except OSError:
        return None
    finally:
        probe.close()
    return None if found.startswith("127.") or found == "::1" else found


# -- webhook URLs that reach the simulator -----------------------------------------------------
def test_the_refusal_names_the_url_and_what_to_use_instead() -> None:
    url = "http://127.0.0.1:8080/_sim/reset"
    assert SelfAddress("127.0.0.1", 8080).refusal(url) == (
        "Invalid URL: http://127.0.0.1:8080/_sim/reset points at this simulator's own control "
        "API (/_sim); a webhook endpoint there could trigger itself forever. Use your webhook "
        "receiver's URL.")


@pytest.mark.parametrize(("length", "shown"), [(200, 200), (201, 200), (250, 200)])
def test_long_urls_are_shortened_in_the_refusal(length: int, shown: int) -> None:
    head = "http://127.0.0.1:8080/_sim/"
    url = head + "x" * (length - len(head))
    message = SelfAddress("127.0.0.1", 8080).refusal(url) or ""
    quoted = message.removeprefix("Invalid URL: ").split(" points at ")[0]
    assert len(quoted) == shown
    if length > 200:
        assert quoted == url[:197] + "..."
    else:
        assert quoted == url


def test_an_address_bound_to_one_interface_is_only_reached_there() -> None:
    bound = SelfAddress("10.1.2.3", 8080)
    assert bound.refusal("http://10.1.2.3:8080/_sim/x") is not None
    assert bound.refusal("http://10.1.2.4:8080/_sim/x") is None
    assert bound.refusal("http://127.0.0.1:8080/_sim/x") is not None  # loopback still is
    assert bound.refusal("http://[::ffff:10.1.2.3]:8080/_sim/x") is not None


def test_every_interface_counts_when_bound_to_all_of_them() -> None:
    anywhere = SelfAddress("0.0.0.0", 8080)  # noqa: S104 - the case under test
    assert anywhere.refusal("http://203.0.113.9:8080/_sim/x") is None
    assert anywhere.refusal("http://[2001:db8::9]:8080/_sim/x") is None
    assert anywhere.refusal("http://[::1]:8080/_sim/x") is not None
    mine = outgoing_address()
    if mine is None:
        pytest.skip("this machine has no non-loopback interface")
    assert anywhere.refusal(f"http://{mine}:8080/_sim/x") is not None
    assert SelfAddress("192.0.2.250", 8080).refusal(f"http://{mine}:8080/_sim/x") is None


def test_every_ipv6_interface_counts_when_bound_to_all_of_them() -> None:
    mine = outgoing_address(socket.AF_INET6)
    if mine is None:
        pytest.skip("this machine has no non-loopback IPv6 address")
    assert SelfAddress("::", 8080).refusal(f"http://[{mine}]:8080/_sim/x") is not None


def test_a_bound_host_name_matches_without_its_trailing_dot_or_case() -> None:
    assert SelfAddress("SANDBOX", 8080).refusal("http://sandbox:8080/_sim/x") is not None
    named = SelfAddress("Sim.Example.", 8080)
    assert named.refusal("http://sim.example:8080/_sim/x") is not None
    assert named.refusal("http://SIM.EXAMPLE.:8080/_sim/x") is not None
    assert named.refusal("http://other.example:8080/_sim/x") is None
    here = socket.gethostname()
    assert SelfAddress("127.0.0.1", 8080).refusal(f"http://{here.upper()}:8080/_sim/x")


def test_the_public_url_matches_by_name_or_by_address() -> None:
    public = SelfAddress("127.0.0.1", 8080, "https://203.0.113.7/")
    assert public.refusal("https://203.0.113.7/_sim/reset") is not None
    assert public.refusal("https://203.0.113.7:443/_sim/reset") is not None
    assert public.refusal("https://203.0.113.8/_sim/reset") is None
    assert public.refusal("https://[::ffff:cb00:7107]/_sim/reset") is None  # not the same text
    by_number = SelfAddress("127.0.0.1", 8080, "http://3405803783:80")
    assert by_number.refusal("http://203.0.113.7/_sim/x") is not None


def test_literal_addresses_in_every_notation() -> None:
    assert str(address("fe80::1%eth0")) == "fe80::1"
    assert str(address("127.1")) == "127.0.0.1"
    assert address("sim.example") is None
    assert target_of("http://[::1]:99999/x") is None
    assert target_of("https://Host.Example./a/../b") == ("host.example", 443, "/b")


# -- the redelivery throttle -------------------------------------------------------------------
def test_the_window_is_open_at_its_far_end() -> None:
    assert throttle.recent([40.0, 41.0, 100.0], 100.0, 60) == [41.0, 100.0]
    assert throttle.next_slot([40.0], 100.0, 1, 60) == 100.0
    assert throttle.next_slot([41.0], 100.0, 1, 60) == 101.0


# -- dashboard sessions ------------------------------------------------------------------------
def test_sessions_open_check_expire_and_close() -> None:
    wall = FakeWall()
    sessions = ControlSessions(Store(":memory:"), 600, wall)
    first, second = sessions.open(), sessions.open()
    assert first != second and len(first) >= 40
    assert sessions.valid(first) and sessions.valid(second)
    assert not sessions.valid(first + "x") and not sessions.valid("") \
        and not sessions.valid(None)
    stored = sessions.store.all("SELECT digest, expires FROM control_sessions")
    assert {row[1] for row in stored} == {wall.now + 600}
    assert first not in {row[0] for row in stored}  # only digests are kept
    sessions.close(first)
    sessions.close(None)
    assert not sessions.valid(first) and sessions.valid(second)
    wall.now += 599.9
    assert sessions.valid(second)
    wall.now += 0.1
    assert not sessions.valid(second)


def test_hostile_cookie_values_are_just_invalid() -> None:
    sessions = ControlSessions(Store(":memory:"), 600, FakeWall())
    assert not sessions.valid("\udcff\udcfe")
    sessions.close("\ud800")


def test_sessions_are_capped_dropping_the_oldest_first() -> None:
    wall = FakeWall()
    sessions = ControlSessions(Store(":memory:"), 600, wall)
    opened = []
    for _ in range(MAX_SESSIONS + 2):
        opened.append(sessions.open())
        wall.now += 1
    count = sessions.store.one("SELECT COUNT(*) FROM control_sessions")[0]
    assert count == MAX_SESSIONS
    assert [sessions.valid(v) for v in opened[:3]] == [False, False, True]
    assert sessions.valid(opened[-1])


def test_expired_sessions_are_swept_when_one_opens() -> None:
    wall = FakeWall()
    sessions = ControlSessions(Store(":memory:"), 10, wall)
    sessions.open()
    wall.now += 10
    sessions.open()
    assert sessions.store.one("SELECT COUNT(*) FROM control_sessions")[0] == 1


# -- errors ------------------------------------------------------------------------------------
def test_a_header_that_is_not_text_is_a_parameter_error() -> None:
    error = bad_header("Idempotency-Key")
    assert isinstance(error, InvalidRequest)
    assert (error.code, error.param) == ("parameter_invalid_string", "Idempotency-Key")
    assert error.message == "Invalid Idempotency-Key header: its value must be valid UTF-8 text."


def test_errors_show_their_kind_code_message_and_param() -> None:
    assert repr(InvalidRequest("c", "m", param=("a", 1))) == \
        "InvalidRequest('c', 'm', param=('a', 1))"
