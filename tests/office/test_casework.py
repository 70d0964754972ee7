"""Staff actions: first-taker ownership, racing takers, transfers, pauses, resolution, reopening, audit trail."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select, update

from bot.office import casework
from bot.storage.models import AuditEvent, Case
from tests.conftest import Citizen
from tests.helpers import add_staff, file_complaint


async def _act(app, fn, *args):
    async with app.sessions() as session, session.begin():
        return await fn(session, *args)


async def test_two_staff_taking_at_once_exactly_one_wins(app):
    alice = Citizen(app)
    await alice.say("我要投诉")
    number = await file_complaint(alice)
    li, wang = await add_staff(app, "李明"), await add_staff(app, "王芳")
    now = app.clock.now()

    async def take(staff):
        try:
            await _act(app, casework.take, app.services, number, staff, now)
            return "won"
        except casework.CaseActionError as exc:
            return str(exc)

    results = await asyncio.gather(take(li), take(wang))
    assert results.count("won") == 1
    loser = next(r for r in results if r != "won")
    async with app.sessions() as session:
        case = await session.scalar(select(Case))
    winner = "李明" if case.assignee_id == li.id else "王芳"
    assert f"已由 {winner} 受理" in loser
    assert case.owner_id == case.assignee_id


async def test_owner_of_record_stays_after_transfer_and_citizen_is_told(app):
    alice = Citizen(app)
    await alice.say("我要投诉")
    number = await file_complaint(alice)
    li = await add_staff(app, "李明")
    zhao = await add_staff(app, "赵强", department="医政科")
    now = app.clock.now()
    await _act(app, casework.take, app.services, number, li, now)
    await _act(app, casework.transfer, app.services, number, li, "赵强", "涉及医疗机构执业问题", now)
    await app.tick_outbox()
    async with app.sessions() as session:
        case = await session.scalar(select(Case))
    assert (case.owner_id, case.assignee_id, case.department) == (li.id, zhao.id, "医政科")
    told = app.channels["console"].to("alice")
    assert any("已转交医政科" in text for text in told)
    assert not any("涉及医疗机构执业问题" in text for text in told), "a transfer's reason is internal"


async def test_non_staff_and_closed_cases_are_refused_with_a_reason(app):
    alice = Citizen(app)
    await alice.say("我要投诉")
    number = await file_complaint(alice)
    li = await add_staff(app, "李明")
    with pytest.raises(casework.CaseActionError, match="不是已登记的工作人员"):
        async with app.sessions() as session:
            await casework.require_staff(session, name="路人甲")
    now = app.clock.now()
    await _act(app, casework.take, app.services, number, li, now)
    await _act(app, casework.resolve, app.services, number, li, "已约谈当事人并道歉", now)
    with pytest.raises(casework.CaseActionError, match="已办结"):
        await _act(app, casework.reply, app.services, number, li, "还有问题吗", now)
    with pytest.raises(casework.CaseActionError, match="未找到"):
        await _act(app, casework.take, app.services, "TS-20991231-0001", li, now)


async def test_full_case_life_leaves_an_append_only_audit_trail(app):
    alice = Citizen(app)
    await alice.say("我要投诉")
    number = await file_complaint(alice, phone="13812345678")
    li = await add_staff(app, "李明")
    sup = await add_staff(app, "王主任", role="supervisor")
    clock = app.clock
    await _act(app, casework.take, app.services, number, li, clock.now())
    await _act(app, casework.reveal, number, li, clock.advance(minutes=5))
    await _act(app, casework.note, app.services, number, li, "已调取监控", clock.advance(minutes=5))
    await _act(app, casework.reply, app.services, number, li, "您好，已在核实。", clock.advance(minutes=5))
    await _act(app, casework.wait_for_citizen, app.services, number, li, "请提供办事日期", clock.advance(hours=1))
    await alice.say("是12月1日上午")
    await _act(app, casework.resolve, app.services, number, li, "已批评教育当事人", clock.advance(days=1))
    await _act(app, casework.reopen, app.services, number, sup, "市民不认可", clock.advance(hours=1))
    async with app.sessions() as session:
        case = await session.scalar(select(Case))
        trail = list(await session.scalars(select(AuditEvent).where(AuditEvent.case_id == case.id).order_by(AuditEvent.id)))
    assert [e.action for e in trail] == [
        "opened",
        "taken",
        "viewed_personal_data",
        "note",
        "replied",
        "waiting",
        "resumed",
        "resolved",
        "reopened",
    ]
    assert [e.actor for e in trail][1:4] == ["staff:李明"] * 3
    assert trail[-1].actor == "staff:王主任"
    assert all("13812345678" not in e.detail for e in trail)
    with pytest.raises(Exception, match="append-only"):
        async with app.sessions() as session, session.begin():
            await session.execute(update(AuditEvent).values(detail="tampered"))
