"""Follow-up surveys (好差评): scheduled through the outbox when a case is resolved, rated once, reminded once, then closed."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.core.masking import mask_text
from bot.core.messages import Choice, Reply
from bot.core.services import Services
from bot.core.texts import staff_text, t
from bot.delivery.dispatcher import Dispatcher
from bot.delivery.notices import Notice, NoticeKind
from bot.delivery.outbox import enqueue
from bot.delivery.policy import DeliveryPolicy, Policies, leave_quiet, schedule_for_citizen
from bot.office import audit, casework
from bot.office.alerts import raise_alert
from bot.storage.models import Case, Citizen, OutboxMessage
from bot.storage.results import affected
from bot.storage.survey_models import Survey
from bot.storage.upsert import insert_for

log = logging.getLogger(__name__)

LEVELS = ("very_satisfied", "satisfied", "fairly_satisfied", "dissatisfied", "very_dissatisfied")
GOOD = ("very_satisfied", "satisfied", "fairly_satisfied")  # 好评 in the national 好差评 system
BAD = ("dissatisfied", "very_dissatisfied")
ACTIVE = ("pending", "sent", "reminded")
REMINDER_AFTER = timedelta(days=3)
CLOSE_AFTER_REMINDER = timedelta(days=3)
EXPIRE_BATCH = 500
COMMENT_LIMIT = 2000


def level_name(level: str | None, lang: str) -> str:
    """The 好差评 level as the citizen reads it (非常满意 … 非常不满意)."""
    return t(f"survey_{level}", lang) if level in LEVELS else "-"


def choices(survey_id: int, lang: str) -> tuple[Choice, ...]:
    """The five levels as choices with values `sv:{id}:{level}` (at most 40 ASCII bytes)."""
    return tuple(Choice(level_name(level, lang), f"sv:{survey_id}:{level}") for level in LEVELS)


def _key(case_id: int, kind: str, round_: int, *, reminder: bool = False) -> str:
    base = f"{'survey_reminder' if reminder else 'survey'}:{case_id}:{kind}"
    return base if round_ == 1 else f"{base}:{round_}"


def outbox_key(survey: Survey, *, reminder: bool = False) -> str:
    """Dedup key of the survey's (or its reminder's) outbox row: one per case, kind and round."""
    return _key(survey.case_id, survey.kind, survey.round, reminder=reminder)


def survey_due(now: datetime, settings: Settings, policy: DeliveryPolicy, citizen: Citizen) -> datetime:
    """When a survey goes out: after the delay, out of quiet hours, and before the channel's free-form window closes."""
    wanted = now + timedelta(seconds=settings.survey_delay_seconds)
    return schedule_for_citizen(wanted, now, policy, citizen, settings.quiet_window, settings.tz)


def survey_reply(survey: Survey, case: Case, lang: str) -> Reply:
    """The survey message: the question and the five levels."""
    if survey.kind == "callback":
        text = t("survey_callback_ask", lang, number=case.number, resolution=mask_text(case.resolution or "-")[:500])
    else:
        text = t("survey_ask", lang, number=case.number)
    return Reply(text, choices(survey.id, lang))


def install(services: Services, dispatcher: Dispatcher, policies: Policies) -> None:
    """Wire surveys into the app: schedule on resolution, cancel on reopen, follow sends of survey rows."""

    async def on_resolved(session: AsyncSession, services: Services, case: Case, now: datetime) -> None:
        await schedule_for(session, services, policies, case, now)

    async def on_action(session: AsyncSession, services: Services, case: Case, staff, action: str, text: str, now: datetime) -> None:
        if action == "reopened":
            await cancel_for_case(session, case, now)

    async def on_sent(session: AsyncSession, rows: list[OutboxMessage], now: datetime) -> None:
        await mark_sent(session, services.settings, rows, now)

    services.events.subscribe("case_resolved", on_resolved)
    services.events.subscribe("case_action", on_action)
    dispatcher.sent_hooks.append(on_sent)


async def schedule_for(session: AsyncSession, services: Services, policies: Policies, case: Case, now: datetime) -> Survey | None:
    """Create the survey of a just-resolved case and its outbox row, in the resolution's transaction."""
    if case.citizen_id is None:
        return None  # the citizen asked to be forgotten: nobody to ask
    citizen = await session.get(Citizen, case.citizen_id)
    if citizen is None:
        return None
    kind = "callback" if case.type == "rectification" else "followup"
    due = survey_due(now, services.settings, policies.of(citizen.channel), citizen)
    survey = await session.scalar(select(Survey).where(Survey.case_id == case.id, Survey.kind == kind).with_for_update())
    if survey is None:
        survey = Survey(
            case_id=case.id,
            kind=kind,
            citizen_id=citizen.id,
            status="pending",
            round=1,
            created_at=now,
            due_at=due,
            expires_at=due + REMINDER_AFTER + CLOSE_AFTER_REMINDER,
        )
        session.add(survey)
        await session.flush()
    elif survey.status == "cancelled":
        survey.round += 1  # resolved again after a reopen: a fresh round with its own outbox keys
        survey.status, survey.due_at, survey.sent_at, survey.reminded_at = "pending", due, None, None
        survey.expires_at = due + REMINDER_AFTER + CLOSE_AFTER_REMINDER
    else:
        return None  # one survey per case and kind
    reply = survey_reply(survey, case, citizen.lang)
    await enqueue(
        session,
        Notice(
            kind=NoticeKind.SURVEY,
            channel=citizen.channel,
            recipient=citizen.external_id,
            replies=(reply,),
            dedup_key=outbox_key(survey),
            case_id=case.id,
            extra={"survey_id": survey.id, "survey_kind": kind, "case": case.number, "lang": citizen.lang, "template": "survey"},
        ),
        due_at=due,
        now=now,
    )
    return survey


async def _cancel_rows(session: AsyncSession, survey: Survey) -> None:
    keys = [outbox_key(survey), outbox_key(survey, reminder=True)]
    await session.execute(
        update(OutboxMessage).where(OutboxMessage.dedup_key.in_(keys), OutboxMessage.status == "pending").values(status="cancelled")
    )


async def cancel_for_case(session: AsyncSession, case: Case, now: datetime) -> None:
    """A reopened case is not surveyed until it is resolved again: cancel what is still unsent."""
    for survey in await session.scalars(select(Survey).where(Survey.case_id == case.id, Survey.status.in_(ACTIVE))):
        await _cancel_rows(session, survey)
        survey.status = "cancelled"


async def mark_sent(session: AsyncSession, settings: Settings, rows: list[OutboxMessage], now: datetime) -> None:
    """Record survey sends and queue the one reminder three days later (in the transaction that marks them sent)."""
    mine = [row for row in rows if row.kind == NoticeKind.SURVEY and row.payload.get("survey_id")]
    if not mine:
        return
    columns = (Survey.id, Survey.status, Survey.case_id, Survey.kind, Survey.round)
    found = {
        r.id: r for r in (await session.execute(select(*columns).where(Survey.id.in_({row.payload["survey_id"] for row in mine})))).all()
    }
    sent, reminded, reminders = [], [], []
    remind_at = leave_quiet(now + REMINDER_AFTER, settings.quiet_window, settings.tz)
    for row in mine:
        survey = found.get(row.payload["survey_id"])
        if survey is None or survey.status not in ACTIVE:
            continue
        if row.payload.get("reminder"):
            reminded.append({"sid": survey.id, "expires": now + CLOSE_AFTER_REMINDER})
            continue
        sent.append({"sid": survey.id, "expires": now + REMINDER_AFTER + CLOSE_AFTER_REMINDER})
        lang = row.payload.get("lang", "zh")
        first = (row.payload.get("replies") or [{}])[0]
        reminder = Reply(t("survey_reminder", lang, number=row.payload.get("case", "")), Reply.from_json(first).choices if first else ())
        payload = {k: v for k, v in row.payload.items() if k != "replies"}
        # kind "survey" too, so channels treat it alike (e.g. WeChat's survey template outside the 48-hour window)
        reminders.append(
            dict(
                kind=str(NoticeKind.SURVEY),
                dedup_key=_key(survey.case_id, survey.kind, survey.round, reminder=True),
                channel=row.channel,
                recipient=row.recipient,
                payload={"replies": [reminder.to_json()], **payload, "reminder": True},
                case_id=survey.case_id,
                status="pending",
                attempts=0,
                due_at=remind_at,
                created_at=now,
            )
        )
    # one statement per kind of change, not one per row: the dispatcher drains thousands of surveys a second
    table = cast(Table, Survey.__table__)
    still_open = or_(*(table.c.status == status for status in ACTIVE))  # IN (…) cannot be used with executemany
    if sent:
        await session.execute(
            update(table)
            .where(table.c.id == bindparam("sid"), still_open)
            .values(status="sent", sent_at=now, expires_at=bindparam("expires")),
            sent,
        )
    if reminded:
        await session.execute(
            update(table)
            .where(table.c.id == bindparam("sid"), still_open)
            .values(status="reminded", reminded_at=now, expires_at=bindparam("expires")),
            reminded,
        )
    if reminders:
        await session.execute(insert_for(session, OutboxMessage).on_conflict_do_nothing(index_elements=["dedup_key"]), reminders)


async def pending_for(session: AsyncSession, citizen: Citizen) -> Survey | None:
    """The citizen's most recent survey that was sent and still awaits a rating."""
    query = (
        select(Survey)
        .where(Survey.citizen_id == citizen.id, Survey.status.in_(("sent", "reminded")))
        .order_by(Survey.sent_at.desc(), Survey.id.desc())
        .limit(1)
    )
    return await session.scalar(query)


@dataclass
class Rating:
    """What happened to a rating: accepted (maybe opening a rectification), or refused and why."""

    survey: Survey
    accepted: bool
    refusal: str | None = None
    rectification: Case | None = None
    still_unhappy: bool = False


async def rate(session: AsyncSession, services: Services, survey: Survey, level: str, now: datetime) -> Rating:
    """Accept a rating once: close the case, cancel the reminder, and turn a bad review into a rectification."""
    from bot.office.rectification import open_rectification  # rectification opens cases; keep import order one-way

    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}")
    if survey.status == "answered":
        return Rating(survey, accepted=False, refusal="already")
    if survey.status not in ACTIVE:
        return Rating(survey, accepted=False, refusal="closed")
    await _cancel_rows(session, survey)  # outbox rows first: the dispatcher locks them in the same order
    accepted = await session.execute(
        update(Survey)
        .where(Survey.id == survey.id, Survey.status.in_(ACTIVE))
        .values(status="answered", rating=level, answered_at=now)
        .execution_options(synchronize_session=False)
    )
    await session.refresh(survey)
    if affected(accepted) != 1:  # another process expired or rated it a moment ago
        return Rating(survey, accepted=False, refusal="already" if survey.status == "answered" else "closed")
    case = await session.get_one(Case, survey.case_id)
    audit.record(session, case_id=case.id, actor="citizen", action="rated", now=now, detail=f"{survey.kind}: {level_name(level, 'zh')}")
    if case.status == "resolved":
        await casework.close(session, case.number, "citizen", now, staff_text("closed_by_rating", level=level_name(level, "zh")))
    outcome = Rating(survey, accepted=True)
    if level in BAD and survey.kind == "followup":
        outcome.rectification = await open_rectification(session, services, survey, case, now)
        survey.rectification_case_id = outcome.rectification.id
    elif level in BAD:
        outcome.still_unhappy = True
        note = staff_text("rectification_still_bad", level=level_name(level, "zh"))
        await raise_alert(session, "rectification", now=now, tz=services.settings.tz, case=case, note=note, key=f"callback:{survey.id}")
    return outcome


async def add_comment(session: AsyncSession, survey: Survey, text: str, now: datetime) -> None:
    """Keep the citizen's optional comment on their rating (and on the rectification it opened)."""
    survey.comment = text.strip()[:COMMENT_LIMIT]
    audit.record(session, case_id=survey.case_id, actor="citizen", action="survey_comment", now=now, detail=survey.comment)
    if survey.rectification_case_id:
        audit.record(
            session, case_id=survey.rectification_case_id, actor="citizen", action="citizen_comment", now=now, detail=survey.comment
        )


async def expire_unanswered(session: AsyncSession, now: datetime) -> int:
    """Close, as unrated, every case whose survey got no answer by its deadline (three days after the reminder)."""
    expired = 0
    last_id = 0
    while True:
        due = (
            select(Survey)
            .where(Survey.status.in_(ACTIVE), Survey.expires_at <= now, Survey.id > last_id)
            .order_by(Survey.id)
            .limit(EXPIRE_BATCH)
        )
        batch = list(await session.scalars(due))
        for survey in batch:
            await _cancel_rows(session, survey)  # outbox rows before the survey row: the order the dispatcher and a rating use
            claimed = await session.execute(
                update(Survey)
                .where(Survey.id == survey.id, Survey.status.in_(ACTIVE))
                .values(status="unrated")
                .execution_options(synchronize_session=False)
            )
            if affected(claimed) != 1:
                continue  # rated (or expired by another process) meanwhile
            expired += 1
            case = await session.get_one(Case, survey.case_id)
            audit.record(session, case_id=case.id, actor="system", action="survey_unrated", now=now, detail=f"{survey.kind}: no answer")
            if case.status == "resolved":
                await casework.close(session, case.number, "system", now, staff_text("closed_unrated"))
        await session.flush()
        if len(batch) < EXPIRE_BATCH:
            break
        last_id = batch[-1].id
    if expired:
        log.info("surveys: %d unanswered survey(s) closed as unrated", expired)
    return expired


async def tick(app) -> int:
    """Scheduler tick: close unanswered surveys past their deadline."""
    async with app.sessions() as session, session.begin():
        return await expire_unanswered(session, app.clock.now())
