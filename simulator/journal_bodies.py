"""A bounded, masked copy of each journal row's request and response bodies.

The dashboard opens a journal row to show what was sent and answered. Bodies carry
credentials and card data, so only a masked copy is ever written: API keys, webhook
secrets, client secrets and page tokens lose their secret part, card numbers keep their
last four digits, CVCs are blanked, and each body is cut to `LIMIT` characters. The copy
lives in the same SQLite store as the journal (not in process memory), trimmed with it.
"""

from __future__ import annotations

import functools
import re
import sqlite3
import urllib.parse
from typing import Any

import orjson
from paylab.simulator.core.errors import StorageUnavailable
from paylab.simulator.core.store import Store

LIMIT = 4096
MAX_ROWS = 20_000
MASK = "••••"
#: Keys whose whole value is a credential or card data, in forms and JSON alike.
SECRET_KEYS = frozenset({"cvc", "cvv", "number", "cardnumber", "secret", "client_secret",
                         "token", "api_key", "password", "control_token", "access_token",
                         "refresh_token", "secret_key", "hash_key", "hash_iv",
                         "channel_secret"})
_PATTERNS = (
    (re.compile(r"\b(sk|rk|pk)_(test|live)_[A-Za-z0-9_]+"), r"\1_\2_" + MASK),
    (re.compile(r"\bwhsec_[A-Za-z0-9+/=_-]+"), "whsec_" + MASK),
    (re.compile(r"\b((?:pi|seti|cs)_[A-Za-z0-9]+_secret_)[A-Za-z0-9]+"), r"\1" + MASK),
    (re.compile(r"([?&]token=)[^&\"'\s]+"), r"\1" + MASK),
    # PayPal's approval link names the order in `token` and carries the page's own
    # credential in `session`
    (re.compile(r"([?&]session=)[^&\"'\s]+"), r"\1" + MASK),
)
# 12-19 digits, or groups of four split by spaces or dashes: a card number (ids, amounts
# and timestamps are shorter or not all digits)
_CARD = re.compile(r"(?<![\w.])(?:\d{12,19}|\d{4}(?:[ -]\d{4}){2,3}(?:[ -]\d{1,3})?)(?![\w.])")
#: Text none of the patterns can match is kept as it is, found by cheap tests first (most
#: strings are ids, codes and currencies): every credential pattern holds one of these
#: words, and every card number starts with four digits after no word character or dot.
_HINTS = ("_test_", "_live_", "whsec_", "_secret_", "token=", "session=")
_CARD_START = re.compile(r"(?<![\w.])\d{4}")
_TABLE = """CREATE TABLE IF NOT EXISTS journal_bodies (
    seq      INTEGER PRIMARY KEY,   -- the journal row's seq
    at       REAL NOT NULL,         -- the journal row's time: a reused seq never matches
    request  TEXT,
    response TEXT
)"""


def mask_text(text: str) -> str:
    """`text` with credentials and card numbers masked."""
    if not any(hint in text for hint in _HINTS) and _CARD_START.search(text) is None:
        return text
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return _CARD.sub(lambda m: MASK + " " + re.sub(r"\D", "", m.group(0))[-4:], text)


@functools.lru_cache(maxsize=4096)
def _secret_key(key: str) -> bool:
    last = re.split(r"[\[\]]+", key.strip("]"))[-1].lower()
    return last in SECRET_KEYS


def _mask_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: (MASK if _secret_key(str(k)) and value[k] not in (None, "")
                    else _mask_json(value[k])) for k in value}
    if isinstance(value, list):
        return [_mask_json(v) for v in value]
    return mask_text(value) if isinstance(value, str) else value


def masked_body(raw: bytes | None, content_type: str) -> str | None:
    """A readable, masked and bounded rendering of a body, or None when there is none."""
    if not raw:
        return None
    if "html" in content_type:
        return f"({content_type}, {len(raw)} bytes: a page, not kept)"
    text = raw.decode("utf-8", "replace")
    if "json" in content_type:
        try:
            text = orjson.dumps(_mask_json(orjson.loads(raw)),
                                option=orjson.OPT_INDENT_2).decode()
        except orjson.JSONDecodeError:
            text = mask_text(text)
    elif "form" in content_type or ("=" in text and "\n" not in text):
        pairs = urllib.parse.parse_qsl(text, keep_blank_values=True)
        text = "\n".join(f"{k}={MASK if _secret_key(k) and v else mask_text(v)}"
                         for k, v in pairs) if pairs else mask_text(text)
    else:
        text = mask_text(text)
    if len(text) > LIMIT:
        text = text[:LIMIT] + f"\n… ({len(text) - LIMIT} more characters not kept)"
    return text


class JournalBodies:
    """The masked bodies, keyed by journal seq, in the journal's store."""

    def __init__(self, store: Store, *, create: bool = True) -> None:
        self.store = store
        self._added = 0
        if create:  # the writer makes the table; readers (the dashboard) only read it
            try:
                store.conn.execute(_TABLE)
            except sqlite3.Error as exc:
                raise StorageUnavailable("storage_unavailable",
                                         f"cannot create journal_bodies: {exc}") from exc

    def add(self, at: float, request: str | None, response: str | None) -> None:
        """Attach bodies to the journal row just appended (same connection, no await
        between the two writes, so last_insert_rowid() is that row)."""
        if request is None and response is None:
            return
        seq = self.store.one("SELECT last_insert_rowid()")[0]  # type: ignore[index]
        self.store.write("INSERT OR REPLACE INTO journal_bodies (seq, at, request, response) "
                         "VALUES (?,?,?,?)", (seq, at, request, response))
        self._added += 1
        if self._added % 1000 == 0:
            self.store.write("DELETE FROM journal_bodies WHERE seq <= "
                             "(SELECT MAX(seq) FROM journal_bodies) - ?", (MAX_ROWS,))
            # rows a reset or the journal's own trimming took away (Store.reset does not
            # know this table): one primary-key lookup each
            self.store.write("DELETE FROM journal_bodies WHERE NOT EXISTS (SELECT 1 FROM "
                             "journal j WHERE j.seq = journal_bodies.seq AND "
                             "j.at = journal_bodies.at)")

    def get(self, seq: int) -> dict[str, str | None]:
        """The bodies of journal row `seq` (None where none were kept). Joined on the row's
        time too: after a reset SQLite may reuse a seq, and old bodies must not show."""
        row = self.store.one(
            "SELECT b.request, b.response FROM journal_bodies b JOIN journal j "
            "ON j.seq = b.seq AND j.at = b.at WHERE b.seq = ?", (seq,))
        return {"request": row[0] if row else None, "response": row[1] if row else None}
