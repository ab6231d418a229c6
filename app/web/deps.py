"""Dependencies handed to route handlers through Litestar's ``Provide``: the core's
parts by their field names, and who is asking."""

from __future__ import annotations

from dataclasses import fields
from typing import Any, TypeAlias

from litestar.di import NamedDependency, Provide
from litestar.params import SkipValidation
from litestar.plugins.htmx import HTMXRequest

from app.auth.account import AccountService
from app.auth.deletion import AccountDeletion
from app.auth.email_change import EmailChange
from app.auth.export import AccountExport
from app.auth.new_device import NewDeviceAlerts
from app.auth.passkeys import Passkeys
from app.auth.reauth import Reauthentication
from app.auth.recovery import Recovery
from app.auth.second_factors import SecondFactors
from app.auth.sign_in import SignIn
from app.auth.verification import Verification
from app.config import Settings
from app.core import Core
from app.db.shared_clock import ClockControl
from app.mail.outbox import Outbox
from app.security.cookies import AppCookies
from app.security.password_policy import PasswordPolicy
from app.security.tokens import TokenClaims
from app.shared.clients import ClientInfo
from app.shared.throttle import Throttle
from app.web.auth_state import auth_state
from app.web.client import client_info
from app.web.guard import NotSignedInError

__all__ = [
    "Account",
    "AlertsDep",
    "AppSettings",
    "Client",
    "ClockControlDep",
    "Cookies",
    "CurrentUser",
    "DeletionDep",
    "EmailChangeDep",
    "ExportDep",
    "OptionalClaims",
    "OutboxDep",
    "PasskeysDep",
    "PasswordPolicyDep",
    "ReauthDep",
    "RecoveryDep",
    "SecondFactorsDep",
    "SignInDep",
    "StrengthThrottle",
    "VerificationDep",
    "dependencies",
]

# Handler parameter types: injected by name (the parameter's name is the Core field's),
# trusted (our own objects need no validation).
AppSettings: TypeAlias = NamedDependency[SkipValidation[Settings]]
Cookies: TypeAlias = NamedDependency[SkipValidation[AppCookies]]
ClockControlDep: TypeAlias = NamedDependency[SkipValidation[ClockControl]]
SignInDep: TypeAlias = NamedDependency[SkipValidation[SignIn]]
PasswordPolicyDep: TypeAlias = NamedDependency[SkipValidation[PasswordPolicy]]
RecoveryDep: TypeAlias = NamedDependency[SkipValidation[Recovery]]
SecondFactorsDep: TypeAlias = NamedDependency[SkipValidation[SecondFactors]]
ReauthDep: TypeAlias = NamedDependency[SkipValidation[Reauthentication]]
PasskeysDep: TypeAlias = NamedDependency[SkipValidation[Passkeys]]
VerificationDep: TypeAlias = NamedDependency[SkipValidation[Verification]]
EmailChangeDep: TypeAlias = NamedDependency[SkipValidation[EmailChange]]
OutboxDep: TypeAlias = NamedDependency[SkipValidation[Outbox]]
StrengthThrottle: TypeAlias = NamedDependency[SkipValidation[Throttle]]
Account: TypeAlias = NamedDependency[SkipValidation[AccountService]]
DeletionDep: TypeAlias = NamedDependency[SkipValidation[AccountDeletion]]
ExportDep: TypeAlias = NamedDependency[SkipValidation[AccountExport]]
AlertsDep: TypeAlias = NamedDependency[SkipValidation[NewDeviceAlerts]]
Client: TypeAlias = NamedDependency[SkipValidation[ClientInfo]]
OptionalClaims: TypeAlias = NamedDependency[SkipValidation[TokenClaims | None]]
CurrentUser: TypeAlias = NamedDependency[SkipValidation[TokenClaims]]


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


def dependencies(core: Core) -> dict[str, Any]:
    """Every part of the core under its own field name (``sign_in``, ``recovery``,
    ``settings`` ...), and three read from the request: ``client``, ``claims`` (who is
    signed in, if anyone) and ``user`` (who must be: asking for it guards the handler)."""
    provided = {part.name: _constant(getattr(core, part.name)) for part in fields(core)}
    return {
        **provided,
        "client": Provide(_client, sync_to_thread=False),
        "claims": Provide(_claims, sync_to_thread=False),
        "user": Provide(_user, sync_to_thread=False),
    }
