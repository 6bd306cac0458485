"""A tenant-scoped document repository over the `objects` table.

Domain modules keep their entities as plain dicts (serialised with orjson) so that
long-lived state lives in SQLite, not in Python objects the garbage collector must scan.

Stored form (issue 16): a document is its JSON, compressed with raw deflate against a
preset dictionary of typical documents (core/data/documents.zdict.txt), behind a one-byte
marker (`Z1`); about an eighth of its JSON. Rows written before carry plain JSON (their
first byte is `{`) and still decode. SQL that reads documents uses `paylab_doc(data)`
(registered on the connection by `Objects`), which answers the JSON text of either form.
"""

from __future__ import annotations

import functools
import zlib
from collections.abc import Callable, Iterator
from importlib import resources
from typing import Any

import orjson
from paylab.simulator.core.errors import InvalidRequest, NotFound
from paylab.simulator.core.store import Store
from paylab.simulator.core.vocabulary import CONFLICTING_PARAMETERS, NOT_FOUND, OUT_OF_RANGE

Doc = dict[str, Any]

MAX_LIST_LIMIT = 100

#: The marker byte of a document deflated against dictionary 1 (a JSON text starts with `{`).
Z1 = 0x01
_Z1 = bytes([Z1])
#: Raw deflate (no header, no checksum: SQLite pages carry their own) with a 16 KiB window.
_WBITS = -14
_LEVEL = 6
_MEM_LEVEL = 4
#: Shorter documents are stored as they are (a marker and a block would not pay).
MIN_COMPRESS = 96
DICTIONARY = "documents.zdict.txt"
#: The SQL function answering a stored document's JSON text, whichever form it is in.
SQL_DOC = "paylab_doc"


@functools.cache
def _dictionary() -> bytes:
    return resources.files(__package__).joinpath("data", DICTIONARY).read_bytes()


@functools.cache
def _deflater() -> Any:
    """A deflate state primed with the dictionary; each document starts from a copy."""
    return zlib.compressobj(_LEVEL, zlib.DEFLATED, _WBITS, _MEM_LEVEL,
                            zlib.Z_DEFAULT_STRATEGY, _dictionary())


@functools.cache
def _inflater() -> Any:
    return zlib.decompressobj(_WBITS, _dictionary())


def encode(doc: Doc) -> bytes:
    """The stored form of a document (see the module docstring)."""
    return encode_json(orjson.dumps(doc))


def encode_json(raw: bytes) -> bytes:
    """The stored form of a document already serialised as JSON."""
    if len(raw) < MIN_COMPRESS:
        return raw
    deflater = _deflater().copy()
    return _Z1 + deflater.compress(raw) + deflater.flush()


def decode_bytes(data: bytes | str) -> bytes | str:
    """The JSON of a stored document, compressed or not."""
    if isinstance(data, str) or not data or data[0] != Z1:
        return data
    inflater = _inflater().copy()
    raw = inflater.decompress(memoryview(data)[1:])
    if not inflater.eof:
        raise ValueError("truncated stored document")
    return raw


def decode(data: bytes | str) -> Doc:
    """A stored document back as a dict."""
    return orjson.loads(decode_bytes(data))


#: The last document `decode_text` read and its text: SQL that extracts several fields of a
#: row calls it once per field with the same bytes (one (bytes, text) tuple, swapped whole).
_last_text: tuple[bytes | str | None, str | None] = (None, None)


def decode_text(data: bytes | str | None) -> str | None:
    """A stored document's JSON text (the `paylab_doc` SQL function)."""
    global _last_text
    if data is None:
        return None
    last = _last_text
    if last[0] == data:
        return last[1]
    raw = decode_bytes(data)
    text = raw if isinstance(raw, str) else raw.decode()
    _last_text = (data, text)
    return text


def register_sql(conn: Any) -> None:
    """Make `paylab_doc(data)` available to SQL on this connection."""
    conn.create_function(SQL_DOC, 1, decode_text, deterministic=True)


class Objects:
    """Insert, update, fetch and page through one tenant's documents of each kind.

    Rows live in `object_rows` with their tenant and kind as codes (core/names.py): a
    write allocates a name's code, a read of a name never stored finds nothing."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.names = store.names
        register_sql(store.conn)

    def _codes(self, tenant: str, kind: str) -> tuple[int, int] | None:
        """(tenant code, kind code) for a read; None when either was never stored."""
        tenant_code = self.names.find(tenant)
        kind_code = self.names.find(kind)
        if tenant_code is None or kind_code is None:
            return None
        return tenant_code, kind_code

    def insert(
        self, tenant: str, kind: str, doc: Doc, *, parent: str | None = None, tag: str | None = None
    ) -> Doc:
        """Store a new document; `doc` must carry `id` and `created`."""
        self.store.write(
            "INSERT INTO object_rows (tenant_code, kind_code, id, created, parent, tag, data) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (self.names.code(tenant), self.names.code(kind), doc["id"], doc["created"],
             parent, tag, encode(doc)),
        )
        return doc

    def _change(self, tenant: str, kind: str, object_id: str, column: str, value: Any
                ) -> int:
        """Set one column of a stored document; returns the rows changed (0 or 1)."""
        codes = self._codes(tenant, kind)
        if codes is None:
            return 0
        cur = self.store.write(
            f"UPDATE object_rows SET {column} = ? "  # noqa: S608 - the callers' fixed names
            "WHERE tenant_code = ? AND kind_code = ? AND id = ?", (value, *codes, object_id))
        return cur.rowcount

    def update(self, tenant: str, kind: str, doc: Doc) -> Doc:
        """Replace a stored document with its new state."""
        if self._change(tenant, kind, doc["id"], "data", encode(doc)) != 1:
            raise NotFound(NOT_FOUND, f"No such {kind}: '{doc['id']}'", param="id",
                           object=kind, id=doc["id"])
        return doc

    def retag(self, tenant: str, kind: str, object_id: str, tag: str | None) -> None:
        """Change the `tag` a document is filed under (what lists filter by)."""
        self._change(tenant, kind, object_id, "tag", tag)

    def reparent(self, tenant: str, kind: str, object_id: str, parent: str | None) -> None:
        """File a document under another `parent` (a saved method under its customer)."""
        self._change(tenant, kind, object_id, "parent", parent)

    def tagged(self, tenant: str, kind: str, tag: str) -> Doc | None:
        """The newest document of `kind` filed under `tag`."""
        codes = self._codes(tenant, kind)
        row = codes and self.store.one(
            "SELECT data FROM object_rows WHERE tenant_code = ? AND kind_code = ? AND tag = ? "
            "ORDER BY seq DESC LIMIT 1", (*codes, tag))
        return decode(row[0]) if row else None

    def delete(self, tenant: str, kind: str, object_id: str) -> None:
        """Remove a document (webhook endpoints)."""
        codes = self._codes(tenant, kind)
        if codes is not None:
            self.store.write("DELETE FROM object_rows WHERE tenant_code = ? AND kind_code = ? "
                             "AND id = ?", (*codes, object_id))

    def _seq_and_data(self, tenant: str, kind: str, object_id: str) -> tuple | None:
        codes = self._codes(tenant, kind)
        return codes and self.store.one(
            "SELECT seq, data FROM object_rows WHERE tenant_code = ? AND kind_code = ? "
            "AND id = ?", (*codes, object_id))

    def find(self, tenant: str, kind: str, object_id: str) -> Doc | None:
        """The document, or None when this tenant has no such object."""
        row = self._seq_and_data(tenant, kind, object_id)
        return decode(row[1]) if row else None

    def find_any(self, kind: str, object_id: str) -> tuple[str, Doc] | None:
        """(tenant, document) for an id whatever its tenant (hosted pages, which carry no key)."""
        kind_code = self.names.find(kind)
        row = kind_code is not None and self.store.one(
            "SELECT n.name, o.data FROM object_rows o JOIN names n ON n.code = o.tenant_code "
            "WHERE o.kind_code = ? AND o.id = ?", (kind_code, object_id))
        return (row[0], decode(row[1])) if row else None

    def get(self, tenant: str, kind: str, object_id: str, *, param: str = "id") -> Doc:
        """The document, or `NotFound` in the shape every gateway expects."""
        doc = self.find(tenant, kind, object_id)
        if doc is None:
            raise NotFound(NOT_FOUND, f"No such {kind}: '{object_id}'", param=param,
                           object=kind, id=object_id)
        return doc

    def page(
        self,
        tenant: str,
        kind: str,
        *,
        limit: int = 10,
        starting_after: str | None = None,
        ending_before: str | None = None,
        parent: str | None = None,
        tags: list[str] | None = None,
        created: dict[str, int] | None = None,
    ) -> tuple[list[Doc], bool]:
        """One page, newest first, and whether more objects lie beyond it.

        `starting_after` pages towards older objects, `ending_before` towards newer ones
        (the page closest to the cursor), both as card gateways' list endpoints do.
        """
        if not 1 <= limit <= MAX_LIST_LIMIT:
            raise InvalidRequest(
                OUT_OF_RANGE, f"Invalid limit: must be between 1 and {MAX_LIST_LIMIT}",
                param="limit", low=1, high=MAX_LIST_LIMIT,
            )
        if starting_after and ending_before:
            raise InvalidRequest(
                CONFLICTING_PARAMETERS,
                "You may only specify one of these parameters: ending_before, starting_after.",
                param="ending_before", names=("ending_before", "starting_after"),
            )
        codes = self._codes(tenant, kind)
        where = ["tenant_code = ?", "kind_code = ?"]
        args: list[Any] = []
        if parent is not None:
            where.append("parent = ?")
            args.append(parent)
        if tags:
            where.append(f"tag IN ({','.join('?' * len(tags))})")
            args.extend(tags)
        for op, sql in (("gt", ">"), ("gte", ">="), ("lt", "<"), ("lte", "<=")):
            if created and op in created:
                where.append(f"created {sql} ?")
                args.append(created[op])
        ascending = False
        for cursor, name in ((starting_after, "starting_after"), (ending_before, "ending_before")):
            if cursor:
                row = self._seq_and_data(tenant, kind, cursor)
                if row is None:
                    raise NotFound(NOT_FOUND, f"No such {kind}: '{cursor}'", param=name,
                                   object=kind, id=cursor)
                where.append("seq < ?" if name == "starting_after" else "seq > ?")
                args.append(row[0])
                ascending = name == "ending_before"
        if codes is None:
            return [], False
        order = "ASC" if ascending else "DESC"
        rows = self.store.all(
            f"SELECT data FROM object_rows WHERE {' AND '.join(where)} "  # noqa: S608 - fixed fragments
            f"ORDER BY seq {order} LIMIT ?",
            (*codes, *args, limit + 1),
        )
        docs = [decode(r[0]) for r in rows[:limit]]
        if ascending:
            docs.reverse()
        return docs, len(rows) > limit

    def children(self, tenant: str, kind: str, parent: str) -> list[Doc]:
        """All documents of `kind` under `parent`, oldest first."""
        codes = self._codes(tenant, kind)
        if codes is None:
            return []
        rows = self.store.all(
            "SELECT data FROM object_rows WHERE tenant_code = ? AND kind_code = ? "
            "AND parent = ? ORDER BY seq", (*codes, parent),
        )
        return [decode(r[0]) for r in rows]

    def newest_first(self, kind: str, tenant: str, before: int | None = None,
                     chunk: int = 200) -> Iterator[tuple[int, Doc]]:
        """A tenant's documents of a kind, newest first, as (seq, document), read in chunks
        (a search stops after a page of hits instead of decoding every object); `before`:
        only those older than that seq."""
        codes = self._codes(tenant, kind)
        if codes is None:
            return
        cursor = before if before is not None else 1 << 62
        while True:
            rows = self.store.all(
                "SELECT seq, data FROM object_rows WHERE tenant_code = ? AND kind_code = ? "
                "AND seq < ? ORDER BY seq DESC LIMIT ?", (*codes, cursor, chunk))
            for seq, data in rows:
                yield seq, decode(data)
            if len(rows) < chunk:
                return
            cursor = rows[-1][0]

    def first_matches(self, kind: str, tenant: str, matches: Callable[[Doc], bool], *,
                      before: int | None = None, limit: int = 10, count_all: bool = False
                      ) -> tuple[list[tuple[int, Doc]], bool, int]:
        """A page of a search: the newest `limit` documents `matches` accepts, stored before
        seq `before` when given, as (seq, document); whether more follow; and how many match
        in all. Reading stops one match past the page unless `count_all` (then the count
        is of every match, before the page's start too)."""
        shown: list[tuple[int, Doc]] = []
        more, total = False, 0
        for seq, doc in self.newest_first(kind, tenant):
            if not matches(doc):
                continue
            total += 1
            if before is not None and seq >= before:
                continue  # a match of an earlier page
            if len(shown) < limit:
                shown.append((seq, doc))
                continue
            more = True
            if not count_all:
                break
        return shown, more, total

    def all_of(self, kind: str, tenant: str | None = None) -> list[tuple[str, Doc]]:
        """Every (tenant, document) of a kind, oldest first (ledger, control API)."""
        if tenant is None:
            rows = self.store.all(
                "SELECT tenant, data FROM objects WHERE kind = ? ORDER BY seq", (kind,)
            )
        else:
            rows = self.store.all(
                "SELECT tenant, data FROM objects WHERE kind = ? AND tenant = ? ORDER BY seq",
                (kind, tenant),
            )
        return [(r[0], decode(r[1])) for r in rows]
