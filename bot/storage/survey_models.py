"""The follow-up survey table (好差评): one survey per case and kind, its rating, comment and appeal."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.models import Base


class Survey(Base):
    """A follow-up survey on a resolved case ("followup") or a call-back on a rectification ("callback")."""

    __tablename__ = "surveys"
    __table_args__ = (
        UniqueConstraint("case_id", "kind"),
        Index("ix_surveys_status_expires", "status", "expires_at"),
        Index("ix_surveys_citizen_status", "citizen_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # followup | callback
    citizen_id: Mapped[int | None] = mapped_column(ForeignKey("citizens.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending sent reminded answered unrated cancelled
    round: Mapped[int] = mapped_column(Integer, default=1)
    rating: Mapped[str | None] = mapped_column(String(20))
    comment: Mapped[str | None] = mapped_column(Text)
    rectification_case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"))
    appeal_status: Mapped[str | None] = mapped_column(String(12))  # requested | upheld | rejected
    appeal_type: Mapped[str | None] = mapped_column(String(12))  # mistaken | malicious
    appeal_reason: Mapped[str | None] = mapped_column(Text)
    appeal_by: Mapped[str | None] = mapped_column(String(80))
    appeal_decided_by: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime]
    due_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    expires_at: Mapped[datetime]
