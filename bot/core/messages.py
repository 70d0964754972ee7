"""Channel-neutral message types: what a citizen sent (Inbound) and what the bot says (Reply)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

InboundKind = Literal["text", "choice", "command", "attachment", "unsupported", "subscribe", "unsubscribe"]


@dataclass(frozen=True)
class Attachment:
    """A photo or file reference as the channel knows it (file_id, media_id, path)."""

    kind: str
    ref: str
    name: str | None = None


@dataclass(frozen=True)
class Inbound:
    """One thing a citizen did: typed text, tapped a choice, sent a file, ran a command, followed."""

    channel: str
    user_id: str
    kind: InboundKind = "text"
    text: str = ""
    choice: str | None = None
    command: str | None = None
    message_id: str | None = None
    lang_hint: str | None = None
    display_name: str | None = None
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True)
class Choice:
    """A button (or numbered option) with a short machine value of at most 40 ASCII bytes."""

    label: str
    value: str


@dataclass(frozen=True)
class Reply:
    """One message from the bot: text and optional choices."""

    text: str
    choices: tuple[Choice, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """A JSON-able form, stored with inbound receipts and outbox rows."""
        return {"text": self.text, "choices": [[c.label, c.value] for c in self.choices]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Reply:
        """Inverse of `to_json`."""
        return cls(text=data["text"], choices=tuple(Choice(label, value) for label, value in data.get("choices", [])))


@dataclass
class TurnResult:
    """What the engine returns for one inbound: the replies and whether it was a repeat."""

    replies: list[Reply] = field(default_factory=list)
    duplicate: bool = False
    trace_id: str | None = None
