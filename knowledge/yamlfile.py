"""Reading one YAML file of the knowledge base, with syntax errors explained in plain Chinese and English."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

MAX_FILE_BYTES = 1_000_000
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when PyYAML was built with it: ~10x faster


def explain(exc: yaml.YAMLError, source: str) -> str:
    """A YAML syntax error in plain Chinese and English, with the line and column to look at."""
    problem = str(getattr(exc, "problem", None) or exc)
    mark = getattr(exc, "problem_mark", None)
    context = getattr(exc, "context_mark", None)
    lines = source.splitlines()
    zh, en = "YAML格式有误，请检查这一行的冒号、缩进和引号", f"YAML syntax error ({problem})"
    if "could not find expected ':'" in problem and context is not None:
        mark = context
        line = lines[mark.line] if mark.line < len(lines) else ""
        full = line.find("：")
        colon = line.find(":")
        if full >= 0 and (colon < 0 or full < colon):
            mark = _Mark(mark.line, full)
            zh, en = "字段名后要用英文冒号“:”，不能用中文冒号“：”", "use an ASCII colon ':' after the field name, not '：'"
        elif colon >= 0:
            mark = _Mark(mark.line, colon + 1)
            zh, en = "冒号后要加空格", "put a space after the colon"
        else:
            zh, en = "这一行缺少“字段名: 内容”里的冒号", "this line needs 'field: value' with a colon"
    elif "mapping values are not allowed" in problem:
        zh, en = (
            "这里不应出现“冒号+空格”：内容里有冒号时请给整段内容加引号，或检查缩进",
            "unexpected ': ' here: quote a value that contains a colon, or check the indentation",
        )
    elif "'\\t'" in problem:
        zh, en = "不能用Tab键缩进，请改用空格", "indent with spaces, not tabs"
    elif "expected ',' or ']'" in problem:
        mark = context or mark
        zh, en = "方括号 [ ] 没有闭合，或列表项之间缺少逗号", "a [ ] list is not closed, or a comma is missing between items"
    elif "expected ',' or '}'" in problem:
        mark = context or mark
        zh, en = "花括号 { } 没有闭合，或项之间缺少逗号", "a { } mapping is not closed, or a comma is missing"
    elif "quoted scalar" in str(getattr(exc, "context", "")):
        mark = context or mark
        zh, en = "引号没有闭合", "a quotation mark is not closed"
    elif "block end" in problem or "expected key" in problem or "indentation" in problem:
        zh, en = "缩进不一致：同一层的字段要对齐", "inconsistent indentation: fields at the same level must line up"
    if mark is None:
        return f"{zh} / {en}"
    return f"第{mark.line + 1}行第{mark.column + 1}列：{zh} / line {mark.line + 1}, column {mark.column + 1}: {en}"


@dataclass(frozen=True)
class _Mark:
    line: int
    column: int


def duplicate_keys(node: yaml.Node | None, display: str, where: str = "") -> list[str]:
    """`file: field: problem` lines for keys written twice in one mapping: YAML silently keeps only the later value."""
    problems: list[str] = []
    if isinstance(node, yaml.MappingNode):
        lines: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else "?"
            field = f"{where}.{key}" if where else key
            line = key_node.start_mark.line + 1
            if key in lines:
                problems.append(
                    f"{display}: {field}: duplicate key (lines {lines[key]} and {line}): the later silently replaces the earlier"
                )
            lines.setdefault(key, line)
            problems += duplicate_keys(value_node, display, field)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            problems += duplicate_keys(item, display, f"{where}[{i}]")
    return problems


def read_yaml(path: Path, display: str) -> tuple[Any, list[str]]:
    """Parse one YAML file of the knowledge base; the data (None on a syntax error) and `file: field: problem` lines."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return None, [f"{display}: (file): larger than {MAX_FILE_BYTES} bytes"]
        source = path.read_text(encoding="utf-8")
        loader = SAFE_LOADER(source)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
        return data, duplicate_keys(node, display)
    except UnicodeDecodeError:
        return None, [f"{display}: (file): not UTF-8 text"]
    except yaml.YAMLError as exc:
        return None, [f"{display}: yaml: {explain(exc, source)}"]
    except OSError as exc:
        return None, [f"{display}: (file): {exc.strerror or exc}"]
