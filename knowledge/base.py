"""The knowledge base in use: procedures with their search index, reloaded safely when files change."""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from knowledge.loader import load_knowledge, procedure_files
from knowledge.model import Procedure
from knowledge.search import SearchIndex, SearchResult

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class KnowledgeBase:
    """Procedures by id and the index to search them."""

    procedures: dict[str, Procedure]
    index: SearchIndex

    @classmethod
    def build(cls, procedures: list[Procedure]) -> "KnowledgeBase":
        """Index a list of procedures."""
        return cls({p.id: p for p in procedures}, SearchIndex(procedures))

    def search(self, question: str) -> SearchResult:
        """Search the procedures for a question."""
        return self.index.search(question)

    def get(self, procedure_id: str) -> Procedure | None:
        """A procedure by id, or None."""
        return self.procedures.get(procedure_id)


def _signature(folder: Path) -> tuple:
    return tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in procedure_files(folder))


class KnowledgeStore:
    """Holds the knowledge base in use; a reload that finds errors keeps the last good one."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = threading.Lock()
        self._signature: tuple = ()
        self.errors: list[str] = []
        self.current = KnowledgeBase.build([])
        self.reload(initial=True)

    def reload(self, initial: bool = False) -> bool:
        """Load the folder again; swap it in only if it has no errors (or nothing good is loaded yet)."""
        with self._lock:
            signature = _signature(self.folder)
            result = load_knowledge(self.folder)
            self._signature = signature
            self.errors = result.errors
            for error in result.errors:
                log.error("knowledge base: %s", error)
            if result.errors and not initial:
                log.error("knowledge base has %d problem(s); keeping the last good version", len(result.errors))
                return False
            self.current = KnowledgeBase.build(result.procedures)
            log.info("knowledge base: %d procedures loaded from %s", len(result.procedures), self.folder)
            return True

    def reload_if_changed(self) -> bool:
        """Reload when any procedure file was added, removed or modified since the last load."""
        if _signature(self.folder) == self._signature:
            return False
        return self.reload()
