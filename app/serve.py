"""``python -m app serve``: the production way to run the app (uvicorn, tuned).

- No ``Server`` header; proxy headers (``X-Forwarded-For``, ``-Proto``) believed only from
  the addresses in ``APP_TRUSTED_PROXIES`` (none by default: uvicorn would otherwise trust
  loopback, and a client could pick its own address for the throttles and the log).
- A cap on concurrent connections per worker (``--limit-concurrency``, then ``503``), a
  short keep-alive, 16 KiB at most of headers (h11: httptools has no such bound). uvicorn
  has no timeout for a client that sends its headers slowly: put a reverse proxy in front
  (``deploy/nginx``).
- Cookies without ``Secure`` on an address other than loopback are refused unless
  ``APP_ALLOW_INSECURE_COOKIES=true`` says so.
- The schema is brought to head once, before the workers start (each worker checks it
  again, under the same lock, when it starts).
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import os

import uvicorn

from app.config import Settings
from app.db import migrate
from app.db.engine import create_engine

__all__ = ["add_arguments", "insecure_exposure", "serve"]

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


async def _prepare_database(settings: Settings) -> None:
    """Before any worker starts: the schema at head (or, with APP_AUTO_MIGRATE=false, a
    plain refusal instead of a traceback from every worker)."""
    engine = create_engine(settings.resolved_database_url, pool_size=1, max_overflow=0)
    try:
        await migrate.ensure_current(engine, auto_migrate=settings.auto_migrate)
    finally:
        await engine.dispose()


def serve(settings: Settings, args: argparse.Namespace) -> int:
    if problem := insecure_exposure(settings, args.host):
        raise SystemExit(problem)
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
        log_config=None,  # the app configures logging (app/logging.py)
    )
    return 0
