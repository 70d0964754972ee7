"""Supervision tables: call-backs (回访) staff recorded on cases, and the monthly reports kept for download."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.models import Base


class Callback(Base):
    """One 回访: a staff member contacted (or tried to contact) the citizen of a case, and what came of it."""

    __tablename__ = "callbacks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    staff_name: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(12))  # reached | unreached
    satisfied: Mapped[bool | None] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(index=True)


class ReportFile(Base):
    """A generated report file (the monthly 台账), downloadable from the desk by supervisors and leaders."""

    __tablename__ = "report_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # monthly
    period: Mapped[str] = mapped_column(String(16), unique=True)  # e.g. 2026-11
    filename: Mapped[str] = mapped_column(String(128))
    summary: Mapped[str] = mapped_column(Text, default="")
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]
