"""LINE Pay's server notifications: none. The Online API v3 tells the merchant nothing
server to server (the shopper's browser comes back to confirmUrl, and the merchant asks
with Confirm or Check Request Status), so the simulator registers no callback target for
LINE Pay orders and this notifier is never asked to deliver. It exists because every
gateway plugs a notifier into the dispatcher; asked anyway, it refuses."""

from __future__ import annotations

from paylab.simulator.core.objects import Doc

NO_NOTICES = "LINE Pay's Online API v3 sends no server notifications"


class LinePayNotifier:
    """Renders nothing: LINE Pay has no webhooks to emulate."""

    #: No deliveries, so no retries of its own.
    retry_schedule = None

    def accepts(self, status_code: int, body: str) -> bool:
        """Any 2xx (never consulted: nothing is delivered)."""
        return 200 <= status_code < 300

    def render(self, event: Doc, target: Doc, wall_time: int, *,
               bad_signature: bool = False) -> tuple[bytes, dict[str, str]]:
        """Refused: there is no LINE Pay notification to render."""
        raise LookupError(NO_NOTICES)

    def forge(self, attack: str, event: Doc, target: Doc, now: int,
              signed_at: int | None) -> tuple[bytes, dict[str, str]]:
        """Refused: no notification, so no probe applies."""
        raise LookupError(f"{NO_NOTICES}: a {attack} probe does not apply")
