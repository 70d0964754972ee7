"""Knowledge gaps: unanswered questions kept masked and counted, attached to a procedure or marked out of scope, never linked to a citizen."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from bot.app import App
from bot.office import knowledge_gaps
from bot.office.privacy import forget_citizen
from bot.storage.gap_models import KnowledgeGap
from bot.storage.models import AuditEvent
from bot.storage.models import Citizen as CitizenRow
from knowledge.editing import add_question
from tests.conftest import Citizen, RecordingChannel

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def office(settings_factory, clock, tmp_path):
    """An app on its own copy of the knowledge base, so attaching a question may write to it."""
    folder = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", folder)
    application = App(settings_factory(knowledge_dir=folder), clock)
    application.add_channel(RecordingChannel("console"))
    yield application
    await application.close()


async def _gaps(app) -> list[KnowledgeGap]:
    async with app.sessions() as session:
        return await knowledge_gaps.listing(session, include_resolved=True)


async def test_unanswered_questions_are_grouped_counted_and_masked(office):
    alice, bob = Citizen(office, "alice"), Citizen(office, "bob")
    await alice.say("你好")
    await alice.say("我的手机13812345678，医院门口能摆摊卖水果吗？")
    await bob.say("我的手机 13812345678 医院门口能摆摊卖水果吗")
    await bob.say("健康证怎么办")  # answered directly: not a gap
    [gap] = await _gaps(office)
    assert gap.count == 2 and gap.status == "open" and gap.first_seen <= gap.last_seen
    assert "13812345678" not in gap.text and "138****5678" in gap.text and "13812345678" not in gap.key


async def test_a_choice_between_procedures_is_a_gap_with_the_bots_guess(office):
    await Citizen(office).say("许可证怎么办")
    [gap] = await _gaps(office)
    assert gap.guess is not None


async def test_ask_is_a_dry_run(office, capsys):
    from bot.__main__ import main

    assert main(["ask", "医院门口能摆摊卖水果吗", "--json", "--knowledge", str(office.settings.knowledge_dir)]) == 0
    assert await _gaps(office) == []


async def test_deleting_a_citizen_leaves_only_masked_unlinked_text(office):
    alice = Citizen(office, "alice")
    await alice.say("我叫李雷，身份证110105199001011234，电话13912345678，请问狗狗走丢了怎么办")
    async with office.sessions() as session, session.begin():
        row = await session.scalar(select(CitizenRow).where(CitizenRow.external_id == "alice"))
        await forget_citizen(session, row, office.clock.now(), reason="test")
    [gap] = await _gaps(office)
    # the row never held the raw numbers and has no column that points at a citizen: nothing of theirs to delete
    assert "110105199001011234" not in gap.text and "13912345678" not in gap.text and "李雷" not in gap.text
    assert not {c.name for c in KnowledgeGap.__table__.columns} & {"citizen_id", "external_id", "channel", "case_id"}


async def test_attaching_a_gap_writes_the_example_question_reloads_and_audits(office):
    question = "医院门头能写专治吗"
    await Citizen(office).say(question)
    [gap] = await _gaps(office)
    async with office.sessions() as session, session.begin():
        await knowledge_gaps.attach(
            session, office.services.knowledge, gap.id, "medical-advertising", actor="clerk", now=office.clock.now()
        )
    path = office.settings.knowledge_dir / "procedures" / "medical-advertising.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert data["questions"][-1] == question
    assert question in office.services.knowledge.current.get("medical-advertising").questions
    [gap] = await _gaps(office)
    assert (gap.status, gap.procedure_id, gap.resolved_by) == ("attached", "medical-advertising", "clerk")
    async with office.sessions() as session:
        actions = [e.action for e in await session.scalars(select(AuditEvent))]
    assert "knowledge_gap_attached" in actions
    async with office.sessions() as session, session.begin():
        with pytest.raises(knowledge_gaps.GapError):
            await knowledge_gaps.mark_out_of_scope(session, gap.id, actor="clerk", now=office.clock.now())


async def test_an_english_gap_goes_to_the_english_questions(office):
    await Citizen(office, lang="en").say("can our clinic print its name on taxi doors")
    [gap] = await _gaps(office)
    async with office.sessions() as session, session.begin():
        await knowledge_gaps.attach(
            session, office.services.knowledge, gap.id, "medical-advertising", actor="clerk", now=office.clock.now()
        )
    data = yaml.safe_load((office.settings.knowledge_dir / "procedures" / "medical-advertising.yaml").read_text(encoding="utf-8"))
    assert data["en"]["questions"][-1] == gap.text


async def test_marking_out_of_scope_closes_the_gap(office):
    await Citizen(office).say("明天会下雨吗")
    [gap] = await _gaps(office)
    async with office.sessions() as session, session.begin():
        await knowledge_gaps.mark_out_of_scope(session, gap.id, actor="clerk", now=office.clock.now())
    async with office.sessions() as session:
        assert await knowledge_gaps.listing(session) == []
        assert [e.action for e in await session.scalars(select(AuditEvent))] == ["knowledge_gap_out_of_scope"]


async def test_an_unknown_procedure_is_refused_and_the_file_is_untouched(office):
    await Citizen(office).say("明天会下雨吗")
    [gap] = await _gaps(office)
    async with office.sessions() as session, session.begin():
        with pytest.raises(knowledge_gaps.GapError):
            await knowledge_gaps.attach(session, office.services.knowledge, gap.id, "no-such-thing", actor="clerk", now=office.clock.now())


def test_add_question_keeps_the_file_as_written():
    source = "id: x\ntitle: t  # comment\nquestions:\n  - 甲\n  - 乙\n\nen:\n  title: T\n  questions:\n    - a\n"
    assert add_question(source, '丙"引号"', "zh") == (
        'id: x\ntitle: t  # comment\nquestions:\n  - 甲\n  - 乙\n  - "丙\\"引号\\""\n\nen:\n  title: T\n  questions:\n    - a\n'
    )
    assert add_question(source, "b", "en").endswith('  questions:\n    - a\n    - "b"\n')
    assert add_question("id: x\nen:\n  title: T\n", "丙", "zh") == 'id: x\nquestions:\n  - "丙"\nen:\n  title: T\n'


async def test_the_reports_top_unanswered_counts_only_the_periods_askings(office, clock):
    """A question missed twice on 1 Dec and once on 2 Dec counts 2 in a report of 1 Dec, 1 of 2 Dec, 3 over both; late at night is still that office day."""
    from datetime import date

    from bot.office import report

    stall, dog = "医院门口能摆摊卖水果吗", "我家狗狗几岁可以绝育"
    await Citizen(office, "a").say(stall)
    await Citizen(office, "b").say(stall)
    clock.advance(hours=13, minutes=30)  # 23:30 in Shanghai, still 1 Dec there though 15:30 UTC
    await Citizen(office, "c").say(dog)
    clock.advance(hours=1)  # 00:30 on 2 Dec in Shanghai
    await Citizen(office, "d").say(stall)

    async def top(first: date, last: date) -> list[tuple[str, int]]:
        async with office.sessions() as session:
            figures = await report.build(session, office.services, first, last, clock.now())
        return [(entry["text"], entry["count"]) for entry in figures["top_unanswered"]]

    first_day, second_day = date(2026, 12, 1), date(2026, 12, 2)
    assert await top(first_day, first_day) == [(stall, 2), (dog, 1)]
    assert await top(second_day, second_day) == [(stall, 1)]
    assert await top(first_day, second_day) == [(stall, 3), (dog, 1)]
    assert await top(date(2026, 11, 1), date(2026, 11, 30)) == []
