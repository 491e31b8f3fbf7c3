"""Load and validate ``etl_config.yaml``.

Every key has a real effect and is checked before anything runs: an unknown key, a value
of the wrong type or out of range, or a missing file is a ``ConfigError`` whose message
names the key (``batch.chunk_size``) and what is wrong, in one paragraph. Strings may use
``${VAR}`` or ``${VAR:-default}`` to read environment variables (credentials belong there).
"""
from __future__ import annotations

import copy
import difflib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


class ConfigError(Exception):
    """A user mistake in the configuration: printed as one paragraph, exit code 2."""


# Schema: key -> (type, default, check). A nested dict is a section.
_POS = ("a positive integer", lambda v: v > 0)
_NONNEG = ("zero or more", lambda v: v >= 0)
_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
# the keys of ingest.sources.csv_files.ENCODINGS (not imported here: config loads before pyarrow)
CSV_ENCODINGS = ("auto", "utf-8", "utf8", "utf-8-sig", "latin-1", "latin1", "iso-8859-1", "cp1252", "windows-1252")

SCHEMA: dict[str, Any] = {
    "sources": {
        "orocommerce": {"url": (str, "${OROCOMMERCE_DB_URL:-demo}", None)},
        "orocrm": {"url": (str, "${OROCRM_DB_URL:-demo}", None)},
        "csv": {
            "path": (str, "data/inputs", None),
            # auto: detected per file (UTF-8, UTF-8-BOM, Latin-1, Windows-1252); or force one codec
            "encoding": (str, "auto", ("one of " + ", ".join(CSV_ENCODINGS),
                                       lambda v: v.lower() in CSV_ENCODINGS)),
            # skip: a bad line is kept as a reject, an unusable file is an error and the run goes on;
            # fail: the run stops at the first bad line or file
            "on_error": (str, "skip", ("skip or fail", lambda v: v in ("skip", "fail"))),
        },
        "demo_dir": (str, "data/demo", None),
    },
    "batch": {
        "chunk_size": (int, 200000, _POS),
        "max_workers": (int, 2, _POS),
        "timeout": ((int, float), 300, ("a positive number of seconds", lambda v: v > 0)),
        "max_retries": (int, 3, _NONNEG),
        "retry_delay": ((int, float), 5, ("zero or more seconds", lambda v: v >= 0)),
        "max_memory_mb": (int, 1024, _POS),  # the run's memory budget, see ingest/budget.py
    },
    "deletes": {
        # rows deleted in a source: found by comparing primary keys (source vs raw, in slices of
        # batch.chunk_size keys), marked in raw with _deleted_at, dropped from staging and the facts
        "enabled": (bool, True, None),
        "check_every_days": (int, 7, ("a positive number of days", lambda v: v > 0)),
        # tables with at most this many rows (at their last check) are checked on every run
        "small_table_rows": (int, 100000, _NONNEG),
    },
    "population_rules": {
        "defaults": (dict, {"estado": "activo", "tipo": "general", "moneda": "USD", "pais": "El Salvador"}, None),
        "default_dates": (list, ["created_at", "updated_at"], None),
        "generated_ids": {"prefix": (str, "AUTO_", ("letters, digits, _ or - (no quotes, spaces or `;`)",
                                                     lambda v: re.fullmatch(r"[A-Za-z0-9_\-]+", v) is not None))},
    },
    "loading": {
        "strategy": (str, "incremental", ("incremental or full", lambda v: v in ("incremental", "full"))),
    },
    "monitoring": {
        "log_level": (str, "INFO", ("one of " + ", ".join(_LEVELS), lambda v: v.upper() in _LEVELS)),
        "log_format": (str, "text", ("text or json", lambda v: v in ("text", "json"))),
        "log_dir": (str, "logs", None),
        "report_dir": (str, "reports", None),
    },
    "recovery": {
        "enable_checkpoints": (bool, True, None),
        "resume_on_failure": (bool, True, None),
        "checkpoint_dir": (str, "data/checkpoints", None),
    },
    "privacy": {
        "mask_pii": (bool, False, None),
    },
    "symmetry": {
        # which side wins where Oro and the ERP CSV disagree on a product (name, brand, status)
        "priority": (str, "db", ("db or csv", lambda v: v in ("db", "csv"))),
    },
}

_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def _expand(value: str, key: str) -> str:
    def repl(m: re.Match) -> str:
        name, default = m.group(1), m.group(2)
        if name in os.environ:
            return os.environ[name]
        if default is not None:
            return default
        raise ConfigError(f"{key}: environment variable {name} is not set (the value is {value!r}); "
                          f"export it or write a default as ${{{name}:-value}}.")
    return _ENV.sub(repl, value)


def _type_name(t: Any) -> str:
    if isinstance(t, tuple):
        return " or ".join(_type_name(x) for x in t)
    return {int: "an integer", float: "a number", str: "a string", bool: "true/false",
            dict: "a mapping", list: "a list"}.get(t, t.__name__)


def _validate(section: dict, schema: dict, prefix: str) -> dict:
    if not isinstance(section, dict):
        raise ConfigError(f"{prefix.rstrip('.') or 'the file'}: expected a mapping of keys, got {type(section).__name__}.")
    out: dict[str, Any] = {}
    for key in section:
        if key not in schema:
            hint = difflib.get_close_matches(str(key), list(schema), n=1)
            known = ", ".join(schema)
            raise ConfigError(
                f"{prefix}{key}: unknown key" + (f" (did you mean {prefix}{hint[0]}?)" if hint else "")
                + f". Known keys here: {known}.")
    for key, spec in schema.items():
        path = f"{prefix}{key}"
        if isinstance(spec, dict):
            out[key] = _validate(section.get(key) or {}, spec, path + ".")
            continue
        typ, default, check = spec
        if key not in section or section[key] is None:
            out[key] = copy.deepcopy(default)
            if isinstance(out[key], str):
                out[key] = _expand(out[key], path)
            continue
        val = section[key]
        ok_types = typ if isinstance(typ, tuple) else (typ,)
        if isinstance(val, bool) and bool not in ok_types:
            ok = False
        else:
            ok = isinstance(val, ok_types)
        if not ok:
            raise ConfigError(f"{path}: expected {_type_name(typ)}, got {val!r} ({type(val).__name__}).")
        if isinstance(val, str):
            val = _expand(val, path)
        if check is not None and not check[1](val):
            raise ConfigError(f"{path}: {val!r} is not valid; expected {check[0]}.")
        out[key] = val
    return out


# What may reach SQL from the config. Identifiers (column names, schema names) must match a
# strict pattern: they are never quoted, so a quote or `;` is refused here, naming the key.
# Values (population defaults) may hold any printable text, quotes and `;` included: dbt writes
# them as quoted SQL literals (macros/population.sql, _population_literal); only control
# characters (which PostgreSQL refuses in text, NUL above all) and non-finite numbers are refused.
COLUMN_NAME = re.compile(r"[a-z_][a-z0-9_]*")
SCHEMA_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _check_population_rules(rules: dict) -> None:
    import math

    for col, val in rules["defaults"].items():
        if not isinstance(col, str) or not COLUMN_NAME.fullmatch(col):
            raise ConfigError(f"population_rules.defaults.{col}: not a valid column name (lowercase letters, "
                              f"digits and _, starting with a letter or _; no quotes, spaces or `;`).")
        if not isinstance(val, (str, int, float)) or isinstance(val, bool):
            raise ConfigError(f"population_rules.defaults.{col}: default must be a string or number, got {val!r}.")
        if isinstance(val, float) and not math.isfinite(val):
            raise ConfigError(f"population_rules.defaults.{col}: {val!r} is not a usable default; "
                              f"write a finite number or a string.")
        if isinstance(val, str) and _CONTROL.search(val):
            raise ConfigError(f"population_rules.defaults.{col}: the default {val!r} holds a control character "
                              f"(a newline, tab or NUL); write it on one line of printable text.")
    for col in rules["default_dates"]:
        if not isinstance(col, str) or not COLUMN_NAME.fullmatch(col):
            raise ConfigError(f"population_rules.default_dates: {col!r} is not a valid column name (lowercase "
                              f"letters, digits and _, starting with a letter or _; no quotes, spaces or `;`).")


_SEARCH_PATH = re.compile(r"(?:^|\s)(?:-c\s*|--)search_path=(\S*)")


def search_path_schemas(url: str) -> list[str] | None:
    """The schemas a PostgreSQL source URL sets with ``options=-c search_path=...``, or None."""
    from urllib.parse import parse_qsl, urlsplit

    query = urlsplit(url).query
    options = " ".join(v for k, v in parse_qsl(query) if k == "options")
    found = _SEARCH_PATH.findall(options)
    if not found:
        return None
    return [s.strip() for s in found[-1].split(",")]


def _check_source_urls(sources: dict) -> None:
    """A source URL is a connection string, never SQL; the one identifier in it that names
    something inside the database is a schema of ``options=-c search_path=...``: plain
    identifiers only (``$user`` too), so the readers' unqualified table names resolve as the
    column check saw them."""
    for system in ("orocommerce", "orocrm"):
        url = sources[system]["url"]
        if not url.startswith(("postgresql://", "postgres://", "postgresql+psycopg2://")):
            continue
        for schema in search_path_schemas(url) or []:
            if schema not in ("$user", '"$user"') and not SCHEMA_NAME.fullmatch(schema):
                raise ConfigError(f"sources.{system}.url: the search_path of its options names the schema "
                                  f"{schema!r}, which is not a plain identifier (letters, digits and _, starting "
                                  f"with a letter or _; no quotes, spaces or `;`).")


@dataclass
class Config:
    raw: dict
    path: Path | None
    root: Path = field(default_factory=Path.cwd)

    def __getitem__(self, key: str) -> Any:
        return self.raw[key]

    @property
    def batch(self) -> dict:
        return self.raw["batch"]

    def resolve(self, p: str) -> Path:
        path = Path(p)
        return path if path.is_absolute() else (self.root / path)

    @property
    def csv_dir(self) -> Path:
        return self.resolve(self.raw["sources"]["csv"]["path"])

    @property
    def checkpoint_dir(self) -> Path:
        return self.resolve(self.raw["recovery"]["checkpoint_dir"])

    @property
    def report_dir(self) -> Path:
        return self.resolve(self.raw["monitoring"]["report_dir"])

    @property
    def log_dir(self) -> Path:
        return self.resolve(self.raw["monitoring"]["log_dir"])

    def dbt_vars(self) -> dict:
        return {
            "population_rules": self.raw["population_rules"],
            "mask_pii": self.raw["privacy"]["mask_pii"],
            "prioridad_simetria": self.raw["symmetry"]["priority"],
            "csv_on_error": self.raw["sources"]["csv"]["on_error"],
        }


def load_config(path: str | os.PathLike | None, root: Path | None = None) -> Config:
    """Read and validate the config file; ``None`` means built-in defaults only."""
    root = root or Path.cwd()
    data: Any = {}
    cfg_path = None
    if path is not None:
        cfg_path = Path(path)
        if not cfg_path.is_file():
            raise ConfigError(f"config file {cfg_path} does not exist (pass --config PATH to an etl_config.yaml).")
        try:
            data = yaml.safe_load(cfg_path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            raise ConfigError(f"config file {cfg_path} is not valid YAML{where}: "
                              f"{getattr(exc, 'problem', exc)}.") from None
    validated = _validate(data, SCHEMA, "")
    _check_population_rules(validated["population_rules"])
    _check_source_urls(validated["sources"])
    return Config(raw=validated, path=cfg_path, root=root)
