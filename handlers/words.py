"""Small answers citizens type in flows: skip, yes, cancel — in Chinese and English."""

from __future__ import annotations

import re

from knowledge.text import normalize

SKIP = {"跳过", "skip", "不用", "不用了", "没有", "不需要", "无", "no", "none", "不知道", "不清楚", "n/a", "略", "pass"}
YES = {"确认", "确认提交", "提交", "是", "是的", "好", "好的", "对", "yes", "y", "ok", "submit", "confirm", "确定", "确认删除", "delete"}
CANCEL = {"取消", "算了", "不了", "cancel", "stop", "quit", "exit", "退出", "放弃"}
# leaving a conversation with staff for the bot (the case stays open for staff)
LEAVE = {
    "返回",
    "菜单",
    "主菜单",
    "退出人工",
    "结束人工",
    "不用人工了",
    "退出",
    "取消",
    "/menu",
    "back",
    "menu",
    "main menu",
    "exit",
    "quit",
    "cancel",
    "leave",
}


# small talk: a friendly word and the menu, never a case for staff
CHITCHAT = {
    "你是机器人吗",
    "你是机器人",
    "你是真人吗",
    "是机器人吗",
    "机器人",
    "你是谁",
    "你叫什么",
    "你好厉害",
    "厉害",
    "真棒",
    "嗯",
    "嗯嗯",
    "哦",
    "哦哦",
    "噢",
    "额",
    "呃",
    "好吧",
    "行",
    "知道了",
    "明白了",
    "收到",
    "无聊",
    "在干嘛",
    "are you a bot",
    "are you a robot",
    "are you human",
    "who are you",
    "lol",
    "cool",
    "nice",
    "ok",
    "okay",
    "hmm",
}
LAUGHTER = re.compile(r"^(哈|呵|嘿|嘻|h[ae])+[!！~～。.]*$")


def _bare(text: str) -> str:
    return normalize(text).strip(" .。!！~～")


def is_skip(text: str) -> bool:
    """The citizen declines to answer an optional question."""
    return _bare(text) in SKIP


def is_yes(text: str) -> bool:
    """The citizen confirms."""
    return _bare(text) in YES


def is_leave(text: str) -> bool:
    """The citizen wants to leave the conversation with staff and talk to the bot again."""
    return _bare(text) in LEAVE or text.strip().lower() == "/menu"


def is_chitchat(text: str) -> bool:
    """Small talk, laughter or a bare acknowledgement: not a question for the office."""
    bare = _bare(text).rstrip("?？")
    return bare in CHITCHAT or bool(LAUGHTER.match(bare))


def is_cancel(text: str) -> bool:
    """The citizen wants to stop the current flow."""
    return _bare(text) in CANCEL
