"""The dialog engine: dedupe, lock the conversation, run the handler in one transaction, save state with the turn."""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core import language
from bot.core.locks import KeyedLocks
from bot.core.messages import Inbound, Reply, TurnResult
from bot.core.services import Services
from bot.core.texts import t
from bot.core.turn import Turn
from bot.storage.group_commit import GroupCommit, Waiting
from bot.storage.models import Citizen, ConversationMessage, InboundReceipt
from bot.storage.upsert import insert_ignore

log = logging.getLogger(__name__)

# Core tables, not ORM entities: bulk inserts of plain rows skip the ORM's per-row bookkeeping
HISTORY_TABLE = cast(Table, ConversationMessage.__table__)
RECEIPT_TABLE = cast(Table, InboundReceipt.__table__)
CITIZEN_TABLE = cast(Table, Citizen.__table__)

MAX_INBOUND_CHARS = 100_000
HISTORY_CHARS = 4000
BATCH_LIMIT = 64

# The conversation flows: handlers' router, handed in by the composition root (core never imports handlers).
Router = Callable[[Turn], Awaitable[list[Reply]]]

# A channel's work inside the turn's transaction once the replies are known, e.g. queueing the parts of an
# answer that do not fit the platform's direct reply: they then commit (or roll back) with the turn itself.
AfterTurn = Callable[[AsyncSession, Citizen, list[Reply], datetime], Awaitable[None]]


class _Duplicate(Exception):
    def __init__(self, replies: list[Reply]) -> None:
        self.replies = replies


class _TurnFailed(Exception):
    """A handler failed inside a batch: the batch rolls back; that turn gets the error reply, the others run again."""

    def __init__(self, waiting: Waiting, error: Exception) -> None:
        self.waiting = waiting
        self.error = error


@dataclasses.dataclass(frozen=True)
class _Submitted:
    inbound: Inbound
    after_turn: AfterTurn | None


class _Writes:
    """Rows every turn adds (history, the platform-message receipt), inserted together once the handlers ran."""

    def __init__(self) -> None:
        self.history: list[dict[str, Any]] = []
        self.receipts: list[dict[str, Any]] = []

    async def save(self, session: AsyncSession) -> None:
        """Insert the collected rows (Core: no ORM bookkeeping per row)."""
        await session.flush()  # cases opened by handlers exist before history rows point at them
        if self.history:
            await session.execute(insert(HISTORY_TABLE), self.history)
        if self.receipts:
            await session.execute(insert(RECEIPT_TABLE), self.receipts)


def _key(inbound: Inbound) -> tuple[str, str]:
    return (inbound.channel, inbound.user_id)


def _receipt_key(inbound: Inbound) -> str:
    return (inbound.message_id or "")[:191]


def _as_choice(inbound: Inbound, state: dict[str, Any]) -> Inbound:
    """A bare number typed where numbered choices were offered becomes that choice."""
    offered = state.get("choices") or []
    text = inbound.text.strip()
    if inbound.kind == "text" and text.isdigit() and 1 <= int(text) <= len(offered):
        return dataclasses.replace(inbound, kind="choice", choice=offered[int(text) - 1])
    return inbound


class Engine:
    """Turns one Inbound into replies; safe to call concurrently from many tasks and processes.

    With `group_commit` (SQLite, whose single writer makes turns queue anyway) the turns waiting for the
    database run together in one transaction; a failing turn rolls its batch back and the others run again alone.
    """

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        services: Services,
        route: Router,
        *,
        group_commit: bool = False,
        citizen_wrote: Callable[[Citizen, datetime], None] | None = None,
    ) -> None:
        self.sessions = sessions
        self.services = services
        self.route = route
        # channels' allowances a citizen's message renews (WeChat's 48-hour window), handed in by the composition root
        self.citizen_wrote = citizen_wrote
        self.locks = KeyedLocks()
        self.batches = GroupCommit(self._run_batch, BATCH_LIMIT) if group_commit else None

    async def handle(self, inbound: Inbound, *, after_turn: AfterTurn | None = None) -> TurnResult:
        """Process one inbound message; never raises — a failure becomes a polite reply with a trace id."""
        trace = uuid.uuid4().hex[:12]
        inbound = dataclasses.replace(inbound, text=(inbound.text or "")[:MAX_INBOUND_CHARS])
        async with self.locks.hold(_key(inbound)):
            try:
                if self.batches is not None:
                    replies = await self.batches.submit(_Submitted(inbound, after_turn))
                else:
                    replies = await self._turn(inbound, after_turn)
                return TurnResult(replies, trace_id=trace)
            except _Duplicate as duplicate:
                log.info("duplicate inbound %s/%s ignored", inbound.channel, inbound.message_id)
                return TurnResult(duplicate.replies, duplicate=True, trace_id=trace)
            except Exception:
                log.exception("turn failed trace=%s channel=%s", trace, inbound.channel)
                lang = language.detect(inbound.text, language.from_hint(inbound.lang_hint))
                return TurnResult([Reply(t("error", lang, trace=trace))], trace_id=trace)

    # ---- one turn, one transaction -------------------------------------------------------------------

    async def _turn(self, inbound: Inbound, after_turn: AfterTurn | None) -> list[Reply]:
        now = self.services.clock.now()
        try:
            async with self.sessions() as session, session.begin():
                citizen = await self._citizen(session, inbound, now)
                await self._check_repeat(session, inbound)
                writes = _Writes()
                replies = await self._run(session, inbound, citizen, now, writes, after_turn)
                await writes.save(session)
                return replies
        except IntegrityError:
            # another process recorded the same platform message id first: answer as it did
            async with self.sessions() as session:
                existing = await session.scalar(
                    select(InboundReceipt).where(
                        InboundReceipt.channel == inbound.channel, InboundReceipt.message_key == _receipt_key(inbound)
                    )
                )
            if existing is None or not inbound.message_id:
                raise
            raise _Duplicate([Reply.from_json(r) for r in existing.reply or []]) from None

    async def _citizen(self, session: AsyncSession, inbound: Inbound, now) -> Citizen:
        query = select(Citizen).where(Citizen.channel == inbound.channel, Citizen.external_id == inbound.user_id).with_for_update()
        # the row lock makes concurrent turns of one conversation (in any process) queue here
        citizen = (await session.scalars(query)).one_or_none()
        if citizen is None:
            await insert_ignore(session, Citizen, self._new_citizen(inbound, now), ["channel", "external_id"])
            citizen = (await session.scalars(query)).one()
        return citizen

    @staticmethod
    def _new_citizen(inbound: Inbound, now: datetime) -> dict[str, Any]:
        return dict(
            channel=inbound.channel,
            external_id=inbound.user_id,
            lang=language.from_hint(inbound.lang_hint),
            display_name=(inbound.display_name or None) and inbound.display_name[:128],
            notice_shown=False,
            state={},
            unknown_streak=0,
            unreachable=False,
            created_at=now,
            window_sends=0,
        )

    async def _check_repeat(self, session: AsyncSession, inbound: Inbound) -> None:
        if not inbound.message_id:
            return
        existing = await session.scalar(
            select(InboundReceipt.reply).where(
                InboundReceipt.channel == inbound.channel, InboundReceipt.message_key == _receipt_key(inbound)
            )
        )
        if existing is not None:
            raise _Duplicate([Reply.from_json(r) for r in existing])

    # ---- a batch of turns, one transaction ----------------------------------------------------------

    async def _run_batch(self, batch: list[Waiting]) -> None:
        """Run the waiting turns in one transaction; on any failure roll back and run each alone."""
        if len(batch) == 1:
            await self._run_alone(batch[0])
            return
        now = self.services.clock.now()
        results: list[tuple[Waiting, list[Reply] | Exception]] = []
        try:
            async with self.sessions() as session, session.begin():
                inbounds = [waiting.item.inbound for waiting in batch]
                citizens = await self._citizens(session, inbounds, now)
                answered = await self._answered(session, inbounds)
                writes = _Writes()
                for waiting in batch:
                    submitted: _Submitted = waiting.item
                    inbound = submitted.inbound
                    if inbound.message_id and (inbound.channel, _receipt_key(inbound)) in answered:
                        results.append((waiting, _Duplicate(answered[(inbound.channel, _receipt_key(inbound))])))
                        continue
                    run = self._run(session, inbound, citizens[_key(inbound)], now, writes, submitted.after_turn)
                    try:  # in the submitter's context, so its context variables see this turn
                        results.append((waiting, await asyncio.create_task(run, context=waiting.context)))
                    except Exception as error:
                        raise _TurnFailed(waiting, error) from error
                await writes.save(session)
        except _TurnFailed as failed:
            failed.waiting.settle(error=failed.error)
            await self._run_each_alone([w for w in batch if w is not failed.waiting])
            return
        except Exception:
            log.warning("a batch of %d turns failed as a whole; running each alone", len(batch), exc_info=True)
            await self._run_each_alone(batch)
            return
        for waiting, outcome in results:
            waiting.settle(error=outcome) if isinstance(outcome, Exception) else waiting.settle(outcome)

    async def _run_each_alone(self, batch: list[Waiting]) -> None:
        for waiting in batch:
            await self._run_alone(waiting)

    async def _run_alone(self, waiting: Waiting) -> None:
        submitted: _Submitted = waiting.item
        try:
            waiting.settle(await asyncio.create_task(self._turn(submitted.inbound, submitted.after_turn), context=waiting.context))
        except Exception as error:
            waiting.settle(error=error)

    async def _citizens(self, session: AsyncSession, inbounds: list[Inbound], now: datetime) -> dict[tuple[str, str], Citizen]:
        keys = [_key(inbound) for inbound in inbounds]
        query = select(Citizen).where(tuple_(Citizen.channel, Citizen.external_id).in_(keys))
        found = {(c.channel, c.external_id): c for c in await session.scalars(query)}
        missing = [inbound for inbound in inbounds if _key(inbound) not in found]
        if missing:
            await session.execute(insert(CITIZEN_TABLE), [self._new_citizen(inbound, now) for inbound in missing])
            found = {(c.channel, c.external_id): c for c in await session.scalars(query)}
        return found

    async def _answered(self, session: AsyncSession, inbounds: list[Inbound]) -> dict[tuple[str, str], list[Reply]]:
        keys = [(inbound.channel, _receipt_key(inbound)) for inbound in inbounds if inbound.message_id]
        if not keys:
            return {}
        rows = await session.execute(
            select(InboundReceipt.channel, InboundReceipt.message_key, InboundReceipt.reply).where(
                tuple_(InboundReceipt.channel, InboundReceipt.message_key).in_(keys)
            )
        )
        return {(channel, key): [Reply.from_json(r) for r in reply or []] for channel, key, reply in rows}

    # ---- the turn itself -----------------------------------------------------------------------------

    async def _run(
        self,
        session: AsyncSession,
        inbound: Inbound,
        citizen: Citizen,
        now: datetime,
        writes: _Writes,
        after_turn: AfterTurn | None,
    ) -> list[Reply]:
        state = copy.deepcopy(citizen.state or {})  # a nested change must show as a change to the ORM
        inbound = _as_choice(inbound, state)
        lang = language.detect(inbound.text, citizen.lang) if inbound.kind == "text" else citizen.lang
        turn = Turn(inbound=inbound, citizen=citizen, session=session, services=self.services, lang=lang, now=now, state=state)
        replies = await self.route(turn)
        if turn.forgotten:
            self._receipt(writes, inbound, None, replies, now)
            return replies
        if not citizen.notice_shown and inbound.kind != "unsubscribe":
            settings = self.services.settings
            notice = Reply(t("privacy_notice", lang, office=turn.office_name(), days=settings.retention_days))
            replies = [notice, *replies]
            citizen.notice_shown = True
        offered = [c.value for r in replies for c in r.choices]
        turn.state.pop("choices", None)
        if offered:
            turn.state["choices"] = offered
        citizen.state = turn.state
        citizen.lang = lang
        citizen.last_inbound_at = now
        if self.citizen_wrote is not None:
            self.citizen_wrote(citizen, now)
        if inbound.display_name:
            citizen.display_name = inbound.display_name[:128]
        if inbound.text:
            writes.history.append(
                dict(
                    citizen_id=citizen.id,
                    case_id=turn.case_id,
                    direction="in",
                    author=None,
                    text=inbound.text[:HISTORY_CHARS],
                    created_at=now,
                )
            )
        writes.history += [
            dict(citizen_id=citizen.id, case_id=None, direction="out", author=None, text=r.text[:HISTORY_CHARS], created_at=now)
            for r in replies
        ]
        self._receipt(writes, inbound, citizen.id, replies, now)
        if after_turn is not None:
            await after_turn(session, citizen, replies, now)
        return replies

    @staticmethod
    def _receipt(writes: _Writes, inbound: Inbound, citizen_id: int | None, replies: list[Reply], now: datetime) -> None:
        """Remember the platform message id and its answer, so a retry gets the same reply and nothing else."""
        if inbound.message_id:
            writes.receipts.append(
                dict(
                    channel=inbound.channel,
                    message_key=_receipt_key(inbound),
                    citizen_id=citizen_id,
                    reply=[r.to_json() for r in replies],
                    created_at=now,
                )
            )
