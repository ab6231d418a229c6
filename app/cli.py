"""Command line: ``python -m app keys rotate | keys prune | purge``."""

from __future__ import annotations

import argparse
import asyncio
import sys

from app.auth.maintenance import Purger
from app.clock import SystemClock
from app.config import Settings, load_settings
from app.db.engine import create_engine, create_tables, session_factory
from app.security.keys import prune_keyset, rotate_keyset

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


async def _purge(settings: Settings) -> str:
    engine = create_engine(settings.resolved_database_url)
    try:
        await create_tables(engine)
        purger = Purger(
            db=session_factory(engine),
            clock=SystemClock(),
            event_retention=settings.event_retention,
        )
        result = await purger.purge()
    finally:
        await engine.dispose()
    return f"deleted {result.sessions} expired session(s) and {result.events} old event(s)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    keys = commands.add_parser("keys", help="manage the token keys (var/keys.json)")
    keys.add_argument("action", choices=["rotate", "prune"])
    commands.add_parser("purge", help="delete expired sessions and old activity now")
    args = parser.parse_args(argv)
    settings = load_settings()
    if args.command == "keys":
        message = _keys(settings, args.action)
    else:
        message = asyncio.run(_purge(settings))
    sys.stdout.write(message + "\n")
    return 0
