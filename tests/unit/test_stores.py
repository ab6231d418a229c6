"""The denylist and the rotation-grace successors: expiry judged by the clock passed in."""

from __future__ import annotations

import pytest
from litestar.stores.memory import MemoryStore

from app.auth.stores import Denylist, Successors, create_store

T0 = 1_800_000_000
TTL = 86400
GRACE = 30


@pytest.mark.parametrize(("offset", "revoked"), [(-1, True), (0, False), (1, False)])
async def test_a_revocation_lasts_one_token_lifetime(offset: int, revoked: bool) -> None:
    denylist = Denylist(MemoryStore(), ttl=TTL)
    await denylist.revoke("sid", revoked_at=T0, now=T0)
    assert await denylist.is_revoked("sid", T0 + TTL + offset) is revoked
    assert await denylist.is_revoked("other", T0) is False


async def test_a_revocation_older_than_the_token_lifetime_is_not_stored() -> None:
    store = MemoryStore()
    await Denylist(store, ttl=TTL).revoke("sid", revoked_at=T0, now=T0 + TTL)
    assert await store.get("revoked:sid") is None


@pytest.mark.parametrize(("offset", "found"), [(-1, True), (0, False), (1, False)])
async def test_a_successor_is_found_only_inside_the_grace(offset: int, found: bool) -> None:
    successors = Successors(MemoryStore(), grace=GRACE)
    await successors.remember("oldhash", "token.a.b.c.d", rotated_at=T0)
    result = await successors.find("oldhash", T0 + GRACE + offset)
    assert (result == "token.a.b.c.d") is found
    assert await successors.find("otherhash", T0) is None


def test_create_store_accepts_memory_and_refuses_the_unknown() -> None:
    assert isinstance(create_store("memory"), MemoryStore)
    with pytest.raises(ValueError, match="unsupported store"):
        create_store("mysql://x")
