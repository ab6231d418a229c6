"""``uvicorn bench.stacks.fastapi_users.app:create_jwt --factory`` (or ``create_db``)."""

# No `from __future__ import annotations`: FastAPI reads the route's `Annotated` at run time,
# and `current_user` is local to `_create`.

import secrets
import uuid
from collections.abc import AsyncGenerator
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, PlainTextResponse
from fastapi_users import BaseUserManager, FastAPIUsers, UUIDIDMixin, schemas
from fastapi_users.authentication import (
    AuthenticationBackend,
    CookieTransport,
    JWTStrategy,
    Strategy,
)
from fastapi_users.authentication.strategy.db import AccessTokenDatabase, DatabaseStrategy
from fastapi_users_db_sqlalchemy import SQLAlchemyBaseUserTableUUID, SQLAlchemyUserDatabase
from fastapi_users_db_sqlalchemy.access_token import (
    SQLAlchemyAccessTokenDatabase,
    SQLAlchemyBaseAccessTokenTableUUID,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase

from bench.stacks.page import Dashboard, data_dir

__all__ = ["Base", "UserManager", "create_db", "create_jwt", "engine", "sessions"]

_LIFETIME = 3600


class Base(DeclarativeBase):
    pass


class User(SQLAlchemyBaseUserTableUUID, Base):
    pass


class AccessToken(SQLAlchemyBaseAccessTokenTableUUID, Base):
    pass


class UserRead(schemas.BaseUser[uuid.UUID]):
    pass


def _secret() -> str:
    path = data_dir() / "fastapi-users.key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(32))
    return path.read_text()


SECRET = _secret()
engine = create_async_engine(f"sqlite+aiosqlite:///{data_dir() / 'fastapi-users.sqlite3'}")
sessions = async_sessionmaker(engine, expire_on_commit=False)


class UserManager(UUIDIDMixin, BaseUserManager[User, uuid.UUID]):
    reset_password_token_secret = SECRET
    verification_token_secret = SECRET


async def get_async_session() -> AsyncGenerator[AsyncSession, None]:
    async with sessions() as session:
        yield session


async def get_user_db(
    session: Annotated[AsyncSession, Depends(get_async_session)],
) -> AsyncGenerator[SQLAlchemyUserDatabase[User, uuid.UUID], None]:
    yield SQLAlchemyUserDatabase(session, User)


async def get_access_token_db(
    session: Annotated[AsyncSession, Depends(get_async_session)],
) -> AsyncGenerator[SQLAlchemyAccessTokenDatabase[AccessToken], None]:
    yield SQLAlchemyAccessTokenDatabase(session, AccessToken)


async def get_user_manager(
    user_db: Annotated[SQLAlchemyUserDatabase[User, uuid.UUID], Depends(get_user_db)],
) -> AsyncGenerator[UserManager, None]:
    yield UserManager(user_db)


def get_jwt_strategy() -> JWTStrategy[User, uuid.UUID]:
    return JWTStrategy(secret=SECRET, lifetime_seconds=_LIFETIME)


def get_database_strategy(
    access_token_db: Annotated[AccessTokenDatabase[AccessToken], Depends(get_access_token_db)],
) -> DatabaseStrategy[User, uuid.UUID, AccessToken]:
    return DatabaseStrategy(access_token_db, lifetime_seconds=_LIFETIME)


_TRANSPORT = CookieTransport(cookie_max_age=_LIFETIME, cookie_samesite="lax")
JWT_BACKEND = AuthenticationBackend("jwt", _TRANSPORT, get_strategy=get_jwt_strategy)
DB_BACKEND = AuthenticationBackend("db", _TRANSPORT, get_strategy=get_database_strategy)


def _create(backend: AuthenticationBackend[Any, Any]) -> FastAPI:
    fastapi_users = FastAPIUsers[User, uuid.UUID](get_user_manager, [backend])
    current_user = fastapi_users.current_user(active=True)
    page = Dashboard()
    csrf = "0" * page.csrf_length
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    app.include_router(fastapi_users.get_auth_router(backend), prefix=f"/auth/{backend.name}")

    @app.get("/dashboard", response_class=HTMLResponse)
    async def dashboard(
        request: Request, user: Annotated[User, Depends(current_user)]
    ) -> HTMLResponse:
        check_sent = request.query_params.get("check") == "sent"
        html = page.render(user.email, request.url.path, lambda: csrf, check_sent=check_sent)
        return HTMLResponse(html)

    @app.get("/healthz", response_class=PlainTextResponse)
    async def healthz() -> str:
        return "ok"

    return app


def create_jwt() -> FastAPI:
    return _create(JWT_BACKEND)


def create_db() -> FastAPI:
    return _create(DB_BACKEND)


def strategy(backend: AuthenticationBackend[Any, Any], session: AsyncSession) -> Strategy[Any, Any]:
    """The backend's strategy outside a request (for the set-up's query count)."""
    if backend is JWT_BACKEND:
        return get_jwt_strategy()
    return get_database_strategy(SQLAlchemyAccessTokenDatabase(session, AccessToken))
