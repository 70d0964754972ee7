"""Load and validate the knowledge base, reporting every problem as `file: field: problem` (and warnings the same way)."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from knowledge import synonyms as synonyms_file
from knowledge.model import Procedure, ProcedureText
from knowledge.synonyms import Synonyms
from knowledge.yamlfile import read_yaml

log = logging.getLogger(__name__)

SAMPLE_TEXT = re.compile(r"示例|请替换|替换为|sample[^.;,]*replace|placeholder|\bxx\b|lorem ipsum", re.IGNORECASE)
_TEXT_FIELDS = ("title", "department", "basis", "time_limit", "fee", "location", "hours", "phone")


@dataclass
class LoadResult:
    """Procedures and synonyms that loaded, one `file: field: problem` line per problem, and warnings likewise."""

    procedures: list[Procedure] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    synonyms: Synonyms = field(default_factory=Synonyms)


def procedure_files(knowledge_dir: Path) -> list[Path]:
    """The procedure files of a knowledge base folder, sorted by name."""
    folder = knowledge_dir / "procedures"
    try:
        names = sorted(entry.name for entry in os.scandir(folder) if entry.name.endswith((".yaml", ".yml")) and entry.is_file())
    except (FileNotFoundError, NotADirectoryError):
        return []
    return [folder / name for name in names]


def knowledge_files(knowledge_dir: Path) -> list[Path]:
    """Every file the knowledge base is built from: the procedures and, when present, the synonyms file."""
    extra = knowledge_dir / synonyms_file.FILE_NAME
    return procedure_files(knowledge_dir) + ([extra] if extra.is_file() else [])


def _field_path(loc: tuple) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts[-1 if parts else 0 :] = [f"{parts[-1] if parts else ''}[{item}]"]
        else:
            parts.append(str(item))
    return ".".join(parts) or "(file)"


def _problem(error: Mapping[str, Any]) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown field"
    if error["type"] == "missing":
        return "required field is missing"
    return error["msg"]


def load_file(path: Path, display: str | None = None) -> tuple[Procedure | None, list[str]]:
    """Parse one procedure file; return the procedure or the problems found."""
    name = display or str(path)
    raw, errors = read_yaml(path, name)
    if raw is None and errors:
        return None, errors
    if not isinstance(raw, dict):
        return None, [*errors, f"{name}: (file): expected a mapping of fields, got {type(raw).__name__}"]
    try:
        procedure = Procedure.model_validate(raw)
    except ValidationError as exc:
        return None, errors + [f"{name}: {_field_path(err['loc'])}: {_problem(err)}" for err in exc.errors()]
    if procedure.id != path.stem:
        return procedure, [*errors, f"{name}: id: '{procedure.id}' does not match the file name '{path.stem}'"]
    return procedure, errors


def _texts(text: ProcedureText, prefix: str):
    for name in _TEXT_FIELDS:
        yield f"{prefix}{name}", getattr(text, name)
    for i, material in enumerate(text.materials):
        yield f"{prefix}materials[{i}]", f"{material.name} {material.note or ''}"
    for i, step in enumerate(text.steps):
        yield f"{prefix}steps[{i}]", step
    for i, faq in enumerate(text.faq):
        yield f"{prefix}faq[{i}]", f"{faq.q} {faq.a}"


def warnings_for(procedure: Procedure, display: str) -> list[str]:
    """`file: field: warning` lines for sample text left in (示例, 请替换, sample … replace) and procedures without example questions."""
    out = []
    for text, prefix in ((procedure, ""), (procedure.en, "en.")):
        for name, value in _texts(text, prefix):
            found = SAMPLE_TEXT.search(value)
            if found:
                out.append(f"{display}: {name}: warning: sample text left in ('{found.group(0)}'); replace it with the office's real value")
        if not text.questions:
            out.append(f"{display}: {prefix}questions: warning: no example questions; citizens' own wording will be matched less well")
    return out


def load_knowledge(knowledge_dir: Path) -> LoadResult:
    """Load every procedure file under `knowledge_dir/procedures` and the synonyms file, collecting all problems."""
    result = LoadResult()
    folder = knowledge_dir / "procedures"
    if not folder.is_dir():
        result.errors.append(f"{folder}: (folder): no procedures folder")
        return result
    seen: dict[str, Path] = {}
    for path in procedure_files(knowledge_dir):
        display = str(path.relative_to(knowledge_dir.parent)) if knowledge_dir.parent in path.parents else str(path)
        procedure, errors = load_file(path, display)
        result.errors.extend(errors)
        if procedure is None:
            continue
        if procedure.id in seen:
            result.errors.append(f"{display}: id: duplicate id '{procedure.id}' (also in {seen[procedure.id].name})")
            continue
        seen[procedure.id] = path
        result.procedures.append(procedure)
        result.warnings.extend(warnings_for(procedure, display))
    result.synonyms, errors, warnings = synonyms_file.load(knowledge_dir)
    result.errors.extend(errors)
    result.warnings.extend(warnings)
    if not result.procedures and not result.errors:
        result.errors.append(f"{folder}: (folder): no procedure files")
    return result
