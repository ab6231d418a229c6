"""The one typed channel between the guard, the handlers and the cookie writer.

The guard puts an :class:`AuthState` at ``scope["auth"]``; who the request is for is its
:attr:`~AuthState.claims` (it follows a sign-in or sign-out by the handler); handlers
change it with :meth:`~AuthState.sign_in`, :meth:`~AuthState.sign_out` and
:meth:`~AuthState.show_notice`; the ``before_send`` hook turns it into headers with
:func:`response_headers`, a pure function.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from litestar.connection import ASGIConnection

from app.auth.types import ANONYMOUS, Authentication, IssuedToken
from app.security.cookies import AppCookies
from app.security.tokens import TokenClaims

__all__ = ["AuthState", "auth_state", "response_headers"]

_UNSET = object()


@dataclass(slots=True)
class AuthState:
    authentication: Authentication = ANONYMOUS
    guarded: bool = False  # the route only serves signed-in users: never cache it
    signed_in: IssuedToken | None = None  # a handler signed this browser in (login)
    device: str | None = None  # ... and the account now knows this browser
    signed_out: bool = False  # a handler signed it out (logout)
    renewed: IssuedToken | None = None  # a handler renewed the token (a fresh proof)
    pending: tuple[str, int] | object | None = _UNSET  # a pending sign-in set (value,
    # max-age) or ended (None): the cookie of the step before the second factor
    notice: str | object | None = _UNSET  # the login page's one-shot notice: set or cleared
    clear_paths: list[str] = field(default_factory=list)  # where planted auth cookies may be

    @property
    def claims(self) -> TokenClaims | None:
        """Who the rest of this request is for."""
        if self.signed_out:
            return None
        if self.signed_in is not None:
            return self.signed_in.claims
        if self.renewed is not None:
            return self.renewed.claims
        return self.authentication.claims

    def sign_in(self, issued: IssuedToken, device: str | None = None) -> None:
        self.signed_in, self.signed_out = issued, False
        self.device = device or self.device

    def sign_out(self) -> None:
        self.signed_in, self.signed_out = None, True

    def renew(self, issued: IssuedToken) -> None:
        """The same session, a new token (the person proved who they are again)."""
        self.renewed = issued

    def await_second_factor(self, sealed: str, max_age: int) -> None:
        self.pending = (sealed, max_age)

    def end_pending(self) -> None:
        self.pending = None

    def show_notice(self, kind: str | None) -> None:
        """``kind`` for the login page to show once; None removes a pending one."""
        self.notice = kind


def auth_state(connection: ASGIConnection[Any, Any, Any, Any]) -> AuthState:
    """The request's auth state (an anonymous one on routes the guard does not run for)."""
    state = connection.scope.get("auth")
    if isinstance(state, AuthState):
        return state
    state = AuthState()
    connection.scope["auth"] = state
    return state


def response_headers(state: AuthState, cookies: AppCookies) -> tuple[list[str], bool]:
    """(``Set-Cookie`` values, whether the response must be ``Cache-Control: no-store``)."""
    values: list[str] = []
    if state.signed_in is not None or state.signed_out:
        # Signed in or out by a handler: the browser also gets a new CSRF token.
        issued = state.signed_in
        values.append(
            cookies.auth.set(issued.token, max_age=issued.max_age)
            if issued is not None
            else cookies.auth.delete()
        )
        values.append(cookies.csrf.delete())
    elif (issued := state.renewed or state.authentication.issued) is not None:
        values.append(cookies.auth.set(issued.token, max_age=issued.max_age))
    elif state.authentication.rejected is not None:
        values.append(cookies.auth.delete())
        if not cookies.auth.secure:  # a __Host- cookie can only ever have been set on "/"
            values.extend(cookies.auth.delete(path=path) for path in state.clear_paths[1:])
    if state.device is not None:
        values.append(cookies.device.set(state.device))
    if isinstance(state.pending, tuple):
        values.append(cookies.pending.set(state.pending[0], max_age=state.pending[1]))
    elif state.pending is None:
        values.append(cookies.pending.delete())
    if state.notice is not _UNSET:
        kind = state.notice
        values.append(
            cookies.notice.set(kind) if isinstance(kind, str) else cookies.notice.delete()
        )
    return values, bool(values) or state.guarded
