"""Procedure questions: the one-time notification for a confident match, choices for a vague one, never a guess."""

from __future__ import annotations

from bot.core.messages import Choice, Reply
from bot.core.turn import Turn
from knowledge.format import format_procedure
from knowledge.model import Procedure

CONTACT_PROCEDURE = "office-hours-location"


def procedure_choice(turn: Turn, procedure: Procedure) -> Choice:
    """A choice that opens a procedure's full answer."""
    return Choice(procedure.text(turn.lang).title, f"p:{procedure.id}")


async def answer_procedure(turn: Turn, procedure_id: str) -> list[Reply]:
    """The complete answer for a procedure the citizen picked."""
    procedure = turn.services.knowledge.current.get(procedure_id)
    if procedure is None:
        return await unknown(turn)
    turn.citizen.unknown_streak = 0
    return [Reply(format_procedure(procedure, turn.lang))]


async def answer_question(turn: Turn) -> list[Reply] | None:
    """Answer a question from the knowledge base; None when it cannot be answered confidently."""
    result = turn.services.knowledge.current.search(turn.text)
    if not result.confident:
        return None
    turn.citizen.unknown_streak = 0
    if result.ambiguous:
        options = result.choices()
        turn.state["offered"] = [p.id for p in options]
        choices = tuple(procedure_choice(turn, p) for p in options) + (turn.choice("none_of_these", "m:none"),)
        return [Reply(turn.t("choose_procedure"), choices)]
    return [Reply(format_procedure(result.best.procedure, turn.lang))]


def contacts(turn: Turn) -> str:
    """The office phone and hours line, from the knowledge base's contact procedure."""
    procedure = turn.services.knowledge.current.get(CONTACT_PROCEDURE)
    if procedure is None:
        return ""
    text = procedure.text(turn.lang)
    return turn.t("unknown_contacts", phone=text.phone, hours=text.hours)


async def unknown(turn: Turn) -> list[Reply]:
    """Say politely that we cannot answer, and offer the next steps (nothing dead-ends)."""
    turn.citizen.unknown_streak += 1
    text = turn.t("unknown")
    extra = contacts(turn)
    choices = (
        turn.choice("menu_handoff", "m:handoff"),
        turn.choice("menu_complaint", "m:complaint"),
        turn.choice("menu_guide", "m:guide"),
    )
    return [Reply(text + ("\n" + extra if extra else ""), choices)]
