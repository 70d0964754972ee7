"""The staff verbs, in one table: what each does and who may do it; the CLI, Telegram topics and the web desk all act through it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.services import Services
from bot.core.texts import both, staff_text
from bot.office import callbacks, casework
from bot.office.casework import CaseActionError
from bot.storage.models import Case, Staff

ACTS_ON_ANY_CASE = ("supervisor", "leader")


@dataclass(frozen=True)
class Act:
    """What a staff member asked for: the verb, the case, and the words that go with it."""

    verb: str
    number: str
    text: str = ""
    target: str = ""
    outcome: str = ""  # 回访: reached | unreached
    satisfied: str = ""  # 回访: yes | no | empty


Runner = Callable[[AsyncSession, Services, Staff, Act, datetime], Awaitable[Any]]


@dataclass(frozen=True)
class StaffVerb:
    """One verb: how it runs, whether it needs words, and whether only the case's assignee (or a supervisor) may use it."""

    name: str
    run: Runner
    needs_text: bool = False
    assignee_only: bool = True


async def _take(session: AsyncSession, services: Services, staff: Staff, act: Act, now: datetime) -> Case:
    return await casework.take(session, services, act.number, staff, now)


async def _reply(session: AsyncSession, services: Services, staff: Staff, act: Act, now: datetime) -> Case:
    return await casework.reply(session, services, act.number, staff, act.text, now)


async def _note(session: AsyncSession, services: Services, staff: Staff, act: Act, now: datetime) -> Case:
    return await casework.note(session, services, act.number, staff, act.text, now)


async def _transfer(session: AsyncSession, services: Services, staff: Staff, act: Act, now: datetime) -> Case:
    if not act.target.strip():
        raise CaseActionError(both("err_transfer_target"))
    return await casework.transfer(session, services, act.number, staff, act.target.strip(), act.text, now)


async def _wait(session: AsyncSession, services: Services, staff: Staff, act: Act, now: datetime) -> Case:
    return await casework.wait_for_citizen(session, services, act.number, staff, act.text, now)


async def _resume(session: AsyncSession, services: Services, staff: Staff, act: Act, now: datetime) -> Case:
    return await casework.resume_case(session, services, act.number, staff, now)


async def _resolve(session: AsyncSession, services: Services, staff: Staff, act: Act, now: datetime) -> Case:
    return await casework.resolve(session, services, act.number, staff, act.text, now)


async def _reopen(session: AsyncSession, services: Services, staff: Staff, act: Act, now: datetime) -> Case:
    return await casework.reopen(session, services, act.number, staff, act.text, now)


async def _close(session: AsyncSession, services: Services, staff: Staff, act: Act, now: datetime) -> Case:
    return await casework.close(session, act.number, casework.actor_name(staff), now, act.text)


async def _reveal(session: AsyncSession, services: Services, staff: Staff, act: Act, now: datetime) -> dict[str, Any]:
    return await casework.reveal(session, act.number, staff, now)


async def _callback(session: AsyncSession, services: Services, staff: Staff, act: Act, now: datetime) -> Case:
    return await callbacks.record(session, act.number, staff, act.outcome, callbacks.parse_satisfied(act.satisfied), act.text, now)


VERBS: dict[str, StaffVerb] = {
    verb.name: verb
    for verb in (
        StaffVerb("take", _take, assignee_only=False),  # anyone on staff may take an unassigned case
        StaffVerb("reply", _reply, needs_text=True),
        StaffVerb("note", _note, needs_text=True),
        StaffVerb("transfer", _transfer, needs_text=True),
        StaffVerb("wait", _wait),
        StaffVerb("resume", _resume),
        StaffVerb("resolve", _resolve, needs_text=True),
        StaffVerb("reopen", _reopen),
        StaffVerb("close", _close),
        StaffVerb("reveal", _reveal),
        StaffVerb("callback", _callback),  # 回访: the assignee or a supervisor, on an open or a closed case
    )
}


async def may_act(session: AsyncSession, staff: Staff, verb: StaffVerb, number: str) -> None:
    """Raise CaseActionError unless `staff` may use `verb` on the case: its assignee, a supervisor, or anyone while unassigned."""
    if not verb.assignee_only or staff.role in ACTS_ON_ANY_CASE:
        return
    case = await session.scalar(select(Case).where(Case.number == number.strip().upper()))
    if case is None or case.assignee_id is None or case.assignee_id == staff.id:
        return  # an unknown number gets its own clear error from the verb; an unassigned case is anyone's to pick up
    holder = await session.get(Staff, case.assignee_id)
    raise CaseActionError(both("err_held_by_other", number=case.number, holder=holder.name if holder else staff_text("someone_else")))


async def perform(session: AsyncSession, services: Services, staff: Staff, act: Act, now: datetime) -> Any:
    """Run one staff verb after its permission check, in the caller's transaction."""
    verb = VERBS.get(act.verb)
    if verb is None:
        raise CaseActionError(both("err_unknown_verb", verb=act.verb))
    await may_act(session, staff, verb, act.number)
    return await verb.run(session, services, staff, act, now)
