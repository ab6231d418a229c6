"""The refresh decision (app/auth/refresh.py) as tables over the customer's guard list.

Every boundary is the one the module docstring defines - a moment is inside a
window while ``now < end`` - and is probed at -1 s, 0 and +1 s.
"""

from __future__ import annotations

from dataclasses import fields, replace

import pytest

from app.auth.refresh import (
    CheckSession,
    Follow,
    Policy,
    Reject,
    RejectReason,
    Renew,
    RevokeFamily,
    Rotate,
    Serve,
    SessionState,
    decide_session,
    decide_token,
    mint,
    renewed,
    rotated,
    session_expiry,
)
from app.security.tokens import TokenClaims

HOUR = 3600
DAY = 86400
T0 = 1_800_000_000  # the login
GRACE = 30
POLICY = Policy(
    access_ttl=HOUR,
    token_ttl=DAY,
    session_ttl=14 * DAY,
    session_max_age=30 * DAY,
    rotation_grace=GRACE,
)
ABSOLUTE_END = T0 + 30 * DAY
IDLE_END = T0 + 14 * DAY
ACCESS_END = T0 + HOUR
TOKEN_END = T0 + DAY
USER_ID = 7

# The token handed out at login.
CLAIMS = TokenClaims(
    user_id=USER_ID,
    email="ann@example.com",
    session_id="sid-public-1",
    secret="secret-1",
    session_started_at=T0,
    issued_at=T0,
    access_until=ACCESS_END,
    expires_at=TOKEN_END,
    session_expires_at=IDLE_END,
)

ALIVE = SessionState(
    user_id=USER_ID,
    created_at=T0,
    rotated_at=T0,
    expires_at=IDLE_END,
    absolute_expires_at=ABSOLUTE_END,
)
ANOTHER_USERS = replace(ALIVE, user_id=USER_ID + 1)
# Idle end far beyond the absolute end: only the absolute lifetime can stop it.
ONLY_ABSOLUTE = replace(ALIVE, expires_at=ABSOLUTE_END + 14 * DAY)
# Rotated on day 20: the idle lifetime was clamped to the absolute end.
ROTATED_LATE = replace(ALIVE, expires_at=ABSOLUTE_END)

# A concurrent request rotated the session at ROTATED_AT; this token holds the old secret.
ROTATED_AT = TOKEN_END + 10
JUST_ROTATED = replace(
    ALIVE, rotated_at=ROTATED_AT, expires_at=ROTATED_AT + 14 * DAY, matched_previous=True
)
# ... and the rotated session's idle end falls inside the grace.
JUST_ROTATED_ENDING = replace(JUST_ROTATED, expires_at=ROTATED_AT + GRACE // 2)

MISSING = Reject(RejectReason.SESSION_MISSING)
EXPIRED = Reject(RejectReason.SESSION_EXPIRED, delete_row=True)

Outcome = Serve | Renew | CheckSession | Rotate | Follow | RevokeFamily | Reject


def guard(claims: TokenClaims, row: SessionState | None, now: int) -> Outcome:
    """The guard's order: the token first, the session row only when tier 3 asks for it."""
    outcome = decide_token(claims, now)
    if isinstance(outcome, CheckSession):
        return decide_session(outcome.claims, row, now, POLICY)
    return outcome


# One row per line of the customer's guard list, each boundary at -1 s, 0, +1 s.
GUARD_TABLE = [
    # "if auth cookie has NOT expired -> continue"
    pytest.param(T0, ALIVE, Serve(CLAIMS), id="tier1: at login"),
    pytest.param(ACCESS_END - 1, ALIVE, Serve(CLAIMS), id="tier1: access_until-1"),
    pytest.param(ACCESS_END - 1, None, Serve(CLAIMS), id="tier1: no row is not looked at"),
    # "if auth cookie has expired AND jwt has NOT expired -> new jwt"
    pytest.param(ACCESS_END, ALIVE, Renew(CLAIMS), id="tier2: access_until+0"),
    pytest.param(ACCESS_END + 1, ALIVE, Renew(CLAIMS), id="tier2: access_until+1"),
    pytest.param(TOKEN_END - 1, ALIVE, Renew(CLAIMS), id="tier2: expires_at-1"),
    pytest.param(TOKEN_END - 1, None, Renew(CLAIMS), id="tier2: no row is not looked at"),
    # "if ... jwt has expired AND session id doesn't exist -> delete cookie, /login"
    pytest.param(TOKEN_END, None, MISSING, id="tier3 no row: expires_at+0"),
    pytest.param(TOKEN_END + 1, None, MISSING, id="tier3 no row: expires_at+1"),
    pytest.param(TOKEN_END, ANOTHER_USERS, MISSING, id="tier3 another user's row"),
    pytest.param(IDLE_END - 1, ANOTHER_USERS, MISSING, id="tier3 another user's live row"),
    # "if ... jwt has expired AND sessionid has NOT expired -> rotate"
    pytest.param(TOKEN_END, ALIVE, Rotate(CLAIMS), id="tier3 alive: expires_at+0"),
    pytest.param(TOKEN_END + 1, ALIVE, Rotate(CLAIMS), id="tier3 alive: expires_at+1"),
    # "if ... jwt has expired AND sessionid has expired -> delete sessionid, cookie"
    pytest.param(IDLE_END - 1, ALIVE, Rotate(CLAIMS), id="tier3 idle: session expires_at-1"),
    pytest.param(IDLE_END, ALIVE, EXPIRED, id="tier3 idle: session expires_at+0"),
    pytest.param(IDLE_END + 1, ALIVE, EXPIRED, id="tier3 idle: session expires_at+1"),
    # the absolute lifetime (critique point 8), on its own ...
    pytest.param(ABSOLUTE_END - 1, ONLY_ABSOLUTE, Rotate(CLAIMS), id="tier3 absolute-1"),
    pytest.param(ABSOLUTE_END, ONLY_ABSOLUTE, EXPIRED, id="tier3 absolute+0"),
    pytest.param(ABSOLUTE_END + 1, ONLY_ABSOLUTE, EXPIRED, id="tier3 absolute+1"),
    # ... and as it happens after a late rotation clamped the idle end to it
    pytest.param(ABSOLUTE_END - 1, ROTATED_LATE, Rotate(CLAIMS), id="tier3 clamped: absolute-1"),
    pytest.param(ABSOLUTE_END, ROTATED_LATE, EXPIRED, id="tier3 clamped: absolute+0"),
    pytest.param(ABSOLUTE_END + 1, ROTATED_LATE, EXPIRED, id="tier3 clamped: absolute+1"),
    # critique points 6 and 7: the secret rotated away moments ago follows its successor;
    # presented after the grace, it means a second party holds it
    pytest.param(ROTATED_AT, JUST_ROTATED, Follow(CLAIMS), id="previous secret: rotated_at+0"),
    pytest.param(ROTATED_AT + 1, JUST_ROTATED, Follow(CLAIMS), id="previous secret: rotated_at+1"),
    pytest.param(ROTATED_AT + GRACE - 1, JUST_ROTATED, Follow(CLAIMS), id="previous: grace-1"),
    pytest.param(ROTATED_AT + GRACE, JUST_ROTATED, RevokeFamily(CLAIMS), id="previous: grace+0"),
    pytest.param(
        ROTATED_AT + GRACE + 1, JUST_ROTATED, RevokeFamily(CLAIMS), id="previous: grace+1"
    ),
    pytest.param(
        ROTATED_AT + GRACE // 2 - 1, JUST_ROTATED_ENDING, Follow(CLAIMS), id="previous: idle-1"
    ),
    pytest.param(ROTATED_AT + GRACE // 2, JUST_ROTATED_ENDING, EXPIRED, id="previous: idle+0"),
    pytest.param(
        ROTATED_AT + 1,
        replace(JUST_ROTATED, absolute_expires_at=ROTATED_AT + 1),
        EXPIRED,
        id="previous: absolute+0 inside the grace",
    ),
    pytest.param(
        ROTATED_AT,
        replace(JUST_ROTATED, user_id=USER_ID + 1),
        MISSING,
        id="previous: another user's row",
    ),
]


@pytest.mark.parametrize(("now", "row", "expected"), GUARD_TABLE)
def test_guard_table(now: int, row: SessionState | None, expected: Outcome) -> None:
    assert guard(CLAIMS, row, now) == expected


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        pytest.param(ACCESS_END - 1, Serve, id="access_until-1"),
        pytest.param(ACCESS_END, Renew, id="access_until+0"),
        pytest.param(ACCESS_END + 1, Renew, id="access_until+1"),
        pytest.param(TOKEN_END - 1, Renew, id="expires_at-1"),
        pytest.param(TOKEN_END, CheckSession, id="expires_at+0"),
        pytest.param(TOKEN_END + 1, CheckSession, id="expires_at+1"),
    ],
)
def test_decide_token_carries_the_same_claims(now: int, expected: type) -> None:
    outcome = decide_token(CLAIMS, now)
    assert type(outcome) is expected
    assert outcome.claims is CLAIMS


def test_decide_session_hands_the_claims_on_to_rotate() -> None:
    outcome = decide_session(CLAIMS, ALIVE, TOKEN_END, POLICY)
    assert isinstance(outcome, Rotate)
    assert outcome.claims is CLAIMS


def test_another_users_row_is_never_deleted() -> None:
    outcome = decide_session(CLAIMS, replace(ANOTHER_USERS, expires_at=T0), IDLE_END, POLICY)
    assert outcome == Reject(RejectReason.SESSION_MISSING, delete_row=False)


# --- tier 2: renewed() -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "access_until"),
    [
        pytest.param(ACCESS_END, ACCESS_END + HOUR, id="first second past the window"),
        pytest.param(TOKEN_END - HOUR - 1, TOKEN_END - 1, id="window ends expires_at-1"),
        pytest.param(TOKEN_END - HOUR, TOKEN_END, id="window ends expires_at+0"),
        pytest.param(TOKEN_END - HOUR + 1, TOKEN_END, id="window would end expires_at+1"),
        pytest.param(TOKEN_END - 1, TOKEN_END, id="last second of the token"),
    ],
)
def test_renewed_moves_only_the_access_window(now: int, access_until: int) -> None:
    new = renewed(CLAIMS, now, POLICY)

    assert new.access_until == access_until
    assert new.access_until <= new.expires_at
    assert new.expires_at == TOKEN_END
    assert new.issued_at == now
    unchanged = {f.name for f in fields(TokenClaims)} - {"access_until", "issued_at"}
    for name in unchanged:
        assert getattr(new, name) == getattr(CLAIMS, name), name
    assert decide_token(new, now) == Serve(new)


def test_renewing_at_every_window_end_never_passes_the_token_expiry() -> None:
    claims, now, renewals = CLAIMS, T0, 0
    while not isinstance(outcome := decide_token(claims, now), CheckSession):
        if isinstance(outcome, Renew):
            claims = renewed(claims, now, POLICY)
            renewals += 1
        now = claims.access_until  # the first second outside the current window

    assert now == TOKEN_END
    assert claims.expires_at == TOKEN_END
    assert renewals == DAY // HOUR - 1


# --- minting ---------------------------------------------------------------------------


def test_mint_at_login() -> None:
    claims = mint(
        user_id=USER_ID,
        email="ann@example.com",
        session_id="sid-public-1",
        secret="secret-1",
        session_started_at=T0,
        session_expires_at=IDLE_END,
        now=T0,
        policy=POLICY,
    )
    assert claims == CLAIMS


def _mint_with_session_end(session_expires_at: int) -> TokenClaims:
    return mint(
        user_id=USER_ID,
        email="ann@example.com",
        session_id="sid-public-1",
        secret="secret-1",
        session_started_at=T0,
        session_expires_at=session_expires_at,
        now=T0,
        policy=POLICY,
    )


@pytest.mark.parametrize(
    ("session_end", "access_until", "expires_at"),
    [
        # expires_at = min(now + token_ttl, session_expires_at)
        pytest.param(TOKEN_END - 1, ACCESS_END, TOKEN_END - 1, id="session ends token_end-1"),
        pytest.param(TOKEN_END, ACCESS_END, TOKEN_END, id="session ends token_end+0"),
        pytest.param(TOKEN_END + 1, ACCESS_END, TOKEN_END, id="session ends token_end+1"),
        # access_until = min(now + access_ttl, expires_at)
        pytest.param(ACCESS_END - 1, ACCESS_END - 1, ACCESS_END - 1, id="session ends access-1"),
        pytest.param(ACCESS_END, ACCESS_END, ACCESS_END, id="session ends access+0"),
        pytest.param(ACCESS_END + 1, ACCESS_END, ACCESS_END + 1, id="session ends access+1"),
    ],
)
def test_mint_never_outlives_the_session(
    session_end: int, access_until: int, expires_at: int
) -> None:
    claims = _mint_with_session_end(session_end)

    assert claims.access_until == access_until
    assert claims.expires_at == expires_at
    assert claims.session_expires_at == session_end
    assert claims.issued_at == T0


def test_a_token_minted_near_the_session_end_sends_the_guard_to_the_session() -> None:
    session_end = T0 + HOUR // 2
    claims = _mint_with_session_end(session_end)
    row = replace(ALIVE, expires_at=session_end)

    assert guard(claims, row, session_end - 1) == Serve(claims)
    assert guard(claims, row, session_end) == EXPIRED


@pytest.mark.parametrize(
    ("absolute_end", "expected"),
    [
        pytest.param(IDLE_END - 1, IDLE_END - 1, id="absolute = idle end-1"),
        pytest.param(IDLE_END, IDLE_END, id="absolute = idle end+0"),
        pytest.param(IDLE_END + 1, IDLE_END, id="absolute = idle end+1"),
    ],
)
def test_session_expiry_never_passes_the_absolute_end(absolute_end: int, expected: int) -> None:
    assert session_expiry(T0, absolute_end, POLICY) == expected


def test_session_expiry_after_a_late_rotation_is_the_absolute_end() -> None:
    assert session_expiry(T0 + 20 * DAY, ABSOLUTE_END, POLICY) == ABSOLUTE_END


# --- tier 3: rotated() -----------------------------------------------------------------


def test_rotated_gives_a_fresh_lifetime_for_the_new_secret() -> None:
    now = TOKEN_END + 5
    session_end = session_expiry(now, ABSOLUTE_END, POLICY)
    new = rotated(CLAIMS, secret="secret-2", session_expires_at=session_end, now=now, policy=POLICY)

    assert new == TokenClaims(
        user_id=USER_ID,
        email="ann@example.com",
        session_id="sid-public-1",
        secret="secret-2",
        session_started_at=T0,
        issued_at=now,
        access_until=now + HOUR,
        expires_at=now + DAY,
        session_expires_at=now + 14 * DAY,
    )
    assert decide_token(new, now) == Serve(new)


@pytest.mark.parametrize(
    ("now", "access_until"),
    [
        pytest.param(ABSOLUTE_END - 2 * HOUR, ABSOLUTE_END - HOUR, id="two hours left"),
        pytest.param(ABSOLUTE_END - HOUR - 1, ABSOLUTE_END - 1, id="window ends absolute-1"),
        pytest.param(ABSOLUTE_END - HOUR, ABSOLUTE_END, id="window ends absolute+0"),
        pytest.param(ABSOLUTE_END - HOUR + 1, ABSOLUTE_END, id="window would end absolute+1"),
    ],
)
def test_rotated_near_the_absolute_end_is_clamped_to_it(now: int, access_until: int) -> None:
    session_end = session_expiry(now, ABSOLUTE_END, POLICY)
    new = rotated(CLAIMS, secret="secret-9", session_expires_at=session_end, now=now, policy=POLICY)

    assert session_end == ABSOLUTE_END
    assert new.session_expires_at == ABSOLUTE_END
    assert new.expires_at == ABSOLUTE_END
    assert new.access_until == access_until
    assert guard(new, ROTATED_LATE, ABSOLUTE_END) == EXPIRED


def test_a_secret_older_than_the_previous_one_revokes_the_family() -> None:
    policy = Policy(
        access_ttl=3600, token_ttl=86400, session_ttl=14 * 86400, session_max_age=30 * 86400
    )
    now = 1_800_000_000
    claims = mint(
        user_id=1,
        email="a@example.com",
        session_id="sid",
        secret="s",
        session_started_at=now,
        session_expires_at=now + 14 * 86400,
        now=now,
        policy=policy,
    )
    row = SessionState(
        user_id=1,
        created_at=now,
        rotated_at=now + 2 * 86400,
        expires_at=now + 16 * 86400,
        absolute_expires_at=now + 30 * 86400,
        stale=True,
    )
    assert decide_session(claims, row, now + 3 * 86400, policy) == RevokeFamily(claims)
