"""A channel that records what the dispatcher sends, and can be told to fail."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.core.messages import Reply
from bot.delivery.channel import DeliveryError


@dataclass
class Sent:
    """One recorded delivery."""

    recipient: str
    texts: list[str]
    kind: str
    payload: dict[str, Any]


@dataclass
class RecordingChannel:
    """Records every send; `fail_with` makes the next sends raise a DeliveryError."""

    name: str
    sent: list[Sent] = field(default_factory=list)
    fail_with: DeliveryError | None = None

    async def send(self, recipient: str, replies: list[Reply], *, kind: str, payload: dict[str, Any]) -> None:
        """Record (or fail)."""
        if self.fail_with is not None:
            raise self.fail_with
        self.sent.append(Sent(recipient, [r.text for r in replies], kind, payload))

    def to(self, recipient: str) -> list[str]:
        """Every text sent to one recipient, in order."""
        return [text for item in self.sent if item.recipient == recipient for text in item.texts]
