"""Every cookie the app sets, each described once: :class:`Cookie` owns a cookie's name
and attributes (``Path``, ``Secure``, ``HttpOnly``, ``SameSite``, the ``__Host-`` prefix,
its lifetime), and writing, deleting and reading it all go through it - as Litestar's
``BaseBackendConfig`` owns its session cookie's.

``Set-Cookie`` values are built by hand: Litestar's ``delete_cookie`` cannot mark a
deletion ``Secure``, and a browser ignores a ``__Host-`` cookie (or its deletion)
without it, so setting and deleting carry the same attributes. Lifetimes are
``Max-Age``, never ``Expires``: the server's clock may be a test clock, the browser's is
not.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

__all__ = ["AppCookies", "Cookie", "tossed_paths"]

DEVICE_MAX_AGE = 365 * 86400  # a year; re-issued at every sign-in
NOTICE_MAX_AGE = 300  # the login page's one-shot notice
_EPOCH = "Thu, 01 Jan 1970 00:00:00 GMT"


@dataclass(frozen=True, slots=True)
class Cookie:
    name: str
    secure: bool
    max_age: int | None = None  # None: a session cookie (unless a value gives its own)
    http_only: bool = True
    same_site: str = "Lax"

    def set(self, value: str, *, max_age: int | None = None) -> str:
        lifetime = self.max_age if max_age is None else max_age
        expiry = "" if lifetime is None else f"; Max-Age={max(lifetime, 0)}"
        return f"{self.name}={value}{expiry}" + self._attributes("/")

    def delete(self, *, path: str = "/") -> str:
        return f"{self.name}=; Max-Age=0; Expires={_EPOCH}" + self._attributes(path)

    def values(self, raw_headers: Iterable[tuple[bytes, bytes]]) -> list[str]:
        """Every value sent for this cookie (a browser sends several when a page of another
        path, or a sibling sub-domain, has set one of the same name: "cookie tossing")."""
        return list(_values(raw_headers, self.name))

    def _attributes(self, path: str) -> str:
        return (
            f"; Path={path}"
            + ("; HttpOnly" if self.http_only else "")
            + f"; SameSite={self.same_site}"
            + ("; Secure" if self.secure else "")
        )


@dataclass(frozen=True, slots=True)
class AppCookies:
    """The app's cookies. With ``secure`` (TLS), each that may be is ``__Host-``: bound to
    this exact origin, ``Secure``, ``Path=/``, no ``Domain``."""

    auth: Cookie  # the token; lives as long as the session (each value says how long)
    csrf: Cookie  # Litestar's CSRF token: a session cookie
    device: Cookie  # "this browser has signed in to the account" (not a credential)
    notice: Cookie  # the login page's one-shot notice ("your session expired")
    pending: Cookie  # a sign-in waiting for its second factor (sealed; each value's lifetime)

    @classmethod
    def of(cls, *, secure: bool) -> AppCookies:
        prefix = "__Host-" if secure else ""
        return cls(
            auth=Cookie(f"{prefix}auth", secure),
            csrf=Cookie(f"{prefix}csrf", secure),
            device=Cookie(f"{prefix}device", secure, max_age=DEVICE_MAX_AGE),
            notice=Cookie("notice", secure, max_age=NOTICE_MAX_AGE),
            pending=Cookie(f"{prefix}pending", secure),
        )


def tossed_paths(path: str) -> list[str]:
    """Every cookie path a cookie sent for ``path`` may have been set on, "/" first."""
    segments = [s for s in path.split("/") if s]
    return ["/"] + ["/" + "/".join(segments[: i + 1]) for i in range(len(segments))]


def _values(raw_headers: Iterable[tuple[bytes, bytes]], name: str) -> Iterator[str]:
    wanted = name.encode("latin-1") + b"="
    for header_name, value in raw_headers:
        if header_name != b"cookie":
            continue
        for raw_part in value.split(b";"):
            part = raw_part.strip()
            if part.startswith(wanted):
                yield part[len(wanted) :].decode("latin-1")
