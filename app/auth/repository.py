"""SQL for users, sessions and the activity log, and nothing else. Callers own the
transaction (``Database.read()`` / ``Database.write()``)."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import Row, bindparam, delete, or_, update
from sqlalchemy import select as sa_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db.models import AuthEvent, Session, User
from app.shared.addresses import email_key

__all__ = [
    "SessionForRefresh",
    "add_session",
    "add_user",
    "delete_session",
    "delete_sessions",
    "find_session_for_refresh",
    "find_user",
    "find_user_by_email",
    "list_live_sessions",
    "lock_unchanged",
    "mark_verified",
    "purge_events_before",
    "purge_expired_sessions",
    "recent_events",
    "replace_password_hash",
    "rotate_session",
    "set_email",
    "set_password_hash",
]


async def find_user_by_email(db: AsyncSession, email: str) -> User | None:
    """The account of this address, however it is typed (``email_key``)."""
    result = await db.exec(select(User).where(User.email_key == email_key(email)))
    return result.first()


async def find_user(db: AsyncSession, user_id: int) -> User | None:
    return await db.get(User, user_id)


async def add_user(db: AsyncSession, *, email: str, password_hash: str, now: int) -> User:
    user = User(
        email=email, email_key=email_key(email), password_hash=password_hash, created_at=now
    )
    db.add(user)
    await db.flush()
    return user


async def set_password_hash(db: AsyncSession, user_id: int, password_hash: str) -> None:
    await db.exec(update(User).where(col(User.id) == user_id).values(password_hash=password_hash))


async def replace_password_hash(db: AsyncSession, user_id: int, old: str, new: str) -> bool:
    """``new`` in place of ``old``, only if ``old`` is still stored (a compare-and-set:
    a password changed meanwhile stays); whether it was replaced."""
    result = await db.exec(
        update(User)
        .where(col(User.id) == user_id, col(User.password_hash) == old)
        .values(password_hash=new)
    )
    return bool(getattr(result, "rowcount", 0))


async def mark_verified(db: AsyncSession, user_id: int, now: int) -> None:
    await db.exec(update(User).where(col(User.id) == user_id).values(email_verified_at=now))


async def set_email(db: AsyncSession, user_id: int, email: str, *, verified_at: int) -> None:
    """Move the account to ``email`` (proved by a link: verified)."""
    await db.exec(
        update(User)
        .where(col(User.id) == user_id)
        .values(email=email, email_key=email_key(email), email_verified_at=verified_at)
    )


async def lock_unchanged(db: AsyncSession, checked: User) -> User | None:
    """The account row as it is now, locked until the transaction ends, if its password is
    still the one ``checked`` held when the caller verified it; None if it changed (a
    reset or a change committed in between) or the account is gone.

    ``FOR UPDATE`` on PostgreSQL; SQLite's write transaction already holds the one write
    lock. Either way a reset cannot commit between this read and the caller's writes, so
    a password checked before a reset never becomes a session or a mailed link after it.
    """
    result = await db.exec(
        select(User)
        .where(col(User.id) == checked.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    user = result.first()
    return user if user is not None and user.password_hash == checked.password_hash else None


async def add_session(db: AsyncSession, session: Session) -> Session:
    db.add(session)
    await db.flush()
    return session


# What tier 3 needs of a session row and its account, as plain columns: no ORM objects, no
# identity map, and built once (bench/profile.py: building the statement and loading two
# entities was most of the SELECT's cost in Python).
_SESSION_FOR_REFRESH = (
    sa_select(
        col(Session.user_id),
        col(Session.secret_hash),
        col(Session.previous_secret_hash),
        col(Session.rotated_at),
        col(Session.expires_at),
        col(Session.absolute_expires_at),
        col(User.email),
        col(User.email_verified_at),
    )
    .join(User, col(User.id) == col(Session.user_id))
    .where(col(Session.public_id) == bindparam("public_id"))
)
SessionForRefresh = Row[int, str, str | None, int, int, int, str, int | None]


async def find_session_for_refresh(db: AsyncSession, public_id: str) -> SessionForRefresh | None:
    """The session a token names and its account, in one query (tier 3), as the database
    has them now: ``user_id, secret_hash, previous_secret_hash, rotated_at, expires_at,
    absolute_expires_at, email, email_verified_at``."""
    connection = await db.connection()  # Core: the session's transaction, not its ORM
    result = await connection.execute(_SESSION_FOR_REFRESH, {"public_id": public_id})
    return result.first()


async def rotate_session(
    db: AsyncSession,
    *,
    public_id: str,
    old_hash: str,
    new_hash: str,
    now: int,
    expires_at: int,
) -> bool:
    """Replace the secret if it is still ``old_hash``: of two racing rotations, one wins."""
    result = await db.exec(
        update(Session)
        .where(col(Session.public_id) == public_id, col(Session.secret_hash) == old_hash)
        .values(
            secret_hash=new_hash,
            previous_secret_hash=old_hash,
            rotated_at=now,
            expires_at=expires_at,
        )
    )
    return result.rowcount == 1


async def delete_session(db: AsyncSession, public_id: str) -> None:
    await db.exec(delete(Session).where(col(Session.public_id) == public_id))


async def delete_sessions(
    db: AsyncSession,
    *,
    user_id: int,
    only: Collection[str] | None = None,
    keep: str | None = None,
) -> list[str]:
    """Delete the user's sessions (``only`` these, all but ``keep``, or all); the public
    ids deleted. Another user's session is never matched."""
    conditions = [col(Session.user_id) == user_id]
    if only is not None:
        conditions.append(col(Session.public_id).in_(list(only)))
    if keep is not None:
        conditions.append(col(Session.public_id) != keep)
    result = await db.exec(select(Session.public_id).where(*conditions))
    public_ids = list(result.all())
    if public_ids:
        await db.exec(
            delete(Session).where(
                col(Session.user_id) == user_id, col(Session.public_id).in_(public_ids)
            )
        )
    return public_ids


async def list_live_sessions(db: AsyncSession, user_id: int, now: int) -> list[Session]:
    result = await db.exec(
        select(Session)
        .where(
            col(Session.user_id) == user_id,
            col(Session.expires_at) > now,
            col(Session.absolute_expires_at) > now,
        )
        .order_by(col(Session.rotated_at).desc())
    )
    return list(result.all())


async def recent_events(db: AsyncSession, user_id: int, limit: int = 20) -> list[AuthEvent]:
    result = await db.exec(
        select(AuthEvent)
        .where(col(AuthEvent.user_id) == user_id)
        .order_by(col(AuthEvent.created_at).desc(), col(AuthEvent.id).desc())
        .limit(limit)
    )
    return list(result.all())


async def purge_expired_sessions(db: AsyncSession, now: int, batch: int) -> int:
    """Delete up to ``batch`` sessions past their idle or absolute end."""
    ids = select(Session.id).where(
        or_(col(Session.expires_at) <= now, col(Session.absolute_expires_at) <= now)
    )
    result = await db.exec(delete(Session).where(col(Session.id).in_(ids.limit(batch))))
    return int(result.rowcount or 0)


async def purge_events_before(db: AsyncSession, cutoff: int, batch: int) -> int:
    ids = select(AuthEvent.id).where(col(AuthEvent.created_at) < cutoff)
    result = await db.exec(delete(AuthEvent).where(col(AuthEvent.id).in_(ids.limit(batch))))
    return int(result.rowcount or 0)
