"""Mask personal data (mobile numbers, ID numbers) wherever text leaves the case record; names and long numbers too in kept questions."""

from __future__ import annotations

import re

_ID = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{8})(\d{3}[0-9Xx])(?![0-9A-Za-z])")
_ID15 = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{6})(\d{3})(?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<!\d)(?:\+?86[\s-]?)?(1[3-9]\d)[\s-]?(\d{4})[\s-]?(\d{4})(?!\d)")
_PHONE_ONLY = re.compile(r"^1[3-9]\d{9}$")


def mask_phone(phone: str | None) -> str | None:
    """`13812341234` → `138****1234`."""
    if not phone:
        return phone
    digits = re.sub(r"\D", "", phone)[-11:]
    return f"{digits[:3]}****{digits[-4:]}" if len(digits) == 11 else "****"


def mask_text(text: str | None) -> str:
    """Mask every mobile and ID number found in free text."""
    if not text:
        return text or ""
    text = _ID.sub(lambda m: f"{m.group(1)}********{m.group(3)[-4:]}", text)
    text = _ID15.sub(lambda m: f"{m.group(1)}*****{m.group(3)[-4:]}", text)
    return _MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)


# a name right after a cue that introduces one: 2-4 Han characters up to punctuation or a word that starts the rest of
# the sentence; an English name as one or two capitalised words
_NAME_CUE = "(?:我叫|我的名字是|我的名字叫|名字是|名字叫|姓名是|姓名[:：]|本人姓名|本人叫)"
_NAME_END = "(?=$|[^\u4e00-\u9fff]|想|要|请|的|是|在|今年|身份证|电话|手机|住|家|来|去|问|咨询|办|我|和|，)"
_NOT_A_NAME = "(?!什么|啥|谁|多少|错|不对)"
_NAME_ZH = re.compile(_NAME_CUE + r"\s*" + _NOT_A_NAME + r"([\u4e00-\u9fff]{2,4}?)" + _NAME_END)
_NAME_ZH_ANY = re.compile(_NAME_CUE + r"\s*" + _NOT_A_NAME + r"([\u4e00-\u9fff]{2,3})")
_NAME_EN = re.compile(r"(?i:\bmy name is|\bi am called|\bi'm called|\bname:)\s*([A-Z][a-z]+(?:[ -][A-Z][a-z]+)?)")
# 10 or more digits in a row (single spaces between groups allowed, as bank cards are written): cards, accounts
_LONG_DIGITS = re.compile(r"(?<![0-9A-Za-z*-])\d{3,}(?: \d{3,})*(?![0-9A-Za-z*])")
LONG_DIGITS = 10


def _mask_long(match: re.Match[str]) -> str:
    digits = match.group(0).replace(" ", "")
    return f"****{digits[-4:]}" if len(digits) >= LONG_DIGITS else match.group(0)


def _mask_name(match: re.Match[str]) -> str:
    start, end = match.span(1)
    whole = match.group(0)
    return whole[: start - match.start()] + "***" + whole[end - match.start() :]


def mask_question(text: str | None) -> str:
    """A question masked for keeping beyond its conversation: numbers as `mask_text`, names after cues, long digit runs."""
    text = mask_text(text)
    text = _NAME_ZH.sub(_mask_name, text)
    text = _NAME_ZH_ANY.sub(_mask_name, text)
    text = _NAME_EN.sub(_mask_name, text)
    return _LONG_DIGITS.sub(_mask_long, text)


def parse_mobile(text: str) -> str | None:
    """A mainland mobile number from what a citizen typed (spaces, dashes, +86 allowed), or None."""
    digits = re.sub(r"[\s\-()（）]", "", text)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits if _PHONE_ONLY.match(digits) else None


# credentials that travel in URLs and bodies: WeChat's access_token and AppSecret, a Telegram bot token in a path
_SECRET_PARAM = re.compile(r"(?i)\b((?:component_)?access_token|secret|appsecret)=[^&\s\"'<>]+")
_SECRET_JSON = re.compile(r"(?i)(\"(?:access_token|secret|appsecret)\"\s*:\s*\")[^\"]+")
_BOT_TOKEN = re.compile(r"\bbot\d{3,}:[A-Za-z0-9_-]{20,}")


def redact_secrets(text: str | None) -> str:
    """Replace access tokens, app secrets and bot tokens found in text (URLs, JSON, error messages) by `***`."""
    if not text:
        return text or ""
    text = _SECRET_PARAM.sub(lambda m: f"{m.group(1)}=***", text)
    text = _SECRET_JSON.sub(lambda m: f"{m.group(1)}***", text)
    return _BOT_TOKEN.sub("bot***", text)
