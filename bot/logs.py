"""Logging set-up: one format, personal data masked and credentials redacted in every record whatever module wrote it."""

from __future__ import annotations

import logging
import sys

from bot.core.masking import mask_text, redact_secrets

# libraries that log request URLs (httpx at INFO, urllib3 and httpcore at DEBUG): WeChat puts its access_token and
# the AppSecret in the query, Telegram its bot token in the path
# (a logger's filters see only its own records, not its children's: each logger that writes URLs is named)
URL_LOGGERS = ("httpx", "httpcore.http11", "httpcore.http2", "urllib3.connectionpool", "aiohttp.client", "telegram.ext", "wechatpy")


class MaskingFilter(logging.Filter):
    """Replaces mobile and ID numbers in log messages by their masked forms, and credentials by `***`."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Mask the fully formatted message, then let the record through."""
        message = record.getMessage()
        masked = redact_secrets(mask_text(message))
        if masked != message:
            record.msg, record.args = masked, None
        return True


class RedactingFilter(logging.Filter):
    """Replaces credentials in a record by `***` before any handler (a file, a test's capture) sees it."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact the formatted message and any exception text, then let the record through."""
        message = record.getMessage()
        redacted = redact_secrets(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact_secrets(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


def guard_library_loggers() -> None:
    """Attach the redacting filter to the loggers of the HTTP libraries (once), so no URL credential is ever logged."""
    for name in URL_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(existing, RedactingFilter) for existing in logger.filters):
            logger.addFilter(RedactingFilter())


QUIET_LIBRARIES = ("alembic", "apscheduler")


def setup_logging(level: str = "INFO") -> None:
    """Log to stderr with personal data masked and credentials redacted."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(MaskingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # their routine INFO (each migration context, each scheduled job) says nothing an operator acts on
    for chatty in QUIET_LIBRARIES:
        logging.getLogger(chatty).setLevel(max(logging.WARNING, root.level))
    guard_library_loggers()
