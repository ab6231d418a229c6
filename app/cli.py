"""Command line: ``python -m app serve | db upgrade | db check | keys rotate | keys prune |
purge``."""

from __future__ import annotations

import argparse
import asyncio
import sys

from app.auth.maintenance import Purger
from app.clock import SystemClock
from app.config import Settings, load_settings
from app.db import migrate
from app.db.database import Database
from app.db.engine import create_engine
from app.security.keys import prune_keyset, rotate_keyset
from app.serve import add_arguments, serve

__all__ = ["main"]


def _keys(settings: Settings, action: str) -> str:
    if settings.keys is not None:
        return "the keys come from APP_KEYS; rotate them where that value is kept"
    path = settings.resolved_keys_file
    now = SystemClock().now()
    if action == "rotate":
        kid = rotate_keyset(path, now)
        return f"added key {kid}; it encrypts new tokens after the next start"
    dropped = prune_keyset(path, now, settings.session_max_age)
    return f"dropped {len(dropped)} key(s) retired longer than a session lives"


def _database(settings: Settings, connections: int = 1) -> Database:
    return Database(
        create_engine(settings.resolved_database_url, pool_size=connections, max_overflow=0)
    )


async def _db(settings: Settings, action: str) -> tuple[str, int]:
    db = _database(settings)
    try:
        if action == "upgrade":
            before, after = await migrate.upgrade(db.engine)
            if before == after:
                return f"the database is at {after}, the newest schema: nothing to do", 0
            return f"upgraded the database from {before or 'nothing'} to {after}", 0
        current = await migrate.current_revision(db.engine)
        if current == migrate.head():
            return f"the database is at {current}, the newest schema", 0
        return (
            f"the database is at {current or 'nothing'}, this release needs {migrate.head()}: "
            f"run '{migrate.UPGRADE_COMMAND}'",
            1,
        )
    finally:
        await db.dispose()


async def _purge(settings: Settings) -> str:
    # Two connections: on PostgreSQL the purge lock holds one while the work uses another.
    db = _database(settings, connections=2)
    try:
        await migrate.ensure_current(db.engine, auto_migrate=settings.auto_migrate)
        result = await Purger(
            db=db,
            clock=SystemClock(),
            event_retention=settings.event_retention,
            throttle_window=max(settings.login_window, settings.ip_window, settings.mail_window),
            mail_window=settings.mail_window,
        ).purge()
    finally:
        await db.dispose()
    if result.skipped:
        return "another process is purging right now; nothing done"
    return (
        f"deleted {result.sessions} expired session(s), {result.events} old event(s), "
        f"{result.links} used or expired link(s) and {result.mails} sent or failed mail(s) "
        "older than APP_MAIL_WINDOW"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serving = commands.add_parser("serve", help="serve the app (uvicorn, production settings)")
    add_arguments(serving)
    db = commands.add_parser("db", help="the database schema (Alembic migrations)")
    db.add_argument("action", choices=["upgrade", "check"])
    keys = commands.add_parser("keys", help="manage the token keys (var/keys.json)")
    keys.add_argument("action", choices=["rotate", "prune"])
    commands.add_parser(
        "purge", help="delete expired sessions, old activity, dead links and old mail now"
    )
    args = parser.parse_args(argv)
    settings = load_settings()
    status = 0
    if args.command == "serve":
        return serve(settings, args)
    if args.command == "keys":
        message = _keys(settings, args.action)
    elif args.command == "db":
        message, status = asyncio.run(_db(settings, args.action))
    else:
        message = asyncio.run(_purge(settings))
    sys.stdout.write(message + "\n")
    return status
