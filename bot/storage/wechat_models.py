"""WeChat-only tables: the (timestamp, nonce) pairs of signed callbacks seen lately, shared by every process."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, UniqueConstraint, delete
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.models import Base
from bot.storage.results import affected


class WeChatNonce(Base):
    """One signed callback's (timestamp, nonce) and the hash of its body, kept while the timestamp is acceptable."""

    __tablename__ = "wechat_nonces"
    __table_args__ = (
        UniqueConstraint("timestamp", "nonce"),
        Index("ix_wechat_nonces_expires_at", "expires_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    timestamp: Mapped[int] = mapped_column(BigInteger)
    nonce: Mapped[str] = mapped_column(String(64))
    body_sha256: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime]


async def forget_expired_nonces(session: AsyncSession, now: datetime) -> int:
    """Delete the nonces whose timestamp no request may carry any more; the number deleted."""
    result = await session.execute(delete(WeChatNonce).where(WeChatNonce.expires_at < now))
    return affected(result)
