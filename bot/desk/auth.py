"""Desk sign-in: server-side sessions in the database, lockout after failed attempts, a slower pace for noisy addresses."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.office import accounts, audit
from bot.storage.desk_models import DeskSession, LoginFailure
from bot.storage.models import Staff

COOKIE = "desk_session"
LOGIN_COOKIE = "desk_login"
# failures from one address before it must pause between attempts, and the longest pause
ADDRESS_FREE_FAILURES = 3
ADDRESS_MAX_PAUSE_SECONDS = 60
# only write last-seen when it moved this much: a page with live updates would otherwise write every second
TOUCH_EVERY = timedelta(seconds=30)


def new_token() -> str:
    """A random token for a cookie or a form."""
    return secrets.token_urlsafe(32)


def session_key(token: str) -> str:
    """What the database keeps of a session cookie: its SHA-256, so a database reader can't log in."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class Login:
    """The outcome of a sign-in attempt: a session token, or the reason (failed, locked, slow) and its figure."""

    token: str | None = None
    staff: Staff | None = None
    refusal: str | None = None
    wait_seconds: int = 0


async def _failures_since(session: AsyncSession, since: datetime, *, name: str | None = None, address: str | None = None) -> list[datetime]:
    query = select(LoginFailure.created_at).where(LoginFailure.created_at >= since)
    if name is not None:
        query = query.where(LoginFailure.name == name)
    if address is not None:
        query = query.where(LoginFailure.address == address)
    return sorted(await session.scalars(query))


def _address_pause(failures: int) -> int:
    if failures < ADDRESS_FREE_FAILURES:
        return 0
    return int(min(ADDRESS_MAX_PAUSE_SECONDS, 2 ** (failures - ADDRESS_FREE_FAILURES + 1)))


async def sign_in(session: AsyncSession, settings: Settings, name: str, password: str, address: str, now: datetime) -> Login:
    """Check a name and password; on success a new session (the old cookie is never reused); every outcome audited."""
    name = name.strip()[:64]
    window = now - timedelta(minutes=settings.desk_lock_minutes)
    by_address = await _failures_since(session, window, address=address)
    pause = _address_pause(len(by_address))
    if pause and by_address and (now - by_address[-1]).total_seconds() < pause:
        wait = int(pause - (now - by_address[-1]).total_seconds()) + 1
        audit.record(session, case_id=None, actor=f"desk:{name}", action="login_slowed", now=now, detail=f"address {address}")
        return Login(refusal="slow", wait_seconds=wait)
    by_name = await _failures_since(session, window, name=name)
    if len(by_name) >= settings.desk_lock_attempts:
        audit.record(session, case_id=None, actor=f"desk:{name}", action="login_locked", now=now, detail=f"address {address}")
        return Login(refusal="locked")
    staff = await accounts.find_staff(session, name) if name else None
    stored = await accounts.stored_hash(session, staff) if staff is not None else None
    good = await accounts.verify_password(stored, password)
    if not good or staff is None or not staff.active:
        session.add(LoginFailure(name=name, address=address, created_at=now))
        audit.record(session, case_id=None, actor=f"desk:{name}", action="login_failed", now=now, detail=f"address {address}")
        if len(by_name) + 1 >= settings.desk_lock_attempts:
            audit.record(session, case_id=None, actor=f"desk:{name}", action="lockout", now=now, detail=f"{settings.desk_lock_minutes} min")
            return Login(refusal="locked")
        return Login(refusal="failed")
    token = new_token()
    session.add(
        DeskSession(
            id=session_key(token),
            staff_id=staff.id,
            csrf=new_token(),
            address=address[:64],
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(hours=settings.desk_session_hours),
        )
    )
    audit.record(session, case_id=None, actor=f"staff:{staff.name}", action="login", now=now, detail=f"address {address}")
    return Login(token=token, staff=staff)


async def current(session: AsyncSession, settings: Settings, token: str | None, now: datetime) -> tuple[DeskSession, Staff] | None:
    """The live session and its active staff member for a cookie, or None (unknown, idle too long, past its lifetime, disabled)."""
    if not token:
        return None
    row = await session.get(DeskSession, session_key(token))
    if row is None:
        return None
    staff = await session.get(Staff, row.staff_id)
    idle = timedelta(minutes=settings.desk_idle_minutes)
    if staff is None or not staff.active or now >= row.expires_at or now - row.last_seen_at >= idle:
        await session.delete(row)
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
    return row, staff


async def sign_out(session: AsyncSession, token: str | None, now: datetime) -> None:
    """End the session of this cookie, audited."""
    if not token:
        return
    row = await session.get(DeskSession, session_key(token))
    if row is None:
        return
    staff = await session.get(Staff, row.staff_id)
    await session.delete(row)
    audit.record(session, case_id=None, actor=f"staff:{staff.name if staff else row.staff_id}", action="logout", now=now)


async def purge(session: AsyncSession, settings: Settings, now: datetime) -> None:
    """Forget lapsed sessions and failures older than the lock window."""
    await session.execute(delete(DeskSession).where(DeskSession.expires_at < now))
    await session.execute(delete(LoginFailure).where(LoginFailure.created_at < now - timedelta(minutes=settings.desk_lock_minutes)))


async def session_count(session: AsyncSession, staff_id: int) -> int:
    """How many live sessions a staff member has (for tests and the staff page)."""
    return int(await session.scalar(select(func.count()).select_from(DeskSession).where(DeskSession.staff_id == staff_id)) or 0)
