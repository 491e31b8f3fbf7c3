"""Where the demo sources go: two SQLite files or two PostgreSQL databases, plus a CSV folder."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

KINDS = ("sqlite", "postgres")


@dataclass(frozen=True)
class DemoTarget:
    """Demo destination.

    ``kind`` is 'sqlite' (``commerce``/``crm`` are file paths) or 'postgres' (they are
    libpq or SQLAlchemy-style URLs such as postgresql://postgres@127.0.0.1:5432/orocommerce_demo).
    ``inputs_dir`` receives the CSV inputs.
    """

    kind: str = "sqlite"
    commerce: str = "data/demo/orocommerce.sqlite"
    crm: str = "data/demo/orocrm.sqlite"
    inputs_dir: str = "data/inputs"

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"DemoTarget.kind must be one of {KINDS}, got {self.kind!r}")
        for name in ("commerce", "crm", "inputs_dir"):
            object.__setattr__(self, name, str(getattr(self, name)))
        if self.commerce == self.crm:
            raise ValueError("the OroCommerce and OroCRM demo sources must be different files/databases")

    @classmethod
    def sqlite(cls, base_dir: str | Path = "data") -> "DemoTarget":
        base = Path(base_dir)
        return cls("sqlite", str(base / "demo" / "orocommerce.sqlite"), str(base / "demo" / "orocrm.sqlite"),
                   str(base / "inputs"))

    @classmethod
    def postgres(cls, host: str = "127.0.0.1", port: int = 5432, user: str = "postgres",
                 password: str | None = None, commerce_db: str = "orocommerce_demo",
                 crm_db: str = "orocrm_demo", inputs_dir: str | Path = "data/inputs") -> "DemoTarget":
        auth = quote(user, safe="")
        if password:
            auth += ":" + quote(password, safe="")
        server = f"postgresql://{auth}@{host}:{int(port)}"
        return cls("postgres", f"{server}/{commerce_db}", f"{server}/{crm_db}", str(inputs_dir))

    @classmethod
    def postgres_url(cls, server_url: str, commerce_db: str = "orocommerce_demo", crm_db: str = "orocrm_demo",
                     inputs_dir: str | Path = "data/inputs") -> "DemoTarget":
        """Both databases on the server of ``server_url`` (its database path, if any, is ignored)."""
        return cls("postgres", with_database(server_url, commerce_db), with_database(server_url, crm_db),
                   str(inputs_dir))

    @property
    def manifest_path(self) -> Path:
        """data/demo/manifest.json: beside the SQLite files, or <inputs_dir>/../demo for PostgreSQL."""
        if self.kind == "sqlite":
            return Path(self.commerce).parent / "manifest.json"
        return Path(self.inputs_dir).parent / "demo" / "manifest.json"

    def describe(self) -> dict:
        """The target without credentials (for the manifest and logs)."""
        if self.kind == "sqlite":
            return {"kind": self.kind, "commerce": self.commerce, "crm": self.crm, "inputs_dir": self.inputs_dir}
        return {"kind": self.kind, "commerce": redact(self.commerce), "crm": redact(self.crm),
                "inputs_dir": self.inputs_dir}


def libpq_url(url: str) -> str:
    """SQLAlchemy spellings (postgresql+psycopg2://, postgres://) -> a libpq URI psycopg2 accepts."""
    scheme, rest = url.split("://", 1)
    if scheme.split("+", 1)[0] not in ("postgresql", "postgres"):
        raise ValueError(f"not a PostgreSQL URL: {redact(url)!r}")
    return "postgresql://" + rest


def with_database(url: str, database: str) -> str:
    parts = urlsplit(libpq_url(url))
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, ""))


def database_name(url: str) -> str:
    name = urlsplit(libpq_url(url)).path.lstrip("/")
    if not name:
        raise ValueError(f"the URL {redact(url)!r} names no database")
    return name


def redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(":" + parts.password + "@", ":***@", 1)
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
