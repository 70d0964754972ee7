"""Which flow handles a turn: platform events, commands, choices, an open flow, a live handoff, or the detected intent."""

from __future__ import annotations

from bot.core.messages import Reply
from bot.core.turn import Turn
from bot.storage.models import Case
from handlers import complaint, consult, greeting, handoff, privacy, status, survey
from handlers.words import is_chitchat, is_leave
from knowledge.intents import detect
from knowledge.text import normalize

UNANSWERED_BEFORE_HANDOFF = 2
BREAKOUT_INTENTS = ("handoff", "privacy", "menu")
# while staff wait for the citizen's answer, these still do their usual thing (and the case stays waiting)
MENU_INTENTS = ("menu", "case_status", "handoff", "privacy", "complaint", "greeting")


async def _on_choice(turn: Turn) -> list[Reply]:
    value = turn.inbound.choice or ""
    flow = turn.state.get("flow")
    if await survey.wants_choice(turn):
        return await survey.on_choice(turn)
    if value.startswith("c:") and flow == "complaint":
        return await complaint.step(turn)
    if value.startswith("d:") and flow == "delete":
        return await privacy.confirm(turn)
    turn.state.pop("flow", None)
    if value.startswith("p:"):
        return await consult.answer_procedure(turn, value[2:])
    if value == "m:guide":
        return await greeting.guide(turn)
    if value == "m:complaint":
        return await complaint.start(turn)
    if value == "m:status":
        return await status.show(turn)
    if value == "m:handoff":
        return await handoff.start(turn)
    if value == "m:none":
        return await consult.unknown(turn)
    if value == "m:again":
        return await consult.ask_again(turn)
    return await greeting.show_menu(turn)


async def _on_command(turn: Turn) -> list[Reply]:
    command = turn.inbound.command
    if command == "start":
        return await greeting.greet(turn)
    if command == "status":
        return await status.show(turn)
    if command == "delete":
        return await privacy.ask(turn)
    if command == "human":
        return await handoff.start(turn)
    if command == "complaint":
        return await complaint.start(turn)
    if command == "cancel":
        turn.state = {}
    return await greeting.show_menu(turn)


async def _on_question(turn: Turn) -> list[Reply]:
    answer = await consult.answer_question(turn)
    if answer is not None:
        return answer
    if turn.citizen.unknown_streak + 1 >= UNANSWERED_BEFORE_HANDOFF:
        return await handoff.start(turn, automatic=True, question=turn.text)
    return await consult.unknown(turn)


async def _with_staff(turn: Turn, live: Case, intent: str) -> list[Reply] | None:
    """A message while the citizen's case is with staff; None lets the usual flows answer it."""
    if is_leave(turn.text):
        return await handoff.leave(turn, live)
    if live.status == "waiting":  # staff asked something: the next message is the answer, unless it is a menu word
        return None if intent in MENU_INTENTS else await handoff.relay(turn, live)
    if handoff.with_staff(turn):  # a staff member is talking with the citizen: everything goes to them
        return None if intent == "privacy" else await handoff.relay(turn, live)
    if intent in BREAKOUT_INTENTS or intent in ("case_status", "complaint"):
        return None
    if intent == "procedure":  # queued: what the knowledge base answers confidently, the bot answers too
        answer = await consult.answer_question(turn)
        if answer is not None and not answer[0].choices:
            await handoff.relay(turn, live, quiet=True)
            return [*answer, turn.reply("handoff_also_passed")]
    return await handoff.relay(turn, live)


async def route(turn: Turn) -> list[Reply]:
    """Hand the turn to the flow that owns it and return that flow's replies."""
    inbound = turn.inbound
    if inbound.kind == "unsubscribe":
        return await privacy.unsubscribe(turn)
    if inbound.kind == "subscribe":
        return await greeting.greet(turn)
    if inbound.kind == "command":
        return await _on_command(turn)
    if inbound.kind == "choice":
        return await _on_choice(turn)
    flow = turn.state.get("flow")
    live = await handoff.live_case(turn)
    if inbound.kind == "attachment":
        if flow == "complaint":
            return complaint.add_attachments(turn)
        if live is not None:
            return await handoff.relay(turn, live)
        return [turn.reply("unsupported")]
    if inbound.kind == "unsupported":
        return [turn.reply("unsupported")]
    clean = normalize(turn.text)
    if not clean:
        return [turn.reply("empty")]
    intent = detect(turn.text, turn.services.knowledge.current.index.synonyms)
    if flow == "complaint" and intent.name not in BREAKOUT_INTENTS:
        return await complaint.step(turn)
    if flow == "delete":
        return await privacy.confirm(turn)
    if await survey.wants_text(turn):
        return await survey.on_text(turn)
    if live is not None:
        answered = await _with_staff(turn, live, intent.name)
        if answered is not None:
            return answered
    turn.state.pop("flow", None)
    if not any(ch.isalnum() for ch in clean):
        return [turn.reply("junk")]
    if intent.name == "greeting":
        return await greeting.greet(turn)
    if intent.name == "goodbye":
        return await greeting.goodbye(turn)
    if intent.name == "menu":
        return await greeting.show_menu(turn)
    if intent.name == "privacy":
        return await privacy.ask(turn)
    if intent.name == "handoff":
        return await handoff.start(turn)
    if intent.name == "case_status":
        return await status.show(turn, intent)
    if intent.name == "complaint":
        return await complaint.start(turn)
    if is_chitchat(turn.text):
        return await greeting.chitchat(turn)
    if intent.name == "unknown":  # out of scope: no procedure to look for, and nothing for staff either
        await consult.note_gap(turn)
        return await consult.unknown(turn, counts=False)
    return await _on_question(turn)
