"""Intent detection: greeting, goodbye, complaint, handoff, case status, privacy, menu, chit-chat, or a procedure question."""

from __future__ import annotations

import re
from dataclasses import dataclass

from knowledge.text import normalize

CASE_NUMBER = re.compile(r"(?<![a-z0-9])(zx|ts|zg)[\s\-_]*(\d{8})[\s\-_]*(\d{4})(?![0-9])", re.IGNORECASE)
CASE_NUMBER_ATTEMPT = re.compile(r"(?<![a-z])(zx|ts|zg)[\s\-_]*\d{4,}", re.IGNORECASE)

_HELLO = r"(你好|您好|嗨|哈喽|哈啰|在吗|在不在|有人吗|有人在吗|早上好|上午好|中午好|下午好|晚上好|早|hi|hello|hey|hi there|hello there|good (morning|afternoon|evening))"
_MAY_I_ASK = r"((请问|想问下?|问一下)?(我)?(可以|能|能不能|可不可以)(咨询|问|问问|请教)(一下|个|些|几个)?(问题|事|事情|事儿)?(吗|么|不)?|想咨询(一下|个)?(问题|事情)?|(can|may) i ask (you )?(something|a question|some questions)|i have a question)"
_GREETING = re.compile(rf"^(({_HELLO}|{_MAY_I_ASK})[\s!！,，.。~～呀啊吗?？]*)+$")
_GOODBYE = re.compile(
    r"^((再见|拜拜|拜|谢谢(你|您|啦)?|多谢|感谢|好的|好嘞|好滴|知道了|明白了|没有了|没事了|没别的了|先这样|我走了|我先走了|bye|goodbye|bye bye|see you|thanks|thank you|thx|ok|okay)[\s!！,，.。~～了啦呀啊哈]*)+$"
)
_MENU = re.compile(r"^(菜单|帮助|主菜单|menu|help|start|开始)$")
_HANDOFF = re.compile(
    r"转人工|人工服务|人工客服|找人工|要人工|真人|活人|接个人|换个人|(找|叫|转|接|让)(个|一个|一位)?(工作人员|客服|人)(来|跟我|和我|接|回|处理|聊|说)|"
    r"(找|叫|联系|转接?)(个|一个|一位)?(工作人员|客服|窗口人员)|工作人员(联系|回复|处理)|别(是)?机器人|不要机器人|不想(跟|和)机器人|"
    r"\bhuman\b|\breal person\b|\bagent\b|\boperator\b|\b(speak|talk|chat) (to|with) (a |some|your )?(person|someone|staff|officer|member of staff)"
)
_COMPLAINT_INFO = re.compile(
    r"(投诉|举报|监督|反映)(电话|热线|方式|渠道|邮箱|信箱|途径|号码|地址|窗口|部门)|(去哪|到哪|在哪|哪里|哪儿|怎么|如何|找谁|找哪|向谁|哪个部门|有什么渠道|有没有).{0,8}(投诉|举报)|"
    r"(投诉|举报).{0,12}(去哪|到哪|在哪|哪里|找谁|找哪|哪个部门|渠道|途径|方式|电话|邮箱|信箱|怎么(办|弄|做)?$|吗$)|"
    r"(complaint|report|supervision) (hotline|number|phone|line|channel|email)|hotline|where (can|do|should) i (report|complain)|how (can|do) i (report|complain)|report (anonymously|a |an )"
)
_COMPLAINT_SELF = re.compile(r"我要(投诉|举报)|我想(投诉|举报)你们|投诉你们|举报你们|(file|make|lodge) a complaint|i want to complain")
_COMPLAINT = re.compile(
    r"投诉|举报|态度(很|太|非常|特别)?(差|恶劣|不好)|刁难|推诿|扯皮|乱收费|吃拿卡要|不作为|跑了.{0,3}趟|让我跑|没人管|不满意|"
    r"\bcomplain|\bcomplaint|rude|unfair|bribe"
)
_STATUS = re.compile(
    r"进度|进展|处理得?怎么样|处理(结果|到哪)|办到哪|审(批|核)(得)?(怎么样|到哪|结果|好了没|通过了没)|(怎么样了|到哪一?步了|到哪了)$|有结果了?吗|什么时候(答复|回复|处理)|查询?(我的)?(投诉|工单|案件|事项)|我的(投诉|工单|案件)|"
    r"status|progress|my (case|complaint)|track"
)
_DELETE = re.compile(
    r"(删除|删掉|删了|清除|抹掉|销毁|注销)(我的|本人的?|个人的?)?(全部|所有)?(个人)?(数据|信息|资料|记录|隐私|账号|账户)|"
    r"(我|本人|个人).{0,20}(数据|信息|资料|记录|手机号|电话号码|身份证号?).{0,16}(删除|删掉|删了|清除|抹掉|销毁)|"
    r"delete (all )?my (personal )?(data|information|info|account|details)|forget me|erase my|remove my (personal )?(data|information|details)"
)
_CHITCHAT = re.compile(
    r"^(你是谁|你叫什么(名字)?|你是(不是)?(机器人|真人|ai|人工智能)|你几岁|你好笨|讲个笑话|说个笑话|唱首歌|tell me a joke|who are you|what is your name|are you a (bot|robot|human))[\s!！?？.。吗呀啊]*$"
)


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
    if _CHITCHAT.match(bare):
        return Intent("unknown")
    if _DELETE.search(clean):
        return Intent("privacy")
    if _HANDOFF.search(clean):
        return Intent("handoff")
    if _STATUS.search(clean):
        return Intent("case_status")
    if _COMPLAINT_INFO.search(clean) and not _COMPLAINT_SELF.search(clean):
        return Intent("procedure")
    if _COMPLAINT.search(clean):
        return Intent("complaint")
    return Intent("procedure")
