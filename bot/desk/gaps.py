"""The desk's unanswered-questions page (/desk/knowledge/gaps): any staff member sees them; supervisors and leaders teach the bot."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from bot.core.texts import t
from bot.desk import queues
from bot.office import knowledge_gaps
from bot.office.casework import actor_name

PATH = "/desk/knowledge/gaps"
ORDERS = ("count", "recent")
SHOWN = 300


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value or "")
    except ValueError:
        return None


class Gaps:
    """The unanswered-questions page and its two actions (attach to a procedure, mark out of scope), on the desk's plumbing."""

    def __init__(self, desk) -> None:
        self.desk = desk
        self.app = desk.app
        # one edit of the knowledge files at a time in this process: two clerks attaching at once must not lose a question
        self._editing = asyncio.Lock()

    def _procedures(self, lang: str) -> list[tuple[str, str]]:
        """(id, title) of every procedure, by title in the page's language."""
        kb = self.app.services.knowledge.current
        return sorted(((p.id, p.text(lang).title) for p in kb.procedures), key=lambda pair: pair[1])

    async def page(self, request: Request, *, error: str = "", status: int = 200) -> Response:
        """GET /desk/knowledge/gaps: the gaps grouped and counted, most asked or newest first, filtered by the day last asked."""
        params = request.query_params
        order = params.get("sort") or "count"
        order = order if order in ORDERS else "count"
        start, end = _day(params.get("from")), _day(params.get("to"))
        handled = params.get("handled") == "1"
        tz = self.app.settings.tz
        since = datetime.combine(start, time.min, tz) if start else None
        until = datetime.combine(end + timedelta(days=1), time.min, tz) if end else None
        async with self.app.sessions() as session, session.begin():
            found = await self.desk.who(request, session)
            if found is None:
                return self.desk.to_login()
            desk_session, staff = found
            gaps = await knowledge_gaps.listing(session, since, include_resolved=handled, until=until, order=order, limit=SHOWN)
        lang = self.desk.lang(request)
        procedures = self._procedures(lang)
        titles = dict(procedures)
        filters = {"from": start.isoformat() if start else "", "to": end.isoformat() if end else "", "handled": "1" if handled else ""}
        return self.desk.render(
            request,
            "gaps.html",
            status=status,
            staff=staff,
            csrf=desk_session.csrf,
            gaps=gaps,
            procedures=procedures,
            titles=titles,
            can_teach=queues.sees_everything(staff),
            order=order,
            orders=ORDERS,
            start=filters["from"],
            end=filters["to"],
            handled=handled,
            sort_url=lambda name: f"{PATH}?{urlencode({**{k: v for k, v in filters.items() if v}, 'sort': name})}",
            back=f"{PATH}?{urlencode({**{k: v for k, v in filters.items() if v}, 'sort': order})}",
            error=error,
            notice=params.get("notice", "")[:300],
        )

    async def act(self, request: Request) -> Response:
        """POST /desk/knowledge/gaps: attach a gap to a procedure (written, reloaded at once, audited) or mark it out of scope."""
        lang = self.desk.lang(request)
        async with self.app.sessions() as session:
            async with session.begin():
                found = await self.desk.who(request, session)
                if found is None:
                    return self.desk.to_login()
                desk_session, staff = found
                form = await self.desk.form(request, desk_session)
                if isinstance(form, Response):
                    return form
                if not queues.sees_everything(staff):
                    return HTMLResponse(t("gaps_readonly", lang), status_code=403)
            do, gap_id, procedure_id = form.get("do", ""), form.get("id", ""), form.get("procedure", "")
            if do not in ("attach", "out_of_scope") or not gap_id.isdigit():
                return await self.page(request, error=t("gaps_failed", lang, reason=t("gaps_pick", lang)), status=400)
            now = self.desk.now()
            try:
                async with self._editing, session.begin():
                    if do == "attach":
                        if not procedure_id:
                            raise knowledge_gaps.GapError(t("gaps_pick", lang))
                        await knowledge_gaps.attach(
                            session, self.app.services.knowledge, int(gap_id), procedure_id, actor=actor_name(staff), now=now
                        )
                    else:
                        await knowledge_gaps.mark_out_of_scope(session, int(gap_id), actor=actor_name(staff), now=now)
            except knowledge_gaps.GapError as exc:
                return await self.page(request, error=t("gaps_failed", lang, reason=str(exc)), status=409)
        if do == "attach":
            notice = t("gaps_done_attached", lang, title=dict(self._procedures(lang)).get(procedure_id, procedure_id))
        else:
            notice = t("gaps_done_out", lang)
        back = form.get("back", "")
        target = back if back.startswith(PATH + "?") or back == PATH else PATH
        joiner = "&" if "?" in target else "?"
        return RedirectResponse(f"{target}{joiner}{urlencode({'notice': notice})}", status_code=303)

    def routes(self) -> list[Route]:
        """The page's routes, relative to /desk."""
        return [
            Route("/knowledge/gaps", self.page, methods=["GET"]),
            Route("/knowledge/gaps", self.act, methods=["POST"]),
        ]
