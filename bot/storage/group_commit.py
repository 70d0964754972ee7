"""Group commit: turns that arrive while the database is busy wait together and are written in one transaction.

SQLite has a single writer, so concurrent turns queue for it anyway; letting whoever holds it take every turn
that is waiting turns N commits (and N reads of the same kind) into one. Nothing waits for a batch to fill:
a turn arriving at an idle database starts at once, alone.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)


@dataclass(eq=False)
class Waiting:
    """One submitted item: its payload, the submitter's context (for context variables) and its result."""

    item: Any
    context: contextvars.Context
    future: asyncio.Future = field(repr=False)

    def settle(self, result: Any = None, error: BaseException | None = None) -> None:
        """Hand the result (or the error) to the submitter, unless it stopped waiting."""
        if self.future.done():
            return
        if error is not None:
            self.future.set_exception(error)
        else:
            self.future.set_result(result)


class GroupCommit:
    """Runs submitted items in batches of up to `limit`, one batch at a time, in submission order."""

    def __init__(self, run_batch: Callable[[list[Waiting]], Awaitable[None]], limit: int) -> None:
        self._run_batch = run_batch
        self._limit = limit
        self._queue: list[Waiting] = []
        self._drainer: asyncio.Task | None = None

    async def submit(self, item: Any) -> Any:
        """Queue `item` and wait for its result; `run_batch` settles it."""
        waiting = Waiting(item, contextvars.copy_context(), asyncio.get_running_loop().create_future())
        self._queue.append(waiting)
        if self._drainer is None or self._drainer.done():
            self._drainer = asyncio.create_task(self._drain())
        return await asyncio.shield(waiting.future)  # a caller that gives up must not cancel the batch

    async def _drain(self) -> None:
        while self._queue:
            batch, self._queue = self._queue[: self._limit], self._queue[self._limit :]
            try:
                await self._run_batch(batch)
            except Exception as error:  # run_batch settles items itself; this is the last line of defence
                log.exception("group commit: a batch of %d failed", len(batch))
                for waiting in batch:
                    waiting.settle(error=error)
            for waiting in batch:
                waiting.settle(error=RuntimeError("batch ended without settling this item"))
