"""Settings read from the environment (and `.env`), per shared/CONTRACT.md."""

from __future__ import annotations

import hashlib
import re
from datetime import time
from functools import cached_property
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_KNOWLEDGE_DIR = PROJECT_ROOT / "knowledge"

_WINDOW = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def parse_window(value: str) -> tuple[time, time] | None:
    """Parse `HH:MM-HH:MM` into (start, end); empty means no window."""
    if not value or not value.strip():
        return None
    match = _WINDOW.match(value)
    if not match:
        raise ValueError(f"expected HH:MM-HH:MM, got {value!r}")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    return time(h1, m1), time(h2, m2)


TEMPLATE_ROLES = ("headline", "case", "time", "body")


def parse_template_fields(value: str) -> dict[str, tuple[str, int | None]]:
    """`role=field[:chars],…` → {role: (template field, character limit or None)}; the body must have a field."""
    fields: dict[str, tuple[str, int | None]] = {}
    for item in filter(None, (part.strip() for part in value.split(","))):
        role, _, target = item.partition("=")
        name, _, limit = target.strip().partition(":")
        role, name = role.strip(), name.strip()
        if role not in TEMPLATE_ROLES or not name or (limit and not (limit.isdigit() and int(limit) > 0)):
            raise ValueError(f"{item!r} is not role=field[:chars] with role one of {', '.join(TEMPLATE_ROLES)}")
        fields[role] = (name, int(limit) if limit else None)
    if "body" not in fields:
        raise ValueError("the message itself needs a field: add body=FIELD")
    return fields


DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./data/consult.db"
ASYNC_DRIVERS = {"sqlite": "aiosqlite", "postgresql": "asyncpg"}
EXAMPLES = {"sqlite": "sqlite+aiosqlite:///./data/consult.db", "postgresql": "postgresql+asyncpg://user:password@host/dbname"}


def check_database_url(value: str) -> str:
    """The URL when the bot can use it; else ValueError saying what to write instead."""
    try:
        url = make_url(value)
    except ArgumentError:
        raise ValueError(f"not a database URL; use e.g. {EXAMPLES['sqlite']} or {EXAMPLES['postgresql']}") from None
    backend, driver = url.get_backend_name(), url.get_driver_name()
    if backend not in ASYNC_DRIVERS:
        raise ValueError(f"unsupported database {backend!r}; use SQLite ({EXAMPLES['sqlite']}) or PostgreSQL ({EXAMPLES['postgresql']})")
    if driver != ASYNC_DRIVERS[backend]:
        wanted = f"{backend}+{ASYNC_DRIVERS[backend]}"
        raise ValueError(f"the {backend} URL needs the async driver: write {wanted}://… (e.g. {EXAMPLES[backend]})")
    if backend == "sqlite" and url.database and url.database != ":memory:" and value != DEFAULT_DATABASE_URL:
        folder = Path(url.database).expanduser().parent
        if not folder.is_dir():
            raise ValueError(f"the folder {folder} does not exist (create it, or point the URL at an existing folder)")
    return value


class Settings(BaseSettings):
    """Every operator-facing setting; names are CONSULT_* in the environment."""

    model_config = SettingsConfigDict(env_prefix="CONSULT_", env_file=".env", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    knowledge_dir: Path = DEFAULT_KNOWLEDGE_DIR
    cache_dir: Path | None = Path("./data/cache")
    workdays_file: Path | None = None
    timezone: str = "Asia/Shanghai"
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    log_level: str = "INFO"

    office_hours: str = "09:00-17:00"
    office_name: str = "示例市卫生健康委员会政务服务窗口"
    office_name_en: str = "Sample City Health Commission Service Window"

    telegram_token: str | None = None
    telegram_base_url: str = "https://api.telegram.org/bot"
    telegram_staff_chat_id: int | None = None
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: str | None = None
    telegram_base_file_url: str | None = None
    telegram_staff_content: Literal["masked", "withheld"] = "masked"
    telegram_rate_per_chat_seconds: float = Field(1.0, ge=0)
    telegram_rate_group_per_minute: int = Field(20, ge=1)
    telegram_rate_overall_per_second: float = Field(30.0, gt=0)
    # a committed reply its own process has not begun sending after this long is the outbox's (that process died)
    telegram_reply_grace_seconds: float = Field(10.0, ge=0)

    wechat_app_id: str | None = None
    wechat_app_secret: str | None = None
    wechat_token: str | None = None
    wechat_aes_key: str | None = None
    wechat_previous_aes_key: str | None = None
    wechat_api_base_url: str = "https://api.weixin.qq.com/cgi-bin/"
    wechat_reply_budget_seconds: float = Field(4.0, ge=0, le=4.5)
    wechat_api_timeout_seconds: float = Field(10.0, gt=0, le=60)
    wechat_template_case_update: str | None = None
    wechat_template_alert: str | None = None
    wechat_template_survey: str | None = None
    # which template field carries what; WeChat stopped displaying `remark` in 2023 and newer templates have no
    # `first`, so an office with such a template maps e.g. "case=character_string1,time=time2,body=thing3:20"
    wechat_template_fields: str = "headline=first,case=keyword1,time=keyword2,body=remark"

    survey_delay_seconds: int = 86400
    quiet_hours: str = "21:00-08:00"
    digest_time: str = "08:30"

    deadline_days_consultation: int = Field(1, ge=1)
    deadline_days_complaint: int = Field(10, ge=1)
    deadline_days_rectification: int = Field(15, ge=1)
    handoff_alert_minutes: int = Field(30, ge=1)
    leader_escalation_days: int = Field(3, ge=1)
    retention_days: int = Field(365, ge=1)
    complaint_max_chars: int = Field(2000, ge=100)
    outbox_lease_seconds: int = Field(300, ge=10)
    # WeChat's message mode: plain, compatible (plaintext and encrypted accepted) or safe (encrypted only);
    # unset means safe when an EncodingAESKey is configured, else plain
    wechat_encryption: Literal["plain", "compatible", "safe"] | None = None

    @field_validator("wechat_encryption", mode="before")
    @classmethod
    def _encryption_name(cls, value: object) -> object:
        if isinstance(value, str):
            return value.strip().lower() or None
        return value

    @field_validator("wechat_encryption")
    @classmethod
    def _encryption_needs_key(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value in ("compatible", "safe") and not info.data.get("wechat_aes_key"):
            raise ValueError(f"{value} mode needs the EncodingAESKey in CONSULT_WECHAT_AES_KEY")
        return value

    @property
    def wechat_mode(self) -> str:
        """The WeChat message mode in force: the configured one, else safe with an AES key and plain without."""
        return self.wechat_encryption or ("safe" if self.wechat_aes_key else "plain")

    # the web desk
    desk_secure_cookie: bool = False  # the office serves the desk over HTTPS (directly or behind a proxy)
    desk_idle_minutes: int = Field(30, ge=1)
    desk_session_hours: int = Field(12, ge=1)
    desk_lock_attempts: int = Field(5, ge=1)
    desk_lock_minutes: int = Field(15, ge=1)
    desk_max_body_bytes: int = Field(64 * 1024, ge=1024)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (an IANA name such as Asia/Shanghai)") from None
        return value

    @field_validator("database_url")
    @classmethod
    def _usable_database_url(cls, value: str) -> str:
        return check_database_url(value)

    @field_validator("office_hours", "quiet_hours")
    @classmethod
    def _window(cls, value: str) -> str:
        parse_window(value)
        return value

    @field_validator("wechat_template_fields")
    @classmethod
    def _template_fields(cls, value: str) -> str:
        parse_template_fields(value)
        return value

    @cached_property
    def template_fields(self) -> dict[str, tuple[str, int | None]]:
        """The WeChat template layout: role → (field name, character limit)."""
        return parse_template_fields(self.wechat_template_fields)

    @field_validator("digest_time")
    @classmethod
    def _clock_time(cls, value: str) -> str:
        time.fromisoformat(value.strip())
        return value.strip()

    @cached_property
    def digest_at(self) -> time:
        """Local time of the daily supervisor digest."""
        return time.fromisoformat(self.digest_time)

    @cached_property
    def tz(self) -> ZoneInfo:
        """The office's time zone."""
        return ZoneInfo(self.timezone)

    @cached_property
    def office_window(self) -> tuple[time, time]:
        """Opening and closing time of the office."""
        window = parse_window(self.office_hours)
        if window is None:
            raise ValueError("CONSULT_OFFICE_HOURS: must not be empty")
        return window

    @cached_property
    def quiet_window(self) -> tuple[time, time] | None:
        """Local window without proactive messages, or None."""
        return parse_window(self.quiet_hours)

    def knowledge_cache(self) -> Path | None:
        """Where the knowledge base's load cache lives (one file per knowledge folder), or None for no cache."""
        if self.cache_dir is None:
            return None
        tag = hashlib.sha1(str(self.knowledge_dir.resolve()).encode()).hexdigest()[:12]
        return self.cache_dir / f"knowledge-{tag}.bin"

    def deadline_days(self, case_type: str) -> int:
        """Working days allowed for a case of this type."""
        return {
            "consultation": self.deadline_days_consultation,
            "complaint": self.deadline_days_complaint,
            "rectification": self.deadline_days_rectification,
        }[case_type]
