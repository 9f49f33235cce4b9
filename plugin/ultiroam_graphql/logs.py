"""Log lines for people (``text``) or for log collectors (``json``, one object a line).

Modules log with the standard library and pass structured fields with ``extra=``; both formats
keep them (text appends them as ``key=value``). Both redact what must never be written: push
tokens in URLs and credentials in URLs, whatever logger or field they come through.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import IO, Any, Literal

LogFormat = Literal["text", "json"]
LOG_FORMATS: tuple[LogFormat, ...] = ("text", "json")
LOG_LEVELS = ("debug", "info", "warning", "error")
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")

_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "taskName",
    "color_message",  # uvicorn's coloured copy of the message
}
_TOKEN = re.compile(r"(token=)[^&\s\"']*")
_USERINFO = re.compile(r"(\b[a-z][a-z0-9+.-]*://)[^/@\s\"']+@", re.IGNORECASE)
_PLAIN = re.compile(r"[^\s\"'=\\]+")


def redact(text: str) -> str:
    """``token=...`` query values and ``user:password@`` in URLs replaced by ``***``."""
    return _USERINFO.sub(r"\1***@", _TOKEN.sub(r"\1***", text))


def fields_of(record: logging.LogRecord) -> dict[str, Any]:
    """The ``extra=`` fields of a record."""
    return {
        key: value
        for key, value in vars(record).items()
        if key not in _STANDARD and not key.startswith("_")
    }


class TextFormatter(logging.Formatter):
    """``LEVEL logger: message key=value ...``, the fields quoted where they need it."""

    def __init__(self) -> None:
        super().__init__("%(levelname)s %(name)s: %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:
        line = super().formatMessage(record)
        pairs = [
            f"{key}={_text_value(value)}"
            for key, value in fields_of(record).items()
            if value is not None
        ]
        return " ".join([line, *pairs])

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def _text_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple, set, frozenset)):
        value = ",".join(str(item) for item in value)
    text = str(value)
    return text if _PLAIN.fullmatch(text) else json.dumps(text, ensure_ascii=False)


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC), level, logger, message, then the fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in fields_of(record).items():
            entry.setdefault(key, value)
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        return redact(json.dumps(entry, ensure_ascii=False, default=str))


class RedactTokens(logging.Filter):
    """Push URLs carry the gateway's token in their query: keep it out of access logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(arg) if isinstance(arg, str) else arg for arg in record.args)
        record.msg = redact(str(record.msg))
        return True


class QuietDisconnects(logging.Filter):
    """A subscriber that leaves while an event is on its way is normal, not an error."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return type(error).__name__ != "WebSocketDisconnected"


class AccessFields(logging.Filter):
    """Uvicorn's access line as fields too (json): method, path, status, client."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5:
            client, method, path, _version, status = args
            record.client = client
            record.http_method = method
            record.path = path
            record.status = status
        return True


class _Handler(logging.StreamHandler):  # type: ignore[type-arg]
    """The handler this module installs, so a second call replaces it rather than adds one.

    Without a stream of its own it writes to ``sys.stderr`` as it is at each line, as
    ``logging.lastResort`` does, so a replaced stderr (tests, daemons) is followed."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        super().__init__(stream)
        self._follow_stderr = stream is None

    @property  # type: ignore[override]
    def stream(self) -> IO[str]:
        return sys.stderr if self._follow_stderr else self._stream

    @stream.setter
    def stream(self, stream: IO[str]) -> None:
        self._stream = stream


def configure_logging(
    level: str = "info", log_format: LogFormat = "text", *, stream: IO[str] | None = None
) -> None:
    """The root logger writes ``log_format`` lines to ``stream`` (stderr); uvicorn's loggers
    (run with ``log_config=None``) go through it too."""
    root = logging.getLogger()
    for handler in [handler for handler in root.handlers if isinstance(handler, _Handler)]:
        root.removeHandler(handler)
    handler = _Handler(stream)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    root.addHandler(handler)
    root.setLevel(level.upper())
    logging.getLogger("httpx").setLevel(max(logging.WARNING, root.level))
    for name in UVICORN_LOGGERS:  # whatever configured them before, they go through ours
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    for name in ("uvicorn.access", "uvicorn.error", "httpx"):
        _add_once(logging.getLogger(name), RedactTokens())
    access = logging.getLogger("uvicorn.access")
    for old in [f for f in access.filters if isinstance(f, AccessFields)]:
        access.removeFilter(old)
    if log_format == "json":
        access.addFilter(AccessFields())  # after RedactTokens: the path is already redacted
    _add_once(logging.getLogger("strawberry.ws.task"), QuietDisconnects())


def _add_once(logger: logging.Logger, new: logging.Filter) -> None:
    if not any(type(existing) is type(new) for existing in logger.filters):
        logger.addFilter(new)


__all__ = [
    "LOG_FORMATS",
    "LOG_LEVELS",
    "JsonFormatter",
    "LogFormat",
    "TextFormatter",
    "configure_logging",
    "fields_of",
    "redact",
]
