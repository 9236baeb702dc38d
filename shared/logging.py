"""JSON logs with the correlation id, and personal data masked before it is written anywhere."""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime

from shared.context import current_correlation_id

# Mainland resident ID (18 chars, last may be X), mobile numbers, e-mail addresses.
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{8}(\d{3}[\dXx])(?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?:(?<=\+86)|(?<!\d))(1[3-9]\d)\d{4}(\d{4})(?!\d)")  # also +8613812345678
_EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*(@[A-Za-z0-9.-]+\.[A-Za-z]{2,})")


def mask_pii(text: str) -> str:
    """Mask ID numbers, mobile numbers and e-mail addresses in free text."""
    text = _ID_NUMBER.sub(lambda m: f"{m.group(1)}********{m.group(2)}", text)
    text = _MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(2)}", text)
    return _EMAIL.sub(lambda m: f"{m.group(1)}***{m.group(2)}", text)


class JsonFormatter(logging.Formatter):
    """One JSON object a line; the message and exception text pass through the PII mask."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "msg": mask_pii(record.getMessage()),
            "correlation_id": getattr(record, "correlation_id", None) or current_correlation_id(),
        }
        for key in ("event_id", "event_type", "topic", "status", "path", "method", "duration_ms"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["exc"] = mask_pii(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


class MaskingFormatter(logging.Formatter):
    """Plain-text format for a terminal, masked all the same."""

    def format(self, record: logging.LogRecord) -> str:
        cid = current_correlation_id()
        prefix = f"[{cid[:8]}] " if cid else ""
        return mask_pii(prefix + super().format(record))


def configure_logging(service: str, level: str = "INFO", as_json: bool = True) -> None:
    """Route all logging (ours, uvicorn's, aiokafka's) through one masked handler on stderr."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter(service) if as_json else MaskingFormatter(f"%(asctime)s {service} %(levelname)s %(name)s: %(message)s")
    )
    handler._gov_disclosure = True  # type: ignore[attr-defined]  # ours: replaced on the next call, others kept
    root = logging.getLogger()
    # Replace only the handler an earlier call installed: another's (pytest's log capture, an
    # operator's) stays, so tests see every service's log lines and a failure shows them.
    for old in [h for h in root.handlers if getattr(h, "_gov_disclosure", False)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # aiokafka is noisy while a broker is away; its errors are summarised by our own logs.
    logging.getLogger("aiokafka").setLevel("CRITICAL" if level != "DEBUG" else "DEBUG")
