"""The citizen's side of a follow-up survey: tap (or type) one of five levels, then an optional comment."""

from __future__ import annotations

import logging

from bot.core.messages import Reply
from bot.core.turn import Turn
from bot.office import surveys
from bot.storage.survey_models import Survey
from handlers.words import is_skip
from knowledge.intents import detect
from knowledge.text import normalize

log = logging.getLogger(__name__)

BREAKOUT_INTENTS = ("handoff", "privacy", "menu")
_NAMES = {
    **{surveys.level_name(level, "zh"): level for level in surveys.LEVELS},
    **{surveys.level_name(level, "en").lower(): level for level in surveys.LEVELS},
    **{str(number): level for number, level in enumerate(surveys.LEVELS, 1)},
}


def parse_level(text: str) -> str | None:
    """A bare 1–5 or a level name (非常满意 … / very satisfied …) as a level, else None."""
    bare = normalize(text or "").strip(" .。!！~～")
    return _NAMES.get(bare)


def _in_comment(turn: Turn) -> bool:
    return turn.state.get("flow") == "survey_comment"


async def wants_text(turn: Turn) -> bool:
    """True when this text answers a pending survey or is the comment invited after a rating."""
    if _in_comment(turn):
        return detect(turn.text, turn.services.knowledge.current.index.synonyms).name not in BREAKOUT_INTENTS
    if parse_level(turn.text) is None:
        return False
    return await surveys.pending_for(turn.session, turn.citizen) is not None


async def wants_choice(turn: Turn) -> bool:
    """True for a survey tap, or a digit the engine read as an older choice although the survey came after it."""
    if (turn.inbound.choice or "").startswith("sv:"):
        return True
    if turn.inbound.kind != "choice" or parse_level(turn.text) is None:
        return False
    survey = await surveys.pending_for(turn.session, turn.citizen)
    if survey is None:
        return False
    last_sent = survey.reminded_at or survey.sent_at
    seen = turn.citizen.last_inbound_at
    return seen is None or (last_sent is not None and last_sent > seen)


async def on_text(turn: Turn) -> list[Reply]:
    """A typed level, or the comment after a rating."""
    if _in_comment(turn):
        return await comment(turn)
    survey = await surveys.pending_for(turn.session, turn.citizen)
    level = parse_level(turn.text)
    if survey is None or level is None:
        return [turn.reply("survey_not_found")]
    return await _rate(turn, survey, level)


async def on_choice(turn: Turn) -> list[Reply]:
    """A tapped `sv:{id}:{level}` value (or a digit meant for the survey)."""
    value = turn.inbound.choice or ""
    if not value.startswith("sv:"):
        survey = await surveys.pending_for(turn.session, turn.citizen)
        level = parse_level(turn.text)
        return await _rate(turn, survey, level) if survey and level else [turn.reply("survey_not_found")]
    parts = value.split(":")
    if len(parts) != 3 or not parts[1].isdigit() or parts[2] not in surveys.LEVELS:
        log.warning("survey: malformed choice value %r from %s", value[:60], turn.inbound.channel)
        return [turn.reply("survey_not_found")]
    survey = await turn.session.get(Survey, int(parts[1]))
    if survey is None or survey.citizen_id != turn.citizen.id:
        return [turn.reply("survey_not_found")]
    return await _rate(turn, survey, parts[2])


async def _rate(turn: Turn, survey: Survey, level: str) -> list[Reply]:
    outcome = await surveys.rate(turn.session, turn.services, survey, level, turn.now)
    turn.case_id = survey.case_id
    if outcome.refusal == "already":
        return [turn.reply("survey_already_rated", level=surveys.level_name(survey.rating, turn.lang))]
    if not outcome.accepted:
        return [turn.reply("survey_closed")]
    turn.state["flow"] = "survey_comment"
    turn.state["survey"] = survey.id
    name = surveys.level_name(level, turn.lang)
    rectification = outcome.rectification
    if rectification is not None:
        due = rectification.due_at.astimezone(turn.services.settings.tz).strftime("%Y-%m-%d")
        days = turn.services.settings.deadline_days("rectification")
        return [turn.reply("survey_bad_review", level=name, number=rectification.number, days=days, due=due)]
    if outcome.still_unhappy:
        return [turn.reply("survey_still_unhappy", level=name)]
    return [turn.reply("survey_thanks", level=name)]


async def comment(turn: Turn) -> list[Reply]:
    """The optional comment after a rating; "跳过/skip" ends it."""
    survey_id = turn.state.pop("survey", None)
    turn.state.pop("flow", None)
    if is_skip(turn.text):
        return [turn.reply("survey_comment_skipped")]
    survey = await turn.session.get(Survey, survey_id) if isinstance(survey_id, int) else None
    if survey is not None and survey.citizen_id == turn.citizen.id:
        await surveys.add_comment(turn.session, survey, turn.text, turn.now)
        turn.case_id = survey.case_id
    return [turn.reply("survey_comment_saved")]
