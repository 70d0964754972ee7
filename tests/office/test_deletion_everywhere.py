"""Deleting one's data (and the retention purge) clears every copy: no table keeps the phone, the ID or what was written."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import MetaData, select, text

from bot.office import casework, privacy, staff_verbs
from bot.storage.models import OutboxMessage
from tests.conftest import Citizen
from tests.helpers import add_staff

PHONE = "13812345678"
ID_NUMBER = "110105199001011234"
STORY = "候诊区的保洁员推了我一把"


async def _everything(app) -> str:
    """Every text value in every table, as one string."""
    dump = []
    async with app.db.connect() as connection:
        metadata = MetaData()
        await connection.run_sync(lambda sync: metadata.reflect(sync))
        for table in metadata.sorted_tables:
            for row in await connection.execute(select(table)):
                dump.append(" ".join(str(value) for value in row))
    return "\n".join(dump)


async def _complaint_worked_by_staff(app, alice: Citizen) -> str:
    li, zhao = await add_staff(app, "李明"), await add_staff(app, "赵强", department="医政科")
    await alice.say("我要投诉")
    await alice.say(f"{STORY}，我的身份证{ID_NUMBER}")
    await alice.say("三号窗口")
    await alice.say(PHONE)
    filed = (await alice.say("确认"))[-1]
    number = filed.split("编号 ")[1][:16]
    now = app.clock.now()
    async with app.sessions() as session, session.begin():
        await casework.take(session, app.services, number, li, now)
        await casework.reply(session, app.services, number, li, f"已收到，会打 {PHONE} 联系您", now)
        await casework.note(session, app.services, number, li, f"市民电话 {PHONE}，{STORY}", now)
        await casework.transfer(session, app.services, number, li, "赵强", f"{STORY}，请核实", now)
        await casework.resolve(session, app.services, number, zhao, f"已致电 {PHONE} 致歉", now)
        await staff_verbs.perform(
            session, app.services, zhao, staff_verbs.Act("callback", number, text=f"回访时市民说{STORY}", outcome="reached"), now
        )
    await app.tick_outbox()
    return number


async def test_deleting_my_data_leaves_no_copy_in_any_table(app):
    alice = Citizen(app)
    await _complaint_worked_by_staff(app, alice)
    assert PHONE in await _everything(app) and STORY in await _everything(app), "the data was there to delete"

    await alice.say("删除我的数据")
    await alice.say("确认删除")

    everything = await _everything(app)
    assert PHONE not in everything
    assert ID_NUMBER not in everything
    assert STORY not in everything


async def test_the_retention_purge_clears_old_messages_and_closed_cases_everywhere(app, clock):
    alice = Citizen(app)
    number = await _complaint_worked_by_staff(app, alice)
    async with app.sessions() as session, session.begin():
        await casework.close(session, number, "system", clock.now(), "")
    clock.advance(days=app.settings.retention_days + 1)

    await app.purge()

    everything = await _everything(app)
    assert PHONE not in everything and STORY not in everything
    async with app.sessions() as session:
        assert await session.scalar(select(OutboxMessage.id).where(OutboxMessage.status == "sent")) is None


async def test_staff_read_masked_text_without_terminal_control_codes(app, tmp_path):
    del tmp_path
    alice = Citizen(app)
    await alice.say("我要投诉")
    await alice.say("窗口人员态度差\x1b[2J\x1b[31m清屏了")
    await alice.say("跳过")
    await alice.say("跳过")
    await alice.say("确认")
    async with app.db.connect() as connection:
        stored = (await connection.execute(text("select description from cases"))).scalar()
    assert "\x1b" in stored, "the record keeps what was written"
    from bot.cli.output import case_record, case_table
    from bot.storage.models import Case

    async with app.sessions() as session:
        case = await session.scalar(select(Case))
        record = await case_record(session, case, app.settings.tz, history=True)
    from bot.core.printable import printable

    shown = printable(f"{record['description']} {case_table([record])}")
    assert "\x1b" not in shown and "清屏了" in shown


def test_printable_drops_control_codes_and_lone_surrogates():
    from bot.core.printable import printable

    assert printable("a\x1b[2Jb\x07c\ud800d\ne\tf") == "a[2Jbc?d\ne\tf"
    assert privacy.ANONYMISED  # the marker that replaces deleted text exists
    assert timedelta(days=1)
