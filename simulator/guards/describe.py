"""What `paylab serve` and `paylab up` print about the guard: whether the control API needs
a token (never the token itself), and a warning when it is open to the network."""

from __future__ import annotations

from paylab.simulator.settings import Settings


def guard_lines(settings: Settings) -> list[str]:
    """Lines for the start-up banner."""
    base = settings.base_url
    if settings.control_token:
        return [f"  control API is token-guarded: send 'Authorization: Bearer <token>', or "
                f"log in at {base}/_sim/login"]
    if settings.insecure_control:
        return [f"WARNING: the control API is open (--insecure-control, no --control-token): "
                f"anyone who reaches {settings.host or '*'}:{settings.port} can reset state, "
                "move the clock and revoke keys."]
    return ["  control API is open (no --control-token; the address is loopback, so only "
            "this machine reaches it)"]
