"""Who is asking, read from the request (HTTP's part of :mod:`app.shared.clients`)."""

from __future__ import annotations

from litestar.types import Scope

from app.shared.clients import ClientInfo, coarse_address, throttle_address

__all__ = ["client_info"]


def client_info(scope: Scope) -> ClientInfo:
    user_agent = b""
    for name, value in scope["headers"]:
        if name == b"user-agent":
            user_agent = value
            break
    client = scope.get("client")
    return ClientInfo(
        user_agent=user_agent.decode("latin-1")[:512],
        address=coarse_address(client[0]) if client else "",
        ip=throttle_address(client[0]) if client else "",
    )
