"""The shared services a conversation turn or a background job may use, wired once in bot/app.py."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.config import Settings
from bot.core.clock import Clock
from bot.core.events import Events
from bot.core.workdays import WorkCalendar
from knowledge.base import KnowledgeStore


@dataclass
class Services:
    """Settings, clock, knowledge base and calendar: everything handlers need besides the session."""

    settings: Settings
    clock: Clock
    knowledge: KnowledgeStore
    calendar: WorkCalendar
    events: Events = field(default_factory=Events)
