"""Structured logs: one line per event, key=value, never a secret.

Only the app's own loggers (``app.*``) follow ``APP_LOG_LEVEL``; every library logger
(SQLAlchemy, Alembic, asyncio, uvicorn's error log, httpx) stays at WARNING, so a DEBUG
run never writes SQL with its parameters or a library's view of a request.
"""

from __future__ import annotations

import logging

import structlog

__all__ = ["configure_logging"]

LIBRARY_LEVEL = logging.WARNING


def configure_logging(level: str = "INFO") -> None:
    logging.basicConfig(format="%(message)s", level=LIBRARY_LEVEL)
    logging.getLogger().setLevel(LIBRARY_LEVEL)
    logging.getLogger("app").setLevel(level.upper())
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            structlog.processors.KeyValueRenderer(
                key_order=["timestamp", "level", "event"], drop_missing=True
            ),
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
