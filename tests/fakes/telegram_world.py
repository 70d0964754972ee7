"""A running Telegram channel for end-to-end tests: the real PTB Application against the fake Bot API."""

from __future__ import annotations

from dataclasses import dataclass

from bot.app import App
from bot.channels.telegram.runtime import TelegramRuntime, attach
from bot.storage.models import Staff
from tests.fakes.telegram_api import TOKEN, FakeBotAPI

STAFF_CHAT = -1001234567890


def telegram_settings(settings_factory, api: FakeBotAPI, **overrides):
    """Settings pointing the bot at the fake API, with the staff group configured."""
    values = dict(
        telegram_token=TOKEN,
        telegram_base_url=api.base_url,
        telegram_base_file_url=api.base_file_url,
        telegram_staff_chat_id=STAFF_CHAT,
        telegram_rate_per_chat_seconds=0.0,
    )
    values.update(overrides)
    return settings_factory(**values)


@dataclass
class TelegramWorld:
    """The app, its Telegram runtime and the fake Bot API it talks to."""

    app: App
    api: FakeBotAPI
    runtime: TelegramRuntime
    routes: list

    @classmethod
    async def start(cls, settings, clock, api: FakeBotAPI) -> TelegramWorld:
        """Wire an App and attach the Telegram channel (polling, or webhook when configured)."""
        app = App(settings, clock)
        routes: list = []
        runtime = await attach(app, routes)
        return cls(app, api, runtime, routes)

    async def close(self) -> None:
        """Stop the channel and close the database."""
        await self.runtime.stop()
        await self.app.close()

    async def handled(self, count: int, timeout: float = 10.0) -> None:
        """Wait until the runtime finished handling `count` updates in all, and sending what they answered."""
        await self.api.wait_for(lambda: self.runtime.handled >= count, timeout, f"{count} handled updates (have {self.runtime.handled})")
        await self.runtime.idle()

    async def say(self, *updates) -> None:
        """Feed updates through getUpdates and wait until all were handled and the outbox ran."""
        before = self.runtime.handled
        await self.api.push(*updates)
        await self.handled(before + len(updates))

    async def add_staff(
        self, name: str, role: str = "staff", telegram_id: int | None = None, title: str | None = None, department: str | None = "投诉科"
    ) -> int:
        """Register a staff member directly in the database."""
        async with self.app.sessions() as session, session.begin():
            staff = Staff(
                name=name,
                role=role,
                telegram_id=telegram_id,
                title=title,
                department=department,
                active=True,
                created_at=self.app.clock.now(),
            )
            session.add(staff)
            await session.flush()
            return staff.id

    async def one(self, query):
        """A scalar from the database."""
        async with self.app.sessions() as session:
            return await session.scalar(query)

    async def all(self, query):
        """All scalars from the database."""
        async with self.app.sessions() as session:
            return list(await session.scalars(query))
