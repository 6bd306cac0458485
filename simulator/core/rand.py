"""Seeded randomness and prefixed object ids (`pi_...`, `ch_...`).

One `random.Random` per simulator, seeded from `--seed` and the number of boots since the
last full reset, so a fresh database with the same seed replays the same ids, and a restart
over existing data can never collide with ids it already issued.
"""

from __future__ import annotations

import random
import secrets
import string

_ALPHABET = string.ascii_letters + string.digits
#: Base62 in ASCII order, so encoded numbers sort the way SQLite compares text.
_ORDERED = string.digits + string.ascii_uppercase + string.ascii_lowercase


def _base62(number: int, width: int) -> str:
    out = []
    for _ in range(width):
        number, digit = divmod(number, 62)
        out.append(_ORDERED[digit])
    return "".join(reversed(out))


class Rand:
    """The seeded randomness of one simulator: ids and sampled effects. Never credentials:
    those come from `credentials.new_credential`, because the seed is public."""

    def __init__(self, seed: int, generation: int = 0) -> None:
        self.seed = seed
        self.reseed(generation)

    def reseed(self, generation: int) -> None:
        """Restart the stream for `generation` (0 after a full reset)."""
        self.generation = generation
        self._rng = random.Random(f"{self.seed}/{generation}")
        self._issued = 0
        self._prefix = _base62(generation, 2)

    def token(self, length: int = 24) -> str:
        """A base62 string from the seeded stream (the characters `random.choices` would
        pick, without its per-call overhead: ids are made several times per request)."""
        draw = self._rng.random
        return "".join([_ALPHABET[int(draw() * 62.0)] for _ in range(length)])

    def new_id(self, prefix: str, length: int = 24) -> str:
        """An object id such as `pi_0100003Nf...`: generation and a counter first, so ids
        issued later sort later (index inserts append), then seeded random characters."""
        self._issued += 1
        ordered = self._prefix + _base62(self._issued, 6)
        return f"{prefix}_{ordered}{self.token(length - len(ordered))}"

    def random(self) -> float:
        """A float in [0, 1) from the seeded stream."""
        return self._rng.random()

    def randint(self, low: int, high: int) -> int:
        """An integer in [low, high] from the seeded stream."""
        return self._rng.randint(low, high)


def fresh_seed() -> int:
    """A seed for runs that did not ask for one (printed, so the run can be replayed)."""
    return secrets.randbelow(2**31)
