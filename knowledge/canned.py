"""常用语: the canned replies an office edits in `canned_replies.yaml` beside the procedures, in Chinese and English, validated."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

FILE_NAME = "canned_replies.yaml"
_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


@dataclass(frozen=True)
class CannedReply:
    """One canned reply: an id, a short label, and the text in both languages."""

    id: str
    label: str
    zh: str
    en: str

    def text(self, lang: str) -> str:
        """The reply in `lang` (zh or en)."""
        return self.en if lang == "en" else self.zh


def load_canned(knowledge_dir: Path) -> tuple[list[CannedReply], list[str]]:
    """The canned replies and `file: field: problem` lines; a missing file means none (no error)."""
    path = knowledge_dir / FILE_NAME
    if not path.exists():
        return [], []
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        return [], [f"{FILE_NAME}: yaml: {str(exc).splitlines()[0]}"]
    if not isinstance(raw, list):
        return [], [f"{FILE_NAME}: (top): must be a list of replies"]
    replies: list[CannedReply] = []
    errors: list[str] = []
    seen: set[str] = set()
    for index, item in enumerate(raw):
        where = f"{FILE_NAME}: [{index}]"
        if not isinstance(item, dict):
            errors.append(f"{where}: must be a mapping with id, label, zh, en")
            continue
        problems = [
            f"{where}.{key}: required text"
            for key in ("id", "label", "zh", "en")
            if not isinstance(item.get(key), str) or not item[key].strip()
        ]
        if not problems and not _ID.match(item["id"]):
            problems.append(f"{where}.id: lowercase-dashed, got {item['id']!r}")
        if not problems and item["id"] in seen:
            problems.append(f"{where}.id: duplicate {item['id']!r}")
        if problems:
            errors += problems
            continue
        seen.add(item["id"])
        replies.append(CannedReply(item["id"], item["label"].strip(), item["zh"].strip(), item["en"].strip()))
    return replies, errors
