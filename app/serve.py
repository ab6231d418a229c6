"""``python -m app serve``: the production way to run the app (uvicorn, tuned).

- No ``Server`` header; proxy headers (``X-Forwarded-For``, ``-Proto``) believed only from
  the addresses in ``APP_TRUSTED_PROXIES`` (none by default: uvicorn would otherwise trust
  loopback, and a client could pick its own address for the throttles and the log).
- A cap on concurrent connections per worker (``--limit-concurrency``, then ``503``), a
  short keep-alive, 16 KiB at most of headers (h11: httptools has no such bound). uvicorn
  has no timeout for a client that sends its headers slowly: put a reverse proxy in front
  (``deploy/nginx``).
- Cookies without ``Secure`` on an address other than loopback are refused unless
  ``APP_ALLOW_INSECURE_COOKIES=true`` says so; so are the development switches
  (``APP_DEV_MAILBOX``: every mailed link to anyone; ``APP_TEST_CLOCK``: anyone moves
  time) unless ``APP_ALLOW_DEV_ON_PUBLIC=true``, and then start-up logs a warning.
- ``--access-log``: one line per request, ``token`` query values redacted
  (``app/logging.py``), in every worker.
- The schema is brought to head once, before the workers start (each worker checks it
  again, under the same lock, when it starts).
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import os

import structlog
import uvicorn

from app.config import Settings
from app.db import migrate
from app.db.engine import create_engine
from app.logging import access_log_config, configure_logging

__all__ = ["add_arguments", "dev_exposure", "dev_switches", "insecure_exposure", "serve"]

log = structlog.get_logger("app.serve")

LOOPBACK_NAMES = {"localhost"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument(
        "--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "1")), metavar="N"
    )
    parser.add_argument("--limit-concurrency", type=int, default=1000, metavar="N")
    parser.add_argument("--timeout-keep-alive", type=int, default=5, metavar="SECONDS")
    parser.add_argument("--access-log", action="store_true", help="log every request")


def _is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def insecure_exposure(settings: Settings, host: str) -> str | None:
    """Why serving on ``host`` with these settings is refused, or None."""
    if settings.cookie_secure or settings.allow_insecure_cookies or _is_loopback(host):
        return None
    return (
        f"refusing to serve on {host} with APP_COOKIE_SECURE=false: the auth cookie would "
        "travel without TLS; serve on 127.0.0.1 behind a TLS proxy, or set "
        "APP_ALLOW_INSECURE_COOKIES=true if this is really meant"
    )


def dev_switches(settings: Settings) -> list[str]:
    """The development switches that are on, by their variable names."""
    switches = {"APP_DEV_MAILBOX": settings.dev_mailbox, "APP_TEST_CLOCK": settings.test_clock}
    return [name for name, on in switches.items() if on]


def dev_exposure(settings: Settings, host: str) -> str | None:
    """Why serving on ``host`` with a development switch on is refused, or None."""
    switches = dev_switches(settings)
    if not switches or settings.allow_dev_on_public or _is_loopback(host):
        return None
    return (
        f"refusing to serve on {host} with {' and '.join(switches)} on: development "
        "switches (every mailed link, the clock) would be open to anyone who can reach it; "
        "serve on 127.0.0.1, or set APP_ALLOW_DEV_ON_PUBLIC=true if this is really meant"
    )


async def _prepare_database(settings: Settings) -> None:
    """Before any worker starts: the schema at head (or, with APP_AUTO_MIGRATE=false, a
    plain refusal instead of a traceback from every worker)."""
    engine = create_engine(settings.resolved_database_url, pool_size=1, max_overflow=0)
    try:
        await migrate.ensure_current(engine, auto_migrate=settings.auto_migrate)
    finally:
        await engine.dispose()


def serve(settings: Settings, args: argparse.Namespace) -> int:
    for problem in (insecure_exposure(settings, args.host), dev_exposure(settings, args.host)):
        if problem:
            raise SystemExit(problem)
    configure_logging(settings.log_level)
    if (switches := dev_switches(settings)) and not _is_loopback(args.host):
        log.warning(
            "development_switches_on_public_address",
            host=args.host,
            switches=",".join(switches),
            allowed_by="APP_ALLOW_DEV_ON_PUBLIC",
        )
    try:
        asyncio.run(_prepare_database(settings))
    except migrate.SchemaNotCurrentError as error:
        raise SystemExit(str(error)) from None
    trusted = ",".join(settings.trusted_proxies)
    uvicorn.run(
        "app.main:app",
        host=args.host,
        port=args.port,
        workers=args.workers,
        proxy_headers=bool(trusted),
        forwarded_allow_ips=trusted or "",
        server_header=False,
        # h11, not httptools: h11 stops buffering a header block at the size below;
        # httptools has no such bound (a 20 MB header was read whole).
        http="h11",
        limit_concurrency=args.limit_concurrency,
        timeout_keep_alive=args.timeout_keep_alive,
        h11_max_incomplete_event_size=16 * 1024,
        access_log=args.access_log,
        # The app configures its own logging (app/logging.py); uvicorn's config, which
        # every worker applies again, only sets up the redacted access log when asked.
        log_config=access_log_config() if args.access_log else None,
    )
    return 0
