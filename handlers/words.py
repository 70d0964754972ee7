"""Small answers citizens type in flows: skip, yes, cancel — in Chinese and English."""

from __future__ import annotations

from knowledge.text import normalize

SKIP = {"跳过", "skip", "不用", "不用了", "没有", "不需要", "无", "no", "none", "不知道", "不清楚", "n/a", "略", "pass"}
YES = {"确认", "确认提交", "提交", "是", "是的", "好", "好的", "对", "yes", "y", "ok", "submit", "confirm", "确定", "确认删除", "delete"}
CANCEL = {"取消", "算了", "不了", "cancel", "stop", "quit", "exit", "退出", "放弃"}


def _bare(text: str) -> str:
    return normalize(text).strip(" .。!！~～")


def is_skip(text: str) -> bool:
    """The citizen declines to answer an optional question."""
    return _bare(text) in SKIP


def is_yes(text: str) -> bool:
    """The citizen confirms."""
    return _bare(text) in YES


def is_cancel(text: str) -> bool:
    """The citizen wants to stop the current flow."""
    return _bare(text) in CANCEL
