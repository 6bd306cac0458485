"""Logging for `paylab serve` and `paylab up`: text or JSON lines, an optional access log,
and third-party loggers kept quiet.

The stripe SDK logs every call at INFO and whole response bodies at DEBUG; the answer that
registers the shop's webhook endpoint holds its signing secret, so the SDK is held at
WARNING whatever --log-level says.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any, Literal

from aiohttp.abc import AbstractAccessLogger
from aiohttp.web import BaseRequest, StreamResponse

LogFormat = Literal["text", "json"]
LOG_FORMATS: tuple[LogFormat, ...] = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
#: Loggers that never go below these levels: chatty (aiohttp's own access log, replaced
#: by ours) or able to leak secrets (the stripe SDK; see the module docstring).
QUIET = {"stripe": logging.WARNING, "aiohttp.access": logging.WARNING}
ACCESS_LOG = logging.getLogger("paylab.access")
#: Structured fields a record carries for the JSON format (the text has them already).
FIELDS = "paylab_fields"


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line: time, level, logger, message, and the
    record's structured fields (an access line's method, path, status, duration)."""

    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname, "logger": record.name, "message": record.getMessage(),
        }
        doc.update(getattr(record, FIELDS, {}))
        if record.exc_info:
            doc["exception"] = self.formatException(record.exc_info)
        return json.dumps(doc, ensure_ascii=False, default=str)


def configure(level: str, log_format: LogFormat) -> None:
    """Send every log record to stderr in `log_format`, from `level` up."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json"
                         else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.captureWarnings(True)  # Python warnings too, so JSON output stays all JSON
    quiet_third_parties()


def quiet_third_parties() -> None:
    """Hold the loggers in QUIET at their levels (never lower)."""
    for name, level in QUIET.items():
        logger = logging.getLogger(name)
        logger.setLevel(max(logger.getEffectiveLevel(), level))


class AccessLogger(AbstractAccessLogger):
    """One line per request: method, path, status, duration. The query string is left
    out because it can carry secrets (a hosted page's `token`, a `client_secret`)."""

    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        duration_ms = round(time * 1000, 1)
        self.logger.info("%s %s %d %.1fms", request.method, request.path, response.status,
                         duration_ms, extra={FIELDS: {
                             "method": request.method, "path": request.path,
                             "status": response.status, "duration_ms": duration_ms}})


def runner_options(access_log: bool, app: str) -> dict[str, Any]:
    """Keyword arguments for `web.AppRunner`: our access log (`paylab.access.<app>`, so the
    simulator's lines and the shop's can be told apart), or none."""
    return {"access_log": ACCESS_LOG.getChild(app) if access_log else None,
            "access_log_class": AccessLogger}


def refuse(message: str, log_format: LogFormat) -> int:
    """Say why the command cannot start, as one line (JSON when logs are), and return the
    exit code for a user's mistake."""
    if log_format == "json":
        logging.getLogger("paylab").error(message)
    else:
        print(f"paylab: {message}", file=sys.stderr)
    return 2


def announce(lines: list[str], log_format: LogFormat) -> None:
    """Print the start-up banner: as it is, or as one JSON object when logs are JSON, so
    every line the process writes parses."""
    if log_format == "json":
        logging.getLogger("paylab").info("started", extra={FIELDS: {"banner": lines}})
    else:
        print("\n".join(lines), flush=True)
