"""Guards in front of the simulator: the Host allow-list on every mount, cross-site refusal
and the control token on /_sim, and the security headers of every HTML page.

`Guard` holds them; app.py puts `Guard.middleware` first in the root app and registers
`secure_headers` on the root app's response preparation.
"""

from paylab.simulator.guards.headers import secure_headers
from paylab.simulator.guards.middleware import CONTROL_PREFIX, GUARD, Guard, control_refusal

__all__ = ["CONTROL_PREFIX", "GUARD", "Guard", "control_refusal", "secure_headers"]
