"""Structured logs: one line per event, key=value, never a secret.

Only the app's own loggers (``app.*``) follow ``APP_LOG_LEVEL``; every library logger
(SQLAlchemy, Alembic, asyncio, uvicorn's error log, httpx) stays at WARNING, so a DEBUG
run never writes SQL with its parameters or a library's view of a request.

The access log (``python -m app serve --access-log``) is uvicorn's, one key=value line per
request, with the value of every ``token`` query parameter (a mailed link's secret)
replaced by ``[redacted]``. The redaction sits on uvicorn's access logger itself, so it
holds in every worker and however uvicorn was started.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote_plus

import structlog

__all__ = [
    "REDACTED",
    "AccessFormatter",
    "RedactTokens",
    "access_log_config",
    "configure_logging",
    "redact_tokens",
]

LIBRARY_LEVEL = logging.WARNING
ACCESS_LOGGER = "uvicorn.access"
REDACTED = "[redacted]"
SECRET_PARAMETERS = frozenset({"token"})
_KEY_ORDER = ["timestamp", "level", "event"]
_render = structlog.processors.KeyValueRenderer(key_order=_KEY_ORDER, drop_missing=True)


def configure_logging(level: str = "INFO") -> None:
    logging.basicConfig(format="%(message)s", level=LIBRARY_LEVEL)
    logging.getLogger().setLevel(LIBRARY_LEVEL)
    logging.getLogger("app").setLevel(level.upper())
    access = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, RedactTokens) for f in access.filters):
        access.addFilter(RedactTokens())
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            structlog.processors.KeyValueRenderer(key_order=_KEY_ORDER, drop_missing=True),
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def redact_tokens(target: str) -> str:
    """A request target with the value of every ``token`` query parameter replaced by
    ``[redacted]``; everything else as it was."""
    path, question, query = target.partition("?")
    if not question:
        return target
    parts = []
    for part in query.split("&"):
        name, _, _ = part.partition("=")
        secret = unquote_plus(name).strip().lower() in SECRET_PARAMETERS
        parts.append(f"{name}={REDACTED}" if secret else part)
    return f"{path}?{'&'.join(parts)}"


def _access_args(record: logging.LogRecord) -> tuple[Any, ...] | None:
    """uvicorn's access record: (client, method, target, HTTP version, status)."""
    args = record.args
    if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
        return args
    return None


class RedactTokens(logging.Filter):
    """On uvicorn's access logger: no mailed link's secret reaches a log line."""

    def filter(self, record: logging.LogRecord) -> bool:
        if (args := _access_args(record)) is not None:
            record.args = (*args[:2], redact_tokens(args[2]), *args[3:])
        return True


class AccessFormatter(logging.Formatter):
    """One access line in the app's key=value shape."""

    def format(self, record: logging.LogRecord) -> str:
        args = _access_args(record)
        if args is None:
            return super().format(record)
        client, method, target, _version, status = args
        when = datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        event = {
            "timestamp": when,
            "level": "info",
            "event": "request",
            "process": record.process,
            "client": client,
            "method": method,
            "path": redact_tokens(target),
            "status": status,
        }
        return str(_render(None, "info", event))


def access_log_config() -> dict[str, Any]:
    """uvicorn's ``log_config`` for ``--access-log`` (applied again in every worker):
    the access logger at INFO, redacted, one line per request on stderr; nothing else of
    logging is touched."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"redact": {"()": "app.logging.RedactTokens"}},
        "formatters": {"access": {"()": "app.logging.AccessFormatter"}},
        "handlers": {
            "access": {
                "class": "logging.StreamHandler",
                "formatter": "access",
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {
            ACCESS_LOGGER: {
                "handlers": ["access"],
                "filters": ["redact"],
                "level": "INFO",
                "propagate": False,
            }
        },
    }
