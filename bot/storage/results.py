"""What a Core UPDATE, DELETE or INSERT reports back: the number of rows it touched."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy.engine import CursorResult, Result


def affected(result: Result[Any]) -> int:
    """Rows matched by a DML statement (`rowcount`, which only cursor results carry)."""
    return cast(CursorResult[Any], result).rowcount or 0
