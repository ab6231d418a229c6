"""The denylist mirror (app/auth/revocations.py): what the guard reads on every request."""

from __future__ import annotations

import secrets

from app.auth.revocations import COMPACT_AFTER, GAP_PATIENCE, Entry, Loader, Mirror, _compacted

T0 = 1_800_000_000


class FakeMonotonic:
    """The mirror's sense of real time (how fresh its last catch-up is), moved by hand."""

    def __init__(self) -> None:
        self.value = 100.0

    def __call__(self) -> float:
        return self.value


def test_a_revocation_holds_until_its_end_and_not_a_second_longer() -> None:
    mirror = Mirror(max_lag=5)
    mirror.add([Entry(1, "sid", T0 + 60)])
    assert mirror.is_revoked("sid", T0 + 59)
    assert not mirror.is_revoked("sid", T0 + 60)
    assert not mirror.is_revoked("other", T0)


def test_the_later_end_wins_when_a_session_is_revoked_twice() -> None:
    mirror = Mirror(max_lag=5)
    mirror.add([Entry(2, "sid", T0 + 100), Entry(1, "sid", T0 + 10)])
    assert mirror.is_revoked("sid", T0 + 99)


def test_the_mirror_is_current_only_within_the_lag_of_its_last_catch_up() -> None:
    clock = FakeMonotonic()
    mirror = Mirror(max_lag=5, monotonic=clock)
    assert not mirror.is_current()  # never caught up: the guard reads the row instead
    mirror.caught_up([], started_at=clock.value)
    clock.value += 5
    assert mirror.is_current()
    clock.value += 0.001
    assert not mirror.is_current()


def test_ids_skipped_by_an_open_transaction_are_looked_for_again() -> None:
    mirror = Mirror(max_lag=5)
    mirror.caught_up([Entry(1, "a", T0), Entry(3, "c", T0)], started_at=0.0)
    assert mirror.after == 3
    assert mirror.gaps == [2]  # 2 may still commit
    mirror.caught_up([Entry(2, "b", T0)], started_at=1.0)
    assert mirror.gaps == []
    assert mirror.is_revoked("b", T0 - 1)


def test_a_gap_is_given_up_after_a_while() -> None:
    mirror = Mirror(max_lag=5)
    mirror.caught_up([Entry(1, "a", T0), Entry(3, "c", T0)], started_at=0.0)
    mirror.caught_up([], started_at=GAP_PATIENCE - 1)
    assert mirror.gaps == [2]
    mirror.caught_up([], started_at=GAP_PATIENCE)
    assert mirror.gaps == []  # a rolled-back transaction leaves a hole forever


def test_forget_drops_only_what_no_token_can_outlive() -> None:
    mirror = Mirror(max_lag=5)
    mirror.add([Entry(1, "old", T0), Entry(2, "new", T0 + 10)])
    mirror.forget(T0)
    assert not mirror.is_revoked("old", T0 - 1)
    assert mirror.is_revoked("new", T0 + 9)


def _sid(number: int) -> str:
    """A session id in the app's format (``token_urlsafe(16)``: 22 characters), held in
    the compact base."""
    return f"{number:022d}"


def test_the_app_s_session_ids_go_to_the_compact_base() -> None:
    mirror = Mirror(max_lag=5)
    sid = secrets.token_urlsafe(16)
    _loaded(mirror, [Entry(1, sid, T0 + 60)], T0)
    assert mirror.is_revoked(sid, T0)
    assert mirror.snapshot()[1] == {}  # nothing left in the dict of recent entries


def _loaded(mirror: Mirror, entries: list[Entry], now: int) -> None:
    """What a start-up catch-up does with the rows it streams."""
    loader = Loader(now)
    loader.take((e.id, e.session_id, e.until) for e in entries)
    mirror.loaded(loader, started_at=0.0)


def test_a_loaded_revocation_holds_until_its_end_and_not_a_second_longer() -> None:
    mirror = Mirror(max_lag=5, monotonic=lambda: 1.0)
    _loaded(mirror, [Entry(i, _sid(i), T0 + 60) for i in range(1, 1001)], T0)
    assert mirror.is_revoked(_sid(500), T0 + 59)
    assert not mirror.is_revoked(_sid(500), T0 + 60)
    assert not mirror.is_revoked(_sid(5000), T0)  # never revoked
    assert not mirror.is_revoked("sid", T0)  # another format: not in the base
    assert mirror.after == 1000
    assert mirror.is_current()  # the load was a catch-up (at 0.0)


def test_a_start_up_load_skips_what_has_already_ended() -> None:
    mirror = Mirror(max_lag=5)
    _loaded(mirror, [Entry(1, _sid(1), T0), Entry(2, _sid(2), T0 + 1)], T0)
    assert len(mirror) == 1
    assert mirror.is_revoked(_sid(2), T0)


def test_ids_in_another_format_are_held_too() -> None:
    mirror = Mirror(max_lag=5)
    odd = ["s1", "é" * 22, "A" * 23]  # too short; not ASCII; too long
    _loaded(mirror, [Entry(i, sid, T0 + 60) for i, sid in enumerate(odd, 1)], T0)
    assert all(mirror.is_revoked(sid, T0) for sid in odd)
    assert not mirror.is_revoked("A" * 22, T0)


def test_ids_that_share_their_first_bytes_are_told_apart() -> None:
    mirror = Mirror(max_lag=5)
    same_start = ["A" * 8 + "B" * 14, "A" * 8 + "B" * 13 + "C", "A" * 8 + "C" + "B" * 13]
    _loaded(mirror, [Entry(1, same_start[0], T0 + 60), Entry(2, same_start[1], T0 + 30)], T0)
    assert mirror.is_revoked(same_start[0], T0 + 59)
    assert not mirror.is_revoked(same_start[1], T0 + 30)
    assert mirror.is_revoked(same_start[1], T0 + 29)
    assert not mirror.is_revoked(same_start[2], T0)


def test_a_later_end_added_overrides_the_loaded_one_and_an_earlier_does_not() -> None:
    mirror = Mirror(max_lag=5)
    _loaded(mirror, [Entry(1, _sid(1), T0 + 10), Entry(2, _sid(2), T0 + 100)], T0)
    mirror.add([Entry(3, _sid(1), T0 + 50), Entry(4, _sid(2), T0 + 20)])
    assert mirror.is_revoked(_sid(1), T0 + 49)
    assert not mirror.is_revoked(_sid(1), T0 + 50)
    assert mirror.is_revoked(_sid(2), T0 + 99)  # the earlier end added later changes nothing
    mirror.compact(T0)
    assert mirror.is_revoked(_sid(1), T0 + 49)
    assert mirror.is_revoked(_sid(2), T0 + 99)
    assert len(mirror) == 2


def test_compaction_prunes_what_ended_and_keeps_what_was_added_meanwhile() -> None:
    mirror = Mirror(max_lag=5)
    _loaded(mirror, [Entry(i, _sid(i), T0 + i) for i in range(1, 101)], T0)
    assert not mirror.compaction_due(T0)
    assert mirror.compaction_due(T0 + 51)  # half the base has ended
    base, recent = mirror.snapshot()
    mirror.add([Entry(101, _sid(101), T0 + 500)])  # while the new base is being built
    built = _compacted(base, recent, {}, T0 + 51)
    mirror.install(built, recent)
    assert len(mirror) == 49 + 1  # 52..100 and the new one
    assert mirror.is_revoked(_sid(101), T0 + 499)
    assert mirror.is_revoked(_sid(52), T0 + 51)
    assert not mirror.is_revoked(_sid(51), T0 + 50)  # ended, and gone


def test_recent_entries_move_into_the_base_when_they_outgrow_it() -> None:
    mirror = Mirror(max_lag=5)
    mirror.add([Entry(i, _sid(i), T0 + 60) for i in range(1, COMPACT_AFTER + 2)])
    assert mirror.compaction_due(T0)
    mirror.compact(T0)
    assert not mirror.compaction_due(T0)
    assert mirror.is_revoked(_sid(COMPACT_AFTER + 1), T0 + 59)
    assert not mirror.is_revoked(_sid(COMPACT_AFTER + 1), T0 + 60)
