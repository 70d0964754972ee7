"""Typed notices: every proactive message the bot sends, named by what it is rather than by a loose string."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bot.core.messages import Reply


class NoticeKind(StrEnum):
    """What a proactive message is; senders choose the platform's means (and WeChat its template) by it."""

    ANSWER_PART = "reply"  # the parts of a conversational answer beyond what the platform's direct reply holds
    STAFF_REPLY = "staff_reply"  # a staff member writing to a citizen on a case
    CASE_UPDATE = "case_update"  # transferred, waiting, resolved, reopened: told to the citizen
    SURVEY = "survey"  # the follow-up 好差评 survey and its reminder
    STAFF_ALERT = "alert"  # the SLA ladder, new complaints, undelivered messages: to staff and supervisors
    DIGEST = "digest"  # the daily figures to supervisors
    STAFF_TOPIC = "staff_topic"  # a case's topic in the Telegram staff group, created with its card
    TOPIC_MIRROR = "staff_mirror"  # what happens on a case, mirrored into its staff topic

    @property
    def to_staff(self) -> bool:
        """True for notices whose recipients are staff, not citizens."""
        return self in STAFF_KINDS

    @property
    def on_behalf_of_staff(self) -> bool:
        """True for what staff say to a citizen about a case (WeChat sends it by its case-update template outside the window)."""
        return self in (NoticeKind.STAFF_REPLY, NoticeKind.CASE_UPDATE)


STAFF_KINDS = frozenset({NoticeKind.STAFF_ALERT, NoticeKind.DIGEST, NoticeKind.STAFF_TOPIC, NoticeKind.TOPIC_MIRROR})


@dataclass(frozen=True)
class Notice:
    """One proactive message: what it is, to whom on which channel, what it says, and the key that makes it happen once."""

    kind: NoticeKind
    channel: str
    recipient: str
    replies: tuple[Reply, ...]
    dedup_key: str
    case_id: int | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def payload(self) -> dict[str, Any]:
        """The JSON stored with the outbox row: the replies and the sender's extra facts."""
        return {"replies": [r.to_json() for r in self.replies], **self.extra}
