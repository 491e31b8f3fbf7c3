"""Logging: console for people, dated files for operations.

- ``logs/etl/ETLOrchestrator_YYYYMMDD.log``: everything at the configured level
- ``logs/audit/audit_YYYYMMDD.log``: what was loaded, validated and filled (logger ``puntafina.audit``)
- ``logs/errors/errors_YYYYMMDD.log``: errors only
Files are text or JSON lines (``monitoring.log_format``). Credentials never reach a log:
URLs are shown as host:port/database only.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import sys
from pathlib import Path

LOGGER = "puntafina"
_URL_SECRET = re.compile(r"(://[^:/@\s]+):[^@\s]*@")


def redact(text: str) -> str:
    """Hide the password part of any URL in a message."""
    return _URL_SECRET.sub(r"\1:***@", text)


class _Redact(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(str(record.msg))
        return True


_CONTEXT: dict = {}  # run_id and phase of the work in progress, on every JSON line


def set_context(**values) -> None:
    """What every JSON log line carries from now on (``run_id``, ``phase``)."""
    _CONTEXT.update(values)


def context(key: str, default=None):
    """A value of the current context (``phase``: the phase in progress)."""
    return _CONTEXT.get(key, default)


class JsonFormatter(logging.Formatter):
    """One JSON object a line: ts, level, logger, the run's context (run_id, phase), the
    message without the console's padding, and the record's fields (``extra={"data": {...}}``:
    table, rows, chunk, duration_s, node, status) at the top level, for log tools to query."""

    def format(self, record: logging.LogRecord) -> str:
        doc = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            **_CONTEXT,
            "message": " ".join(record.getMessage().split()),
        }
        extra = getattr(record, "data", None)
        if extra:
            doc.update(extra)
        return json.dumps(doc, ensure_ascii=False, default=str)


SUMMARY = LOGGER + ".summary"  # the run's summary: shown on the console even with --quiet


def setup_logging(log_dir: Path, level: str = "INFO", fmt: str = "text", console=None,
                  verbosity: str = "normal") -> logging.Logger:
    """``verbosity`` (the console only; the files follow ``level``): ``quiet`` shows the
    summary and errors, ``normal`` what ``level`` allows, ``verbose`` everything (DEBUG:
    every passing check, each node's time)."""
    day = dt.date.today().strftime("%Y%m%d")
    root = logging.getLogger(LOGGER)
    for h in list(root.handlers):
        root.removeHandler(h)
        h.close()
    audit = logging.getLogger(LOGGER + ".audit")
    for h in list(audit.handlers):
        audit.removeHandler(h)
        h.close()
    root.setLevel(logging.DEBUG)
    root.propagate = False
    if fmt == "json":
        file_fmt: logging.Formatter = JsonFormatter()
    else:
        file_fmt = logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s")

    def file_handler(sub: str, stem: str, lvl: int) -> logging.Handler:
        path = log_dir / sub / f"{stem}_{day}.log"
        path.parent.mkdir(parents=True, exist_ok=True)
        h = logging.FileHandler(path, encoding="utf-8")
        h.setLevel(lvl)
        h.setFormatter(file_fmt)
        h.addFilter(_Redact())
        return h

    lvl = getattr(logging, level.upper())
    root.addHandler(file_handler("etl", "ETLOrchestrator", lvl))
    root.addHandler(file_handler("errors", "errors", logging.ERROR))
    # console: progress and results on stdout, errors on stderr (so `2>` and cron mail see them)
    out = _Console(console or sys.stdout)
    out.setLevel(logging.DEBUG if verbosity == "verbose" else lvl)
    out.addFilter(lambda record: record.levelno < logging.ERROR)
    if verbosity == "quiet":
        out.addFilter(lambda record: record.name == SUMMARY)
    err = _Console(console or sys.stderr)
    err.setLevel(max(lvl, logging.ERROR))
    for h in (out, err):
        h.setFormatter(logging.Formatter("%(message)s"))
        h.addFilter(_Redact())
        root.addHandler(h)
    audit.setLevel(logging.DEBUG)
    audit.propagate = False  # audit records go to the audit and ETL files, not to the console
    audit.addHandler(file_handler("audit", "audit", logging.INFO))
    audit.addHandler(file_handler("etl", "ETLOrchestrator", lvl))
    return root


class _Console(logging.StreamHandler):
    """The console: a reader that went away (`run_etl.py status | head`) ends what the console
    shows, not the run, and prints no traceback per line; the log files still get everything."""

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 - logging's name
        if isinstance(sys.exc_info()[1], BrokenPipeError):
            self.stream = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - the rest goes nowhere
            return
        super().handleError(record)


def early_error(log_dir: Path, message: str) -> None:
    """An error found before logging is set up (a bad configuration): stderr and the errors log."""
    message = redact(message)
    print(message, file=sys.stderr)
    try:
        path = log_dir / "errors" / f"errors_{dt.date.today():%Y%m%d}.log"
        path.parent.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S,%f")[:-3]
        with path.open("a", encoding="utf-8") as fh:
            fh.write(f"{stamp} ERROR   puntafina: {message}\n")
    except OSError:
        pass  # the message is on stderr; a read-only log folder must not hide it


def get_logger(name: str = "") -> logging.Logger:
    return logging.getLogger(LOGGER + ("." + name if name else ""))
