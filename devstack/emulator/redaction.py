"""Keeps SAS signatures out of logs, whatever level the HTTP libraries log at."""

from __future__ import annotations

import logging
import re

_SIGNATURE = re.compile(r"(?i)(sig=)(?!REDACTED)[^&\s'\"]+")
_HTTP_LOGGERS = ("urllib3.connectionpool", "azure.core.pipeline.policies.http_logging_policy")


def redact(text: str) -> str:
    return _SIGNATURE.sub(r"\1REDACTED", text)


class SasRedactingFilter(logging.Filter):
    """Rewrites a record's message with every `sig=` value replaced."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def install_sas_redaction() -> None:
    """Attach the filter to the loggers that print request URLs (once per process)."""
    for name in _HTTP_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(existing, SasRedactingFilter) for existing in logger.filters):
            logger.addFilter(SasRedactingFilter())
