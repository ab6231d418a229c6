"""The sessions page: every live session of the user, with a way to end each one."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from typing import Any

from litestar import Response, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.plugins.htmx import HTMXRequest

from app.auth.account import AccountService
from app.db.models import Session
from app.security.tokens import TokenClaims
from app.shared.activity import EventKind
from app.shared.clients import describe_device
from app.web.auth_state import auth_state
from app.web.csrf import SHOWS_PAGE_WHEN_EXPIRED
from app.web.deps import Account, Client, CurrentUser
from app.web.htmx import is_htmx, page, redirect
from app.web.routes import view
from app.web.templating import in_words

__all__ = ["SessionRow", "revoke_others", "revoke_session", "session_rows", "sessions_page"]

ALREADY_ENDED = "That session had already ended."

EVENT_LABELS = {
    EventKind.REGISTERED: "Account created",
    EventKind.SIGNED_IN: "Signed in",
    EventKind.SIGN_IN_FAILED: "Failed sign-in",
    EventKind.SIGNED_OUT: "Signed out",
    EventKind.ROTATED: "Session renewed",
    EventKind.REUSE_DETECTED: "Stolen session detected and ended",
    EventKind.SESSION_REVOKED: "Session ended",
    EventKind.PASSWORD_CHANGED: "Password changed",
    EventKind.PASSWORD_RESET: "Password reset by a link sent by mail",
    EventKind.EMAIL_VERIFIED: "Email address confirmed",
    EventKind.EMAIL_CHANGE_REQUESTED: "Change of email address asked for",
    EventKind.EMAIL_CHANGED: "Email address changed",
    EventKind.MAIL_FAILED: "A mail to you could not be delivered",
    EventKind.TOTP_ENABLED: "Authenticator app turned on",
    EventKind.TOTP_DISABLED: "Authenticator app turned off",
    EventKind.RECOVERY_CODES_MADE: "New recovery codes made",
    EventKind.RECOVERY_CODE_USED: "Recovery code used to sign in",
    EventKind.SECOND_FACTOR_FAILED: "Wrong code at sign-in",
    EventKind.REAUTHENTICATED: "Confirmed it was you",
    EventKind.PASSKEY_ADDED: "Passkey added",
    EventKind.PASSKEY_REMOVED: "Passkey removed",
    EventKind.REPORTED_NOT_ME: "A sign-in reported as not me, and ended",
    EventKind.OPERATOR_SHOW: "Account looked up by the operator",
    EventKind.OPERATOR_SIGN_OUT: "Every session signed out by the operator",
    EventKind.OPERATOR_DISABLE: "Account disabled by the operator",
    EventKind.OPERATOR_ENABLE: "Account enabled again by the operator",
}


SHOW_SESSIONS = {SHOWS_PAGE_WHEN_EXPIRED: "sessions"}  # a stale revoke: the page, afresh
MAX_ENDED = 1000  # "?ended=N" after "Sign out every other session": a count, not free text


@dataclass(frozen=True, slots=True)
class SessionRow:
    """One live session as the sessions page shows it."""

    public_id: str
    device: str  # "Firefox on Windows"
    user_agent: str
    client_addr: str
    created_at: int
    last_active: int
    current: bool
    label: str  # what its "Sign out" button says to a screen reader: which device
    how: str  # how it signed in: "Password and authenticator app"


METHOD_NAMES = {
    "pwd": "password",
    "otp": "authenticator app",
    "rec": "recovery code",
    "hwk": "passkey",
    "swk": "passkey",
}


def how_signed_in(amr: str) -> str:
    """A session's ``amr`` in words: "Password and authenticator app"."""
    names = list(dict.fromkeys(METHOD_NAMES.get(method, method) for method in amr.split()))
    return " and ".join(names).capitalize() if names else "Password"


def session_rows(sessions: list[Session], current: str) -> list[SessionRow]:
    """This device first, then the most recently active; each button's name says which
    device it signs out (and which sign-in, if two look alike)."""
    ordered = sorted(sessions, key=lambda s: (s.public_id != current, -s.rotated_at))
    rows: list[SessionRow] = []
    for s in ordered:
        device = describe_device(s.user_agent)
        label = f"{device}, signed in {in_words(s.created_at, 'short')}"
        rows.append(
            SessionRow(
                public_id=s.public_id,
                device=device,
                user_agent=s.user_agent,
                client_addr=s.client_addr,
                created_at=s.created_at,
                last_active=s.rotated_at,
                current=s.public_id == current,
                label=label,
                how=how_signed_in(s.amr),
            )
        )
    seen = Counter(row.label for row in rows)
    if any(count > 1 for count in seen.values()):
        numbered: Counter[str] = Counter()
        for i, row in enumerate(rows):
            if seen[row.label] > 1:
                numbered[row.label] += 1
                rows[i] = replace(row, label=f"{row.label} ({numbered[row.label]})")
    return rows


def _ended(request: HTMXRequest) -> int | None:
    value = request.query_params.get("ended", "")
    if not value.isdigit() or not value.isascii():
        return None
    return min(int(value), MAX_ENDED)


async def _sessions_page(
    request: HTMXRequest,
    user: TokenClaims,
    account: AccountService,
    *,
    announcement: str | None = None,
    status_code: int = 200,
) -> Response[Any]:
    overview = await account.overview(user)
    context = {
        "claims": user,
        "sessions": session_rows(overview.sessions, user.session_id),
        "events": overview.events,
        "now": overview.now,
        "event_labels": EVENT_LABELS,
        "ended": _ended(request),
        "announcement": announcement,
    }
    return page(request, "sessions.html", context, block="sessions", status_code=status_code)


@view("/sessions", name="sessions")
async def sessions_page(request: HTMXRequest, user: CurrentUser, account: Account) -> Response[Any]:
    return await _sessions_page(request, user, account)


@post("/sessions/{public_id:str}/revoke", name="session_revoke", opt=SHOW_SESSIONS)
async def revoke_session(
    request: HTMXRequest,
    public_id: FromPath[str],
    user: CurrentUser,
    account: Account,
    client: Client,
) -> Response[Any]:
    device = None
    if is_htmx(request):  # the announcement names the device: read it before it goes
        before = await account.overview(user)
        device = next(
            (describe_device(s.user_agent) for s in before.sessions if s.public_id == public_id),
            None,
        )
    if not await account.revoke(user, public_id, client):
        if is_htmx(request):  # ended meanwhile (another tab): the list as it is now
            return await _sessions_page(
                request, user, account, announcement=ALREADY_ENDED, status_code=404
            )
        raise NotFoundException()
    if public_id == user.session_id:  # ending this very session is signing out
        auth_state(request).sign_out()
        return redirect(request, request.app.route_reverse("login"))
    if is_htmx(request):  # the refreshed list and activity log, saying what happened
        announcement = f"{device or 'That device'} was signed out."
        return await _sessions_page(request, user, account, announcement=announcement)
    return redirect(request, request.app.route_reverse("sessions"))


@post("/sessions/revoke-others", name="sessions_revoke_others", opt=SHOW_SESSIONS)
async def revoke_others(
    request: HTMXRequest, user: CurrentUser, account: Account, client: Client
) -> Response[Any]:
    ended = await account.revoke_others(user, client)
    return redirect(request, request.app.route_reverse("sessions") + f"?ended={ended}")
