"""One conversation turn as handlers see it: the inbound, the citizen, the open transaction, the services."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.messages import Choice, Inbound, Reply
from bot.core.services import Services
from bot.core.texts import t
from bot.storage.models import Citizen


@dataclass
class Turn:
    """Context of one turn; handlers read it and change `state`, the engine saves it in the same transaction."""

    inbound: Inbound
    citizen: Citizen
    session: AsyncSession
    services: Services
    lang: str
    now: datetime
    state: dict[str, Any] = field(default_factory=dict)
    forgotten: bool = False
    case_id: int | None = None

    def t(self, key: str, **values: object) -> str:
        """A text in the citizen's language."""
        return t(key, self.lang, **values)

    def reply(self, key: str, *choices: Choice, **values: object) -> Reply:
        """A reply made of one text, with optional choices."""
        return Reply(self.t(key, **values), tuple(choices))

    def choice(self, key: str, value: str) -> Choice:
        """A choice labelled with a text in the citizen's language."""
        return Choice(self.t(key), value)

    def office_name(self) -> str:
        """The office's name in the citizen's language."""
        settings = self.services.settings
        return settings.office_name_en if self.lang == "en" else settings.office_name

    @property
    def text(self) -> str:
        """The citizen's text for this turn (empty for non-text inbounds)."""
        return self.inbound.text
