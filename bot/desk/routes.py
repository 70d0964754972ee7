"""The desk's pages and actions, mounted at /desk: every page needs a session, every POST a CSRF token; staff act through staff_verbs."""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

from sqlalchemy import func, select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.core.masking import mask_phone, mask_text
from bot.core.texts import TEXTS, both, staff_text, t
from bot.desk import auth, queues, views
from bot.desk.gaps import Gaps
from bot.desk.live import Presence, Pulse
from bot.desk.supervision import Supervision, recent_monthly
from bot.office import accounts, audit, case_merge, staff_verbs
from bot.office.case_conversation import case_conversation
from bot.office.cases import find, open_case
from bot.office.casework import CLOSED, CaseActionError, actor_name
from bot.storage.desk_models import CaseFlag
from bot.storage.models import AuditEvent, Case, ConversationMessage, Staff
from knowledge.canned import load_canned
from knowledge.format import format_procedure

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"
)
OFFLINE_CHANNELS = ("phone", "walk_in", "hotline")
ROLES = ("staff", "supervisor", "leader")
KEEPALIVE_SECONDS = 15.0


class BodyTooLarge(Exception):
    """A request body over the desk's cap."""


class SecurityHeaders:
    """Adds the desk's security headers to every response, and refuses bodies over the cap (413) before reading them."""

    def __init__(self, app: ASGIApp, max_body: int) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            await Response("request body too large", status_code=413)(scope, receive, send)
            return
        static = scope["path"].startswith("/desk/static/") or scope["path"].startswith("/static/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = [
                    (b"content-security-policy", CSP.encode()),
                    (b"x-frame-options", b"DENY"),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"same-origin"),
                ]
                if not static:
                    extra.append((b"cache-control", b"no-store"))
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        await self.app(scope, receive, with_headers)


class Form(dict):
    """A parsed form: its last value per field, and every (field, value) pair in `pairs` for repeated fields."""

    pairs: list[tuple[str, str]]

    def all(self, field: str) -> list[str]:
        """Every value of a repeated field (e.g. the ticked cases)."""
        return [value for key, value in self.pairs if key == field]


async def read_form(request: Request, limit: int) -> Form:
    """An urlencoded form body, at most `limit` bytes (chunked bodies too)."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise BodyTooLarge
    pairs = parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True)
    form = Form(pairs)
    form.pairs = pairs
    return form


class Desk:
    """The desk for one wired App: its routes, templates and live-update machinery."""

    def __init__(self, app) -> None:
        self.app = app
        self.settings = app.settings
        self.env = views.environment()
        self.pulse = Pulse(app.sessions)
        self.presence = Presence(self.pulse)
        self._kick: asyncio.Task | None = None
        self._kick_again = False
        self._canned: tuple[float, list] = (-1.0, [])

    # ---- plumbing ---------------------------------------------------------------------------------

    def now(self):
        """The app's clock."""
        return self.app.clock.now()

    def lang(self, request: Request) -> str:
        """The page language for this browser."""
        return views.language(request.headers.get("accept-language"))

    def render(self, request: Request, template: str, status: int = 200, **values: Any) -> HTMLResponse:
        """A template rendered with the helpers every page uses."""
        lang = values.pop("lang", None) or self.lang(request)
        now = self.now()
        tz = self.settings.tz

        def tr(key: str, **fields: Any) -> str:
            return t(key, lang, **fields)

        def local(moment, fmt: str = "%m-%d %H:%M") -> str:
            return moment.astimezone(tz).strftime(fmt) if moment else "-"

        context = dict(
            tr=tr,
            local=local,
            lang=lang,
            now=now,
            deadline=lambda due, paused=False: views.deadline(due, now, lang, paused=paused),
            waited=lambda since: t("desk_waited", lang, d=views.duration(now - since, lang)),
            channel_label=lambda name: t(f"desk_channel_{name}", lang) if f"desk_channel_{name}" in TEXTS else (name or "-"),
            office=self.settings.office_name if lang == "zh" else self.settings.office_name_en,
            **values,
        )
        return HTMLResponse(self.env.get_template(template).render(**context), status_code=status)

    def kick_outbox(self) -> None:
        """Deliver what an action queued soon, without making the clerk wait for the channel.

        One background task drains the outbox; an action during its run asks for one more run, so nothing
        queued meanwhile waits for the scheduler's tick.
        """
        self._kick_again = True
        if self._kick is None or self._kick.done():
            self._kick = asyncio.create_task(self._drain_outbox())

    async def _drain_outbox(self) -> None:
        while self._kick_again:
            self._kick_again = False
            try:
                await self.app.tick_outbox()
            except Exception:
                log.exception("desk: outbox run failed")

    async def canned(self) -> list:
        """The office's canned replies, re-read when the file changes (off the event loop)."""
        path = self.settings.knowledge_dir / "canned_replies.yaml"
        mtime = await asyncio.to_thread(lambda: path.stat().st_mtime if path.exists() else 0.0)
        if mtime != self._canned[0]:
            replies, errors = await asyncio.to_thread(load_canned, self.settings.knowledge_dir)
            for error in errors:
                log.warning("canned replies: %s", error)
            self._canned = (mtime, replies)
        return self._canned[1]

    async def who(self, request: Request, session) -> tuple[Any, Staff] | None:
        """The signed-in staff member of this request, or None."""
        return await auth.current(session, self.settings, request.cookies.get(auth.COOKIE), self.now())

    @staticmethod
    def to_login() -> RedirectResponse:
        """The answer to any desk request without a live session."""
        response = RedirectResponse("/desk/login", status_code=303)
        response.delete_cookie(auth.COOKIE, path="/desk")
        return response

    async def form(self, request: Request, desk_session) -> Form | Response:
        """The POSTed form, or a 403 when its CSRF token (field `csrf` or header X-CSRF-Token) is missing or wrong."""
        try:
            form = await read_form(request, self.settings.desk_max_body_bytes)
        except BodyTooLarge:
            return Response("request body too large", status_code=413)
        token = form.get("csrf") or request.headers.get("x-csrf-token") or ""
        if not hmac.compare_digest(token.encode(), desk_session.csrf.encode()):
            return HTMLResponse(t("desk_csrf", self.lang(request)), status_code=403)
        return form

    # ---- sign in and out -----------------------------------------------------------------------------

    async def login_page(self, request: Request, message: str = "", status: int = 200, name: str = "") -> Response:
        """The sign-in form (with a double-submit CSRF token in a cookie)."""
        token = request.cookies.get(auth.LOGIN_COOKIE) or auth.new_token()
        response = self.render(request, "login.html", status=status, message=message, csrf=token, name=name)
        response.set_cookie(
            auth.LOGIN_COOKIE, token, httponly=True, samesite="strict", secure=self.settings.desk_secure_cookie, path="/desk/login"
        )
        return response

    async def login_get(self, request: Request) -> Response:
        """GET /desk/login."""
        return await self.login_page(request)

    async def login_post(self, request: Request) -> Response:
        """POST /desk/login: name and password; a failure stays on the form with a message."""
        lang = self.lang(request)
        try:
            form = await read_form(request, self.settings.desk_max_body_bytes)
        except BodyTooLarge:
            return Response("request body too large", status_code=413)
        cookie = request.cookies.get(auth.LOGIN_COOKIE) or ""
        if not cookie or not hmac.compare_digest(cookie.encode(), (form.get("csrf") or "").encode()):
            return HTMLResponse(t("desk_csrf", lang), status_code=403)
        address = request.client.host if request.client else "unknown"
        now = self.now()
        async with self.app.sessions() as session, session.begin():
            await auth.sign_out(session, request.cookies.get(auth.COOKIE), now)
            outcome = await auth.sign_in(session, self.settings, form.get("name", ""), form.get("password", ""), address, now)
        if outcome.token is None:
            if outcome.refusal == "locked":
                message, status = t("desk_login_locked", lang, minutes=self.settings.desk_lock_minutes), 429
            elif outcome.refusal == "slow":
                message, status = t("desk_login_slow", lang, seconds=outcome.wait_seconds), 429
            else:
                message, status = t("desk_login_failed", lang), 401
            return await self.login_page(request, message, status, name=form.get("name", "")[:64])
        response = RedirectResponse("/desk/", status_code=303)
        response.set_cookie(
            auth.COOKIE, outcome.token, httponly=True, samesite="lax", secure=self.settings.desk_secure_cookie, path="/desk"
        )
        response.delete_cookie(auth.LOGIN_COOKIE, path="/desk/login")
        return response

    async def logout(self, request: Request) -> Response:
        """POST /desk/logout."""
        async with self.app.sessions() as session, session.begin():
            found = await self.who(request, session)
            if found is None:
                return self.to_login()
            form = await self.form(request, found[0])
            if isinstance(form, Response):
                return form
            await auth.sign_out(session, request.cookies.get(auth.COOKIE), self.now())
        return self.to_login()

    # ---- inbox ----------------------------------------------------------------------------------------

    async def _inbox_rows(self, session, staff: Staff, queue: str, search: str) -> list[queues.Row]:
        cases = list(await session.scalars(queues.queue_query(staff, queue, self.now(), search).limit(queues.PAGE)))
        return await queues.rows(session, staff, cases)

    def _queue(self, request: Request, staff: Staff) -> str:
        queue = request.query_params.get("view", "unassigned")
        return queue if queue in queues.queues_for(staff) else "unassigned"

    async def inbox(self, request: Request) -> Response:
        """GET /desk/: the queues, opening on 待接手."""
        async with self.app.sessions() as session, session.begin():
            found = await self.who(request, session)
            if found is None:
                return self.to_login()
            desk_session, staff = found
            queue = self._queue(request, staff)
            search = request.query_params.get("q", "")[:100]
            rows = await self._inbox_rows(session, staff, queue, search)
            colleagues = list(await session.scalars(select(Staff).where(Staff.active.is_(True)).order_by(Staff.name)))
            monthly = await recent_monthly(session, self.now()) if queues.sees_everything(staff) else None
        return self.render(
            request,
            "inbox.html",
            monthly=monthly,
            staff=staff,
            csrf=desk_session.csrf,
            queue=queue,
            queues=[(q, queues.QUEUE_LABELS[q]) for q in queues.queues_for(staff)],
            search=search,
            rows=rows,
            colleagues=colleagues,
            supervisor=queues.sees_everything(staff),
            notice=request.query_params.get("notice", "")[:200],
            rows_url=f"/desk/rows?{urlencode({'view': queue, 'q': search})}",
        )

    async def inbox_rows(self, request: Request) -> Response:
        """GET /desk/rows: the rows alone, for the live refresh."""
        async with self.app.sessions() as session, session.begin():
            found = await self.who(request, session)
            if found is None:
                return self.to_login()
            _, staff = found
            queue = self._queue(request, staff)
            rows = await self._inbox_rows(session, staff, queue, request.query_params.get("q", "")[:100])
        return self.render(request, "_rows.html", rows=rows, queue=queue)

    async def bulk(self, request: Request) -> Response:
        """POST /desk/bulk: take the selected cases, or (supervisors) assign them to someone, in one action."""
        async with self.app.sessions() as session:
            async with session.begin():
                found = await self.who(request, session)
                if found is None:
                    return self.to_login()
                desk_session, staff = found
                form = await self.form(request, desk_session)
                if isinstance(form, Response):
                    return form
            numbers = form.all("case")[:200]
            done = failed = 0
            for number in numbers:
                if form.get("do") == "assign":
                    act = staff_verbs.Act(
                        "transfer", number, text=form.get("reason") or staff_text("bulk_assigned"), target=form.get("assignee", "")
                    )
                    if not queues.sees_everything(staff):
                        failed += 1
                        continue
                else:
                    act = staff_verbs.Act("take", number)
                try:
                    async with session.begin():
                        await staff_verbs.perform(session, self.app.services, staff, act, self.now())
                    done += 1
                except CaseActionError:
                    failed += 1
        self.kick_outbox()
        notice = t("desk_bulk_done", self.lang(request), done=done, failed=failed)
        view = "mine" if form.get("do") != "assign" and done else form.get("view", "unassigned")
        return RedirectResponse(f"/desk/?{urlencode({'view': view, 'notice': notice})}", status_code=303)

    # ---- case page -----------------------------------------------------------------------------------

    async def _case_context(self, session, staff: Staff, case: Case) -> dict[str, Any]:
        tz = self.settings.tz
        names = {}
        for staff_id in {case.owner_id, case.assignee_id} - {None}:
            member = await session.get(Staff, staff_id)
            names[staff_id] = member.name if member else "-"
        paused_days = 0
        if case.paused_at is not None:
            paused_days = self.app.services.calendar.workdays_between(
                case.paused_at.astimezone(tz).date(), self.now().astimezone(tz).date(), allow_guess=True
            )
        ladder = [level for level in case.alerts_raised or [] if level != "new_complaint"]
        flagged = await session.get(CaseFlag, case.id) is not None
        linked = await session.get(Case, case.linked_case_id) if case.linked_case_id else None
        return dict(
            case=case,
            owner=names.get(case.owner_id),
            assignee=names.get(case.assignee_id),
            paused_days=paused_days,
            ladder=ladder[-1] if ladder else None,
            flagged=flagged,
            merged_into=linked.number if linked and case.status == "closed" and case.resolved_at is None else None,
            is_assignee=case.assignee_id == staff.id,
            may_act=case.assignee_id in (None, staff.id) or queues.sees_everything(staff),
            is_open=case.status not in CLOSED,
            citizen_phone=mask_phone(case.phone) if case.phone else None,
            description=mask_text(case.description),
        )

    async def _load_case(self, request: Request, session, number: str) -> tuple[Any, Staff, Case] | Response:
        found = await self.who(request, session)
        if found is None:
            return self.to_login()
        desk_session, staff = found
        case = await find(session, number)
        lang = self.lang(request)
        if case is None:
            return self.render(request, "message.html", status=404, staff=staff, csrf=desk_session.csrf, message=t("desk_not_found", lang))
        if not queues.may_see(staff, case):
            return self.render(request, "message.html", status=403, staff=staff, csrf=desk_session.csrf, message=t("desk_forbidden", lang))
        return desk_session, staff, case

    async def case_page(
        self, request: Request, *, error: str = "", status: int = 200, revealed: dict | None = None, number: str | None = None
    ) -> Response:
        """GET /desk/cases/<NUMBER>: the conversation, the facts, the actions."""
        number = number or request.path_params["number"]
        async with self.app.sessions() as session, session.begin():
            loaded = await self._load_case(request, session, number)
            if isinstance(loaded, Response):
                return loaded
            desk_session, staff, case = loaded
            conversation = await case_conversation(session, case, self.settings.tz, now=self.now())
            await queues.mark_read(session, staff, case, self.now())
            context = await self._case_context(session, staff, case)
            colleagues = list(await session.scalars(select(Staff).where(Staff.active.is_(True)).order_by(Staff.name)))
        lang = self.lang(request)
        procedures = sorted(self.app.services.knowledge.current.procedures, key=lambda p: p.id)
        viewing, typing = self.presence.others(case.number, staff.name, self.now())
        return self.render(
            request,
            "case.html",
            status=status,
            staff=staff,
            csrf=desk_session.csrf,
            conversation=conversation,
            error=error,
            revealed=revealed,
            procedures=[(p.id, p.text(case.lang if case.lang in ("zh", "en") else "zh").title) for p in procedures],
            canned=[(c.label, c.text(case.lang)) for c in await self.canned()],
            colleagues=colleagues,
            viewing=viewing,
            typing=typing,
            notice=request.query_params.get("notice", "")[:200],
            lang=lang,
            **context,
        )

    async def conversation(self, request: Request) -> Response:
        """GET /desk/cases/<NUMBER>/conversation: the chat alone, for the live refresh."""
        async with self.app.sessions() as session, session.begin():
            loaded = await self._load_case(request, session, request.path_params["number"])
            if isinstance(loaded, Response):
                return loaded
            _, staff, case = loaded
            conversation = await case_conversation(session, case, self.settings.tz, now=self.now())
            await queues.mark_read(session, staff, case, self.now())
            context = await self._case_context(session, staff, case)
        part = request.query_params.get("part", "conversation")
        template = "_facts.html" if part == "facts" else "_conversation.html"
        return self.render(request, template, conversation=conversation, **context)

    async def act(self, request: Request) -> Response:
        """POST /desk/cases/<NUMBER>/act: one staff verb (verb, text, target), through staff_verbs.perform."""
        number = request.path_params["number"]
        async with self.app.sessions() as session:
            async with session.begin():
                loaded = await self._load_case(request, session, number)
                if isinstance(loaded, Response):
                    return loaded
                desk_session, staff, case = loaded
                form = await self.form(request, desk_session)
                if isinstance(form, Response):
                    return form
            verb = form.get("verb", "")
            text = form.get("text", "")
            if verb == "procedure":
                procedure = self.app.services.knowledge.current.get(form.get("procedure", ""))
                if procedure is None:
                    return await self.case_page(request, error=t("desk_not_found", self.lang(request)), status=400, number=number)
                verb, text = "reply", format_procedure(procedure, case.lang if case.lang in ("zh", "en") else "zh")
            try:
                async with session.begin():
                    if verb == "merge":
                        await case_merge.merge(session, staff, case.number, form.get("into", ""), self.now())
                        outcome = None
                    else:
                        outcome = await staff_verbs.perform(
                            session,
                            self.app.services,
                            staff,
                            staff_verbs.Act(
                                verb,
                                case.number,
                                text=text,
                                target=form.get("target", ""),
                                outcome=form.get("outcome", ""),
                                satisfied=form.get("satisfied", ""),
                            ),
                            self.now(),
                        )
            except CaseActionError as exc:
                return await self.case_page(request, error=str(exc), status=409, number=number)
        self.kick_outbox()
        self.pulse.poke()
        if verb == "reveal":
            return await self.case_page(request, revealed=outcome, number=number)
        return RedirectResponse(f"/desk/cases/{quote(case.number)}", status_code=303)

    async def typing(self, request: Request) -> Response:
        """POST /desk/cases/<NUMBER>/typing: this staff member is typing (shown to the others on the page)."""
        async with self.app.sessions() as session, session.begin():
            loaded = await self._load_case(request, session, request.path_params["number"])
            if isinstance(loaded, Response):
                return loaded
            desk_session, staff, case = loaded
            form = await self.form(request, desk_session)
            if isinstance(form, Response):
                return form
        self.presence.typing(case.number, staff.name, self.now())
        return Response(status_code=204)

    async def _case_mark(self, case_id: int) -> tuple:
        async with self.app.sessions() as session:
            row = (
                await session.execute(
                    select(
                        select(func.max(ConversationMessage.id)).where(ConversationMessage.case_id == case_id).scalar_subquery(),
                        select(func.max(AuditEvent.id)).where(AuditEvent.case_id == case_id).scalar_subquery(),
                        select(func.count(ConversationMessage.id))
                        .where(ConversationMessage.citizen_id == select(Case.citizen_id).where(Case.id == case_id).scalar_subquery())
                        .scalar_subquery(),
                    )
                )
            ).one()
        return tuple(row)

    async def case_events(self, request: Request) -> Response:
        """GET /desk/cases/<NUMBER>/events: server-sent events — `conversation` when it changed, `presence` with who else is here."""
        async with self.app.sessions() as session, session.begin():
            loaded = await self._load_case(request, session, request.path_params["number"])
            if isinstance(loaded, Response):
                return loaded
            _, staff, case = loaded
        lang = self.lang(request)
        number, name, case_id = case.number, staff.name, case.id

        async def stream() -> AsyncIterator[str]:
            self.presence.join(number, name)
            try:
                seen = self.pulse.version
                mark = await self._case_mark(case_id)
                shown: tuple | None = None
                yield "retry: 1000\n\n"
                while True:
                    people = self.presence.others(number, name, self.now())
                    if people != shown:
                        shown = people
                        html = self.env.get_template("_presence.html").render(
                            tr=lambda k, **f: t(k, lang, **f), viewing=people[0], typing=people[1]
                        )
                        yield "event: presence\ndata: " + " ".join(html.split()) + "\n\n"
                    version = await self.pulse.wait(seen, KEEPALIVE_SECONDS)
                    if version == seen:
                        yield ": keepalive\n\n"
                        continue
                    seen = version
                    now_mark = await self._case_mark(case_id)
                    if now_mark != mark:
                        mark = now_mark
                        yield f"event: conversation\ndata: {version}\n\n"
            finally:
                self.presence.leave(number, name)

        return StreamingResponse(stream(), media_type="text/event-stream", headers={"X-Accel-Buffering": "no"})

    async def inbox_events(self, request: Request) -> Response:
        """GET /desk/events: server-sent `changed` events when cases or messages appear."""
        async with self.app.sessions() as session, session.begin():
            if await self.who(request, session) is None:
                return self.to_login()

        async def stream() -> AsyncIterator[str]:
            seen = self.pulse.version
            yield "retry: 1000\n\n"
            while True:
                version = await self.pulse.wait(seen, KEEPALIVE_SECONDS)
                if version == seen:
                    yield ": keepalive\n\n"
                    continue
                seen = version
                yield f"event: changed\ndata: {version}\n\n"

        return StreamingResponse(stream(), media_type="text/event-stream", headers={"X-Accel-Buffering": "no"})

    # ---- new cases and staff administration ------------------------------------------------------------

    async def new_case(self, request: Request) -> Response:
        """GET/POST /desk/new: record a phone call, a walk-in or a 12345 transfer as a ZX or TS case (the recorder takes it)."""
        async with self.app.sessions() as session:
            async with session.begin():
                found = await self.who(request, session)
                if found is None:
                    return self.to_login()
                desk_session, staff = found
            if request.method == "GET":
                return self.render(request, "new_case.html", staff=staff, csrf=desk_session.csrf, error="")
            form = await self.form(request, desk_session)
            if isinstance(form, Response):
                return form
            case_type = form.get("type") if form.get("type") in ("consultation", "complaint") else None
            channel = form.get("channel") if form.get("channel") in OFFLINE_CHANNELS else None
            summary = form.get("summary", "").strip()[: self.settings.complaint_max_chars]
            if case_type is None or channel is None or not summary:
                return self.render(
                    request,
                    "new_case.html",
                    status=400,
                    staff=staff,
                    csrf=desk_session.csrf,
                    error=both("err_new_case_fields"),
                )
            now = self.now()
            async with session.begin():
                case = await open_case(
                    session,
                    self.app.services,
                    case_type=case_type,
                    citizen=None,
                    now=now,
                    description=summary,
                    phone=(form.get("phone") or "").strip()[:32] or None,
                    department=(form.get("department") or "").strip()[:64] or staff.department,
                    actor=actor_name(staff),
                )
                case.channel = channel
                await staff_verbs.perform(session, self.app.services, staff, staff_verbs.Act("take", case.number), now)
        self.pulse.poke()
        return RedirectResponse(f"/desk/cases/{case.number}", status_code=303)

    async def staff_page(self, request: Request, *, error: str = "", status: int = 200) -> Response:
        """GET /desk/staff (supervisors and leaders): the staff list with role, department, password reset, disable."""
        async with self.app.sessions() as session, session.begin():
            found = await self.who(request, session)
            if found is None:
                return self.to_login()
            desk_session, staff = found
            if not queues.sees_everything(staff):
                return self.render(
                    request,
                    "message.html",
                    status=403,
                    staff=staff,
                    csrf=desk_session.csrf,
                    message=t("desk_forbidden", self.lang(request)),
                )
            members = list(await session.scalars(select(Staff).order_by(Staff.active.desc(), Staff.name)))
        return self.render(
            request,
            "staff.html",
            status=status,
            staff=staff,
            csrf=desk_session.csrf,
            members=members,
            roles=ROLES,
            error=error,
            notice=request.query_params.get("notice", "")[:200],
        )

    async def staff_post(self, request: Request) -> Response:
        """POST /desk/staff: add a member, or change one (role, department, password, disable, enable); audited."""
        async with self.app.sessions() as session:
            async with session.begin():
                found = await self.who(request, session)
                if found is None:
                    return self.to_login()
                desk_session, me = found
                if not queues.sees_everything(me):
                    return HTMLResponse(t("desk_forbidden", self.lang(request)), status_code=403)
                form = await self.form(request, desk_session)
                if isinstance(form, Response):
                    return form
            now = self.now()
            actor = actor_name(me)
            try:
                async with session.begin():
                    do = form.get("do", "")
                    if do == "add":
                        name = form.get("name", "").strip()[:64]
                        role = form.get("role", "staff")
                        if not name or role not in ROLES:
                            raise accounts.AccountError(both("err_staff_fields"))
                        if await accounts.find_staff(session, name) is not None:
                            raise accounts.AccountError(both("err_staff_exists", name=name))
                        member = Staff(
                            name=name,
                            role=role,
                            department=form.get("department", "").strip()[:64] or None,
                            title=form.get("title", "").strip()[:64] or None,
                            active=True,
                            created_at=now,
                        )
                        session.add(member)
                        await session.flush()
                        audit.record(session, case_id=None, actor=actor, action="staff_added", now=now, detail=f"staff {name} ({role})")
                        if form.get("password"):
                            await accounts.set_password(session, member, form["password"], now, actor=actor)
                    else:
                        member = await session.get(Staff, int(form.get("id", "0") or 0))
                        if member is None:
                            raise accounts.AccountError(both("err_no_such_staff"))
                        if do == "update":
                            role = form.get("role", member.role)
                            if role not in ROLES:
                                raise accounts.AccountError(both("err_bad_role"))
                            member.role, member.department = role, form.get("department", "").strip()[:64] or None
                            audit.record(
                                session,
                                case_id=None,
                                actor=actor,
                                action="staff_changed",
                                now=now,
                                detail=f"staff {member.name}: {role}, {member.department or '-'}",
                            )
                        elif do == "password":
                            await accounts.set_password(session, member, form.get("password", ""), now, actor=actor)
                        elif do == "disable":
                            if member.id == me.id:
                                raise accounts.AccountError(both("err_disable_self"))
                            await accounts.disable(session, member, now, actor=actor)
                        elif do == "enable":
                            await accounts.enable(session, member, now, actor=actor)
                        else:
                            raise accounts.AccountError(both("err_unknown_action"))
            except accounts.AccountError as exc:
                return await self.staff_page(request, error=str(exc), status=400)
        return RedirectResponse(f"/desk/staff?{urlencode({'notice': t('desk_done', self.lang(request))})}", status_code=303)

    async def root(self, request: Request) -> Response:
        """GET /desk (no slash)."""
        return RedirectResponse("/desk/", status_code=303)

    def routes(self) -> list:
        """The desk's routes, relative to /desk."""
        return [
            Route("/", self.inbox),
            Route("/login", self.login_get, methods=["GET"]),
            Route("/login", self.login_post, methods=["POST"]),
            Route("/logout", self.logout, methods=["POST"]),
            Route("/rows", self.inbox_rows),
            Route("/events", self.inbox_events),
            Route("/bulk", self.bulk, methods=["POST"]),
            Route("/new", self.new_case, methods=["GET", "POST"]),
            Route("/staff", self.staff_page, methods=["GET"]),
            Route("/staff", self.staff_post, methods=["POST"]),
            Route("/cases/{number}", self.case_page, methods=["GET"]),
            Route("/cases/{number}/conversation", self.conversation),
            Route("/cases/{number}/events", self.case_events),
            Route("/cases/{number}/act", self.act, methods=["POST"]),
            Route("/cases/{number}/typing", self.typing, methods=["POST"]),
            *Supervision(self).routes(),
            *Gaps(self).routes(),
            Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
        ]


def create_desk(app) -> tuple[Desk, ASGIApp]:
    """The desk for a wired App, as an ASGI app to mount at /desk (security headers and body cap included)."""
    desk = Desk(app)
    inner = Starlette(routes=desk.routes())
    return desk, SecurityHeaders(inner, app.settings.desk_max_body_bytes)
