"""Edits the office makes to procedure files from the desk: an example question added to a `questions:` list.

The file is edited as text, one line inserted, so its comments, layout and flow-style lists stay as the office wrote them.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from knowledge.loader import procedure_files


def procedure_file(knowledge_dir: Path, procedure_id: str) -> Path | None:
    """The file that defines `procedure_id` (usually `<id>.yaml`, but any name is allowed)."""
    pattern = re.compile(rf"^id:\s*[\"']?{re.escape(procedure_id)}[\"']?\s*(#.*)?$", re.MULTILINE)
    files = procedure_files(knowledge_dir)
    named = [p for p in files if p.stem == procedure_id]
    for path in named + [p for p in files if p not in named]:
        if pattern.search(path.read_text(encoding="utf-8")):
            return path
    return None


def _block_end(lines: list[str], start: int, indent: int) -> int:
    """The line after the last `- item` of the block list whose key is on line `start`."""
    end = start + 1
    while end < len(lines):
        line = lines[end]
        stripped = line.strip()
        if stripped and not stripped.startswith("#") and (len(line) - len(line.lstrip(" "))) <= indent:
            break
        end += 1
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1
    return end


def add_question(source: str, question: str, lang: str) -> str:
    """The file text with `question` appended to its Chinese (top-level) or English (`en:`) `questions:` list."""
    lines = source.splitlines()
    item = json.dumps(question, ensure_ascii=False)  # a double-quoted YAML string, whatever the question holds
    en_at = next((i for i, line in enumerate(lines) if re.match(r"^en:\s*(#.*)?$", line)), None)
    if lang == "en":
        if en_at is None:
            raise ValueError("no en: section")
        key = next((i for i in range(en_at + 1, len(lines)) if re.match(r"^  questions:\s*(#.*)?$", lines[i])), None)
        if key is None:
            end = _block_end(lines, en_at, 0)
            lines[end:end] = ["  questions:", f"    - {item}"]
        else:
            end = _block_end(lines, key, 2)
            lines.insert(end, f"    - {item}")
    else:
        key = next((i for i, line in enumerate(lines) if re.match(r"^questions:\s*(#.*)?$", line)), None)
        if key is None:
            at = en_at if en_at is not None else len(lines)
            lines[at:at] = ["questions:", f"  - {item}"]
        else:
            end = _block_end(lines, key, 0)
            lines.insert(end, f"  - {item}")
    return "\n".join(lines) + "\n"
