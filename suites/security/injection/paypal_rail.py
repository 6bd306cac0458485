"""PayPal as a probe surface: what suites/security/data/surfaces/paypal.yaml names.

Every PayPal REST call needs a Bearer token from /v1/oauth2/token and a JSON body, and
most act on an order the buyer approved first; the probe bench sends fixed headers and
cannot approve an order, so the operations are listed for the bench without their inputs
(each counts as unprobed), and suites/security/test_paypal_security.py sends the payload
catalogue into the body fields, path ids and headers of every operation with a live token,
judging the answers by the same rules (no 5xx, PayPal's error body, nothing echoed as
markup, nothing changed behind a refusal).
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from paylab.simulator.gateways.paypal.routes import OPERATIONS

_PARAM = re.compile(r"{[^}]+}")


def _unprobed(op: Any) -> Any:
    return dataclasses.replace(op, path=_PARAM.sub("1", op.path), request=None,
                               request_body=None, query=None)


#: The operations as the bench sees them (see the module's docstring).
PROBED = tuple(_unprobed(op) for op in OPERATIONS)
