"""Alerts to staff, supervisors and leaders: who gets which level, masked text, sent once through the outbox."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.masking import mask_text
from bot.core.messages import Reply
from bot.core.texts import staff_text, t
from bot.delivery.outbox import Route
from bot.storage.models import Case, Citizen, OutboxMessage, Staff
from bot.storage.results import affected
from bot.storage.upsert import insert_for

log = logging.getLogger(__name__)

# who receives each alert level; its title is the text `alert_<level>`
LEVELS: dict[str, tuple[str, ...]] = {
    "new_complaint": ("supervisor",),
    "unassigned": ("supervisor",),
    "reminder": ("assignee",),
    "overdue": ("supervisor",),
    "supervise": ("leader",),
    "rectification": ("supervisor",),
    "callback": ("assignee", "supervisor"),
    "delivery_failed": ("assignee", "supervisor"),
    "calendar_missing": ("supervisor",),
    "outbox_unknown": ("supervisor",),
}
# notes that never carry what a citizen or staff member wrote (the others may: survey comments, undelivered text)
SYSTEM_NOTES = {"calendar_missing", "outbox_unknown"}


async def staff_by_role(session: AsyncSession, role: str) -> list[Staff]:
    """Active staff members with a role."""
    return list(await session.scalars(select(Staff).where(Staff.role == role, Staff.active.is_(True)).order_by(Staff.id)))


def _card(case: Case, assignee: Staff | None, tz, *, with_summary: bool = True) -> str:
    due = case.due_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
    lines = [
        staff_text("card_number", value=case.number),
        staff_text("card_type", value=staff_text(f"type_{case.type}")),
        staff_text("card_assignee", value=assignee.name if assignee else staff_text("unassigned")),
        staff_text("card_department", value=case.department or (mask_text(case.place)[:60] if case.place else staff_text("no_department"))),
        staff_text("card_due", value=due),
    ]
    if case.summary and with_summary:
        lines.append(staff_text("card_summary", value=mask_text(case.summary)[:200]))
    return "\n".join(lines)


async def case_card(session: AsyncSession, case: Case, tz) -> str:
    """Number, type, assignee and due date of a case, with personal data masked."""
    assignee = await session.get(Staff, case.assignee_id) if case.assignee_id else None
    return _card(case, assignee, tz)


class AlertBatch:
    """Alert rows for one transaction, written in one statement (the SLA sweep raises many at once)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.rows: list[dict] = []
        self._staff: dict[int, Staff] | None = None

    async def _people(self) -> dict[int, Staff]:
        if self._staff is None:
            with self.session.no_autoflush:
                found = await self.session.scalars(select(Staff).where(Staff.active.is_(True)).order_by(Staff.id))
            self._staff = {s.id: s for s in found}
        return self._staff

    async def _recipients(self, roles: tuple[str, ...], case: Case | None) -> list[Staff]:
        people = await self._people()
        chosen: dict[int, Staff] = {}
        for role in roles:
            if role == "assignee":
                if case is not None and case.assignee_id in people:
                    chosen[case.assignee_id] = people[case.assignee_id]
                elif "supervisor" not in roles:
                    chosen.update({i: s for i, s in people.items() if s.role == "supervisor"})
            else:
                chosen.update({i: s for i, s in people.items() if s.role == role})
        return list(chosen.values())

    async def add(self, level: str, *, now: datetime, tz, case: Case | None = None, note: str = "", key: str = "") -> int:
        """Queue one alert per recipient of this level; returns how many rows were prepared."""
        title, roles = staff_text(f"alert_{level}"), LEVELS[level]
        people = await self._people()
        body = withheld = f"【{title}】"
        if case is not None:
            assignee = people.get(case.assignee_id) if case.assignee_id is not None else None
            body += "\n" + _card(case, assignee, tz)
            withheld += "\n" + _card(case, assignee, tz, with_summary=False)
        if note:
            body += "\n" + mask_text(note)
        if note and level in SYSTEM_NOTES:
            withheld += "\n" + mask_text(note)
        elif note or (case is not None and case.summary):
            withheld += "\n" + t("staff_content_withheld", "zh")
        subject = key or (f"{case.id}:{case.due_at.date().isoformat()}" if case is not None else "global")
        recipients = await self._recipients(roles, case)
        targets = [f"staff:{s.id}" for s in recipients] or ["log"]
        if not recipients:
            log.warning("alert %s for %s: no %s registered; logging it instead", level, case.number if case else subject, "/".join(roles))
        for target in targets:
            self.rows.append(
                dict(
                    kind="alert",
                    dedup_key=f"alert:{level}:{subject}:{target}"[:191],
                    channel="staff" if target != "log" else "log",
                    recipient=target,
                    payload={
                        "replies": [Reply(body).to_json()],
                        "level": level,
                        "case": case.number if case is not None else None,
                        "withheld": [Reply(withheld).to_json()],  # for channels the office keeps citizens' words off
                    },
                    case_id=case.id if case is not None else None,
                    status="pending",
                    attempts=0,
                    due_at=now,
                    created_at=now,
                )
            )
        return len(targets)

    async def flush(self) -> int:
        """Insert the prepared rows; a dedup key already used is skipped. Returns rows inserted."""
        inserted = 0
        for start in range(0, len(self.rows), 500):
            chunk = self.rows[start : start + 500]
            statement = insert_for(self.session, OutboxMessage).values(chunk).on_conflict_do_nothing(index_elements=["dedup_key"])
            inserted += affected(await self.session.execute(statement))
        self.rows.clear()
        return inserted


async def raise_alert(
    session: AsyncSession, level: str, *, now: datetime, tz, case: Case | None = None, note: str = "", key: str = ""
) -> int:
    """Queue one alert per recipient now; the dedup key makes a repeated call for the same case and level a no-op."""
    batch = AlertBatch(session)
    await batch.add(level, now=now, tz=tz, case=case, note=note, key=key)
    return await batch.flush()


async def route_staff(session: AsyncSession, row: OutboxMessage, available: set[str]) -> Route | None:
    """Pick the channel a staff member is reachable on: Telegram, then WeChat, else the log."""
    if not row.recipient.startswith("staff:"):
        return Route("log", row.recipient)
    staff = await session.get(Staff, int(row.recipient.split(":", 1)[1]))
    if staff is None or not staff.active:
        return Route("log", row.recipient)
    if staff.telegram_id and "telegram" in available:
        return Route("telegram", str(staff.telegram_id))
    if staff.wechat_openid and "wechat" in available:
        return Route("wechat", staff.wechat_openid)
    return Route("log", f"{staff.name}({staff.role})")


async def delivery_failed(session: AsyncSession, row: OutboxMessage, error: str, now: datetime, tz) -> None:
    """A message to a citizen could not be delivered: mark them unreachable and tell the staff on the case."""
    if row.kind == "alert":
        log.error("alert %s could not be delivered to %s: %s", row.dedup_key, row.recipient, error)
        return
    citizen = await session.scalar(select(Citizen).where(Citizen.channel == row.channel, Citizen.external_id == row.recipient))
    if citizen is not None and "unreachable" in error:
        citizen.unreachable = True
    case = await session.get(Case, row.case_id) if row.case_id else None
    text = " / ".join(r.get("text", "")[:200] for r in row.payload.get("replies", []))
    note = staff_text("note_undelivered", channel=row.channel, error=error, text=text)
    await raise_alert(session, "delivery_failed", now=now, tz=tz, case=case, note=note, key=f"row{row.id}")
