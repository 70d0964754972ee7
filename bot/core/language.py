"""Which language to answer in: Chinese first, English when the citizen writes English."""

from __future__ import annotations

import re

from knowledge.intents import CASE_NUMBER, CASE_NUMBER_ATTEMPT
from knowledge.text import has_cjk

_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
# one-word answers inside a flow say nothing about the language the citizen prefers
NEUTRAL_WORDS = frozenset({"ok", "okay", "yes", "no", "y", "n", "skip", "cancel", "pass", "none", "na", "n/a", "hi"})


def from_hint(hint: str | None) -> str:
    """Map a platform language code (e.g. Telegram's `en-GB`) to zh or en."""
    return "en" if hint and hint.lower().startswith("en") else "zh"


def detect(text: str, current: str) -> str:
    """The language of this message, or `current` when the message does not tell (numbers, case numbers, emoji)."""
    if has_cjk(text):
        return "zh"
    rest = CASE_NUMBER_ATTEMPT.sub(" ", CASE_NUMBER.sub(" ", text))
    if rest.strip(" .!?").lower() in NEUTRAL_WORDS:
        return current
    if _LATIN_WORD.search(rest):
        return "en"
    return current
