"""The dispatcher confirms each row as it goes, so a slow, paced batch never outlives its lease."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.core.messages import Reply
from bot.delivery.dispatcher import Dispatcher
from bot.delivery.notices import Notice, NoticeKind
from bot.delivery.outbox import enqueue
from bot.storage.models import OutboxMessage
from tests.conftest import app, clock, database_url, settings_factory, sqlite_template
from tests.fakes.recording import RecordingChannel

LEASE = timedelta(minutes=5)
PACE = timedelta(minutes=2)  # Telegram lets a bot post 20 messages a minute to a group; a long batch takes minutes


class PacedChannel(RecordingChannel):
    """Records sends, each taking `PACE` of (fake) time; after the third, another process sweeps for orphans."""

    def __init__(self, name: str, other: Dispatcher) -> None:
        super().__init__(name)
        self.other = other
        self.orphans_found: list[int] = []

    async def send(self, recipient, replies, *, kind, payload) -> None:
        """Record, let time pass, and run the other process's orphan sweep once."""
        await super().send(recipient, replies, kind=kind, payload=payload)
        self.other.clock.advance(seconds=PACE.total_seconds())
        if len(self.sent) == 3:
            self.orphans_found.append(await self.other.recover_orphans())


async def test_a_paced_batch_longer_than_the_lease_is_sent_whole_and_nothing_turns_unknown(app, clock):
    now = clock.now()
    async with app.sessions() as session, session.begin():
        for i in range(6):
            notice = Notice(NoticeKind.STAFF_ALERT, "group", "staff-group", (Reply(f"alert {i}"),), f"alert:{i}")
            await enqueue(session, notice, due_at=now, now=now)
    other = Dispatcher(app.sessions, {}, clock, lease=LEASE, worker="other-process")
    channel = PacedChannel("group", other)
    dispatcher = Dispatcher(app.sessions, {"group": channel}, clock, lease=LEASE, worker="this-process")

    assert await dispatcher.run_once(batch=10) == 6

    assert channel.orphans_found == [0], "rows waiting their turn in a live batch are not orphans"
    assert [sent.texts[0] for sent in channel.sent] == [f"alert {i}" for i in range(6)]
    async with app.sessions() as session:
        statuses = list(await session.scalars(select(OutboxMessage.status).order_by(OutboxMessage.id)))
    assert statuses == ["sent"] * 6


async def test_a_paced_row_is_confirmed_as_it_is_sent_so_a_crash_mid_batch_leaves_only_the_row_in_hand(app, clock):
    now = clock.now()
    async with app.sessions() as session, session.begin():
        for i in range(4):
            await enqueue(session, Notice(NoticeKind.STAFF_ALERT, "group", "g", (Reply(f"a{i}"),), f"a:{i}"), due_at=now, now=now)

    class CrashOnThird(RecordingChannel):
        async def send(self, recipient, replies, *, kind, payload) -> None:
            if len(self.sent) == 2:
                raise KeyboardInterrupt  # stands for the process dying mid-send
            await super().send(recipient, replies, kind=kind, payload=payload)
            clock.advance(seconds=1)  # a paced channel: each message takes its turn

    channel = CrashOnThird("group")
    dispatcher = Dispatcher(app.sessions, {"group": channel}, clock, lease=LEASE)
    try:
        await dispatcher.run_once()
    except KeyboardInterrupt:
        pass
    async with app.sessions() as session:
        statuses = list(await session.scalars(select(OutboxMessage.status).order_by(OutboxMessage.id)))
    assert statuses == ["sent", "sent", "sending", "sending"]
    clock.advance(seconds=LEASE.total_seconds() + 1)
    assert await dispatcher.recover_orphans() == 2


async def test_instant_sends_are_confirmed_together_and_fast(app, clock):
    now = clock.now()
    async with app.sessions() as session, session.begin():
        for i in range(150):
            await enqueue(session, Notice(NoticeKind.STAFF_ALERT, "group", "g", (Reply(f"a{i}"),), f"fast:{i}"), due_at=now, now=now)
    channel = RecordingChannel("group")
    assert await Dispatcher(app.sessions, {"group": channel}, clock, lease=LEASE).run_once() == 150
    async with app.sessions() as session:
        statuses = set(await session.scalars(select(OutboxMessage.status)))
    assert statuses == {"sent"} and len(channel.sent) == 150
