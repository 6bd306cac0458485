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


@pytest.mark.parametrize(("local", "wait"), [
    ("12:00:00", 0.0),
    ("20:13:59", 0.0),               # before the window and its minute's margin
    ("20:14:00", (17 * 60) / 20),    # the margin before it: the steps that follow
    ("20:16:00", (15 * 60) / 20),    # inside: until 20:31 (the close and a minute)
    ("20:30:59", 1 / 20),
    ("20:31:00", 0.0),
])
def test_the_wait_is_the_rest_of_the_widened_window_in_real_seconds(local: str,
                                                                   wait: float) -> None:
    assert until(at_taiwan(local)) == pytest.approx(wait)


def test_a_window_across_midnight_is_seen_on_both_sides() -> None:
    assert until(at_taiwan("23:59:30"), "00:00", 5) == pytest.approx((30 + 360) / 20)
    assert until(at_taiwan("00:05:30"), "00:00", 5) == pytest.approx(30 / 20)
    assert until(at_taiwan("00:06:00"), "00:00", 5) == 0.0


def test_a_slower_clock_means_a_longer_real_wait() -> None:
    assert until(at_taiwan("20:16:00"), scale=1) == pytest.approx(15 * 60)


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
    assert fast.wait_outside_daily("20:15", 15, utc_offset_hours=8) == pytest.approx(45)
    assert slept == [pytest.approx(45)]
