"""``Set-Cookie`` values for the auth cookie, built by hand.

Litestar's ``delete_cookie`` cannot mark the deletion ``Secure``, and a browser
ignores a ``__Host-`` cookie (or its deletion) without it, so both the setting
and the deletion are written here with the same attributes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

__all__ = [
    "delete_cookie",
    "delete_cookie_on",
    "read_cookie",
    "read_cookies",
    "set_cookie",
    "tossed_paths",
]


def _attributes(*, secure: bool, same_site: str) -> str:
    return f"; Path=/; HttpOnly; SameSite={same_site}" + ("; Secure" if secure else "")


def set_cookie(name: str, value: str, *, max_age: int, secure: bool, same_site: str = "Lax") -> str:
    # Max-Age, not Expires: the server's clock may be a test clock; the browser's is not.
    return f"{name}={value}; Max-Age={max(max_age, 0)}" + _attributes(
        secure=secure, same_site=same_site
    )


def delete_cookie(name: str, *, secure: bool, same_site: str = "Lax") -> str:
    return f"{name}=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT" + _attributes(
        secure=secure, same_site=same_site
    )


def read_cookies(raw_headers: Iterable[tuple[bytes, bytes]], name: str) -> list[str]:
    """Every value sent for cookie ``name`` (a browser sends several when a page of another
    path, or a sibling sub-domain, has set one of the same name: "cookie tossing")."""
    return list(_cookie_values(raw_headers, name))


def tossed_paths(path: str) -> list[str]:
    """Every cookie path a cookie sent for ``path`` may have been set on, "/" first."""
    segments = [s for s in path.split("/") if s]
    return ["/"] + ["/" + "/".join(segments[: i + 1]) for i in range(len(segments))]


def delete_cookie_on(name: str, path: str, *, secure: bool, same_site: str = "Lax") -> str:
    return (
        f"{name}=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path={path}; HttpOnly; "
        f"SameSite={same_site}" + ("; Secure" if secure else "")
    )


def read_cookie(raw_headers: Iterable[tuple[bytes, bytes]], name: str) -> str | None:
    """The (first) value of cookie ``name`` from raw ASGI headers, or None. Fast and lenient."""
    return next(_cookie_values(raw_headers, name), None)


def _cookie_values(raw_headers: Iterable[tuple[bytes, bytes]], name: str) -> Iterator[str]:
    wanted = name.encode("latin-1") + b"="
    for header_name, value in raw_headers:
        if header_name != b"cookie":
            continue
        for raw_part in value.split(b";"):
            part = raw_part.strip()
            if part.startswith(wanted):
                yield part[len(wanted) :].decode("latin-1")
