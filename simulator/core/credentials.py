"""Credentials and bearer tokens: endpoint secrets, client secrets, hosted-page tokens.

They come from the operating system's CSPRNG (`secrets`), never from the seeded stream in
`rand`: the seed is public (`/_sim/health`) and the journal's request ids pin the position
in that stream, so anything derived from it can be computed by an outsider. Ids stay
seeded (tests compare them); no id alone grants access to anything.
"""

from __future__ import annotations

import hmac
import secrets
import string

_ALPHABET = string.ascii_letters + string.digits


#: Random bytes below this map evenly onto the 62 characters (248 = 4 * 62).
_EVEN = 4 * len(_ALPHABET)


def new_credential(length: int = 32) -> str:
    """`length` base62 characters from the CSPRNG (32 characters: about 190 bits). Bytes
    are drawn in one call and those at or above 248 skipped, so every character stays
    equally likely (secrets.choice made one system call per character)."""
    out: list[str] = []
    while len(out) < length:
        out += [_ALPHABET[b % 62] for b in secrets.token_bytes(length + 8) if b < _EVEN]
    return "".join(out[:length])


def same_credential(expected: str | None, given: str | None) -> bool:
    """Whether `given` is `expected`, in constant time; any text is accepted as input
    (`hmac.compare_digest` refuses non-ASCII `str`, so both are compared as bytes)."""
    if not expected or given is None:
        return False
    return hmac.compare_digest(expected.encode("utf-8", "surrogateescape"),
                               given.encode("utf-8", "surrogateescape"))
