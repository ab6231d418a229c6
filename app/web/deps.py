"""Dependencies handed to route handlers through Litestar's ``Provide``."""

from __future__ import annotations

from typing import Any, TypeAlias

from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotAuthorizedException
from litestar.params import SkipValidation
from litestar.plugins.htmx import HTMXRequest

from app.auth.account import AccountService
from app.auth.service import AuthService, ClientInfo
from app.clock import Clock, TestClock
from app.config import Settings
from app.security.tokens import TokenClaims
from app.web.client import client_info
from app.web.guard import current_claims

__all__ = [
    "Account",
    "AppSettings",
    "Auth",
    "Client",
    "OptionalClaims",
    "SignedIn",
    "TestClockDep",
    "dependencies",
]

# Handler parameter types: injected by name, trusted (our own objects need no validation).
AppSettings: TypeAlias = NamedDependency[SkipValidation[Settings]]
TestClockDep: TypeAlias = NamedDependency[SkipValidation[TestClock]]
Auth: TypeAlias = NamedDependency[SkipValidation[AuthService]]
Account: TypeAlias = NamedDependency[SkipValidation[AccountService]]
Client: TypeAlias = NamedDependency[SkipValidation[ClientInfo]]
OptionalClaims: TypeAlias = NamedDependency[SkipValidation[TokenClaims | None]]
SignedIn: TypeAlias = NamedDependency[SkipValidation[TokenClaims]]


def _client(request: HTMXRequest) -> ClientInfo:
    return client_info(request.scope)


def _claims(request: HTMXRequest) -> TokenClaims | None:
    return current_claims(request)


def _user(request: HTMXRequest) -> TokenClaims:
    """The signed-in user, for guarded routes (the guard turned everyone else away)."""
    claims = current_claims(request)
    if claims is None:
        raise NotAuthorizedException()
    return claims


def dependencies(
    settings: Settings, clock: Clock, service: AuthService, account: AccountService
) -> dict[str, Any]:
    return {
        "settings": Provide(lambda: settings, use_cache=True, sync_to_thread=False),
        "clock": Provide(lambda: clock, use_cache=True, sync_to_thread=False),
        "auth": Provide(lambda: service, use_cache=True, sync_to_thread=False),
        "account": Provide(lambda: account, use_cache=True, sync_to_thread=False),
        "client": Provide(_client, sync_to_thread=False),
        "claims": Provide(_claims, sync_to_thread=False),
        "user": Provide(_user, sync_to_thread=False),
    }
