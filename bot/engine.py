"""The dialog engine: dedupe, lock the conversation, run the handler in one transaction, save state with the turn."""
from __future__ import annotations

import copy
import dataclasses
import logging
import uuid
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import language
from bot.conversation_locks import ConversationLocks
from bot.messages import Inbound, Reply, TurnResult
from bot.models import Citizen, ConversationMessage, InboundReceipt
from bot.services import Services
from bot.texts import t
from bot.turn import Turn
from bot.upsert import insert_ignore
from handlers.greeting import office
from handlers.router import route

log = logging.getLogger(__name__)

MAX_INBOUND_CHARS = 100_000
HISTORY_CHARS = 4000


class _Duplicate(Exception):
    def __init__(self, replies: list[Reply]) -> None:
        self.replies = replies


def _as_choice(inbound: Inbound, state: dict[str, Any]) -> Inbound:
    """A bare number typed where numbered choices were offered becomes that choice."""
    offered = state.get("choices") or []
    text = inbound.text.strip()
    if inbound.kind == "text" and text.isdigit() and 1 <= int(text) <= len(offered):
        return dataclasses.replace(inbound, kind="choice", choice=offered[int(text) - 1])
    return inbound


class Engine:
    """Turns one Inbound into replies; safe to call concurrently from many tasks and processes."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], services: Services) -> None:
        self.sessions = sessions
        self.services = services
        self.locks = ConversationLocks()

    async def handle(self, inbound: Inbound) -> TurnResult:
        """Process one inbound message; never raises — a failure becomes a polite reply with a trace id."""
        trace = uuid.uuid4().hex[:12]
        inbound = dataclasses.replace(inbound, text=(inbound.text or "")[:MAX_INBOUND_CHARS])
        async with self.locks.hold((inbound.channel, inbound.user_id)):
            try:
                replies = await self._turn(inbound)
                return TurnResult(replies, trace_id=trace)
            except _Duplicate as duplicate:
                log.info("duplicate inbound %s/%s ignored", inbound.channel, inbound.message_id)
                return TurnResult(duplicate.replies, duplicate=True, trace_id=trace)
            except Exception:
                log.exception("turn failed trace=%s channel=%s", trace, inbound.channel)
                lang = language.detect(inbound.text, language.from_hint(inbound.lang_hint))
                return TurnResult([Reply(t("error", lang, trace=trace))], trace_id=trace)

    async def _citizen(self, session: AsyncSession, inbound: Inbound, now) -> Citizen:
        query = select(Citizen).where(Citizen.channel == inbound.channel, Citizen.external_id == inbound.user_id).with_for_update()
        # the row lock makes concurrent turns of one conversation (in any process) queue here
        citizen = (await session.scalars(query)).one_or_none()
        if citizen is None:
            values = dict(
                channel=inbound.channel, external_id=inbound.user_id, lang=language.from_hint(inbound.lang_hint),
                display_name=(inbound.display_name or None) and inbound.display_name[:128], notice_shown=False,
                state={}, unknown_streak=0, unreachable=False, created_at=now, window_sends=0,
            )
            await insert_ignore(session, Citizen, values, ["channel", "external_id"])
            citizen = (await session.scalars(query)).one()
        return citizen

    async def _check_repeat(self, session: AsyncSession, inbound: Inbound) -> None:
        if not inbound.message_id:
            return
        existing = await session.scalar(
            select(InboundReceipt.reply).where(InboundReceipt.channel == inbound.channel, InboundReceipt.message_key == inbound.message_id[:191])
        )
        if existing is not None:
            raise _Duplicate([Reply.from_json(r) for r in existing])

    async def _turn(self, inbound: Inbound) -> list[Reply]:
        now = self.services.clock.now()
        try:
            async with self.sessions() as session, session.begin():
                return await self._run(session, inbound, now)
        except IntegrityError:
            # another process recorded the same platform message id first: answer as it did
            async with self.sessions() as session:
                existing = await session.scalar(
                    select(InboundReceipt).where(InboundReceipt.channel == inbound.channel, InboundReceipt.message_key == (inbound.message_id or "")[:191])
                )
            if existing is None or not inbound.message_id:
                raise
            raise _Duplicate([Reply.from_json(r) for r in existing.reply or []]) from None

    async def _run(self, session: AsyncSession, inbound: Inbound, now) -> list[Reply]:
        citizen = await self._citizen(session, inbound, now)
        await self._check_repeat(session, inbound)
        state = copy.deepcopy(citizen.state or {})  # a nested change must show as a change to the ORM
        inbound = _as_choice(inbound, state)
        lang = language.detect(inbound.text, citizen.lang) if inbound.kind == "text" else citizen.lang
        turn = Turn(inbound=inbound, citizen=citizen, session=session, services=self.services, lang=lang, now=now, state=state)
        replies = await route(turn)
        if turn.forgotten:
            await self._record_receipt(session, inbound, None, replies, now)
            return replies
        if not citizen.notice_shown and inbound.kind != "unsubscribe":
            settings = self.services.settings
            notice = Reply(t("privacy_notice", lang, office=office(turn), days=settings.retention_days))
            replies = [notice, *replies]
            citizen.notice_shown = True
        offered = [c.value for r in replies for c in r.choices]
        turn.state.pop("choices", None)
        if offered:
            turn.state["choices"] = offered
        citizen.state = turn.state
        citizen.lang = lang
        citizen.last_inbound_at = now
        citizen.window_sends = 0
        if inbound.display_name:
            citizen.display_name = inbound.display_name[:128]
        history = [dict(citizen_id=citizen.id, case_id=turn.case_id, direction="in", author=None, text=inbound.text[:HISTORY_CHARS], created_at=now)] if inbound.text else []
        history += [dict(citizen_id=citizen.id, case_id=None, direction="out", author=None, text=r.text[:HISTORY_CHARS], created_at=now) for r in replies]
        if history:
            await session.execute(insert(ConversationMessage.__table__), history)  # Core: no ORM bookkeeping per row
        await self._record_receipt(session, inbound, citizen.id, replies, now)
        return replies

    @staticmethod
    async def _record_receipt(session: AsyncSession, inbound: Inbound, citizen_id: int | None, replies: list[Reply], now) -> None:
        """Remember the platform message id and its answer, so a retry gets the same reply and nothing else."""
        if inbound.message_id:
            await session.execute(insert(InboundReceipt.__table__).values(
                channel=inbound.channel, message_key=inbound.message_id[:191], citizen_id=citizen_id,
                reply=[r.to_json() for r in replies], created_at=now,
            ))
