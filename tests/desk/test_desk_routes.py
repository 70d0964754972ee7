"""The web desk through HTTP, as browsers use it: sign-in rules, sessions, CSRF, headers, permissions, and every action."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from bot.storage.desk_models import DeskSession
from bot.storage.models import AuditEvent, Case, Staff
from tests.desk.desk_client import PASSWORD, add_staff, browsers, csrf_of

XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture
async def desk(app):
    async with browsers(app) as new:
        yield new


async def _handoff(citizen, text: str = "人工服务") -> str:
    await citizen.say(text)
    async with citizen.app.sessions() as session:
        return await session.scalar(select(Case.number).order_by(Case.id.desc()))


async def _audits(app, action: str) -> int:
    async with app.sessions() as session:
        return await session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action))


PAGES = [
    "/desk/",
    "/desk/rows",
    "/desk/events",
    "/desk/new",
    "/desk/staff",
    "/desk/cases/ZX-20261201-0001",
    "/desk/cases/ZX-20261201-0001/conversation",
]
POSTS = [
    "/desk/bulk",
    "/desk/new",
    "/desk/staff",
    "/desk/logout",
    "/desk/cases/ZX-20261201-0001/act",
    "/desk/cases/ZX-20261201-0001/typing",
]


@pytest.mark.parametrize("path", PAGES + POSTS)
async def test_without_a_session_everything_redirects_to_login(desk, path):
    browser = desk()
    method = "POST" if path in POSTS and path not in PAGES[:0] else "GET"
    for verb in {"GET", method}:
        response = await browser.client.request(verb, path)
        if response.status_code == 405:
            continue
        assert response.status_code == 303 and response.headers["location"] == "/desk/login", (verb, path)


async def test_login_failure_stays_on_the_form_success_sets_a_safe_cookie(app, desk):
    await add_staff(app, "李明")
    browser = desk()
    failed = await browser.login("李明", "wrong password")
    assert failed.status_code == 401 and "姓名或密码不正确" in failed.text and 'action="/desk/login"' in failed.text
    ok = await browser.login("李明")
    assert ok.status_code == 303 and ok.headers["location"] == "/desk/"
    cookie = ok.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie and "Path=/desk" in cookie
    assert (await browser.open("/desk/")).status_code == 200
    assert await _audits(app, "login") == 1 and await _audits(app, "login_failed") == 1


async def test_cookie_is_secure_when_the_office_runs_https(settings_factory, clock):
    from bot.app import App

    app = App(settings_factory(desk_secure_cookie=True), clock)
    try:
        await add_staff(app, "李明")
        async with browsers(app, "https://desk.test") as new:
            ok = await new().login("李明")
            assert "Secure" in ok.headers["set-cookie"]
    finally:
        await app.close()


async def test_each_login_gets_a_new_session_and_the_old_cookie_dies(app, desk):
    await add_staff(app, "李明")
    browser = desk()
    await browser.login("李明")
    first = browser.client.cookies.get("desk_session")
    await browser.login("李明")
    second = browser.client.cookies.get("desk_session")
    assert first != second
    stale = desk()
    stale.client.cookies.set("desk_session", first, domain="desk.test", path="/desk")
    assert (await stale.client.get("/desk/")).status_code == 303
    async with app.sessions() as session:
        stored = list(await session.scalars(select(DeskSession.id)))
    assert second not in stored and len(stored) == 1  # only a hash of the cookie is kept


async def test_logout_ends_the_session_and_is_audited(app, desk):
    await add_staff(app, "李明")
    browser = desk()
    await browser.login("李明")
    page = await browser.open("/desk/")
    assert (await browser.client.post("/desk/logout", data={})).status_code == 403
    out = await browser.client.post("/desk/logout", data={"csrf": csrf_of(page.text)})
    assert out.status_code == 303 and out.headers["location"] == "/desk/login"
    assert (await browser.client.get("/desk/")).status_code == 303
    assert await _audits(app, "logout") == 1


async def test_five_failures_lock_the_name_for_fifteen_minutes(app, desk, clock):
    await add_staff(app, "李明")
    browser = desk()
    for _ in range(5):
        clock.advance(seconds=61)  # past the address slow-down, so only the name lock is at work
        assert (await browser.login("李明", "guess")).status_code in (401, 429)
    clock.advance(seconds=61)
    locked = await browser.login("李明")
    assert locked.status_code == 429 and "锁定15分钟" in locked.text
    assert await _audits(app, "lockout") == 1 and await _audits(app, "login_locked") >= 1
    other = desk()  # another address, the right password: still locked, it's the name that is locked
    assert (await other.login("李明")).status_code == 429
    clock.advance(minutes=16)
    assert (await other.login("李明")).status_code == 303


async def test_an_address_with_many_failures_is_slowed_down(app, desk, clock):
    await add_staff(app, "李明")
    browser = desk()
    for name in ("甲", "乙", "丙"):
        assert (await browser.login(name, "guess")).status_code == 401
    slowed = await browser.login("李明")
    assert slowed.status_code == 429 and "秒后再试" in slowed.text
    assert (await desk().login("李明")).status_code == 303  # another address is not slowed
    clock.advance(seconds=3)
    assert (await browser.login("李明")).status_code == 303


async def test_idle_timeout_and_absolute_lifetime(app, desk, clock):
    await add_staff(app, "李明")
    browser = desk()
    await browser.login("李明")
    clock.advance(minutes=29)
    assert (await browser.client.get("/desk/")).status_code == 200
    clock.advance(minutes=31)
    assert (await browser.client.get("/desk/")).status_code == 303
    await browser.login("李明")
    for _ in range(12 * 3):
        clock.advance(minutes=20)
        if (await browser.client.get("/desk/")).status_code != 200:
            break
    assert (await browser.client.get("/desk/")).status_code == 303
    assert clock.now() - clock.now().replace(hour=0) is not None


async def test_post_without_or_with_a_wrong_csrf_token_is_403(app, desk, citizen):
    await add_staff(app, "李明")
    number = await _handoff(citizen)
    browser = desk()
    await browser.login("李明")
    for data in ({"verb": "take"}, {"verb": "take", "csrf": "forged"}):
        assert (await browser.client.post(f"/desk/cases/{number}/act", data=data)).status_code == 403
    page = await desk().client.get("/desk/login")
    assert (
        await desk().client.post("/desk/login", data={"name": "李明", "password": PASSWORD, "csrf": csrf_of(page.text)})
    ).status_code == 403
    async with app.sessions() as session:
        assert (await session.scalar(select(Case).where(Case.number == number))).assignee_id is None


async def test_security_headers_no_inline_script_and_no_store(app, desk, citizen):
    await add_staff(app, "李明")
    number = await _handoff(citizen)
    browser = desk()
    login = await browser.client.get("/desk/login")
    await browser.login("李明")
    for response in (login, await browser.open("/desk/"), await browser.open(f"/desk/cases/{number}")):
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        assert response.headers["cache-control"] == "no-store" and response.headers["x-frame-options"] == "DENY"
        assert not re.search(r"<script(?![^>]*\bsrc=)", response.text), "inline script"
        assert not re.search(r"<[^>]*\son[a-z]+\s*=", response.text), "inline event handler"
    static = await browser.client.get("/desk/static/htmx.min.js")
    assert static.status_code == 200 and "no-store" not in static.headers.get("cache-control", "")


async def test_citizen_text_is_shown_as_text(app, desk, citizen):
    await add_staff(app, "李明")
    number = await _handoff(citizen, "人工服务")
    await citizen.say(XSS)
    browser = desk()
    await browser.login("李明")
    page = await browser.open(f"/desk/cases/{number}")
    assert XSS not in page.text and "&lt;img src=x onerror=alert(1)&gt;" in page.text


async def test_oversized_bodies_are_refused(app, desk):
    await add_staff(app, "李明")
    browser = desk()
    page = await browser.client.get("/desk/login")
    big = {"name": "李明", "password": "x" * 100_000, "csrf": csrf_of(page.text)}
    assert (await browser.client.post("/desk/login", data=big)).status_code == 413


async def test_inbox_queues_masking_search_and_unread(app, desk, citizen, clock):
    await add_staff(app, "李明")
    number = await _handoff(citizen, "人工服务")
    await citizen.say("我的电话是13812345678")
    browser = desk()
    await browser.login("李明")
    inbox = await browser.open("/desk/")
    assert "待接手" in inbox.text and f'href="/desk/cases/{number}">{number}</a>' in inbox.text
    assert "新消息" in inbox.text and "13812345678" not in inbox.text
    found = await browser.open("/desk/?q=" + number.replace("-", "").lower())
    assert number in found.text
    assert number not in (await browser.open("/desk/?q=没有这个")).text
    await browser.open(f"/desk/cases/{number}")
    assert "新消息" not in (await browser.open("/desk/")).text
    await browser.act(number, "take")
    assert number in (await browser.open("/desk/?view=mine")).text
    assert number not in (await browser.open("/desk/?view=unassigned")).text
    assert "全部" not in (await browser.open("/desk/")).text  # staff have no 全部
    clock.advance(days=3)
    await browser.login("李明")  # the old session went idle meanwhile
    assert number in (await browser.open("/desk/?view=overdue")).text


async def test_english_when_the_browser_prefers_it(app, desk):
    browser = desk()
    english = await browser.client.get("/desk/login", headers={"Accept-Language": "en-US,en;q=0.9,zh-CN;q=0.8"})
    assert "Sign in" in english.text and 'lang="en"' in english.text
    chinese = await browser.client.get("/desk/login", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"})
    assert "工作人员登录" in chinese.text


async def test_take_reply_note_resolve_from_the_desk_reach_the_citizen_through_the_outbox(app, desk, citizen):
    await add_staff(app, "李明")
    number = await _handoff(citizen)
    browser = desk()
    await browser.login("李明")
    assert (await browser.act(number, "take")).status_code == 303
    page = await browser.open(f"/desk/cases/{number}")
    assert "发送" in page.text and "<textarea" in page.text
    assert (await browser.act(number, "reply", text="您好，请问办理什么业务？")).status_code == 303
    assert (await browser.act(number, "note", text="内部：需核实")).status_code == 303
    await app.tick_outbox()
    console = app.channels["console"]
    assert any("请问办理什么业务" in text for text in console.to("alice"))
    assert not any("需核实" in text for text in console.to("alice"))
    await citizen.say("办健康证")
    page = await browser.open(f"/desk/cases/{number}")
    assert "办健康证" in page.text and "内部备注" in page.text
    assert (await browser.act(number, "resolve", text="已告知所需材料")).status_code == 303
    await app.tick_outbox()
    assert any("已告知所需材料" in text for text in console.to("alice"))
    async with app.sessions() as session:
        assert (await session.scalar(select(Case.status).where(Case.number == number))) == "resolved"


async def test_insert_a_procedure_sends_its_whole_answer(app, desk, citizen):
    await add_staff(app, "李明")
    number = await _handoff(citizen)
    browser = desk()
    await browser.login("李明")
    await browser.act(number, "take")
    procedure = app.services.knowledge.current.procedures[0]
    assert (await browser.act(number, "procedure", procedure=procedure.id)).status_code == 303
    await app.tick_outbox()
    sent = "\n".join(app.channels["console"].to("alice"))
    assert procedure.title in sent and "材料" in sent


async def test_only_the_assignee_or_a_supervisor_acts_other_departments_cannot_see(app, desk, citizen):
    await add_staff(app, "李明", department="综合科")
    await add_staff(app, "王芳", department="综合科")
    await add_staff(app, "赵强", department="投诉科")
    await add_staff(app, "张科长", role="supervisor", department="综合科")
    number = await _handoff(citizen)
    li, wang, zhao, chief = desk(), desk(), desk(), desk()
    for browser, name in ((li, "李明"), (wang, "王芳"), (zhao, "赵强"), (chief, "张科长")):
        await browser.login(name)
    assert (await zhao.open(f"/desk/cases/{number}")).status_code == 200  # unassigned: anyone on staff may take it
    await li.act(number, "take")
    same_department = await wang.open(f"/desk/cases/{number}")
    assert same_department.status_code == 200 and "仅承办人可以回复" in same_department.text and 'id="reply"' not in same_department.text
    refused = await wang.act(number, "reply", text="我来回")
    assert refused.status_code == 409 and "无权" in refused.text
    assert (await zhao.open(f"/desk/cases/{number}")).status_code == 403
    assert (
        await zhao.client.post(f"/desk/cases/{number}/act", data={"csrf": zhao.csrf, "verb": "resolve", "text": "x"})
    ).status_code == 403
    assert f"/desk/cases/{number}" not in (await zhao.open("/desk/?q=" + number)).text
    assert (await chief.act(number, "transfer", target="王芳", text="李明请假")).status_code == 303
    assert (await wang.act(number, "reply", text="您好，我是王芳")).status_code == 303
    assert "全部" in (await chief.open("/desk/")).text


async def test_a_disabled_member_is_signed_out_and_cannot_sign_in(app, desk):
    await add_staff(app, "李明")
    await add_staff(app, "张科长", role="supervisor")
    li, chief = desk(), desk()
    await li.login("李明")
    await chief.login("张科长")
    page = await chief.open("/desk/staff")
    li_id = re.search(r'name="id" value="(\d+)"', page.text.split("李明", 1)[1]).group(1)
    assert (await chief.client.post("/desk/staff", data={"csrf": chief.csrf, "do": "disable", "id": li_id})).status_code == 303
    assert (await li.client.get("/desk/")).status_code == 303
    assert (await li.login("李明")).status_code == 401
    assert (await chief.client.post("/desk/staff", data={"csrf": chief.csrf, "do": "enable", "id": li_id})).status_code == 303
    assert (await li.login("李明")).status_code == 303


async def test_staff_administration_is_for_supervisors(app, desk):
    await add_staff(app, "李明")
    await add_staff(app, "张科长", role="supervisor")
    li, chief = desk(), desk()
    await li.login("李明")
    await chief.login("张科长")
    assert (await li.open("/desk/staff")).status_code == 403
    page = await li.open("/desk/")
    assert (
        await li.client.post("/desk/staff", data={"csrf": csrf_of(page.text), "do": "add", "name": "黑客", "role": "leader"})
    ).status_code == 403
    await chief.open("/desk/staff")
    added = await chief.client.post(
        "/desk/staff",
        data={"csrf": chief.csrf, "do": "add", "name": "新人", "role": "staff", "department": "投诉科", "password": "newcomer-pass"},
    )
    assert added.status_code == 303
    assert (await desk().login("新人", "newcomer-pass")).status_code == 303
    async with app.sessions() as session:
        member = await session.scalar(select(Staff).where(Staff.name == "新人"))
        assert member.department == "投诉科" and member.role == "staff"
    short = await chief.client.post("/desk/staff", data={"csrf": chief.csrf, "do": "password", "id": str(member.id), "password": "short"})
    assert short.status_code == 400 and "8" in short.text


async def test_new_case_from_a_phone_call_has_the_usual_deadline_and_can_be_merged(app, desk, citizen):
    await add_staff(app, "李明")
    browser = desk()
    await browser.login("李明")
    page = await browser.open("/desk/new")
    created = await browser.client.post(
        "/desk/new",
        data={
            "csrf": csrf_of(page.text),
            "type": "complaint",
            "channel": "phone",
            "summary": "电话投诉：窗口排队太久",
            "phone": "13812345678",
        },
    )
    assert created.status_code == 303
    number = created.headers["location"].rsplit("/", 1)[1]
    assert number.startswith("TS-")
    async with app.sessions() as session:
        case = await session.scalar(select(Case).where(Case.number == number))
        assert case.channel == "phone" and case.assignee_id is not None and case.due_at > case.created_at
    duplicate = await _handoff(citizen)
    await browser.act(duplicate, "take")
    merged = await browser.act(duplicate, "merge", into=number)
    assert merged.status_code == 303
    async with app.sessions() as session:
        case = await session.scalar(select(Case).where(Case.number == duplicate))
        assert case.status == "closed" and case.resolved_at is None and case.linked_case_id is not None
    assert "并入" in (await browser.open(f"/desk/cases/{duplicate}")).text


async def test_bulk_take_and_supervisor_assign(app, desk, citizen):
    from tests.conftest import Citizen

    await add_staff(app, "李明")
    await add_staff(app, "张科长", role="supervisor")
    first = await _handoff(citizen)
    second = await _handoff(Citizen(app, "bob"))
    third = await _handoff(Citizen(app, "carol"))
    li, chief = desk(), desk()
    await li.login("李明")
    await chief.login("张科长")
    page = await li.open("/desk/")
    taken = await li.client.post("/desk/bulk", data={"csrf": csrf_of(page.text), "do": "take", "case": [first, second]})
    assert taken.status_code == 303
    mine = await li.open("/desk/?view=mine")
    assert first in mine.text and second in mine.text and third not in mine.text
    page = await chief.open("/desk/")
    assigned = await chief.client.post("/desk/bulk", data={"csrf": csrf_of(page.text), "do": "assign", "assignee": "李明", "case": [third]})
    assert assigned.status_code == 303
    assert third in (await li.open("/desk/?view=mine")).text


async def test_reveal_shows_personal_data_and_is_audited(app, desk, citizen):
    await add_staff(app, "李明")
    await citizen.say("我要投诉")
    await citizen.say("窗口人员态度恶劣")
    await citizen.say("跳过")
    await citizen.say("13812345678")
    await citizen.say("确认")
    async with app.sessions() as session:
        number = await session.scalar(select(Case.number))
    browser = desk()
    await browser.login("李明")
    page = await browser.open(f"/desk/cases/{number}")
    assert "13812345678" not in page.text and "138****5678" in page.text
    await browser.act(number, "take")
    shown = await browser.act(number, "reveal")
    assert shown.status_code == 200 and "13812345678" in shown.text
    assert await _audits(app, "viewed_personal_data") == 1
