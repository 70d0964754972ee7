"""What `ask --json` reports for a question: intent, matched procedure, score, confidence, alternatives."""

from __future__ import annotations

from typing import Any

from bot.core import language
from knowledge.base import KnowledgeBase
from knowledge.detail import asked_field
from knowledge.intents import detect
from knowledge.search import match_faq


def analyse(kb: KnowledgeBase, question: str, explain: bool = False) -> dict[str, Any]:
    """Run a question through intent detection and search exactly as the bot would (see handlers.consult)."""
    intent = detect(question, kb.index.synonyms)
    result = kb.search(question, explain=explain)
    out: dict[str, Any] = {
        "intent": intent.name,
        "id": None,
        "score": round(result.confidence, 4),
        "confident": False,
        "alternatives": [h.procedure.id for h in result.hits[1:4]],
    }
    if intent.case_number:
        out["case_number"] = intent.case_number
    if explain:
        out["explanation"] = [f"intent: {intent.name}", *result.explanation]
    if intent.name != "procedure":
        return out
    offered = result.guesses()
    if not offered:
        out["intent"] = "unknown"
        return out
    out["id"] = offered[0].id
    out["confident"] = result.confident and not result.ambiguous
    out["alternatives"] = [p.id for p in offered[1:]]
    if out["confident"]:
        lang = language.detect(question, "zh")
        faq = match_faq(kb.index, offered[0], question, lang, result.words)
        if faq is not None:
            out["faq"] = faq[0]
        elif (field := asked_field(question)) is not None:
            out["field"] = field  # the answer is that one line of the procedure (its fee or time limit)
    return out
