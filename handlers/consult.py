"""Procedure questions: the whole checklist, or the one FAQ item or line (fee, time limit) asked about; choices when two fit, best guesses when unsure."""

from __future__ import annotations

from bot.core.messages import Choice, Reply
from bot.core.turn import Turn
from bot.office import knowledge_gaps
from knowledge.detail import asked_field
from knowledge.format import format_procedure
from knowledge.model import Procedure
from knowledge.search import match_faq

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


def _next_steps(turn: Turn) -> tuple[Choice, ...]:
    return (
        turn.choice("menu_handoff", "m:handoff"),
        turn.choice("menu_complaint", "m:complaint"),
        turn.choice("ask_again_label", "m:again"),
    )


async def answer_question(turn: Turn) -> list[Reply] | None:
    """Answer a question from the knowledge base; None when no procedure fits it even as a guess."""
    kb = turn.services.knowledge.current
    result = kb.search(turn.text)
    offered = result.guesses()
    if not (result.confident and not result.ambiguous):
        await note_gap(turn, offered[0].id if offered else None)
    if not offered:
        return None
    turn.citizen.unknown_streak = 0
    turn.state["offered"] = [p.id for p in offered]
    if not result.confident:
        choices = tuple(procedure_choice(turn, p) for p in offered) + _next_steps(turn)
        return [Reply(turn.t("best_guesses"), choices)]
    if result.ambiguous:
        choices = tuple(procedure_choice(turn, p) for p in offered) + (turn.choice("none_of_these", "m:none"),)
        return [Reply(turn.t("choose_procedure"), choices)]
    procedure = offered[0]
    faq = match_faq(kb.index, procedure, turn.text, turn.lang, result.words)
    if faq is not None:
        _, item = faq
        text = turn.t("faq_answer", title=procedure.text(turn.lang).title, q=item.q, a=item.a)
        return [Reply(text, (Choice(turn.t("full_guide"), f"p:{procedure.id}"),))]
    field = asked_field(turn.text)
    if field is not None:
        written = procedure.text(turn.lang)
        line = turn.t("field_answer", title=written.title, label=turn.t(f"field_{field}"), value=getattr(written, field))
        return [Reply(line, (Choice(turn.t("full_guide"), f"p:{procedure.id}"),))]
    return [Reply(format_procedure(procedure, turn.lang))]


async def note_gap(turn: Turn, guess: str | None = None) -> None:
    """Keep a question the bot could not answer confidently for the office (masked, not linked to the citizen)."""
    day = turn.now.astimezone(turn.services.settings.tz).date()
    await knowledge_gaps.note(turn.session, turn.text, turn.lang, turn.now, day, guess)


def contacts(turn: Turn) -> str:
    """The office phone and hours line, from the knowledge base's contact procedure."""
    procedure = turn.services.knowledge.current.get(CONTACT_PROCEDURE)
    if procedure is None:
        return ""
    text = procedure.text(turn.lang)
    return turn.t("unknown_contacts", phone=text.phone, hours=text.hours)


async def ask_again(turn: Turn) -> list[Reply]:
    """The citizen chose to rephrase: invite the new question."""
    return [turn.reply("ask_again_prompt")]


async def unknown(turn: Turn, *, counts: bool = True) -> list[Reply]:
    """Say politely that we cannot answer, and offer the next steps (nothing dead-ends).

    `counts`: a real question the knowledge base could not answer moves the citizen towards an automatic
    handoff; an out-of-scope message does not.
    """
    if counts:
        turn.citizen.unknown_streak += 1
    text = turn.t("unknown")
    extra = contacts(turn)
    choices = (
        turn.choice("menu_handoff", "m:handoff"),
        turn.choice("menu_complaint", "m:complaint"),
        turn.choice("menu_guide", "m:guide"),
    )
    return [Reply(text + ("\n" + extra if extra else ""), choices)]
