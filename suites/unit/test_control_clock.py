"""The control client's daily-window waits (`Clock.until_outside_daily`,
`wait_outside_daily`): how long a test waits out a gateway's daily close on the virtual
clock, read from /_sim/health, and the refusal to wait for long on a slow clock."""

from __future__ import annotations

from typing import Any

import pytest

from paylab.testing.control import Clock, PaylabTimeout

TAIWAN = 8 * 3600
DAY = 1_796_083_200  # a midnight, UTC


class _Health:
    """A control client whose /_sim/health shows a clock at `now` running `scale`x."""

    def __init__(self, now: float | None, scale: float = 20.0) -> None:
        self.clock = {} if now is None else {"now": now, "time_scale": scale}

    def get(self, path: str) -> dict[str, Any]:
        assert path == "health"
        return {"clock": self.clock}


def at_taiwan(hh_mm_ss: str) -> float:
    """The virtual time (UTC epoch) that is `hh_mm_ss` in Taiwan."""
    h, m, s = (int(x) for x in hh_mm_ss.split(":"))
    return DAY + h * 3600 + m * 60 + s - TAIWAN


def until(now: float | None, start: str = "20:15", minutes: float = 15, **kw: Any) -> float:
    return Clock(_Health(now, kw.pop("scale", 20.0))).until_outside_daily(  # type: ignore[arg-type]
        start, minutes, utc_offset_hours=8, **kw)


# at 20x, the default 5 real seconds of margin are 100 virtual seconds on each side
@pytest.mark.parametrize(("local", "wait"), [
    ("12:00:00", 0.0),
    ("20:13:19", 0.0),                      # before the window and its margin
    ("20:13:20", (15 * 60 + 200) / 20),     # in the margin before it: the steps that follow
    ("20:16:00", (14 * 60 + 100) / 20),     # inside: until 20:31:40
    ("20:31:39", 1 / 20),
    ("20:31:40", 0.0),
])
def test_the_wait_is_the_rest_of_the_widened_window_in_real_seconds(local: str,
                                                                   wait: float) -> None:
    assert until(at_taiwan(local)) == pytest.approx(wait)


def test_a_window_across_midnight_is_seen_on_both_sides() -> None:
    assert until(at_taiwan("23:59:30"), "00:00", 5) == pytest.approx((30 + 400) / 20)
    assert until(at_taiwan("00:05:30"), "00:00", 5) == pytest.approx(70 / 20)
    assert until(at_taiwan("00:06:40"), "00:00", 5) == 0.0


def test_an_instant_is_a_window_of_its_margins() -> None:
    assert until(at_taiwan("20:59:30"), "21:00", 0) == pytest.approx(130 / 20)
    assert until(at_taiwan("21:01:39"), "21:00", 0) == pytest.approx(1 / 20)
    assert until(at_taiwan("20:58:19"), "21:00", 0) == 0.0
    assert until(at_taiwan("20:58:19"), "21:00", 0, margin=20) == pytest.approx(
        (101 + 400) / 20)


def test_a_slower_clock_means_a_longer_real_wait() -> None:
    # the margin is real seconds: 5 virtual seconds at real speed
    assert until(at_taiwan("20:16:00"), scale=1) == pytest.approx(14 * 60 + 5)


def test_no_clock_shown_means_no_wait() -> None:
    assert until(None) == 0.0


def test_a_wait_longer_than_allowed_fails_at_once_saying_why(
        monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr("paylab.testing.control.time.sleep", slept.append)
    clock = Clock(_Health(at_taiwan("20:16:00"), scale=1))  # type: ignore[arg-type]
    with pytest.raises(PaylabTimeout, match="--time-scale"):
        clock.wait_outside_daily("20:15", 15, utc_offset_hours=8)
    assert slept == []
    fast = Clock(_Health(at_taiwan("20:16:00")))  # type: ignore[arg-type]
    assert fast.wait_outside_daily("20:15", 15, utc_offset_hours=8) == pytest.approx(47)
    assert slept == [pytest.approx(47)]
