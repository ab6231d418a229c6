"""The denylist mirror (app/auth/revocations.py): what the guard reads on every request."""

from __future__ import annotations

from app.auth.revocations import GAP_PATIENCE, Entry, Mirror

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
