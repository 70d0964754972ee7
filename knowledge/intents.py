"""Intent detection: greeting, goodbye, complaint, handoff, case status, privacy, menu, or a procedure question."""

from __future__ import annotations

import re
from dataclasses import dataclass

from knowledge.text import normalize

CASE_NUMBER = re.compile(r"(?<![a-z0-9])(zx|ts|zg)[\s\-_]*(\d{8})[\s\-_]*(\d{4})(?![0-9])", re.IGNORECASE)
CASE_NUMBER_ATTEMPT = re.compile(r"(?<![a-z])(zx|ts|zg)[\s\-_]*\d{4,}", re.IGNORECASE)

_GREETING = re.compile(
    r"^((你好|您好|嗨|哈喽|在吗|在不在|有人吗|早上好|上午好|中午好|下午好|晚上好|hi|hello|hey|good (morning|afternoon|evening))[\s!！,，.。~～呀啊吗]*)+$"
)
_GOODBYE = re.compile(
    r"^((再见|拜拜|谢谢(你|您)?|多谢|感谢|好的|没有了|没事了|bye|goodbye|thanks|thank you|thx|ok)[\s!！,，.。~～了啦呀啊]*)+$"
)
_MENU = re.compile(r"^(菜单|帮助|主菜单|menu|help|start|开始)$")
_HANDOFF = re.compile(
    r"转人工|人工服务|人工客服|找人工|真人|工作人员(联系|回复|处理)|找工作人员|\bhuman\b|\bagent\b|\boperator\b|speak to (a |some)?(person|someone|staff)|talk to (a |some)?(person|someone|staff)"
)
_COMPLAINT_INFO = re.compile(
    r"(投诉|举报|监督)(电话|热线|方式|渠道|邮箱)|(complaint|report|supervision) (hotline|number|phone|line)|hotline"
)
_COMPLAINT = re.compile(
    r"投诉|举报|态度(很|太|非常|特别)?(差|恶劣|不好)|刁难|推诿|扯皮|乱收费|吃拿卡要|不作为|跑了.{0,3}趟|让我跑|没人管|不满意|"
    r"\bcomplain|\bcomplaint|rude|unfair|bribe"
)
_STATUS = re.compile(
    r"进度|进展|处理得?怎么样|处理(结果|到哪)|办到哪|有结果了?吗|什么时候(答复|回复|处理)|查询?(我的)?(投诉|工单|案件|事项)|我的(投诉|工单|案件)|"
    r"status|progress|my (case|complaint)|track"
)
_DELETE = re.compile(r"删除(我的)?(个人)?(数据|信息|资料|记录)|注销|delete my (data|information|account)|forget me|erase my")


@dataclass(frozen=True)
class Intent:
    """What the citizen wants, and the case number if they typed one (canonical form)."""

    name: str
    case_number: str | None = None
    malformed_number: bool = False


def canonical_case_number(text: str) -> str | None:
    """`ts20261201 0007` → `TS-20261201-0007`; None when the text holds no case number."""
    match = CASE_NUMBER.search(text)
    if not match:
        return None
    prefix, day, seq = match.groups()
    return f"{prefix.upper()}-{day}-{seq}"


def detect(text: str) -> Intent:
    """Classify a citizen's message; anything not recognised here is a procedure question."""
    clean = normalize(text)
    number = canonical_case_number(clean)
    if number:
        return Intent("case_status", number)
    if CASE_NUMBER_ATTEMPT.search(clean):
        return Intent("case_status", None, malformed_number=True)
    bare = clean.strip(" ?？!！.。,，~～")
    if _GREETING.match(bare):
        return Intent("greeting")
    if _GOODBYE.match(bare):
        return Intent("goodbye")
    if _MENU.match(bare):
        return Intent("menu")
    if _DELETE.search(clean):
        return Intent("privacy")
    if _HANDOFF.search(clean):
        return Intent("handoff")
    if _STATUS.search(clean):
        return Intent("case_status")
    if _COMPLAINT_INFO.search(clean):
        return Intent("procedure")
    if _COMPLAINT.search(clean):
        return Intent("complaint")
    return Intent("procedure")
