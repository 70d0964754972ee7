"""The staff forum supergroup: a topic per handed-off case, the citizen's words mirrored in, staff words relayed out."""

from __future__ import annotations

import contextvars
import logging
import uuid
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update

from bot.channels.render import escape_html
from bot.channels.telegram.convert import Rendered
from bot.channels.telegram.sender import TelegramSender, topic_key
from bot.core.events import Events
from bot.core.masking import mask_phone, mask_text
from bot.core.messages import Reply
from bot.core.services import Services
from bot.core.texts import staff_text
from bot.delivery.channel import DeliveryError
from bot.delivery.notices import Notice, NoticeKind
from bot.delivery.outbox import enqueue
from bot.office import casework, staff_verbs
from bot.office.alerts import case_card
from bot.office.casework import CaseActionError
from bot.storage.models import Attachment, Case, OutboxMessage, Staff
from bot.storage.telegram_models import RelayedMessage, StaffTopic
from bot.storage.upsert import insert_ignore

log = logging.getLogger(__name__)

# the staff verbs a topic message may start with (/take, /note …); a message without one is a reply
TOPIC_COMMANDS = ("take", "note", "transfer", "wait", "resolve", "reopen")

TOPIC_CASE_TYPES = ("consultation", "complaint")
MIRROR_CHARS = 3500
# the case acted on from inside its topic: its confirmation is answered there directly, not mirrored again
_acting_in_topic: contextvars.ContextVar[int | None] = contextvars.ContextVar("acting_in_topic", default=None)

ACTION_LINES = {
    "taken": "staff_mirror_taken",
    "replied": "staff_mirror_replied",
    "note": "staff_mirror_note",
    "transferred": "staff_mirror_transferred",
    "waiting": "staff_mirror_waiting",
    "reopened": "staff_mirror_reopened",
}


FORWARDABLE_KINDS = ("photo", "document")


_st = staff_text


async def topic_card(session: AsyncSession, services: Services, case: Case) -> str:
    """The summary card at the top of a case topic, personal data masked."""
    card = await case_card(session, case, services.settings.tz)
    if services.settings.telegram_staff_content == "withheld":
        # Telegram's servers are abroad: where the office says so, what citizens wrote stays in the case record
        summary = _st("card_summary", value="")
        card = "\n".join(line for line in card.splitlines() if not line.startswith(summary))
    lines = [card]
    if case.place:
        lines.append(_st("card_place", value=mask_text(case.place)[:200]))
    if case.phone:
        lines.append(_st("card_phone", value=mask_phone(case.phone)))
    files = await session.scalar(select(func.count()).select_from(Attachment).where(Attachment.case_id == case.id))
    if files:
        lines.append(_st("card_files", value=files))
    lines.append(_st("card_channel", value=case.channel or "-"))
    lines.append(_st("staff_topic_help"))
    return "\n".join(lines)


def _forwardable(services: Services, files: list[tuple[str, str]]) -> list[list[str]]:
    """Telegram photos and documents the topic can show by file id (the bot's own files; none in withheld mode)."""
    if services.settings.telegram_staff_content == "withheld":
        return []
    return [[kind, ref] for kind, ref in files if kind in FORWARDABLE_KINDS]


class StaffTopics:
    """Event subscribers that queue topic creation and mirrors through the outbox, in the event's transaction."""

    def __init__(self, chat_id: int) -> None:
        self.chat_id = chat_id

    def subscribe(self, events: Events) -> None:
        """Listen to case events (once per event bus)."""
        installed = getattr(events, "_telegram_staff_topics", None)
        if installed is not None:
            installed.chat_id = self.chat_id
            return
        setattr(events, "_telegram_staff_topics", self)  # noqa: B010 (a marker on a bus we do not own)
        events.subscribe("case_opened", self.case_opened)
        events.subscribe("citizen_message", self.citizen_message)
        events.subscribe("case_action", self.case_action)
        events.subscribe("case_resolved", self.case_resolved)

    async def case_opened(self, *, session: AsyncSession, services: Services, case: Case, now: datetime) -> None:
        """A handoff or complaint gets a topic named by its number only, with a masked card and buttons."""
        if case.type not in TOPIC_CASE_TYPES:
            return
        card = await topic_card(session, services, case)
        buttons = [[[_st("staff_button_take"), f"st:take:{case.id}"], [_st("staff_button_resolve"), f"st:resolve:{case.id}"]]]
        evidence = await session.execute(
            select(Attachment.channel, Attachment.kind, Attachment.ref).where(Attachment.case_id == case.id).order_by(Attachment.id)
        )
        files = _forwardable(services, [(kind, ref) for channel, kind, ref in evidence if channel == "telegram"])
        await enqueue(
            session,
            Notice(
                kind=NoticeKind.STAFF_TOPIC,
                channel="telegram",
                recipient=str(self.chat_id),
                replies=(Reply(card),),
                dedup_key=topic_key(case.id),
                case_id=case.id,
                extra={"case_id": case.id, "case": case.number, "topic_name": case.number, "buttons": buttons, "files": files},
            ),
            due_at=now,
            now=now,
        )

    async def _has_topic(self, session: AsyncSession, case: Case) -> bool:
        if await session.scalar(select(StaffTopic.id).where(StaffTopic.case_id == case.id)) is not None:
            return True
        return await session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedup_key == topic_key(case.id))) is not None

    async def _mirror(self, session: AsyncSession, case: Case, text: str, now: datetime, files: list[list[str]] | None = None) -> None:
        if not await self._has_topic(session, case):
            return
        await enqueue(
            session,
            Notice(
                kind=NoticeKind.TOPIC_MIRROR,
                channel="telegram",
                recipient=str(self.chat_id),
                replies=(Reply(text),),
                dedup_key=f"tg-mirror:{case.id}:{uuid.uuid4().hex}",
                case_id=case.id,
                extra={"case_id": case.id, "case": case.number, "files": files or []},
            ),
            due_at=now,
            now=now,
        )

    async def citizen_message(
        self, *, session: AsyncSession, services: Services, case: Case, citizen, text: str, attachments, now: datetime
    ) -> None:
        """What the citizen wrote appears in the topic, masked."""
        body = mask_text(text)[:MIRROR_CHARS]
        if services.settings.telegram_staff_content == "withheld":
            body = _st("staff_content_withheld")
        if attachments:
            body += "\n" + _st("staff_mirror_files", count=len(attachments))
        files = _forwardable(services, [(a.kind, a.ref) for a in attachments] if citizen.channel == "telegram" else [])
        await self._mirror(session, case, _st("staff_mirror_citizen", text=body), now, files)

    async def case_action(
        self, *, session: AsyncSession, services: Services, case: Case, staff: Staff, action: str, text: str, now: datetime
    ) -> None:
        """Staff actions taken elsewhere (CLI, WeChat) are shown in the topic."""
        if _acting_in_topic.get() == case.id or action not in ACTION_LINES:
            return
        await self._mirror(session, case, _st(ACTION_LINES[action], who=staff.name, text=mask_text(text)[:MIRROR_CHARS]), now)

    async def case_resolved(self, *, session: AsyncSession, services: Services, case: Case, now: datetime) -> None:
        """A resolution made elsewhere is shown in the topic."""
        if _acting_in_topic.get() == case.id:
            return
        await self._mirror(session, case, _st("staff_mirror_resolved", text=mask_text(case.resolution or "")[:MIRROR_CHARS]), now)


def parse_command(text: str) -> tuple[str | None, str]:
    """`/transfer@bot 李四 原因` → ("transfer", "李四 原因"); plain text → (None, text)."""
    stripped = text.strip()
    if not stripped.startswith("/"):
        return None, text
    head, _, rest = stripped[1:].partition(" ")
    return head.split("@", 1)[0].lower(), rest.strip()


class StaffDesk:
    """Acts on what staff write or tap in the staff group: only registered staff, only in case topics."""

    def __init__(self, app, sender: TelegramSender, chat_id: int, kick: Callable[[], None]) -> None:
        self.app = app
        self.sender = sender
        self.chat_id = chat_id
        self.kick = kick

    async def handle(self, update: Update) -> None:
        """One update from the staff group."""
        if update.callback_query is not None:
            await self._button(update)
            return
        message = update.message
        if message is None or message.from_user is None or message.from_user.is_bot:
            return
        thread_id = message.message_thread_id if message.is_topic_message else None
        text = message.text or message.caption or ""
        has_media = bool(message.effective_attachment)
        if not text.strip() and not has_media:
            return  # service messages (joins, topic edits, pins) are nobody's words
        now = self.app.clock.now()
        async with self.app.sessions() as session, session.begin():
            record = dict(chat_id=message.chat_id, message_id=message.message_id, outcome="received", created_at=now)
            if not await insert_ignore(session, RelayedMessage, record, ["chat_id", "message_id"]):
                log.info("staff message %s/%s seen before; not acted on again", message.chat_id, message.message_id)
                return
            row = await session.scalar(
                select(RelayedMessage).where(RelayedMessage.chat_id == message.chat_id, RelayedMessage.message_id == message.message_id)
            )
            response = await self._act(session, row, message.from_user.id, thread_id, text, has_media=has_media, now=now)
        if response:
            await self._say(response, thread_id)
        self.kick()

    async def _act(
        self, session: AsyncSession, row: RelayedMessage, user_id: int, thread_id: int | None, text: str, *, has_media: bool, now: datetime
    ) -> str | None:
        try:
            staff = await casework.require_staff(session, telegram_id=user_id)
        except CaseActionError:
            row.outcome = "refused"
            log.warning("staff group: message from unregistered user %s refused, nothing relayed", user_id)
            return _st("staff_refused")
        row.staff_id = staff.id
        command, argument = parse_command(text)
        topic = (
            await session.scalar(select(StaffTopic).where(StaffTopic.chat_id == self.chat_id, StaffTopic.thread_id == thread_id))
            if thread_id
            else None
        )
        if topic is None:
            row.outcome = "ignored"
            return _st("staff_no_topic") if command else None
        case = await session.get(Case, topic.case_id)
        row.case_id = topic.case_id
        if case is None:
            row.outcome = "ignored"
            return _st("staff_case_gone")
        if command is None and not text.strip():
            row.outcome = "ignored"
            return _st("staff_text_only") if has_media else None
        token = _acting_in_topic.set(case.id)
        try:
            async with session.begin_nested():
                response = await self._command(session, case, staff, command, argument, text, now)
            row.outcome = command or "relayed"
        except CaseActionError as exc:
            row.outcome = "rejected"
            response = f"⚠️ {exc}"
        finally:
            _acting_in_topic.reset(token)
        return response

    async def _command(
        self, session: AsyncSession, case: Case, staff: Staff, command: str | None, argument: str, text: str, now: datetime
    ) -> str:
        services = self.app.services
        number = case.number
        if command is None:
            await staff_verbs.perform(session, services, staff, staff_verbs.Act("reply", number, text=text), now)
            return _st("staff_done_replied", who=casework.staff_label(staff))
        if command not in TOPIC_COMMANDS:
            return _st("staff_usage")
        act = staff_verbs.Act(command, number, text=argument)
        if command == "transfer":
            target, _, reason = argument.partition(" ")
            if not target:
                raise CaseActionError(_st("staff_usage"))
            act = staff_verbs.Act(command, number, text=reason.strip(), target=target)
        await staff_verbs.perform(session, services, staff, act, now)
        if command == "take":
            return _st("staff_mirror_taken", who=staff.name, text="")
        if command == "note":
            return _st("staff_done_note")
        if command == "transfer":
            return _st("staff_mirror_transferred", who=staff.name, text=f"{act.target}：{mask_text(act.text)}")
        if command == "wait":
            return _st("staff_mirror_waiting", who=staff.name, text=argument or "-")
        if command == "resolve":
            return _st("staff_done_resolved", who=staff.name)
        return _st("staff_mirror_reopened", who=staff.name, text=argument)

    async def _button(self, update: Update) -> None:
        query = update.callback_query
        if query is None:
            return
        popup: str | None = None
        try:
            popup = await self._tap(query)
        finally:
            await self.sender.answer_callback(query.id, popup[:190] if popup else None)
        self.kick()

    async def _tap(self, query) -> str | None:
        """Take or Resolve tapped on a case card; returns the short answer shown to whoever tapped."""
        parts = (query.data or "").split(":")
        if len(parts) != 3 or parts[0] != "st" or parts[1] not in ("take", "resolve") or not parts[2].isdigit():
            return None
        action, case_id = parts[1], int(parts[2])
        message = query.message
        thread_id = message.message_thread_id if message is not None and getattr(message, "is_topic_message", False) else None
        now = self.app.clock.now()
        async with self.app.sessions() as session, session.begin():
            try:
                staff = await casework.require_staff(session, telegram_id=query.from_user.id)
            except CaseActionError:
                staff = None
            case = await session.get(Case, case_id) if staff is not None else None
            thread_id = thread_id or await session.scalar(select(StaffTopic.thread_id).where(StaffTopic.case_id == case_id))
            if staff is None:
                log.warning("staff group: button tapped by unregistered user %s refused", query.from_user.id)
                response = popup = _st("staff_refused")
            elif case is None:
                response = popup = _st("staff_case_gone")
            elif action == "resolve":
                response, popup = None, _st("staff_resolve_hint")
            else:
                token = _acting_in_topic.set(case.id)
                try:
                    async with session.begin_nested():
                        response = popup = await self._command(session, case, staff, "take", "", "", now)
                except CaseActionError as exc:
                    response = popup = f"⚠️ {exc}"
                finally:
                    _acting_in_topic.reset(token)
        if response:
            await self._say(response, thread_id)
        return popup

    async def _say(self, text: str, thread_id: int | None) -> None:
        try:
            await self.sender.send_rendered(self.chat_id, Rendered(escape_html(text)), thread_id=thread_id)
        except DeliveryError as exc:
            log.error("staff group: could not answer in topic %s: %s", thread_id, exc.reason)
