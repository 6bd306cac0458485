"""Who may use a token-guarded control API: whoever holds the token (in a header, or through
the dashboard's session cookie), or a tenant reading its own journal, ledger and webhooks
with its own API key. Without a token (loopback) everything is open, as before.

The token never travels in a URL, and is compared in constant time; sessions are random
values unrelated to it.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web
from paylab.simulator.core.control_sessions import ControlSessions
from paylab.simulator.headers import is_text, lenient_header

TOKEN_HEADER = "X-Paylab-Control-Token"  # noqa: S105 - a header name, not a secret
COOKIE = "paylab_control"
SESSION_SECONDS = 12 * 3600
#: The reads a tenant's own key may make (GET, with tenant= set to that tenant).
TENANT_READS = frozenset({"/_sim/journal", "/_sim/ledger", "/_sim/webhooks"})
#: request[ACCESS]: how the control request got in ("open", "token", "session", "tenant"),
#: or "anonymous" (only health lets an anonymous request through).
ACCESS = "paylab.control_access"


@dataclass(frozen=True)
class Verdict:
    """The outcome of the credential check: access granted, or a refusal."""

    access: str
    status: int = 200
    code: str = ""
    message: str = ""

    @property
    def refused(self) -> bool:
        """Whether the request must be answered with this refusal."""
        return self.status != 200


OPEN, TOKEN, SESSION, TENANT = (Verdict(a) for a in ("open", "token", "session", "tenant"))
REQUIRED = Verdict(
    "anonymous", 401, "control_token_required",
    "This simulator's control API is guarded by a token: send 'Authorization: Bearer "
    "<token>' or 'X-Paylab-Control-Token: <token>', or log in at /_sim/login. A tenant's own "
    "API key may read GET /_sim/journal, /_sim/ledger and /_sim/webhooks with tenant= set to "
    "that tenant.")
INVALID = Verdict(
    "anonymous", 401, "control_token_invalid",
    "Wrong credentials: neither this simulator's control token nor a valid API key of one "
    "of its tenants.")
SCOPE = Verdict(
    "anonymous", 403, "tenant_scope",
    "A tenant's API key only reads GET /_sim/journal, /_sim/ledger and /_sim/webhooks with "
    "tenant= set to its own tenant; everything else needs the control token.")


def _bytes(text: str) -> bytes:
    # surrogatepass: header values may hold lone surrogates (undecodable bytes); never raise
    return text.encode("utf-8", "surrogatepass")


def credential_of(authorization: str) -> str | None:
    """The credential in a Bearer or Basic (user part) `Authorization` value, or None."""
    scheme, _, value = authorization.strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer" and value:
        return value
    if scheme.lower() == "basic" and value:
        try:
            user = base64.b64decode(value, validate=True).decode("utf-8").partition(":")[0]
        except (binascii.Error, UnicodeDecodeError):
            return None
        return user or None
    return None


class ControlAuth:
    """The control token, the dashboard's sessions, and tenant-key reads."""

    def __init__(self, token: str | None, tenant_of_key: Callable[[str], str | None],
                 tenant_of: Callable[[str], str], sessions: ControlSessions) -> None:
        self._token = _bytes(token) if token else None
        self._tenant_of_key = tenant_of_key
        self._tenant_of = tenant_of
        self.sessions = sessions

    @property
    def guarded(self) -> bool:
        """Whether a token is required."""
        return self._token is not None

    def token_matches(self, presented: str) -> bool:
        """Constant-time comparison with the token (False when there is none)."""
        return self._token is not None and hmac.compare_digest(_bytes(presented), self._token)

    def check(self, request: web.Request, route: str) -> Verdict:
        """How `request` (to control route `route`, e.g. /_sim/journal) may get in."""
        if self._token is None:
            return OPEN
        # bytes that are not UTF-8 match nothing (and must not reach a key digest)
        header = lenient_header(request.headers, TOKEN_HEADER)
        if header is not None:
            return TOKEN if self.token_matches(header) else INVALID
        authorization = request.headers.get("Authorization")
        credential = credential_of(authorization) if authorization else None
        if credential is not None and not is_text(credential):
            return INVALID
        if credential is not None and self.token_matches(credential):
            return TOKEN
        if self.sessions.valid(request.cookies.get(COOKIE)):
            return SESSION
        if authorization is None:
            return REQUIRED
        tenant = self._tenant_of_key(credential) if credential else None
        if tenant is None:
            return INVALID
        wanted = request.query.get("tenant")
        if (request.method in ("GET", "HEAD") and route in TENANT_READS and wanted
                and is_text(wanted) and self._tenant_of(wanted) == tenant):
            return TENANT
        return SCOPE
