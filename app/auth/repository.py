"""SQL for users and sessions, and nothing else. Callers own the transaction."""

from __future__ import annotations

from sqlalchemy import delete, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db.models import Session, User

__all__ = [
    "add_session",
    "add_user",
    "delete_session",
    "delete_session_by_public_id",
    "find_session_by_secret_hash",
    "find_user_by_email",
    "rotate_session",
    "set_password_hash",
]


async def find_user_by_email(db: AsyncSession, email: str) -> User | None:
    result = await db.exec(select(User).where(User.email == email))
    return result.first()


async def add_user(db: AsyncSession, *, email: str, password_hash: str, now: int) -> User:
    user = User(email=email, password_hash=password_hash, created_at=now)
    db.add(user)
    await db.flush()
    return user


async def set_password_hash(db: AsyncSession, user_id: int, password_hash: str) -> None:
    await db.exec(update(User).where(col(User.id) == user_id).values(password_hash=password_hash))


async def add_session(db: AsyncSession, session: Session) -> Session:
    db.add(session)
    await db.flush()
    return session


async def find_session_by_secret_hash(db: AsyncSession, secret_hash: str) -> Session | None:
    result = await db.exec(select(Session).where(Session.secret_hash == secret_hash))
    return result.first()


async def rotate_session(
    db: AsyncSession,
    *,
    session_id: int,
    old_hash: str,
    new_hash: str,
    now: int,
    expires_at: int,
) -> bool:
    """Replace the secret if it is still ``old_hash``: of two racing rotations, one wins."""
    result = await db.exec(
        update(Session)
        .where(col(Session.id) == session_id, col(Session.secret_hash) == old_hash)
        .values(
            secret_hash=new_hash,
            previous_secret_hash=old_hash,
            rotated_at=now,
            expires_at=expires_at,
        )
    )
    return result.rowcount == 1


async def delete_session(db: AsyncSession, session_id: int) -> None:
    await db.exec(delete(Session).where(col(Session.id) == session_id))


async def delete_session_by_public_id(db: AsyncSession, *, user_id: int, public_id: str) -> None:
    await db.exec(
        delete(Session).where(col(Session.user_id) == user_id, col(Session.public_id) == public_id)
    )
