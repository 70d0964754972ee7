"""Desk accounts: argon2 password hashes, disabling and enabling staff (their sessions end, their open cases flagged)."""

from __future__ import annotations

import asyncio
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.texts import both
from bot.office import audit
from bot.office.casework import CLOSED
from bot.storage.desk_models import CaseFlag, DeskSession, StaffPassword
from bot.storage.models import Case, Staff

MIN_PASSWORD_CHARS = 8
_HASHER = PasswordHasher()
# verifying against this keeps a login for an unknown name as slow as one for a known name
_DUMMY_HASH = _HASHER.hash("consult-desk: no such account")


class AccountError(Exception):
    """An account change that is refused, with the reason to show."""


def check_password_rules(password: str) -> None:
    """Raise AccountError unless the password is long enough to set."""
    if len(password) < MIN_PASSWORD_CHARS:
        raise AccountError(both("err_password_short", chars=MIN_PASSWORD_CHARS))


async def hash_password(password: str) -> str:
    """The argon2 hash of a password, computed off the event loop."""
    return await asyncio.to_thread(_HASHER.hash, password)


def _verify(stored: str | None, password: str) -> bool:
    try:
        return _HASHER.verify(stored or _DUMMY_HASH, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


async def verify_password(stored: str | None, password: str) -> bool:
    """Whether `password` matches the stored hash (None: no password set, always False but as slow)."""
    return await asyncio.to_thread(_verify, stored, password)


async def find_staff(session: AsyncSession, name: str) -> Staff | None:
    """A staff member by exact name, active or not."""
    return await session.scalar(select(Staff).where(Staff.name == name.strip()))


async def set_password(session: AsyncSession, staff: Staff, password: str, now: datetime, *, actor: str) -> None:
    """Set (or reset) a staff member's desk password; their other sessions end, and the change is audited."""
    check_password_rules(password)
    digest = await hash_password(password)
    row = await session.get(StaffPassword, staff.id)
    if row is None:
        session.add(StaffPassword(staff_id=staff.id, hash=digest, set_at=now))
    else:
        row.hash, row.set_at = digest, now
    await session.execute(delete(DeskSession).where(DeskSession.staff_id == staff.id))
    audit.record(session, case_id=None, actor=actor, action="password_set", now=now, detail=f"staff {staff.name}")


async def stored_hash(session: AsyncSession, staff: Staff) -> str | None:
    """The staff member's password hash, or None when no password was set."""
    row = await session.get(StaffPassword, staff.id)
    return row.hash if row else None


async def disable(session: AsyncSession, staff: Staff, now: datetime, *, actor: str) -> list[str]:
    """Disable an account: no more logins, its sessions end, its open cases are flagged for reassignment; returns their numbers."""
    staff.active = False
    await session.execute(delete(DeskSession).where(DeskSession.staff_id == staff.id))
    cases = list(await session.scalars(select(Case).where(Case.assignee_id == staff.id, Case.status.not_in(CLOSED)).order_by(Case.id)))
    for case in cases:
        if await session.get(CaseFlag, case.id) is None:
            session.add(CaseFlag(case_id=case.id, reason="assignee_disabled", created_at=now))
        audit.record(session, case_id=case.id, actor=actor, action="flagged_for_reassignment", now=now, detail=f"{staff.name} disabled")
    audit.record(session, case_id=None, actor=actor, action="staff_disabled", now=now, detail=f"staff {staff.name}")
    return [case.number for case in cases]


async def enable(session: AsyncSession, staff: Staff, now: datetime, *, actor: str) -> None:
    """Enable a disabled account again (flags already raised stay until the cases are reassigned)."""
    staff.active = True
    audit.record(session, case_id=None, actor=actor, action="staff_enabled", now=now, detail=f"staff {staff.name}")


async def clear_flag(session: AsyncSession, case: Case) -> None:
    """Drop a case's reassignment flag once it has an active assignee again."""
    await session.execute(delete(CaseFlag).where(CaseFlag.case_id == case.id))


async def _case_action(*, session: AsyncSession, case: Case, action: str, **_: object) -> None:
    if action in ("taken", "transferred"):
        await clear_flag(session, case)


def install(events) -> None:
    """Clear a case's reassignment flag whenever someone takes it or it is transferred, wherever that happens."""
    events.subscribe("case_action", _case_action)
