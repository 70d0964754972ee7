"""What every channel adapter offers the dispatcher: send replies to a recipient, or fail clearly."""

from __future__ import annotations

from typing import Any, Protocol

from bot.core.messages import Reply
from bot.delivery.notices import NoticeKind


class DeliveryError(Exception):
    """A send that did not reach the recipient; `permanent` means retrying will not help."""

    def __init__(self, reason: str, *, permanent: bool, delivered: int = 0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        # parts of a multi-part message that did go out before the failure: a retry starts after them
        self.delivered = delivered


class ChannelAdapter(Protocol):
    """A channel the dispatcher can deliver proactive messages through."""

    name: str

    async def send(self, recipient: str, replies: list[Reply], *, kind: NoticeKind, payload: dict[str, Any]) -> None:
        """Deliver `replies` to `recipient`; raise DeliveryError when it cannot."""
