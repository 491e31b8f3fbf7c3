"""One run at a time per warehouse.

A run holds an exclusive lock for as long as it writes the warehouse:

- an OS file lock (``flock``) on a lock file: beside the DuckDB file
  (``<warehouse>.duckdb.lock``), or in the checkpoint folder for PostgreSQL
  (``run_<database>.lock``). The operating system releases it when the process ends,
  however it ends (even ``kill -9``), so a killed run can never leave it held; the file
  keeps the holder's pid, start time and command, so a second run can name it, and a
  file still naming a run when its lock is free is the trace of a run that did not
  finish: it is reported as stale and cleared.
- on PostgreSQL also a session advisory lock on the warehouse database, so runs from
  other machines are kept out as well; the server drops it with the holder's connection.
  The holder's ``application_name`` names it.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import socket
import zlib
from pathlib import Path


class RunLockBusy(Exception):
    """Another run holds the warehouse."""


class RunLock:
    def __init__(self, wh, checkpoint_dir: Path, command: str):
        self.wh = wh
        self.command = command
        if wh.target == "duckdb":
            self.path = Path(str(wh.duckdb_path) + ".lock")
        else:
            self.path = checkpoint_dir / f"run_{wh.pg['database']}.lock"
        self._fh = None
        self._pg = None

    def _holder(self, text: str) -> str:
        try:
            doc = json.loads(text)
            return (f"pid {doc['pid']} on {doc['host']}, started {doc['started_at']}, "
                    f"`run_etl.py {doc['command']}`")
        except (ValueError, KeyError, TypeError):
            return "a run whose details are unreadable"

    def acquire(self) -> str | None:
        """Take the lock or raise RunLockBusy naming the holder. Returns a note when a lock
        left by a run that did not finish was cleared."""
        import fcntl

        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(self.path, "a+", encoding="utf-8")
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = self._holder(fh.read())
            fh.close()
            raise RunLockBusy(f"another run is using this warehouse ({self.wh.describe()}): {holder}. "
                              f"Wait for it to finish (or stop it); its lock is {self.path}.") from None
        fh.seek(0)
        previous = fh.read().strip()
        note = None
        if previous:
            note = (f"a lock left by a run that did not finish ({self._holder(previous)}) "
                    f"was found stale and cleared")
        try:
            if self.wh.target == "postgres":
                self._pg_lock()
        except BaseException:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
            fh.close()
            raise
        started = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        fh.seek(0)
        fh.truncate()
        fh.write(json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "started_at": started,
                             "command": self.command}))
        fh.flush()
        self._fh = fh
        return note

    def _pg_lock(self) -> None:
        database = self.wh.pg["database"]
        key = zlib.crc32(f"puntafina-etl:{database}".encode())
        con = self.wh.pg_connect()
        con.autocommit = True
        label = f"puntafina-etl pid {os.getpid()} on {socket.gethostname()} " \
                f"since {dt.datetime.now(dt.timezone.utc):%Y-%m-%dT%H:%M:%SZ}"
        with con.cursor() as cur:
            cur.execute("select set_config('application_name', %s, false)", (label[:63],))
            cur.execute("select pg_try_advisory_lock(%s)", (key,))
            if not cur.fetchone()[0]:
                cur.execute("select a.application_name, a.client_addr::text from pg_locks l "
                            "join pg_stat_activity a on a.pid = l.pid "
                            "where l.locktype = 'advisory' and l.objid::bigint = %s and l.granted "
                            "and l.database = (select oid from pg_database where datname = current_database())",
                            (key & 0xFFFFFFFF,))
                row = cur.fetchone()
                con.close()
                who = f"{row[0]} (from {row[1] or 'this server'})" if row else "another session"
                raise RunLockBusy(f"another run is using the PostgreSQL warehouse {database}: {who}. "
                                  f"Wait for it to finish (or stop it).")
        self._pg = con

    def release(self) -> None:
        if self._pg is not None:
            try:
                self._pg.close()  # the advisory lock goes with the session
            except Exception:  # noqa: BLE001
                pass
            self._pg = None
        if self._fh is not None:
            import fcntl

            self._fh.seek(0)
            self._fh.truncate()
            self._fh.flush()
            fcntl.flock(self._fh.fileno(), fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.release()
        return False
