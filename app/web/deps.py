"""Dependencies handed to route handlers through Litestar's ``Provide``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeAlias

from litestar.di import NamedDependency, Provide
from litestar.params import SkipValidation
from litestar.plugins.htmx import HTMXRequest

from app.auth.account import AccountService
from app.auth.email_change import EmailChange
from app.auth.recovery import Recovery
from app.auth.signin import SignIn
from app.auth.throttle import Throttle
from app.auth.types import ClientInfo
from app.auth.verification import Verification
from app.clock import Clock
from app.config import Settings
from app.db.shared_clock import ClockControl
from app.mail.outbox import Outbox
from app.security.password_policy import PasswordPolicy
from app.security.tokens import TokenClaims
from app.web.auth_state import auth_state
from app.web.client import client_info
from app.web.guard import NotSignedInError

__all__ = [
    "Account",
    "AppSettings",
    "Client",
    "ClockControlDep",
    "EmailChangeDep",
    "OptionalClaims",
    "OutboxDep",
    "Passwords",
    "RecoveryDep",
    "Services",
    "SignInDep",
    "SignedIn",
    "StrengthLimit",
    "VerificationDep",
    "dependencies",
]

# Handler parameter types: injected by name, trusted (our own objects need no validation).
AppSettings: TypeAlias = NamedDependency[SkipValidation[Settings]]
ClockControlDep: TypeAlias = NamedDependency[SkipValidation[ClockControl]]
SignInDep: TypeAlias = NamedDependency[SkipValidation[SignIn]]
Passwords: TypeAlias = NamedDependency[SkipValidation[PasswordPolicy]]
RecoveryDep: TypeAlias = NamedDependency[SkipValidation[Recovery]]
VerificationDep: TypeAlias = NamedDependency[SkipValidation[Verification]]
EmailChangeDep: TypeAlias = NamedDependency[SkipValidation[EmailChange]]
OutboxDep: TypeAlias = NamedDependency[SkipValidation[Outbox]]
StrengthLimit: TypeAlias = NamedDependency[SkipValidation[Throttle]]
Account: TypeAlias = NamedDependency[SkipValidation[AccountService]]
Client: TypeAlias = NamedDependency[SkipValidation[ClientInfo]]
OptionalClaims: TypeAlias = NamedDependency[SkipValidation[TokenClaims | None]]
SignedIn: TypeAlias = NamedDependency[SkipValidation[TokenClaims]]


@dataclass(frozen=True, slots=True)
class Services:
    settings: Settings
    clock: Clock
    sign_in: SignIn
    account: AccountService
    password_policy: PasswordPolicy
    strength_throttle: Throttle
    recovery: Recovery
    verification: Verification
    email_change: EmailChange
    outbox: Outbox
    clock_control: ClockControl | None


def _client(request: HTMXRequest) -> ClientInfo:
    return client_info(request.scope)


def _claims(request: HTMXRequest) -> TokenClaims | None:
    return auth_state(request).claims


def _user(request: HTMXRequest) -> TokenClaims:
    """The signed-in user. Asking for it is what makes a handler guarded: without one the
    answer is the guard's own (303 to /login, or 401 + HX-Redirect), never an error page."""
    claims = auth_state(request).claims
    if claims is None:
        raise NotSignedInError()
    return claims


def _constant(value: Any) -> Provide:
    return Provide(lambda: value, use_cache=True, sync_to_thread=False)


def dependencies(services: Services) -> dict[str, Any]:
    return {
        "settings": _constant(services.settings),
        "clock": _constant(services.clock),
        "sign_in": _constant(services.sign_in),
        "account": _constant(services.account),
        "passwords": _constant(services.password_policy),
        "strength_limit": _constant(services.strength_throttle),
        "recovery": _constant(services.recovery),
        "verification": _constant(services.verification),
        "email_change": _constant(services.email_change),
        "outbox": _constant(services.outbox),
        "clock_control": _constant(services.clock_control),
        "client": Provide(_client, sync_to_thread=False),
        "claims": Provide(_claims, sync_to_thread=False),
        "user": Provide(_user, sync_to_thread=False),
    }
