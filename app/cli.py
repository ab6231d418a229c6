"""Command line: ``python -m app serve | db upgrade | db check | keys rotate | keys prune |
purge | users show|sign-out|disable|enable|delete EMAIL``.

A setting that is malformed or out of range stops every command before it does anything:
one line per bad setting, naming its ``APP_`` variable and what it accepts (not pydantic's
traceback).
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from app.auth.maintenance import Purger
from app.auth.operators import AccountFacts
from app.auth.second_factors import sealed_key_ids
from app.clock import Clock, SystemClock, TestClock, to_iso
from app.config import ENV_PREFIX, Settings, load_settings
from app.db import migrate
from app.db.database import Database
from app.db.engine import create_engine
from app.logging import configure_logging
from app.security.keys import prune_keyset, rotate_keyset
from app.serve import add_arguments, serve
from app.wiring import build_core

__all__ = ["main", "settings_problems"]

_UPPER_NAME = re.compile(r"\b(?<!APP_)[A-Z][A-Z0-9_]*\b")
_BOOLEAN = "true or false (also 1/0, yes/no, on/off)"
_ACCEPTS = {"trusted_proxies": "addresses or networks, comma-separated (10.0.0.0/24,::1)"}
_NUMBER_ERRORS = {
    "int_parsing",
    "int_from_float",
    "int_type",
    "greater_than",
    "greater_than_equal",
    "less_than",
    "less_than_equal",
}


def _variable(name: str) -> str:
    return ENV_PREFIX + name.upper()


def _whole_number(name: str, ctx: dict[str, Any]) -> str:
    """What a number setting accepts ("a whole number from 1 to 1000"), from the field's
    bounds and the error's own."""
    field = Settings.model_fields.get(name)
    bounds = {
        key: value
        for item in (field.metadata if field else [])
        for key in ("ge", "gt", "le", "lt")
        if (value := getattr(item, key, None)) is not None
    }
    bounds |= {key: value for key, value in ctx.items() if key in {"ge", "gt", "le", "lt"}}
    low = bounds["ge"] if "ge" in bounds else bounds["gt"] + 1 if "gt" in bounds else None
    high = bounds["le"] if "le" in bounds else bounds["lt"] - 1 if "lt" in bounds else None
    if low is not None and high is not None:
        return f"a whole number from {low} to {high}"
    if low is not None:
        return f"a whole number of at least {low}"
    if high is not None:
        return f"a whole number of at most {high}"
    return "a whole number"


def _problem(error: ErrorDetails) -> str:
    message = error["msg"].removeprefix("Value error, ")
    if not error["loc"]:  # a rule between settings: its message names them
        return _UPPER_NAME.sub(
            lambda m: _variable(m[0]) if m[0].lower() in Settings.model_fields else m[0], message
        )
    name = str(error["loc"][0])
    variable = _variable(name)
    given = error.get("input")
    if error["type"] == "extra_forbidden":
        return f"{variable}: there is no such setting (a typo?); see the settings in README.md"
    if error["type"] in _NUMBER_ERRORS:
        return f"{variable}: {str(given)!r} is not {_whole_number(name, error.get('ctx', {}))}"
    if error["type"].startswith("bool_"):
        return f"{variable}: {str(given)!r} is not {_BOOLEAN}"
    accepts = f"; it accepts {_ACCEPTS[name]}" if name in _ACCEPTS else ""
    return f"{variable}: {message}{accepts}"


def settings_problems(error: ValidationError) -> list[str]:
    """One line per bad setting (the first thing wrong with it)."""
    lines: dict[object, str] = {}
    for detail in error.errors():
        key = detail["loc"][0] if detail["loc"] else None
        lines.setdefault(key, _problem(detail))
    return list(lines.values())


def _keys(settings: Settings, action: str) -> str:
    if settings.keys is not None:
        return "the keys come from APP_KEYS; rotate them where that value is kept"
    path = settings.resolved_keys_file
    now = SystemClock().now()
    if action == "rotate":
        kid = rotate_keyset(path, now)
        return f"added key {kid}; it encrypts new tokens after the next start"
    in_use = asyncio.run(_sealed_key_ids(settings))
    dropped = prune_keyset(path, now, settings.session_max_age, in_use=in_use)
    return (
        f"dropped {len(dropped)} key(s) retired longer than a session lives"
        f" (kept {len(in_use)} that stored secrets are sealed with)"
    )


async def _sealed_key_ids(settings: Settings) -> set[str]:
    db = _database(settings)
    try:
        return await sealed_key_ids(db)
    finally:
        await db.engine.dispose()


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


def _facts(facts: AccountFacts) -> str:
    disabled = (
        f"disabled since {to_iso(facts.disabled_at)}"
        + (f" ({facts.disabled_reason})" if facts.disabled_reason else "")
        if facts.disabled_at is not None
        else "not disabled"
    )
    return (
        f"id {facts.id}, {facts.email}, {'verified' if facts.verified else 'not verified'}, "
        f"created {to_iso(facts.created_at)}, sign-in methods: {', '.join(facts.methods)}, "
        f"{facts.live_sessions} live session(s), {disabled}"
    )


async def _users(settings: Settings, action: str, email: str, reason: str) -> tuple[str, int]:
    """One operator action, through the app's own services: built as a server builds them
    (the deployment's database, its revocation push, its test clock when that is on)."""
    configure_logging(settings.log_level)  # log lines go to stderr; stdout has the one line
    clock: Clock = TestClock() if settings.test_clock else SystemClock()
    core = build_core(settings, clock, deployment_clock=True)
    try:
        await migrate.ensure_current(core.db.engine, auto_migrate=settings.auto_migrate)
        if core.shared_clock is not None:
            await core.shared_clock.refresh()  # the deployment's "now"
        operators = core.operators
        unknown = f"no account has the address {email}", 1
        if action == "show":
            facts = await operators.show(email)
            return (_facts(facts), 0) if facts is not None else unknown
        if action == "enable":
            enabled = await operators.enable(email)
            return (f"enabled {email}", 0) if enabled else unknown
        act = {"sign-out": operators.sign_out, "delete": operators.delete}
        if action == "disable":
            ended = await operators.disable(email, reason)
        else:
            ended = await act[action](email)
        if ended is None:
            return unknown
        done = {"sign-out": "signed out", "disable": "disabled", "delete": "deleted"}[action]
        return f"{done} {email}: {ended} session(s) ended", 0
    finally:
        for part in (core.counter, core.revocations.channel):
            close = getattr(part, "close", None)
            if close is not None:
                await close()
        await core.db.dispose()


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
    users = commands.add_parser(
        "users", help="look up, sign out, disable, enable or delete an account"
    )
    users.add_argument("action", choices=["show", "sign-out", "disable", "enable", "delete"])
    users.add_argument("email")
    users.add_argument("--reason", default="", help="why (users disable): told to the person")
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except ValidationError as error:
        raise SystemExit("\n".join(settings_problems(error))) from None
    status = 0
    if args.command == "serve":
        return serve(settings, args)
    if args.command == "keys":
        message = _keys(settings, args.action)
    elif args.command == "db":
        message, status = asyncio.run(_db(settings, args.action))
    elif args.command == "users":
        message, status = asyncio.run(_users(settings, args.action, args.email, args.reason))
    else:
        message = asyncio.run(_purge(settings))
    sys.stdout.write(message + "\n")
    return status
