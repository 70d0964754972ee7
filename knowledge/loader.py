"""Load and validate the knowledge base, reporting every problem as `file: field: problem`."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import ValidationError

from knowledge.model import Procedure

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 1_000_000
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when PyYAML was built with it: ~10x faster


@dataclass
class LoadResult:
    """Procedures that loaded, and one `file: field: problem` line per problem found."""

    procedures: list[Procedure] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def procedure_files(knowledge_dir: Path) -> list[Path]:
    """The procedure files of a knowledge base folder, sorted by name."""
    folder = knowledge_dir / "procedures"
    try:
        names = sorted(entry.name for entry in os.scandir(folder) if entry.name.endswith((".yaml", ".yml")) and entry.is_file())
    except (FileNotFoundError, NotADirectoryError):
        return []
    return [folder / name for name in names]


def _field_path(loc: tuple) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts[-1 if parts else 0 :] = [f"{parts[-1] if parts else ''}[{item}]"]
        else:
            parts.append(str(item))
    return ".".join(parts) or "(file)"


def _problem(error: dict) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown field"
    if error["type"] == "missing":
        return "required field is missing"
    return error["msg"]


def load_file(path: Path, display: str | None = None) -> tuple[Procedure | None, list[str]]:
    """Parse one procedure file; return the procedure or the problems found."""
    name = display or str(path)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return None, [f"{name}: (file): larger than {MAX_FILE_BYTES} bytes"]
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
    except UnicodeDecodeError:
        return None, [f"{name}: (file): not UTF-8 text"]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        return None, [f"{name}: yaml: {problem}{where}"]
    except OSError as exc:
        return None, [f"{name}: (file): {exc.strerror or exc}"]
    if not isinstance(raw, dict):
        return None, [f"{name}: (file): expected a mapping of fields, got {type(raw).__name__}"]
    try:
        procedure = Procedure.model_validate(raw)
    except ValidationError as exc:
        return None, [f"{name}: {_field_path(err['loc'])}: {_problem(err)}" for err in exc.errors()]
    if procedure.id != path.stem:
        return procedure, [f"{name}: id: '{procedure.id}' does not match the file name '{path.stem}'"]
    return procedure, []


def load_knowledge(knowledge_dir: Path) -> LoadResult:
    """Load every procedure file under `knowledge_dir/procedures`, collecting all problems."""
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
    if not result.procedures and not result.errors:
        result.errors.append(f"{folder}: (folder): no procedure files")
    return result
