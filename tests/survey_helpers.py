"""Builders for the survey tests: staff rows, a complaint filed through the dialog, resolved by staff."""

from __future__ import annotations

from sqlalchemy import select

from bot.office import casework
from bot.office.cases import find
from bot.storage.models import Case, Staff
from bot.storage.survey_models import Survey
from tests.conftest import Citizen


async def add_staff(app, name: str, role: str = "staff", department: str | None = "综合科") -> Staff:
    """Register a staff member directly in the database."""
    async with app.sessions() as session, session.begin():
        staff = Staff(name=name, role=role, department=department, created_at=app.clock.now(), active=True)
        session.add(staff)
    return staff


async def file_complaint(citizen: Citizen, text: str = "窗口工作人员态度很差，让我跑了三趟", *, english: bool = False) -> str:
    """Go through complaint intake and return the case number the citizen was told."""
    await citizen.say(text)
    await citizen.say("skip" if english else "跳过")
    await citizen.say("skip" if english else "跳过")
    filed = (await citizen.say("yes" if english else "确认"))[-1]
    return filed.split("编号 ")[1][:16] if "编号 " in filed else filed.split("as ")[1][:16]


async def resolve(app, number: str, staff_name: str, summary: str = "已约谈窗口人员并当面致歉") -> None:
    """Staff take (if needed) and resolve a case, as they would from the CLI."""
    now = app.clock.now()
    async with app.sessions() as session, session.begin():
        staff = await casework.require_staff(session, name=staff_name)
        case = await find(session, number)
        if case.assignee_id is None:
            await casework.take(session, app.services, number, staff, now)
        await casework.resolve(session, app.services, number, staff, summary, now)


async def case_by_number(app, number: str) -> Case:
    """The case as stored now."""
    async with app.sessions() as session:
        return await session.scalar(select(Case).where(Case.number == number))


async def survey_of(app, number: str, kind: str = "followup") -> Survey | None:
    """The survey of a case, as stored now."""
    async with app.sessions() as session:
        case = await session.scalar(select(Case).where(Case.number == number))
        return await session.scalar(select(Survey).where(Survey.case_id == case.id, Survey.kind == kind))


def survey_messages(channel, recipient: str = "alice") -> list:
    """The survey and reminder deliveries a recording channel saw for one recipient."""
    return [s for s in channel.sent if s.recipient == recipient and s.kind == "survey"]


def offered(sent) -> list[tuple[str, str]]:
    """The (label, value) choices carried by a recorded delivery."""
    return [tuple(choice) for reply in sent.payload["replies"] for choice in reply["choices"]]
