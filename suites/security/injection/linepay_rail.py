"""LINE Pay as a probe surface: what suites/security/data/surfaces/linepay.yaml names.

Every LINE Pay request is signed (X-LINE-Authorization: an HMAC over the API path, the raw
JSON body or the query, and a nonce that is good once). The probe bench signs only form
bodies and sends fixed headers, so a hostile value could not get past the signature and
the one-use nonce to its field's own handling. So the operations are listed for the bench
without their inputs (each counts as unprobed), and suites/security/test_linepay_security.py
sends the same payload catalogue into every body field, query parameter, path segment and
header of every operation, each request signed with a fresh nonce, and judges the answers
by the same rules (no 5xx, LINE Pay's JSON envelope, a 2101 refusal names the probed
field, nothing echoed as markup).
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from paylab.simulator.gateways.linepay.routes import OPERATIONS

_PARAM = re.compile(r"{[^}]+}")


def _unprobed(op: Any) -> Any:
    return dataclasses.replace(op, path=_PARAM.sub("1", op.path), request=None,
                               request_body=None, query=None)


#: The operations as the bench sees them (see the module's docstring).
PROBED = tuple(_unprobed(op) for op in OPERATIONS)
