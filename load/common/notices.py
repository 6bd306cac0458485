"""A receiver inside the Locust process for the form-post rails' server notices (ECPay
ReturnURL / PaymentInfoURL, NewebPay NotifyURL): it acknowledges every post the way both
gateways count as received (HTTP 200 with the body `1|OK`), so notices settle on their first
try instead of piling up resends in the simulator, and it counts what arrived."""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

from paylab.load.common.loopback import LoopbackServer

log = logging.getLogger("paylab.load.notices")
#: ECPay's acknowledgement; NewebPay counts any HTTP 200.
ACK = b"1|OK"


class NoticeReceiver(LoopbackServer):
    """Answers `1|OK` to every post; users append `/ecpay/return`, `/newebpay/notify`...
    to its `url`."""

    def __init__(self) -> None:
        self.received: Counter[str] = Counter()
        super().__init__(log)

    def _app(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length:
            environ["wsgi.input"].read(length)
        self.received[environ.get("PATH_INFO", "")] += 1
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [ACK]
