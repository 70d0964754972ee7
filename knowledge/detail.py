"""Detail questions about a line every procedure has — its fee or its time limit — so the answer can be that line."""

from __future__ import annotations

import re

from knowledge.text import normalize

# what citizens write when they ask only what it costs, or only how long it takes (after normalize: simplified, lower case)
_CUES = {
    "fee": (
        ("多少钱", "几块钱", "收费", "费用", "收钱", "要钱", "花钱", "免费", "价格", "交多少", "花多少", "贵不贵", "贵吗"),
        ("how much", "fee", "fees", "cost", "costs", "price", "charge", "charges", "free"),
    ),
    "time_limit": (
        (
            "多久",
            "多长时间",
            "几天",
            "多少天",
            "几个工作日",
            "时限",
            "多快",
            "要等多",
            "什么时候能拿",
            "什么时候出",
            "什么时候能出",
            "什么时候下来",
        ),
        ("how long", "how many days", "how soon", "when can i get", "when will i get", "time limit", "processing time"),
    ),
}
_ENGLISH = {field: re.compile(r"\b(?:" + "|".join(re.escape(cue) for cue in english) + r")\b") for field, (_, english) in _CUES.items()}


def asked_field(question: str) -> str | None:
    """`fee` or `time_limit` when the question asks about exactly one of them (健康证多少钱, 几天出结果), else None."""
    text = normalize(question)
    asked = [field for field, (chinese, _) in _CUES.items() if any(cue in text for cue in chinese) or _ENGLISH[field].search(text)]
    return asked[0] if len(asked) == 1 else None
