"""Which language to answer in: Chinese first, English when the citizen writes English."""
from __future__ import annotations

import re

from knowledge.intents import CASE_NUMBER
from knowledge.text import has_cjk

_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def from_hint(hint: str | None) -> str:
    """Map a platform language code (e.g. Telegram's `en-GB`) to zh or en."""
    return "en" if hint and hint.lower().startswith("en") else "zh"


def detect(text: str, current: str) -> str:
    """The language of this message, or `current` when the message does not tell (numbers, case numbers, emoji)."""
    if has_cjk(text):
        return "zh"
    if _LATIN_WORD.search(CASE_NUMBER.sub(" ", text)):
        return "en"
    return current
