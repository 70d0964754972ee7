"""The Telegram adapter: a PTB Update becomes an Inbound, a Reply becomes HTML text with inline buttons."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update

from bot.channels.render import escape_html, split_text
from bot.core.messages import Attachment, Inbound, Reply

CHANNEL = "telegram"
TEXT_LIMIT = 4096
CALLBACK_DATA_LIMIT = 64
CITIZEN_COMMANDS = ("start", "help", "status", "delete")


@dataclass(frozen=True)
class Rendered:
    """One Telegram message ready to send: HTML text and an optional inline keyboard."""

    html: str
    markup: InlineKeyboardMarkup | None = None


def callback_data(value: str) -> str:
    """A choice value as callback_data, which Telegram caps at 64 bytes."""
    size = len(value.encode("utf-8"))
    if size > CALLBACK_DATA_LIMIT:
        raise ValueError(f"callback_data {value!r} is {size} bytes; Telegram allows {CALLBACK_DATA_LIMIT}")
    return value


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    """The reply's choices as one inline button a row (labels are plain text, never parsed)."""
    if not reply.choices:
        return None
    rows = [[InlineKeyboardButton(choice.label[:64], callback_data=callback_data(choice.value))] for choice in reply.choices]
    return InlineKeyboardMarkup(rows)


def html_parts(text: str) -> list[str]:
    """Escaped text in parts of at most 4096 characters, split at line boundaries."""
    parts: list[str] = []
    for raw in split_text(text, TEXT_LIMIT):
        escaped = escape_html(raw)
        parts.extend([escaped] if len(escaped) <= TEXT_LIMIT else _pack_escaped(raw))
    return [part for part in parts if part.strip()] or ["…"]


def _pack_escaped(raw: str) -> list[str]:
    # escaping lengthens `&<>` up to five-fold: pack escaped lines again, cutting only between entities
    parts: list[str] = []
    current = ""
    for line in raw.split("\n"):
        line_html = escape_html(line)
        candidate = f"{current}\n{line_html}" if current else line_html
        if len(candidate) <= TEXT_LIMIT:
            current = candidate
            continue
        if current:
            parts.append(current)
            current = ""
        for char in line:
            piece = escape_html(char)
            if len(current) + len(piece) > TEXT_LIMIT:
                parts.append(current)
                current = ""
            current += piece
    if current:
        parts.append(current)
    return parts


def render(reply: Reply) -> list[Rendered]:
    """A reply as Telegram messages; the buttons go with the last part so they sit under the whole text."""
    parts = html_parts(reply.text)
    markup = keyboard(reply)
    return [Rendered(part, markup if i == len(parts) - 1 else None) for i, part in enumerate(parts)]


def _command(message: Message) -> str | None:
    text = (message.text or "").strip()
    if not text.startswith("/"):
        return None
    name = text[1:].split(maxsplit=1)[0].split("@", 1)[0].lower() if len(text) > 1 else ""
    return name or None


def _attachments(message: Message) -> tuple[Attachment, ...]:
    if message.photo:
        return (Attachment(kind="photo", ref=message.photo[-1].file_id),)
    if message.document:
        return (Attachment(kind="document", ref=message.document.file_id, name=message.document.file_name),)
    return ()


def to_inbound(update: Update) -> Inbound | None:
    """What a citizen did in a private chat, as an Inbound; None for updates that carry nothing for the engine."""
    user = update.effective_user
    if user is None or user.is_bot:
        return None
    common: dict[str, Any] = dict(
        channel=CHANNEL,
        user_id=str(user.id),
        message_id=f"u{update.update_id}",
        lang_hint=user.language_code,
        display_name=user.full_name or None,
    )
    if update.callback_query is not None:
        data = update.callback_query.data
        if not data:
            return None
        return Inbound(kind="choice", choice=data, **common)
    message = update.message
    if message is None:
        return None
    command = _command(message)
    if command is not None:
        if command in CITIZEN_COMMANDS:
            return Inbound(kind="command", command=command, text="", **common)
        return Inbound(kind="text", text=message.text or "", **common)
    attachments = _attachments(message)
    if attachments:
        return Inbound(kind="attachment", text=message.caption or "", attachments=attachments, **common)
    if message.text is not None:
        return Inbound(kind="text", text=message.text, **common)
    return Inbound(kind="unsupported", **common)
