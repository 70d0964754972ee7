"""Mask personal data (mobile numbers, ID numbers) wherever text leaves the case record."""

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
