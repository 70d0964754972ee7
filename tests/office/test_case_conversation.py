"""The conversation of a case, as every staff view shows it: who said what, notes internal, events in order, masked."""

from __future__ import annotations

from sqlalchemy import select

from bot.office import staff_verbs
from bot.office.case_conversation import case_conversation
from bot.office.staff_verbs import Act
from bot.storage.models import Case, Staff
from tests.conftest import SHANGHAI


async def _staff(app, name: str = "李明") -> None:
    async with app.sessions() as session, session.begin():
        session.add(Staff(name=name, role="staff", department="综合科", active=True, created_at=app.clock.now()))


async def _act(app, verb: str, number: str, text: str = "", target: str = "") -> None:
    async with app.sessions() as session, session.begin():
        staff = await session.scalar(select(Staff).where(Staff.name == "李明"))
        await staff_verbs.perform(session, app.services, staff, Act(verb, number, text=text, target=target), app.clock.now())


async def _conversation(app, number: str) -> list[dict]:
    async with app.sessions() as session:
        case = await session.scalar(select(Case).where(Case.number == number))
        return await case_conversation(session, case, SHANGHAI, now=app.clock.now())


async def test_a_handoff_reads_as_one_conversation_with_notes_apart_and_numbers_masked(app, citizen, clock):
    await _staff(app)
    await citizen.say("人工服务")
    async with app.sessions() as session:
        number = await session.scalar(select(Case.number))
    clock.advance(minutes=5)
    await _act(app, "take", number)
    clock.advance(minutes=1)
    await _act(app, "reply", number, "您好，请问您要办理什么业务？")
    await _act(app, "note", number, "市民来电 13812345678 核实过")
    clock.advance(minutes=1)
    await citizen.say("我想办健康证，电话13912345678")
    clock.advance(minutes=1)
    await _act(app, "resolve", number, "已告知办理流程")

    lines = await _conversation(app, number)
    kinds = [line["from"] for line in lines]
    assert kinds[0] == "system" and lines[0]["text"].startswith("登记")
    assert kinds[1] == "citizen" and lines[1]["text"] == "人工服务"
    assert "bot" in kinds
    staff_lines = [line for line in lines if line["from"] == "staff"]
    assert staff_lines[0]["author"] == "李明" and "请问您要办理什么业务" in staff_lines[0]["text"]
    (note,) = [line for line in lines if line["from"] == "note"]
    assert note["author"] == "李明" and "138****5678" in note["text"]
    answer = next(line for line in lines if line["from"] == "citizen" and "健康证" in line["text"])
    assert "139****5678" in answer["text"] and "13912345678" not in str(lines)
    assert lines.index(answer) > lines.index(staff_lines[0])
    assert any(line["from"] == "system" and line["text"].startswith("接手") for line in lines)
    assert any(line["from"] == "staff" and "已告知办理流程" in line["text"] for line in lines)
    assert [line["at"] for line in lines] == sorted(line["at"] for line in lines)
    assert all(line["at"].endswith("+08:00") for line in lines)


async def test_what_the_citizen_says_after_resolution_to_the_bot_is_not_in_the_case(app, citizen, clock):
    await _staff(app)
    await citizen.say("人工服务")
    async with app.sessions() as session:
        number = await session.scalar(select(Case.number))
    await _act(app, "take", number)
    await _act(app, "resolve", number, "已处理")
    clock.advance(hours=2)
    await citizen.say("办健康证要带什么")
    lines = await _conversation(app, number)
    assert not any("健康证" in line["text"] for line in lines if line["from"] == "citizen")
