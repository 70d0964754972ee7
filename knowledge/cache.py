"""A load cache for large knowledge bases: validated procedures and the built index, keyed by the files' signature."""

from __future__ import annotations

import hashlib
import logging
import marshal
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from knowledge.model import Procedure

log = logging.getLogger(__name__)

FORMAT = 1
_CODE = ("model.py", "search.py", "text.py", "cache.py", "synonyms.py")


def signature(files: tuple) -> str:
    """A digest of the procedure files' (name, mtime, size) tuples and of the code that reads them."""
    here = Path(__file__).resolve().parent
    code = tuple((name, (here / name).stat().st_mtime_ns) for name in _CODE)
    return hashlib.sha256(repr((FORMAT, code, files)).encode()).hexdigest()


class CachedProcedures(Sequence[Procedure]):
    """Procedures kept as the plain data they were cached as, turned into models on first use."""

    def __init__(self, raw: list[dict[str, Any]]) -> None:
        self._raw = raw
        self._models: dict[int, Procedure] = {}

    def __len__(self) -> int:
        return len(self._raw)

    def __getitem__(self, position):
        if isinstance(position, slice):
            return [self[i] for i in range(*position.indices(len(self)))]
        model = self._models.get(position)
        if model is None:
            # validated when the cache was written; model_validate again keeps nested types right
            model = self._models[position] = Procedure.model_validate(self._raw[position])
        return model

    def ids(self) -> list[str]:
        """Procedure ids in order, without building the models."""
        return [row["id"] for row in self._raw]


def save(path: Path, key: str, procedures: Sequence[Procedure], index_state: dict) -> None:
    """Write the cache atomically; a failure only costs the next start-up time."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = {"key": key, "procedures": [p.model_dump(exclude_defaults=False) for p in procedures], "index": index_state}
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_bytes(marshal.dumps(payload))
        temporary.replace(path)
    except (OSError, ValueError) as exc:
        log.warning("knowledge cache %s not written: %s", path, exc)


def load(path: Path, key: str) -> tuple[CachedProcedures, dict] | None:
    """The cached procedures and index state when the cache matches `key`, else None."""
    try:
        payload = marshal.loads(path.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return None
    if not isinstance(payload, dict) or payload.get("key") != key:
        return None
    return CachedProcedures(payload["procedures"]), payload["index"]
