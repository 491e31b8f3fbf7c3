"""The run's resources, handed to every component from one place: ``batch.max_memory_mb`` and
``batch.max_workers`` of etl_config.yaml.

``max_memory_mb`` is the budget of the whole run's resident memory (one process: dlt extracts,
then dbt builds, both with DuckDB embedded). It is split by phase, since they never overlap:

- dbt build: DuckDB's ``memory_limit`` is 5/16 of it (320 MiB of the shipped 1024; dbt-duckdb
  ``settings`` in profiles.yml, from ``PUNTAFINA_DUCKDB_MEMORY_LIMIT``); DuckDB spills what does
  not fit to ``<file>.tmp``. The rest is Python: dbt's parsed project, the adapters, dlt and
  pyarrow already loaded (about 400 MB whatever the data). With half (512 MiB) the peak at scale
  100 was 932 MB against 593-643 MB at scale 10 (1.45-1.57x: DuckDB fills its limit only at the
  larger scale); with 320 MiB 728 MB, no slower (benchmarks/README.md, 2026-12-07).
- extract: DuckDB as dlt's destination (its loads and merges, and the run's own queries: the
  file is held open for the whole extract, ``Warehouse.held_open``) gets a sixteenth (64 MiB of
  1024; an eighth before the file was held open: held, DuckDB keeps its buffers between loads, and
  ingest alone at scale 100 peaked at 512-524 MB with an eighth, 464 with a sixteenth, no slower);
  the reader slices in flight (one per extract worker, and one read ahead per worker while a
  round loads: ``pipeline.ReadAhead``) a quarter together, in Arrow bytes: a table whose rows
  are wide is read in slices of fewer rows than ``chunk_size``. dlt's item buffers
  (``data_writer.buffer_max_items``) hold no slice: an Arrow table is written to parquet as it
  arrives. The rest is Python, dlt and pyarrow. The peak of an extract is a round's load, when
  DuckDB fills its limit while the next slices are read ahead (a quarter, 256 MiB, peaked at
  545-590 MB at scale 100 where an eighth peaked at 450-500). A SQLite slice becomes Arrow a
  few thousand rows at a time (``sql_tables.READ_BATCH``): its rows as Python objects take
  several times their Arrow bytes (all of a 50,000-row slice at once: 75-110 MB a read).
  Ingest alone at scale 100: 663-670 -> 494-506 MB, no slower (benchmarks/README.md, 2026-12-07).

``max_workers`` is dbt's threads and dlt's extract and load workers: that many models, slices or
loads run at once. Each DuckDB query runs on one thread (DuckDB ``threads`` = 1), so the cores are
used by running ``max_workers`` queries at once, and a query's memory is one thread's: at scale 100
the heaviest query (the select of ``int_fact_ventas_oro``, then a 400-line view) ran out of memory
in 640 MiB on two DuckDB threads and fit in 512 MiB on one, no slower (27 s against 33 s with
768 MiB on two); since the intermediate and heavy staging models are tables it fits in 320 MiB.

Arrow allocates through the C allocator instead of its own mimalloc pool, glibc keeps two heaps
instead of one per thread, and freed heap goes back to the system after every round: what one
slice freed is reused by the next instead of piling up (orocommerce at scale 100: 614 -> 457 MB).
Static dlt settings live in ``.dlt/config.toml``; only what follows etl_config.yaml is computed here.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

DUCKDB_FLOOR_MB = 64     # DuckDB is given at least this much, however small the budget
DUCKDB_THREADS = 1       # per query; max_workers queries run at once (see above)
SLICE_FLOOR_MB = 4
GUESSED_ROW_BYTES = 256  # a table's row width before its first slice has been read this run


@dataclass(frozen=True)
class Budget:
    memory_mb: int
    workers: int

    @classmethod
    def of(cls, cfg) -> "Budget":
        return cls(int(cfg.batch["max_memory_mb"]), int(cfg.batch["max_workers"]))

    @property
    def dbt_duckdb_mb(self) -> int:
        return max(DUCKDB_FLOOR_MB, self.memory_mb * 5 // 16)

    @property
    def load_duckdb_mb(self) -> int:
        return max(DUCKDB_FLOOR_MB, self.memory_mb // 16)

    @property
    def slice_bytes(self) -> int:
        """Arrow bytes one reader slice may take (``workers`` slices are read at once, and as many
        are read ahead while a round loads)."""
        return max(SLICE_FLOOR_MB, self.memory_mb // 4 // (2 * self.workers)) * 2 ** 20

    def slice_rows(self, chunk_size: int, row_bytes: float | None, floor: int) -> int:
        """Rows of the next slice: ``chunk_size``, fewer when that many rows would not fit."""
        fit = int(self.slice_bytes // max(row_bytes or GUESSED_ROW_BYTES, 1.0))
        return max(min(floor, chunk_size), min(chunk_size, fit))

    def dlt_duckdb_config(self) -> dict:
        """Global settings of DuckDB as dlt's destination (credentials ``global_config``)."""
        return {"memory_limit": f"{self.load_duckdb_mb}MiB", "threads": DUCKDB_THREADS}

    def env(self) -> dict[str, str]:
        """What dbt reads through profiles.yml, and dlt's worker counts."""
        workers = str(self.workers)
        return {
            "PUNTAFINA_THREADS": workers,                                  # dbt threads
            "PUNTAFINA_DUCKDB_MEMORY_LIMIT": f"{self.dbt_duckdb_mb}MiB",   # DuckDB memory_limit under dbt
            "PUNTAFINA_DUCKDB_THREADS": str(DUCKDB_THREADS),               # DuckDB threads under dbt
            "EXTRACT__WORKERS": workers,                                   # tables read at once
            "LOAD__WORKERS": workers,                                      # load jobs at once
        }


def export(cfg) -> Budget:
    """Set the environment dbt and dlt read for this run; run_etl.py calls it once per run."""
    budget = Budget.of(cfg)
    os.environ.update(budget.env())
    _allocators()
    return budget


def _allocators() -> None:
    """Arrow through the C allocator (its mimalloc pool keeps what it had), two glibc heaps."""
    global _ALLOCATORS_SET
    if _ALLOCATORS_SET:
        return
    _ALLOCATORS_SET = True
    try:
        import pyarrow as pa

        pa.set_memory_pool(pa.system_memory_pool())
    except ImportError:
        pass
    libc = _libc()
    if libc is not None:
        libc.mallopt(-8, 2)  # M_ARENA_MAX


def release() -> None:
    """Give freed heap memory back to the system (after every extract round)."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


_ALLOCATORS_SET = False


def _libc():
    import ctypes
    import sys

    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL("libc.so.6")
        return libc if hasattr(libc, "malloc_trim") else None
    except OSError:  # not glibc (musl): nothing to tune
        return None
