"""``python -m bench.stacks.fastapi_users.setup EMAIL`` (password in ``BENCH_PASSWORD``,
data directory in ``APP_DATA_DIR``): the tables, the user by ``UserManager.create`` (the
way fastapi-users' docs create one outside a request); then the SQL statements of
reading one cookie's user with each strategy, printed as JSON."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from typing import Any

from fastapi_users import schemas
from fastapi_users_db_sqlalchemy import SQLAlchemyUserDatabase
from sqlalchemy import event

from bench.stacks.fastapi_users.app import (
    DB_BACKEND,
    JWT_BACKEND,
    Base,
    User,
    UserManager,
    engine,
    sessions,
    strategy,
)


async def _main(email: str, password: str) -> dict[str, list[str]]:
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(args[2])

    statements: dict[str, list[str]] = {}
    async with sessions() as session:
        manager = UserManager(SQLAlchemyUserDatabase(session, User))
        user = await manager.create(schemas.BaseUserCreate(email=email, password=password))
        for backend in (JWT_BACKEND, DB_BACKEND):
            chosen = strategy(backend, session)
            token = await chosen.write_token(user)
            session.expunge_all()  # a request starts with an empty session
            event.listen(engine.sync_engine, "before_cursor_execute", record)
            found = await chosen.read_token(token, manager)
            event.remove(engine.sync_engine, "before_cursor_execute", record)
            if found is None or found.email != email:
                raise SystemExit(f"{backend.name}: the token did not read back")
            statements[backend.name] = list(seen)
            seen.clear()
    await engine.dispose()
    return statements


def main() -> None:
    print(json.dumps(asyncio.run(_main(sys.argv[1], os.environ["BENCH_PASSWORD"]))))


if __name__ == "__main__":
    main()
