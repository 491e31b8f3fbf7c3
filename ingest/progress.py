"""Progress bars on a terminal (rich): rows and time left per table while extracting, nodes
done of the phase's total while dbt builds.

Only when the console is a terminal (or ``PUNTAFINA_PROGRESS=bars``), and not with ``--quiet``
or JSON logs: under cron, CI or a pipe the plain periodic lines of the log are the progress
(``… 120/395 nodes done, about 12 s left``, one line per committed slice), and
``PUNTAFINA_PROGRESS=lines`` keeps them on a terminal too. While bars are shown the console's
log lines print above them (rich's live display), so nothing is lost or garbled; the log files
are not affected.
"""
from __future__ import annotations

import logging
import os
import sys
from contextlib import contextmanager

_current: "Bars | None" = None


def wanted(verbosity: str, log_format: str) -> bool:
    mode = os.environ.get("PUNTAFINA_PROGRESS", "auto").lower()
    if mode == "lines" or verbosity == "quiet":
        return False
    if mode == "bars":
        return True
    return log_format != "json" and sys.stdout.isatty()


class Bars:
    def __init__(self, console_handlers: list[logging.StreamHandler]):
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.console = Console(file=sys.stdout, force_terminal=True)
        self.progress = Progress(TextColumn("  {task.description:<36}"), BarColumn(bar_width=16),
                                 MofNCompleteColumn(), TextColumn("{task.fields[unit]}"), TextColumn("eta"),
                                 TimeRemainingColumn(), console=self.console, transient=False,
                                 refresh_per_second=4)
        self.handlers = console_handlers
        self.tasks: dict[str, int] = {}

    # -- extract: one bar per table
    def table(self, key: str, total: int | None, rows: int = 0) -> None:
        task = self.tasks.get(key)
        if task is None:
            self.tasks[key] = self.progress.add_task(key, total=total, completed=rows, unit="rows")
        else:
            self.progress.update(task, completed=rows,
                                 total=max(total, rows) if total is not None else None)

    def table_done(self, key: str) -> None:
        task = self.tasks.get(key)
        if task is not None:
            t = self.progress.tasks[self.progress.task_ids.index(task)]
            self.progress.update(task, total=t.completed)  # a total counted before new rows arrived

    # -- dbt: one bar per dbt invocation (the build; the staging layer first under on_error: fail)
    def nodes(self, phase: str, done: int, total: int) -> None:
        key = f"dbt: {phase}"
        task = self.tasks.get(key)
        if task is None:
            self.tasks[key] = self.progress.add_task(key, total=total or None, completed=done, unit="nodes")
        else:
            self.progress.update(task, completed=done, total=total or None)

    # -- a pause while another process draws (the extract in a child: orchestrator.extract)
    def pause(self) -> None:
        """Stop drawing: the display's thread ends, what it drew stays on the screen."""
        self.progress.stop()

    def resume(self) -> None:
        """Draw again, below whatever was printed meanwhile."""
        self.progress.start()

    def __enter__(self):
        streams = {id(sys.stdout): "stdout", id(sys.stderr): "stderr"}
        self._streams = [h.stream for h in self.handlers]
        self.progress.start()
        # rich now stands in for sys.stdout and sys.stderr: the console's log lines written
        # through them print above the bars instead of over them
        for h in self.handlers:
            h.setStream(getattr(sys, streams.get(id(h.stream), "stdout")))
        return self

    def __exit__(self, *exc):
        self.progress.stop()
        for h, stream in zip(self.handlers, self._streams):
            h.setStream(stream)
        return False


@contextmanager
def shown(enabled: bool):
    """Bars for the duration of a run when ``enabled``; ``current()`` is None otherwise."""
    global _current
    if not enabled:
        yield None
        return
    from ingest.logs import LOGGER

    handlers = [h for h in logging.getLogger(LOGGER).handlers
                if isinstance(h, logging.StreamHandler) and not isinstance(h, logging.FileHandler)
                and getattr(h, "stream", None) in (sys.stdout, sys.stderr)]
    with Bars(handlers) as bars:
        _current = bars
        try:
            yield bars
        finally:
            _current = None


def current() -> "Bars | None":
    return _current
