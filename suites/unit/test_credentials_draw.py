"""new_credential: base62 from the CSPRNG, every character equally likely."""

from __future__ import annotations

import string
from collections import Counter

from paylab.simulator.core.credentials import new_credential


def test_credentials_are_base62_of_the_length_asked() -> None:
    for length in (1, 8, 24, 32, 64):
        drawn = new_credential(length)
        assert len(drawn) == length
        assert set(drawn) <= set(string.ascii_letters + string.digits)
    assert len({new_credential() for _ in range(1000)}) == 1000


def test_every_character_is_equally_likely() -> None:
    """640,000 characters: each of the 62 expected 10,323 times (sd ~100). Mapping every
    byte modulo 62 would give the first eight about 12,900 each."""
    counts = Counter("".join(new_credential(32) for _ in range(20_000)))
    assert len(counts) == 62
    assert max(counts.values()) < 11_200
    assert min(counts.values()) > 9_450
