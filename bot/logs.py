"""Logging set-up: one format, and personal data masked in every record whatever module wrote it."""

from __future__ import annotations

import logging
import sys

from bot.core.masking import mask_text


class MaskingFilter(logging.Filter):
    """Replaces mobile and ID numbers in log messages by their masked forms."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Mask the fully formatted message, then let the record through."""
        message = record.getMessage()
        masked = mask_text(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def setup_logging(level: str = "INFO") -> None:
    """Log to stderr with personal data masked."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(MaskingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
