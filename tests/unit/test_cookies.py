"""The cookies' raw ``Set-Cookie`` values and their reader (app/security/cookies.py): one
specification per cookie, its attributes the same when it is set and when it is deleted."""

from __future__ import annotations

from http.cookies import SimpleCookie

import pytest

from app.security.cookies import AppCookies, Cookie


def set_cookie(name: str, value: str, *, max_age: int, secure: bool, same_site: str = "Lax") -> str:
    return Cookie(name, secure, same_site=same_site).set(value, max_age=max_age)


def delete_cookie(name: str, *, secure: bool, same_site: str = "Lax") -> str:
    return Cookie(name, secure, same_site=same_site).delete()


def read_cookie(headers: list[tuple[bytes, bytes]], name: str) -> str | None:
    return next(iter(Cookie(name, secure=True).values(headers)), None)


TOKEN = "eyJhbGciOiJkaXIifQ..aXY.Y2lwaGVy.dGFn"


def parse(header: str) -> tuple[str, str, dict[str, str | None]]:
    """(name, value, {lower-case attribute: value or None}); no attribute may repeat."""
    first, *rest = (part.strip() for part in header.split(";"))
    name, _, value = first.partition("=")
    attributes: dict[str, str | None] = {}
    for part in rest:
        key, sep, attribute_value = part.partition("=")
        assert key.lower() not in attributes, f"{key} appears twice in {header!r}"
        attributes[key.lower()] = attribute_value if sep else None
    return name, value, attributes


@pytest.mark.parametrize(
    ("name", "secure"), [("__Host-auth", True), ("auth", False)], ids=["secure", "insecure"]
)
def test_set_cookie(name: str, secure: bool) -> None:
    header = set_cookie(name, TOKEN, max_age=1209600, secure=secure)

    cookie_name, value, attributes = parse(header)
    expected: dict[str, str | None] = {
        "max-age": "1209600",
        "path": "/",
        "httponly": None,
        "samesite": "Lax",
    }
    if secure:
        expected["secure"] = None
    assert (cookie_name, value) == (name, TOKEN)
    assert attributes == expected  # exactly these: no Domain, no Secure when insecure


def test_set_cookie_same_site_strict() -> None:
    _, _, attributes = parse(
        set_cookie("auth", TOKEN, max_age=60, secure=False, same_site="Strict")
    )
    assert attributes["samesite"] == "Strict"


@pytest.mark.parametrize(("max_age", "sent"), [(-1, "0"), (0, "0"), (1, "1")])
def test_set_cookie_max_age_is_never_negative(max_age: int, sent: str) -> None:
    _, _, attributes = parse(set_cookie("auth", TOKEN, max_age=max_age, secure=False))
    assert attributes["max-age"] == sent


def test_a_standard_parser_reads_the_same_cookie() -> None:
    cookie: SimpleCookie = SimpleCookie()
    cookie.load(set_cookie("__Host-auth", TOKEN, max_age=3600, secure=True))
    morsel = cookie["__Host-auth"]

    assert morsel.value == TOKEN
    assert morsel["max-age"] == "3600"
    assert morsel["path"] == "/"
    assert morsel["httponly"] is True
    assert morsel["secure"] is True
    assert morsel["samesite"] == "Lax"
    assert morsel["domain"] == ""


@pytest.mark.parametrize(
    ("name", "secure"), [("__Host-auth", True), ("auth", False)], ids=["secure", "insecure"]
)
def test_delete_cookie_matches_the_cookie_it_deletes(name: str, secure: bool) -> None:
    deleted_name, value, deleted = parse(delete_cookie(name, secure=secure))
    _, _, was_set = parse(set_cookie(name, TOKEN, max_age=3600, secure=secure))

    assert (deleted_name, value) == (name, "")
    assert deleted["max-age"] == "0"
    for attribute in ("path", "secure", "samesite", "httponly", "domain"):
        assert deleted.get(attribute, "absent") == was_set.get(attribute, "absent"), attribute
    assert ("secure" in deleted) is secure
    assert set(deleted) - set(was_set) <= {"expires"}


def test_delete_cookie_keeps_a_strict_same_site() -> None:
    _, _, attributes = parse(delete_cookie("auth", secure=False, same_site="Strict"))
    assert attributes["samesite"] == "Strict"


# --- reading -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param([(b"cookie", b"__Host-auth=tok")], id="alone"),
        pytest.param([(b"cookie", b"a=1; __Host-auth=tok; b=2")], id="among several"),
        pytest.param([(b"cookie", b"a=1;__Host-auth=tok;b=2")], id="no spaces"),
        pytest.param([(b"cookie", b"a=1;   __Host-auth=tok  ")], id="extra spaces"),
        pytest.param(
            [(b"host", b"example.com"), (b"cookie", b"a=1"), (b"cookie", b"__Host-auth=tok")],
            id="second cookie header",
        ),
        pytest.param(
            [(b"cookie", b"x__Host-auth=evil; __Host-auth=tok")], id="after a suffix match"
        ),
        pytest.param(
            [(b"x-cookie", b"__Host-auth=evil"), (b"cookie", b"__Host-auth=tok")], id="other header"
        ),
    ],
)
def test_read_cookie_finds_the_value(headers: list[tuple[bytes, bytes]]) -> None:
    assert read_cookie(headers, "__Host-auth") == "tok"


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param([], id="no headers"),
        pytest.param([(b"host", b"example.com")], id="no cookie header"),
        pytest.param([(b"cookie", b"")], id="empty cookie header"),
        pytest.param([(b"cookie", b"a=1; b=2")], id="other cookies"),
        pytest.param([(b"cookie", b"myauth=evil")], id="name merely ends with it"),
        pytest.param([(b"cookie", b"a=1; x-auth=evil")], id="suffix among others"),
        pytest.param([(b"cookie", b"authx=evil")], id="name merely starts with it"),
        pytest.param([(b"cookie", b"auth")], id="no equals sign"),
        pytest.param([(b"cookie", b"a=auth=evil")], id="name inside a value"),
        pytest.param([(b"set-cookie", b"auth=evil")], id="set-cookie header"),
    ],
)
def test_read_cookie_returns_none_when_absent(headers: list[tuple[bytes, bytes]]) -> None:
    assert read_cookie(headers, "auth") is None


def test_read_cookie_keeps_equals_signs_in_the_value() -> None:
    assert read_cookie([(b"cookie", b"auth=a=b==")], "auth") == "a=b=="


def test_read_cookie_an_empty_value_is_empty_not_absent() -> None:
    assert read_cookie([(b"cookie", b"auth=")], "auth") == ""


@pytest.mark.parametrize(
    ("secure", "auth", "csrf", "device"),
    [(True, "__Host-auth", "__Host-csrf", "__Host-device"), (False, "auth", "csrf", "device")],
    ids=["secure", "insecure"],
)
def test_the_apps_cookies_are_host_only_when_secure(
    secure: bool, auth: str, csrf: str, device: str
) -> None:
    cookies = AppCookies.of(secure=secure)
    assert (cookies.auth.name, cookies.csrf.name, cookies.device.name) == (auth, csrf, device)
    for cookie in (cookies.auth, cookies.csrf, cookies.device, cookies.notice):
        _, _, attributes = parse(cookie.set("v"))
        assert ("secure" in attributes) is secure
        assert attributes["path"] == "/"
        assert "domain" not in attributes


def test_a_cookie_without_a_lifetime_is_a_session_cookie_and_one_with_keeps_it() -> None:
    cookies = AppCookies.of(secure=True)
    assert "max-age" not in parse(cookies.csrf.set("t"))[2]
    assert parse(cookies.device.set("d"))[2]["max-age"] == str(365 * 86400)
    assert parse(cookies.notice.set("expired"))[2]["max-age"] == "300"
    assert parse(cookies.auth.set("tok", max_age=99))[2]["max-age"] == "99"
