"""Web-desk tables: staff passwords, login sessions, failed logins, what each staff member has read, cases flagged for reassignment."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.models import Base


class StaffPassword(Base):
    """A staff member's desk password, as an argon2 hash."""

    __tablename__ = "desk_passwords"

    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True)
    hash: Mapped[str] = mapped_column(String(255))
    set_at: Mapped[datetime]


class DeskSession(Base):
    """A logged-in browser: the SHA-256 of its cookie token, its CSRF token, and when it lapses."""

    __tablename__ = "desk_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    address: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class LoginFailure(Base):
    """One failed login: the name tried and the address it came from (for lockout and slow-down)."""

    __tablename__ = "desk_login_failures"
    __table_args__ = (
        Index("ix_desk_login_failures_name_at", "name", "created_at"),
        Index("ix_desk_login_failures_address_at", "address", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]


class CaseRead(Base):
    """When a staff member last looked at a case's conversation (for the inbox's unread marker)."""

    __tablename__ = "desk_case_reads"

    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    read_at: Mapped[datetime]


class CaseFlag(Base):
    """An open case that needs a new assignee (its assignee was disabled); cleared when someone takes it over."""

    __tablename__ = "desk_case_flags"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    reason: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
