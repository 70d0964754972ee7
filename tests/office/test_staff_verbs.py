"""The one table of staff verbs: who may act on a case, whichever place the staff member works from."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.office import staff_verbs
from bot.office.casework import CaseActionError
from bot.storage.models import Case
from tests.conftest import Citizen
from tests.helpers import add_staff, file_complaint


async def _perform(app, staff, verb: str, number: str, **fields):
    async with app.sessions() as session, session.begin():
        return await staff_verbs.perform(session, app.services, staff, staff_verbs.Act(verb, number, **fields), app.clock.now())


@pytest.fixture
async def taken(app):
    """A complaint taken by 李明, with 王芳 (staff) and 张科长 (supervisor) also on duty."""
    alice = Citizen(app)
    await alice.say("我要投诉")
    number = await file_complaint(alice)
    li, wang, chief = await add_staff(app, "李明"), await add_staff(app, "王芳"), await add_staff(app, "张科长", role="supervisor")
    await _perform(app, li, "take", number)
    return number, li, wang, chief


@pytest.mark.parametrize(
    ("verb", "fields"),
    [
        ("transfer", {"target": "王芳", "text": "我来处理"}),
        ("reply", {"text": "您好"}),
        ("note", {"text": "内部备注"}),
        ("wait", {"text": "请补充材料"}),
        ("resolve", {"text": "已处理"}),
        ("reveal", {}),
    ],
)
async def test_another_staff_member_cannot_act_on_a_case_someone_else_holds(app, taken, verb, fields):
    number, li, wang, _ = taken
    with pytest.raises(CaseActionError, match="李明"):
        await _perform(app, wang, verb, number, **fields)
    async with app.sessions() as session:
        case = await session.scalar(select(Case).where(Case.number == number))
    assert case.assignee_id == li.id and case.status == "assigned"


async def test_reopen_and_close_are_the_assignee_s_or_a_supervisor_s(app, taken):
    number, li, wang, chief = taken
    await _perform(app, li, "resolve", number, text="已当面致歉并整改")
    with pytest.raises(CaseActionError):
        await _perform(app, wang, "close", number)
    with pytest.raises(CaseActionError):
        await _perform(app, wang, "reopen", number, text="再看看")
    case = await _perform(app, chief, "reopen", number, text="市民来电仍不满意")
    assert case.status == "in_progress"


async def test_a_supervisor_may_reassign_and_anyone_may_take_an_unassigned_case(app, taken):
    number, _li, wang, chief = taken
    case = await _perform(app, chief, "transfer", number, target="投诉科", text="请投诉科核实")
    assert case.assignee_id is None and case.department == "投诉科"
    case = await _perform(app, wang, "take", number)
    assert case.assignee_id == wang.id


async def test_an_unknown_verb_is_refused_plainly(app, taken):
    number, li, _, _ = taken
    with pytest.raises(CaseActionError, match="unknown action"):
        await _perform(app, li, "delete", number)
