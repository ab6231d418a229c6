"""The cookie writer's rule (app/web/auth_state.py::response_headers): from what the
guard found and what the handler did, the ``Set-Cookie`` values a response carries and
whether it may be cached. A pure function, walked case by case."""

from __future__ import annotations

import pytest

from app.auth.refresh import RejectReason
from app.auth.types import Authentication, IssuedToken
from app.security.cookies import AppCookies
from app.security.tokens import TokenClaims
from app.web.auth_state import AuthState, response_headers

T0 = 1_800_000_000
CLAIMS = TokenClaims(7, "ann@example.com", "sid", "s", T0, T0, T0 + 1, T0 + 2, T0 + 3, T0, ("pwd",))
ISSUED = IssuedToken(claims=CLAIMS, token="tok", max_age=600)
SECURE, PLAIN = AppCookies.of(secure=True), AppCookies.of(secure=False)


def _names(values: list[str]) -> list[str]:
    return [
        value.split("=", 1)[0] + ("=" if "Max-Age=0" not in value else " deleted")
        for value in values
    ]


@pytest.mark.parametrize(
    ("state", "expected", "no_store"),
    [
        (AuthState(), [], False),
        (AuthState(guarded=True), [], True),
        (AuthState(Authentication(claims=CLAIMS, tier=1)), [], False),
        (AuthState(Authentication(claims=CLAIMS, issued=ISSUED, tier=2)), ["__Host-auth="], True),
        (
            AuthState(Authentication(rejected=RejectReason.INVALID_TOKEN)),
            ["__Host-auth deleted"],
            True,
        ),
        (AuthState(signed_in=ISSUED), ["__Host-auth=", "__Host-csrf deleted"], True),
        (AuthState(signed_out=True), ["__Host-auth deleted", "__Host-csrf deleted"], True),
        (
            AuthState(signed_in=ISSUED, device="v1.7.d.mac"),
            ["__Host-auth=", "__Host-csrf deleted", "__Host-device="],
            True,
        ),
        (AuthState(notice="expired"), ["notice="], True),
        (AuthState(notice=None), ["notice deleted"], True),
    ],
    ids=[
        "anonymous page",
        "guarded page",
        "tier 1",
        "renewed",
        "bad token",
        "signed in by the handler",
        "signed out by the handler",
        "signed in, device remembered",
        "a notice for the login page",
        "the notice shown",
    ],
)
def test_response_headers(state: AuthState, expected: list[str], no_store: bool) -> None:
    values, must_not_store = response_headers(state, SECURE)
    assert _names(values) == expected
    assert must_not_store is no_store


def test_a_renewed_token_lives_as_long_as_it_says() -> None:
    [value], _ = response_headers(AuthState(Authentication(claims=CLAIMS, issued=ISSUED)), SECURE)
    assert value.startswith("__Host-auth=tok; Max-Age=600;")


def test_planted_copies_are_deleted_on_every_path_only_without_the_host_prefix() -> None:
    planted = AuthState(
        Authentication(rejected=RejectReason.SEVERAL_COOKIES), clear_paths=["/", "/a", "/a/b"]
    )
    plain, _ = response_headers(planted, PLAIN)
    assert [v.split("Path=")[1].split(";")[0] for v in plain] == ["/", "/a", "/a/b"]
    secure, _ = response_headers(planted, SECURE)
    assert len(secure) == 1  # a __Host- cookie can only ever have been set on "/"
