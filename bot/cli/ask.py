"""What `ask --json` reports for a question: intent, matched procedure, score, confidence, alternatives."""

from __future__ import annotations

from typing import Any

from knowledge.base import KnowledgeBase
from knowledge.intents import detect


def analyse(kb: KnowledgeBase, question: str) -> dict[str, Any]:
    """Run a question through intent detection and search exactly as the bot would."""
    intent = detect(question)
    result = kb.search(question)
    alternatives = [h.procedure.id for h in result.hits[1:4]]
    out: dict[str, Any] = {
        "intent": intent.name,
        "id": None,
        "score": round(result.confidence, 4),
        "confident": False,
        "alternatives": alternatives,
    }
    if intent.case_number:
        out["case_number"] = intent.case_number
    if intent.name != "procedure":
        return out
    if not result.confident:
        out["intent"] = "unknown"
        return out
    out["id"] = result.best.procedure.id
    out["confident"] = not result.ambiguous
    if result.ambiguous:
        out["alternatives"] = [p.id for p in result.choices()[1:]]
    return out
