"""The supervision pages of the desk through HTTP: the 回访 button, the dashboard (same figures as `report --json`), the 台账, monthly files."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.storage.models import Case
from bot.storage.supervision_models import Callback
from tests.desk.desk_client import add_staff, browsers


@pytest.fixture
async def desk(app):
    async with browsers(app) as new:
        yield new


async def test_call_back_button_records_a_call_back_on_the_case(app, desk, citizen):
    await add_staff(app, "李明")
    await citizen.say("人工服务")
    async with app.sessions() as session:
        number = await session.scalar(select(Case.number))
    browser = desk()
    await browser.login("李明")
    await browser.act(number, "take")
    page = await browser.open(f"/desk/cases/{number}")
    assert "<summary>回访</summary>" in page.text and 'name="outcome" value="reached"' in page.text
    refused = await browser.act(number, "callback", outcome="unreached", satisfied="yes")
    assert refused.status_code == 409 and "未联系上" in refused.text
    done = await browser.act(number, "callback", outcome="reached", satisfied="yes", text="电话回访，市民表示清楚了")
    assert done.status_code == 303
    async with app.sessions() as session:
        [row] = list(await session.scalars(select(Callback)))
    assert (row.outcome, row.satisfied, row.staff_name, row.note) == ("reached", True, "李明", "电话回访，市民表示清楚了")
    page = await browser.open(f"/desk/cases/{number}")
    assert "回访：已联系上，市民表示满意" in page.text
