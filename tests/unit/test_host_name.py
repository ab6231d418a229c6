"""The host gate's reading of ``Host`` (app/web/gate.py): a name and a port, nothing else."""

from __future__ import annotations

import pytest

from app.web.gate import host_name


@pytest.mark.parametrize(
    "host",
    [
        pytest.param("127.0.0.1:1@evil.example", id="userinfo before the host"),
        pytest.param("evil.example@127.0.0.1", id="userinfo without a port"),
        pytest.param("127.0.0.1:8000:9000", id="two ports"),
        pytest.param("127.0.0.1:abc", id="a port that is not a number"),
        pytest.param("127.0.0.1:", id="an empty port"),
        pytest.param("127.0.0.1:80/evil", id="a path"),
        pytest.param("127.0.0.1#evil.example", id="a fragment"),
        pytest.param("[::1]:1@evil.example", id="userinfo after an IPv6 host"),
        pytest.param("[::1]x", id="text after the brackets"),
        pytest.param("[not-an-address]", id="brackets around a name"),
        pytest.param("exa mple.com", id="a space"),
    ],
)
def test_anything_but_a_host_and_a_port_has_no_name(host: str) -> None:
    assert host_name(host) == ""


@pytest.mark.parametrize(
    ("host", "name"),
    [
        ("127.0.0.1:8000", "127.0.0.1"),
        ("[::1]:8000", "[::1]"),
        ("[::1]", "[::1]"),
        ("Auth.Example.com", "auth.example.com"),
        ("auth.example.com:443", "auth.example.com"),
    ],
)
def test_a_well_formed_host_keeps_its_name(host: str, name: str) -> None:
    """Unchanged by the stricter reading (a guard, not a new rule)."""
    assert host_name(host) == name
