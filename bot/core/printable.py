"""Text made safe for a terminal: what citizens write never moves a cursor, clears a screen or breaks the encoding."""

from __future__ import annotations

import unicodedata


def printable(text: str) -> str:
    """Lone surrogates replaced, control characters (escape sequences, bells, backspaces) dropped; newlines and tabs kept."""
    text = text.encode("utf-8", "replace").decode("utf-8")
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc")
