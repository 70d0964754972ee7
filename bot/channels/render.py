"""The one place replies become channel text: choices as buttons or numbered lines, escaping, length splits."""

from __future__ import annotations

import html

from bot.core.messages import Reply
from bot.core.texts import t
from knowledge.text import has_cjk


def escape_html(text: str) -> str:
    """Escape text for Telegram's HTML parse mode."""
    return html.escape(text, quote=False)


def numbered(reply: Reply, start: int = 1) -> str:
    """The reply's text with its choices as `1. …` lines, for channels without buttons."""
    if not reply.choices:
        return reply.text
    lines = [reply.text] + [f"{i}. {choice.label}" for i, choice in enumerate(reply.choices, start)]
    return "\n".join(lines + [t("numbered_hint", "zh" if has_cjk(reply.text) else "en")])


def split_text(text: str, limit: int, *, in_bytes: bool = False) -> list[str]:
    """Split text into parts of at most `limit` characters (or UTF-8 bytes) at line boundaries; only an over-long line is cut inside."""
    size = (lambda value: len(value.encode())) if in_bytes else len
    if size(text) <= limit:
        return [text]
    parts: list[str] = []
    current: str | None = None
    for line in text.split("\n"):
        while size(line) > limit:
            cut = len(line.encode()[:limit].decode(errors="ignore")) if in_bytes else limit
            if current is not None:
                parts.append(current)
                current = None
            parts.append(line[:cut])
            line = line[cut:]
        candidate = line if current is None else f"{current}\n{line}"
        if size(candidate) > limit and current is not None:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current is not None:
        parts.append(current)
    return parts


def as_plain_text(replies: list[Reply], limit: int) -> list[str]:
    """Every reply as numbered plain text, split to the channel's size limit."""
    out: list[str] = []
    for reply in replies:
        out.extend(split_text(numbered(reply), limit))
    return out
