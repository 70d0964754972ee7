"""Case status: the citizen's own open cases, or one case by number only if it is theirs."""

from __future__ import annotations

from bot.core.messages import Reply
from bot.core.turn import Turn
from bot.office.cases import citizen_cases, find_for_citizen, is_anonymised
from bot.storage.models import Case
from knowledge.intents import Intent


def _local(turn: Turn, moment) -> str:
    return moment.astimezone(turn.services.settings.tz).strftime("%Y-%m-%d %H:%M")


def _line(turn: Turn, case: Case) -> str:
    return turn.t(
        "status_line",
        number=case.number,
        type=turn.t(f"type_{case.type}"),
        status=turn.t(f"status_{case.status}"),
        due=case.due_at.astimezone(turn.services.settings.tz).strftime("%Y-%m-%d"),
    )


async def show(turn: Turn, intent: Intent | None = None) -> list[Reply]:
    """Answer a status question; unknown, foreign and malformed numbers all get the same not-found answer."""
    if intent is not None and intent.malformed_number:
        return [turn.reply("status_malformed")]
    if intent is not None and intent.case_number:
        case = await find_for_citizen(turn.session, turn.citizen, intent.case_number)
        if case is None:
            if await is_anonymised(turn.session, intent.case_number):
                return [turn.reply("status_anonymised", number=intent.case_number)]
            return [turn.reply("status_not_found", number=intent.case_number)]
        extra = turn.t("status_resolution", resolution=case.resolution) if case.resolution else ""
        return [
            turn.reply(
                "status_detail",
                number=case.number,
                type=turn.t(f"type_{case.type}"),
                status=turn.t(f"status_{case.status}"),
                created=_local(turn, case.created_at),
                due=_local(turn, case.due_at),
                extra=extra,
            )
        ]
    cases = await citizen_cases(turn.session, turn.citizen)
    if not cases:
        return [turn.reply("status_none")]
    return [Reply("\n".join([turn.t("status_list")] + [_line(turn, c) for c in cases[:10]]))]
