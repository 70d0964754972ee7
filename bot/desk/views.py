"""How the desk says things: the browser's language, durations, deadline colours, local times, the templates."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from bot.core.texts import TEXTS, t

TEMPLATES = Path(__file__).parent / "templates"
AMBER_WITHIN = timedelta(hours=24)


def language(accept_language: str | None) -> str:
    """`en` when the browser prefers English over Chinese, else `zh` (Chinese first)."""
    best, best_q = "zh", -1.0
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in ("zh", "en") and q - position * 1e-6 > best_q:
            best, best_q = primary, q - position * 1e-6
    return best


def duration(delta: timedelta, lang: str) -> str:
    """`2天3小时`, `5小时10分钟`, `25分钟` (or English) for a non-negative span."""
    minutes = max(0, int(delta.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = []
    if days:
        parts.append(t("desk_days", lang, n=days))
    if hours and len(parts) < 2:
        parts.append(t("desk_hours", lang, n=hours))
    if not days and (mins or not parts):
        parts.append(t("desk_minutes", lang, n=mins))
    return ("" if lang == "zh" else " ").join(parts)


def deadline(due_at: datetime, now: datetime, lang: str, *, paused: bool = False) -> tuple[str, str]:
    """(text, colour) of the time left: green, amber within a day, red when overdue; grey while paused."""
    if paused:
        return t("desk_paused", lang), "grey"
    left = due_at - now
    if left < timedelta(0):
        return t("desk_overdue_by", lang, d=duration(-left, lang)), "red"
    return t("desk_left", lang, d=duration(left, lang)), "amber" if left < AMBER_WITHIN else "green"


def environment() -> Environment:
    """The Jinja2 environment: autoescaping for every template, so citizen text is always shown as text."""
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True, default_for_string=True))
    env.globals["TEXTS"] = TEXTS
    return env
