"""Who is asking (app/web/client.py): what the per-client throttles count by."""

from __future__ import annotations

import pytest

from app.shared.clients import throttle_address
from app.web.client import client_info


@pytest.mark.parametrize(
    ("peer", "counted_as"),
    [
        pytest.param("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64", id="IPv6: its /64"),
        pytest.param("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64", id="IPv6: same /64"),
        pytest.param("2001:DB8:1:3::1", "2001:db8:1:3::/64", id="IPv6: the next /64"),
        pytest.param("::ffff:192.0.2.7", "192.0.2.7", id="IPv4-mapped: the IPv4 address"),
        pytest.param("192.0.2.7", "192.0.2.7", id="IPv4: the address itself"),
    ],
)
def test_an_ipv6_client_is_counted_by_its_64_and_ipv4_by_its_address(
    peer: str, counted_as: str
) -> None:
    assert throttle_address(peer) == counted_as
    scope = {"type": "http", "headers": [], "client": (peer, 50000)}
    assert client_info(scope).ip == counted_as  # type: ignore[arg-type]
