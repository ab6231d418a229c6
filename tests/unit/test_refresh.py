"""The refresh decision (app/auth/refresh.py) as one table over the customer's guard list.

Every boundary is the one the module docstring defines - a moment is inside a
window while ``now < end`` - and is probed at -1 s, 0 and +1 s. Each row is what
:func:`decide` answers for a token, the session row the caller would find, and a moment.
"""

from __future__ import annotations

from dataclasses import fields, replace

import pytest

from app.auth.lifetimes import Policy, cookie_max_age, mint, renewed, rotated, session_expiry
from app.auth.refresh import (
    Follow,
    Lookup,
    Outcome,
    ReadSession,
    Reject,
    RejectReason,
    Renew,
    RevokeFamily,
    Rotate,
    SecretAge,
    Serve,
    SessionRow,
    decide,
    hash_secret,
    secret_age,
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
SECRET = "secret-1"
SUCCESSOR = "secret-2"  # what the server key derives from SECRET

# The token handed out at login.
CLAIMS = TokenClaims(
    user_id=USER_ID,
    email="ann@example.com",
    session_id="sid-public-1",
    secret=SECRET,
    session_started_at=T0,
    issued_at=T0,
    access_until=ACCESS_END,
    expires_at=TOKEN_END,
    session_expires_at=IDLE_END,
    auth_time=T0,
    amr=("pwd",),
)

ALIVE = SessionRow(
    user_id=USER_ID,
    secret_hash=hash_secret(SECRET),
    previous_secret_hash=None,
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
    ALIVE,
    secret_hash=hash_secret(SUCCESSOR),
    previous_secret_hash=hash_secret(SECRET),
    rotated_at=ROTATED_AT,
    expires_at=ROTATED_AT + 14 * DAY,
)
# ... and the rotated session's idle end falls inside the grace.
JUST_ROTATED_ENDING = replace(JUST_ROTATED, expires_at=ROTATED_AT + GRACE // 2)
# ... by a server whose key has changed since: the successor cannot be derived here.
ROTATED_UNDER_ANOTHER_KEY = replace(JUST_ROTATED, secret_hash=hash_secret("secret-2-other-key"))
# Rotated twice since this token's secret: only a copy can still hold it.
ROTATED_TWICE = replace(
    JUST_ROTATED,
    secret_hash=hash_secret("secret-3"),
    previous_secret_hash=hash_secret(SUCCESSOR),
)

MISSING = Reject(RejectReason.SESSION_MISSING)
EXPIRED = Reject(RejectReason.SESSION_EXPIRED, delete_row=True)
REVOKED = Reject(RejectReason.SESSION_REVOKED)


def renew(now: int, tier: int = 2) -> Renew:
    return Renew(renewed(CLAIMS, now, POLICY), tier)


def rotate(now: int, row: SessionRow = ALIVE) -> Rotate:
    expires_at = session_expiry(now, row.absolute_expires_at, POLICY)
    return Rotate(rotated(CLAIMS, SUCCESSOR, expires_at, now, POLICY), expires_at)


def follow(now: int, row: SessionRow = JUST_ROTATED) -> Follow:
    del now  # the successor is minted as of the rotation, whenever it is followed
    return Follow(rotated(CLAIMS, SUCCESSOR, row.expires_at, row.rotated_at, POLICY))


def guard(
    claims: TokenClaims,
    row: SessionRow | None,
    now: int,
    *,
    revoked: bool = False,
    mirror_current: bool = True,
) -> Outcome:
    """The guard's order: the token first, the session row only when the decision asks."""
    outcome = decide(claims, now, POLICY, revoked=revoked, mirror_current=mirror_current)
    if isinstance(outcome, ReadSession):
        lookup = Lookup(row, SUCCESSOR)
        return decide(
            claims, now, POLICY, revoked=revoked, mirror_current=mirror_current, lookup=lookup
        )
    return outcome


# One row per line of the customer's guard list, each boundary at -1 s, 0, +1 s.
GUARD_TABLE = [
    # "if auth cookie has NOT expired -> continue"
    pytest.param(T0, ALIVE, Serve(1), id="tier1: at login"),
    pytest.param(ACCESS_END - 1, ALIVE, Serve(1), id="tier1: access_until-1"),
    pytest.param(ACCESS_END - 1, None, Serve(1), id="tier1: no row is not looked at"),
    # "if auth cookie has expired AND jwt has NOT expired -> new jwt"
    pytest.param(ACCESS_END, ALIVE, renew(ACCESS_END), id="tier2: access_until+0"),
    pytest.param(ACCESS_END + 1, ALIVE, renew(ACCESS_END + 1), id="tier2: access_until+1"),
    pytest.param(TOKEN_END - 1, ALIVE, renew(TOKEN_END - 1), id="tier2: expires_at-1"),
    pytest.param(TOKEN_END - 1, None, renew(TOKEN_END - 1), id="tier2: no row is not looked at"),
    # "if ... jwt has expired AND session id doesn't exist -> delete cookie, /login"
    pytest.param(TOKEN_END, None, MISSING, id="tier3 no row: expires_at+0"),
    pytest.param(TOKEN_END + 1, None, MISSING, id="tier3 no row: expires_at+1"),
    pytest.param(TOKEN_END, ANOTHER_USERS, MISSING, id="tier3 another user's row"),
    pytest.param(IDLE_END - 1, ANOTHER_USERS, MISSING, id="tier3 another user's live row"),
    # "if ... jwt has expired AND sessionid has NOT expired -> rotate"
    pytest.param(TOKEN_END, ALIVE, rotate(TOKEN_END), id="tier3 alive: expires_at+0"),
    pytest.param(TOKEN_END + 1, ALIVE, rotate(TOKEN_END + 1), id="tier3 alive: expires_at+1"),
    # "if ... jwt has expired AND sessionid has expired -> delete sessionid, cookie"
    pytest.param(IDLE_END - 1, ALIVE, rotate(IDLE_END - 1), id="tier3 idle: expires_at-1"),
    pytest.param(IDLE_END, ALIVE, EXPIRED, id="tier3 idle: session expires_at+0"),
    pytest.param(IDLE_END + 1, ALIVE, EXPIRED, id="tier3 idle: session expires_at+1"),
    # the absolute lifetime (critique point 8), on its own ...
    pytest.param(
        ABSOLUTE_END - 1, ONLY_ABSOLUTE, rotate(ABSOLUTE_END - 1, ONLY_ABSOLUTE), id="absolute-1"
    ),
    pytest.param(ABSOLUTE_END, ONLY_ABSOLUTE, EXPIRED, id="tier3 absolute+0"),
    pytest.param(ABSOLUTE_END + 1, ONLY_ABSOLUTE, EXPIRED, id="tier3 absolute+1"),
    # ... and as it happens after a late rotation clamped the idle end to it
    pytest.param(
        ABSOLUTE_END - 1, ROTATED_LATE, rotate(ABSOLUTE_END - 1, ROTATED_LATE), id="clamped-1"
    ),
    pytest.param(ABSOLUTE_END, ROTATED_LATE, EXPIRED, id="tier3 clamped: absolute+0"),
    pytest.param(ABSOLUTE_END + 1, ROTATED_LATE, EXPIRED, id="tier3 clamped: absolute+1"),
    # critique points 6 and 7: the secret rotated away moments ago follows its successor;
    # presented after the grace, it means a second party holds it
    pytest.param(ROTATED_AT, JUST_ROTATED, follow(ROTATED_AT), id="previous: rotated_at+0"),
    pytest.param(ROTATED_AT + 1, JUST_ROTATED, follow(ROTATED_AT + 1), id="previous: rotated_at+1"),
    pytest.param(
        ROTATED_AT + GRACE - 1, JUST_ROTATED, follow(ROTATED_AT + GRACE - 1), id="grace-1"
    ),
    pytest.param(ROTATED_AT + GRACE, JUST_ROTATED, RevokeFamily(), id="previous: grace+0"),
    pytest.param(ROTATED_AT + GRACE + 1, JUST_ROTATED, RevokeFamily(), id="previous: grace+1"),
    pytest.param(
        ROTATED_AT + GRACE // 2 - 1,
        JUST_ROTATED_ENDING,
        follow(ROTATED_AT + GRACE // 2 - 1, JUST_ROTATED_ENDING),
        id="previous: idle-1",
    ),
    # expiry beats every rule about the secret
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
    # the successor is not what this server's key derives: not signed in, nothing revoked
    pytest.param(ROTATED_AT, ROTATED_UNDER_ANOTHER_KEY, MISSING, id="previous: key changed"),
    pytest.param(
        ROTATED_AT + GRACE, ROTATED_UNDER_ANOTHER_KEY, RevokeFamily(), id="key changed: grace+0"
    ),
    # a secret older than the previous one: a copy, whatever the time
    pytest.param(ROTATED_AT, ROTATED_TWICE, RevokeFamily(), id="older secret: inside the grace"),
    pytest.param(IDLE_END - 1, ROTATED_TWICE, RevokeFamily(), id="older secret: much later"),
    pytest.param(ROTATED_AT + 14 * DAY, ROTATED_TWICE, EXPIRED, id="older secret: expired"),
]


@pytest.mark.parametrize(("now", "row", "expected"), GUARD_TABLE)
def test_guard_table(now: int, row: SessionRow | None, expected: Outcome) -> None:
    assert guard(CLAIMS, row, now) == expected


# The denylist mirror's answers: a revocation beats everything; a mirror that cannot vouch
# for itself sends every request to the session row (tier 3 semantics, nothing rotated
# before the token's own expiry).
MIRROR_TABLE = [
    pytest.param(T0, ALIVE, True, True, REVOKED, id="revoked: tier 1"),
    pytest.param(ACCESS_END, ALIVE, True, True, REVOKED, id="revoked: tier 2"),
    pytest.param(TOKEN_END, ALIVE, True, True, REVOKED, id="revoked: tier 3"),
    pytest.param(T0, ALIVE, False, False, Serve(3), id="stale mirror: row vouches, tier 1"),
    pytest.param(
        ACCESS_END, ALIVE, False, False, renew(ACCESS_END, tier=3), id="stale mirror: tier 2"
    ),
    pytest.param(T0, None, False, False, MISSING, id="stale mirror: row gone (revoked)"),
    pytest.param(T0, ANOTHER_USERS, False, False, MISSING, id="stale mirror: another user"),
    pytest.param(TOKEN_END, ALIVE, False, False, rotate(TOKEN_END), id="stale mirror: tier 3"),
    pytest.param(
        TOKEN_END - 1, ROTATED_TWICE, False, False, RevokeFamily(), id="stale mirror: a copy"
    ),
]


@pytest.mark.parametrize(("now", "row", "revoked", "current", "expected"), MIRROR_TABLE)
def test_mirror_table(
    now: int, row: SessionRow | None, revoked: bool, current: bool, expected: Outcome
) -> None:
    assert guard(CLAIMS, row, now, revoked=revoked, mirror_current=current) == expected


@pytest.mark.parametrize(
    ("now", "mirror_current", "expected"),
    [
        pytest.param(ACCESS_END - 1, True, Serve, id="access_until-1"),
        pytest.param(ACCESS_END, True, Renew, id="access_until+0"),
        pytest.param(TOKEN_END - 1, True, Renew, id="expires_at-1"),
        pytest.param(TOKEN_END, True, ReadSession, id="expires_at+0"),
        pytest.param(T0, False, ReadSession, id="the mirror cannot vouch"),
    ],
)
def test_the_row_is_asked_for_only_past_the_token_or_with_a_stale_mirror(
    now: int, mirror_current: bool, expected: type
) -> None:
    outcome = decide(CLAIMS, now, POLICY, revoked=False, mirror_current=mirror_current)
    assert type(outcome) is expected


def test_another_users_row_is_never_deleted() -> None:
    row = replace(ANOTHER_USERS, expires_at=T0)
    outcome = decide(CLAIMS, IDLE_END, POLICY, revoked=False, lookup=Lookup(row, SUCCESSOR))
    assert outcome == Reject(RejectReason.SESSION_MISSING, delete_row=False)


@pytest.mark.parametrize(
    ("row", "age"),
    [
        pytest.param(ALIVE, SecretAge.CURRENT, id="current"),
        pytest.param(JUST_ROTATED, SecretAge.PREVIOUS, id="previous"),
        pytest.param(ROTATED_TWICE, SecretAge.OLDER, id="older"),
    ],
)
def test_secret_age_compares_hashes(row: SessionRow, age: SecretAge) -> None:
    assert secret_age(SECRET, row) is age


@pytest.mark.parametrize(
    ("now", "max_age"),
    [
        pytest.param(T0, 14 * DAY, id="at login"),
        pytest.param(IDLE_END - 1, 1, id="idle end-1"),
        pytest.param(IDLE_END, 0, id="idle end+0"),
        pytest.param(IDLE_END + 1, 0, id="idle end+1: never negative"),
    ],
)
def test_the_cookie_lives_as_long_as_the_session(now: int, max_age: int) -> None:
    assert cookie_max_age(CLAIMS, now) == max_age


def test_rejections_that_tell_the_person_something() -> None:
    assert RejectReason.SESSION_EXPIRED.notice == "expired"
    assert RejectReason.SESSION_MISSING.notice == "ended"
    assert RejectReason.SESSION_REVOKED.notice == "ended"
    assert RejectReason.INVALID_TOKEN.notice is None


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
    assert decide(new, now, POLICY, revoked=False) == Serve(1)


def test_renewing_at_every_window_end_never_passes_the_token_expiry() -> None:
    claims, now, renewals = CLAIMS, T0, 0
    while not isinstance(outcome := decide(claims, now, POLICY, revoked=False), ReadSession):
        if isinstance(outcome, Renew):
            claims = outcome.claims
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
        auth_time=T0,
        amr=("pwd",),
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
        auth_time=T0,
        amr=("pwd",),
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

    assert guard(claims, row, session_end - 1) == Serve(1)
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
    new = rotated(CLAIMS, "secret-2", session_end, now, POLICY)

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
        auth_time=T0,  # how and when the person proved it: carried, never re-minted
        amr=("pwd",),
    )
    assert decide(new, now, POLICY, revoked=False) == Serve(1)


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
    new = rotated(CLAIMS, "secret-9", session_end, now, POLICY)

    assert session_end == ABSOLUTE_END
    assert new.session_expires_at == ABSOLUTE_END
    assert new.expires_at == ABSOLUTE_END
    assert new.access_until == access_until
    assert guard(new, ROTATED_LATE, ABSOLUTE_END) == EXPIRED
