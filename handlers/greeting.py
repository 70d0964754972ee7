"""Greetings, goodbyes and the main menu (三有: 来有迎声，问有答声，走有送声)."""

from __future__ import annotations

from bot.core.messages import Reply
from bot.core.turn import Turn
from handlers.consult import procedure_choice

GUIDE_PROCEDURES = (
    "health-certificate",
    "public-place-hygiene-license",
    "medical-institution-license",
    "birth-certificate",
    "office-hours-location",
    "complaint-hotline",
)


def menu(turn: Turn) -> Reply:
    """The short menu: 办事指南 / 我要投诉 / 进度查询 / 人工服务."""
    return turn.reply(
        "menu_prompt",
        turn.choice("menu_guide", "m:guide"),
        turn.choice("menu_complaint", "m:complaint"),
        turn.choice("menu_status", "m:status"),
        turn.choice("menu_handoff", "m:handoff"),
    )


async def greet(turn: Turn) -> list[Reply]:
    """Answer a greeting with a greeting and the menu."""
    return [turn.reply("greeting", office=turn.office_name()), menu(turn)]


async def goodbye(turn: Turn) -> list[Reply]:
    """Say goodbye politely."""
    return [turn.reply("goodbye")]


async def chitchat(turn: Turn) -> list[Reply]:
    """Small talk gets a friendly word about what the bot can do, and the menu."""
    return [turn.reply("chitchat", office=turn.office_name()), menu(turn)]


async def show_menu(turn: Turn) -> list[Reply]:
    """Show the menu alone."""
    return [menu(turn)]


async def guide(turn: Turn) -> list[Reply]:
    """List the most asked-for procedures as choices."""
    kb = turn.services.knowledge.current
    choices = [procedure_choice(turn, p) for p in (kb.get(pid) for pid in GUIDE_PROCEDURES) if p is not None]
    return [Reply(turn.t("guide_intro"), tuple(choices))]
