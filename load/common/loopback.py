"""A tiny WSGI server on 127.0.0.1 inside the Locust process: the base of the receivers
that take the simulator's notifications during a load run."""

from __future__ import annotations

import logging
from typing import Any

from gevent.pywsgi import WSGIServer


class LoopbackServer:
    """Serves `self._app` on a free loopback port from construction until `stop()`."""

    def __init__(self, log: logging.Logger) -> None:
        self._server = WSGIServer(("127.0.0.1", 0), self._app, log=None, error_log=log)
        self._server.start()

    @property
    def url(self) -> str:
        """Base URL of the receiver."""
        return f"http://127.0.0.1:{self._server.server_port}"

    def stop(self) -> None:
        """Stop listening."""
        self._server.stop(timeout=1)

    def _app(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        raise NotImplementedError
