"""pytest plugin: the notebooks' nbval run (``make test``) also fills the book's execution
cache, so that ``make book`` after ``make test`` executes no notebook again.

``make test`` loads it (``-p scripts.book_cache``) with ``DL4PHYS_BOOK_CACHE`` set to the
book's cache, ``_build/.jupyter_cache``; without that variable it does nothing. nbval
re-executes every code cell of each notebook in one kernel and fails on an error, as
before. This plugin listens to the same kernel messages and turns them into cell outputs
with the book's own executor's code (nbclient's ``process_message``: streams, displays,
updates of a display, ``clear_output``, widget state), and, once **every** code cell of a
notebook has run without error, stores the executed notebook in jupyter-cache, as the
book's execution (myst-nb, ``execute_notebooks: cache``) would store it.

What keeps it honest:

- a notebook with a failing, skipped or unrun cell is not stored (``make test`` fails,
  and ``make book`` executes that notebook itself and fails on the same error);
- jupyter-cache matches a notebook by a hash of its code cells (and kernelspec), so a
  notebook whose code changed after ``make test`` finds no entry: ``make book`` executes
  it; an old entry never stands in for changed code (``tests/test_book_cache.py`` shows
  both with a deliberately broken cell);
- markdown is not in the hash: the book always renders the notebook's current prose with
  the outputs of its current code.

The outputs come from nbval's run, with its environment: ``make test`` sets
``DL4PHYS_PROGRESS=text`` (one summary line per loop, as the book shows) and gives each
of its parallel workers its share of the cores.
"""

from __future__ import annotations

import copy
import os
import time
from pathlib import Path

import nbformat

try:
    import fcntl
except ImportError:  # Windows: no parallel make test there
    fcntl = None

CACHE_VARIABLE = "DL4PHYS_BOOK_CACHE"


class _Recorder:
    """The outputs of one notebook's cells, as nbval executes them."""

    def __init__(self, file_item):
        from nbclient import NotebookClient

        self.path = Path(str(file_item.fspath))
        self.nb = copy.deepcopy(file_item.nb)
        for cell in self.nb.cells:
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        self.originals = file_item.nb.cells
        self.client = NotebookClient(self.nb, record_timing=False, store_widget_state=True)
        self.client.reset_execution_trackers()
        # No kernel client here to talk back to widgets: an Output widget's captured
        # outputs (01's slider, a cell the book removes) stay in the cell's outputs.
        self.client.widget_registry = {}
        self.cell, self.index, self.msg_id = None, None, None
        self.ran: set[int] = set()
        self.complete, self.count = True, 0
        self.start = time.perf_counter()

    def begin(self, cell) -> None:
        self.index = next(i for i, c in enumerate(self.originals) if c is cell)
        self.cell, self.msg_id = self.nb.cells[self.index], None
        self.client.clear_before_next_output = False  # what nbclient sets before each cell

    def message(self, msg: dict) -> None:
        """One iopub message; those of the cell's own execute request become outputs."""
        from nbclient.exceptions import CellExecutionComplete

        if self.cell is None or msg["parent_header"].get("msg_id") != self.msg_id:
            return
        try:
            self.client.process_message(msg, self.cell, self.index)
        except CellExecutionComplete:
            pass
        except Exception:  # noqa: BLE001 - never disturb the test; the book runs it instead
            self.complete = False

    def end(self, passed: bool) -> None:
        if passed and self.cell is not None:
            self.ran.add(self.index)
            # numbered as a fresh kernel's Run All numbers them (nbval executes without
            # storing history, so the kernel's own counts stay at 1)
            self.count += 1
            self.cell.execution_count = self.count
            for output in self.cell.outputs:
                if output.output_type == "execute_result":
                    output.execution_count = self.count
        else:
            self.complete = False
        self.cell = None

    def store(self, cache_path: Path) -> bool:
        """Store the executed notebook when every code cell ran; whether it did."""
        code = {i for i, c in enumerate(self.nb.cells) if c.cell_type == "code"}
        if not self.complete or self.ran != code:
            return False
        from jupyter_cache import get_cache
        from jupyter_cache.base import CacheBundleIn

        self.client.set_widgets_metadata()
        cache_path.mkdir(parents=True, exist_ok=True)
        with (cache_path.parent / f"{cache_path.name}.lock").open("w") as lock:
            if fcntl is not None:  # parallel workers: one writer at a time (SQLite)
                fcntl.flock(lock, fcntl.LOCK_EX)
            get_cache(str(cache_path)).cache_notebook_bundle(
                CacheBundleIn(nbformat.from_dict(self.nb), str(self.path),
                              data={"execution_seconds": time.perf_counter() - self.start}),
                check_validity=False, overwrite=True)
        return True


def pytest_configure(config) -> None:
    cache_path = os.environ.get(CACHE_VARIABLE)
    if not cache_path:
        return
    from nbval.kernel import RunningKernel
    from nbval.plugin import IPyNbCell, IPyNbFile

    recorders: dict[int, _Recorder] = {}
    running: list[_Recorder] = []  # the recorder of the cell being run (one at a time)
    get_message, runtest, teardown, execute = (
        IPyNbFile.get_kernel_message, IPyNbCell.runtest, IPyNbFile.teardown,
        RunningKernel.execute_cell_input)

    def recorder(file_item) -> _Recorder:
        if id(file_item) not in recorders:
            recorders[id(file_item)] = _Recorder(file_item)
        return recorders[id(file_item)]

    def recorded_message(self, timeout=None, stream="iopub"):
        msg = get_message(self, timeout=timeout, stream=stream)
        if stream == "iopub" and id(self) in recorders:
            recorders[id(self)].message(msg)
        return msg

    def executed(self, cell_input, allow_stdin=None):
        msg_id = execute(self, cell_input, allow_stdin=allow_stdin)
        if running:
            running[-1].msg_id = msg_id
        return msg_id

    def recorded_runtest(self):
        rec = recorder(self.parent)
        rec.begin(self.cell)
        running.append(rec)
        passed = False
        try:
            runtest(self)
            passed = True
        finally:
            running.pop()
            rec.end(passed)

    def stored_teardown(self):
        rec = recorders.pop(id(self), None)
        try:
            teardown(self)
        finally:
            if rec is not None:
                rec.store(Path(cache_path))

    IPyNbFile.get_kernel_message = recorded_message
    IPyNbCell.runtest = recorded_runtest
    IPyNbFile.teardown = stored_teardown
    RunningKernel.execute_cell_input = executed
