"""WeChat's delivery rules: customer-service messages only within 48 hours of the citizen's last message, at most 5 per message."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.storage.models import Citizen

WINDOW = timedelta(hours=48)
WINDOW_QUOTA = 5


class WeChatPolicy:
    """Free-form messages while the 48-hour window is open and its quota of 5 lasts; templates after that."""

    def free_form_until(self, citizen: Citizen) -> datetime | None:
        """48 hours after the citizen's last message."""
        if citizen.last_inbound_at is None:
            return None
        return citizen.last_inbound_at + WINDOW

    def citizen_wrote(self, citizen: Citizen, now: datetime) -> None:
        """Each citizen message opens a fresh quota of 5 customer-service messages."""
        citizen.window_sends = 0
