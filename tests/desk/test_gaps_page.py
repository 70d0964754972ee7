"""The unanswered-questions page: who may see and act, CSRF, ordering and date filter, attach (the bot then answers), out of scope."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from bot.app import App
from bot.cli.ask import analyse
from bot.storage.gap_models import KnowledgeGap
from bot.storage.models import AuditEvent
from tests.conftest import Citizen, RecordingChannel, local
from tests.desk.desk_client import add_staff, browsers

ROOT = Path(__file__).resolve().parents[2]
PAGE = "/desk/knowledge/gaps"
QUESTION = "医院门头能写专治吗"


@pytest.fixture
async def office(settings_factory, clock, tmp_path):
    """An app on its own copy of the knowledge base, so attaching a question may write to it."""
    folder = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", folder)
    application = App(settings_factory(knowledge_dir=folder), clock)
    application.add_channel(RecordingChannel("console"))
    yield application
    await application.close()


@pytest.fixture
async def desk(office):
    async with browsers(office) as new:
        yield new


async def _gap(app, text: str) -> KnowledgeGap:
    async with app.sessions() as session:
        gaps = list(await session.scalars(select(KnowledgeGap)))
    return next(g for g in gaps if g.text == text)


async def _signed_in(app, desk, name: str, role: str = "staff"):
    await add_staff(app, name, role=role)
    browser = desk()
    await browser.login(name)
    return browser


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_without_a_session_the_page_redirects_to_login(desk, method):
    response = await desk().client.request(method, PAGE)
    assert response.status_code == 303 and response.headers["location"] == "/desk/login"


async def test_staff_see_the_masked_counted_gaps_but_may_not_act(office, desk):
    alice, bob = Citizen(office, "alice"), Citizen(office, "bob")
    await alice.say("我叫李雷，电话13812345678，医院门口能摆摊卖水果吗")
    await bob.say("我叫韩梅梅，电话13812345678，医院门口能摆摊卖水果吗？")
    browser = await _signed_in(office, desk, "李明")
    page = await browser.open(PAGE)
    assert page.status_code == 200
    assert "未答问题" in page.text and 'href="/desk/knowledge/gaps"' in page.text  # in the top navigation
    assert "我叫***，电话138****5678" in page.text and "李雷" not in page.text and "13812345678" not in page.text
    assert "2 次" in page.text
    assert "只有科长/主管或分管领导可以" in page.text and 'value="attach"' not in page.text
    gap = await _gap(office, "我叫***，电话138****5678，医院门口能摆摊卖水果吗")
    refused = await browser.client.post(PAGE, data={"csrf": browser.csrf, "do": "out_of_scope", "id": str(gap.id)})
    assert refused.status_code == 403
    assert (await _gap(office, gap.text)).status == "open"


async def test_a_supervisor_attaches_a_gap_and_the_bot_then_answers_it(office, desk):
    citizen = Citizen(office, "alice")
    before = await citizen.say(QUESTION)
    await citizen.say("诊所的传单上能印医生的照片和执业证号吗")
    assert not analyse(office.services.knowledge.current, QUESTION)["confident"]
    browser = await _signed_in(office, desk, "张科长", role="supervisor")
    page = await browser.open(PAGE)
    guessed = await _gap(office, "诊所的传单上能印医生的照片和执业证号吗")
    assert guessed.guess == "medical-advertising" and '<option value="medical-advertising" selected>' in page.text
    gap = await _gap(office, QUESTION)
    assert gap.guess is None and '<option value="" selected>' in page.text  # no guess: the clerk must choose
    fields = {"do": "attach", "id": str(gap.id), "procedure": "medical-advertising"}
    assert (await browser.client.post(PAGE, data=fields)).status_code == 403  # no CSRF token
    assert (await _gap(office, QUESTION)).status == "open"
    done = await browser.client.post(PAGE, data={"csrf": browser.csrf, **fields, "back": PAGE + "?sort=recent"})
    assert done.status_code == 303 and done.headers["location"].startswith(PAGE + "?sort=recent&notice=")
    after_page = await browser.open(done.headers["location"])
    assert "知识库已重新加载" in after_page.text and QUESTION not in after_page.text  # no longer open
    data = yaml.safe_load((office.settings.knowledge_dir / "procedures" / "medical-advertising.yaml").read_text(encoding="utf-8"))
    assert data["questions"][-1] == QUESTION
    gap = await _gap(office, QUESTION)
    assert (gap.status, gap.procedure_id, gap.resolved_by) == ("attached", "medical-advertising", "staff:张科长")
    async with office.sessions() as session:
        assert "knowledge_gap_attached" in [e.action for e in await session.scalars(select(AuditEvent))]
    # the same question through the engine now gets the procedure, at once (no restart)
    answer = analyse(office.services.knowledge.current, QUESTION)
    assert (answer["intent"], answer["id"], answer["confident"]) == ("procedure", "medical-advertising", True)
    after = await Citizen(office, "bob").say(QUESTION)
    assert after != before and any("医疗广告" in text for text in after)
    handled = await browser.open(PAGE + "?handled=1")
    assert QUESTION in handled.text and "已归入" in handled.text


async def test_a_supervisor_marks_a_gap_out_of_scope(office, desk):
    await Citizen(office).say("明天会下雨吗")
    browser = await _signed_in(office, desk, "王领导", role="leader")
    await browser.open(PAGE)
    gap = await _gap(office, "明天会下雨吗")
    done = await browser.client.post(PAGE, data={"csrf": browser.csrf, "do": "out_of_scope", "id": str(gap.id)})
    assert done.status_code == 303
    assert (await _gap(office, "明天会下雨吗")).status == "out_of_scope"
    again = await browser.client.post(PAGE, data={"csrf": browser.csrf, "do": "out_of_scope", "id": str(gap.id)})
    assert again.status_code == 409 and "未能完成" in again.text


async def test_newest_or_most_asked_first_and_a_date_filter(office, desk):
    office.clock.set(local(2026, 11, 20, 10, 0))
    for user in ("a", "b", "c"):
        await Citizen(office, user).say("医院门口能摆摊卖水果吗")
    office.clock.set(local(2026, 12, 1, 10, 0))
    await Citizen(office, "d").say("明天会下雨吗")
    browser = await _signed_in(office, desk, "李明")
    by_count = (await browser.open(PAGE)).text
    assert by_count.index("医院门口能摆摊卖水果吗") < by_count.index("明天会下雨吗")
    recent = (await browser.open(PAGE + "?sort=recent")).text
    assert recent.index("明天会下雨吗") < recent.index("医院门口能摆摊卖水果吗")
    december = (await browser.open(PAGE + "?from=2026-12-01&to=2026-12-31")).text
    assert "明天会下雨吗" in december and "医院门口能摆摊卖水果吗" not in december
    november = (await browser.open(PAGE + "?from=2026-11-01&to=2026-11-30")).text
    assert "明天会下雨吗" not in november and "医院门口能摆摊卖水果吗" in november
    assert (await browser.open(PAGE + "?from=not-a-date")).status_code == 200


async def test_english_when_the_browser_prefers_it(office, desk):
    await Citizen(office).say("明天会下雨吗")
    browser = await _signed_in(office, desk, "张科长", role="supervisor")
    page = await browser.open(PAGE, **{"accept-language": "en-GB,en;q=0.9"})
    assert "Unanswered questions" in page.text and "Add as example question" in page.text and "Out of scope" in page.text
