"""The payload file, for the modules that import it from here (the browser XSS probes).
The injection engine itself is the `suites.security.injection` package."""

from __future__ import annotations

from paylab.suites.security.injection.payloads import payloads

__all__ = ["payloads"]
