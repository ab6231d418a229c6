"""A client error whose message is written for people: the error page shows it as it is."""

from __future__ import annotations

from litestar.exceptions import ClientException

__all__ = ["PlainClientError"]


class PlainClientError(ClientException):
    """400 with a sentence a person can act on (Litestar's own details are for developers)."""
