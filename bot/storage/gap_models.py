"""Questions the bot could not answer confidently, kept for the office (knowledge gaps).

Masked and grouped by normalised text; not linked to any citizen, so deleting a citizen's data leaves nothing of theirs here.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.models import Base


class KnowledgeGap(Base):
    """One missed question (masked), how often it was asked, and what the office did about it."""

    __tablename__ = "knowledge_gaps"
    __table_args__ = (Index("ix_knowledge_gaps_status_last_seen", "status", "last_seen"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)  # the normalised masked text: one row per wording
    text: Mapped[str] = mapped_column(Text)  # the masked question as first asked
    lang: Mapped[str] = mapped_column(String(2), default="zh")
    count: Mapped[int] = mapped_column(Integer, default=1)
    guess: Mapped[str | None] = mapped_column(String(80))  # the procedure the bot offered first, if any
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | attached | out_of_scope
    procedure_id: Mapped[str | None] = mapped_column(String(80))  # attached to this procedure as an example question
    resolved_by: Mapped[str | None] = mapped_column(String(80))
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]
    resolved_at: Mapped[datetime | None]


class KnowledgeGapDay(Base):
    """How often a missed question was asked on one office day: what the dashboard's top unanswered topics of a period add up."""

    __tablename__ = "knowledge_gap_days"

    gap_id: Mapped[int] = mapped_column(ForeignKey("knowledge_gaps.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True, index=True)
    count: Mapped[int] = mapped_column(Integer, default=1)
