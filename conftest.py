"""pytest set-up for the notebooks (nbval) that nbval's options do not reach.

- **Output timeout.** After a cell's ``execute_reply`` nbval reads the kernel's IOPub
  messages (the cell's outputs and the final ``idle`` status) with a fixed 5-second wait
  per message (``IPyNbCell.output_timeout``, not an option; nbval issues #136, #231).
  On a starved machine the kernel's IOPub thread can be descheduled for longer than that
  (on two cores with PyTorch's threads competing with another busy process, a notebook
  ran 17.8x slower), and nbval then fails a cell that ran correctly, with "Timeout of 5
  seconds exceeded waiting for output". A cell's real time limit stays
  ``--nbval-cell-timeout``; this only widens the window for messages already under way.
- **Failures that say why.** The one-line summary of a failed cell names the reason
  (the exception and its message, or the timeout) instead of only "Notebook cell
  execution failed"; the full traceback follows in the report as before.
"""

from __future__ import annotations

import re

NBVAL_OUTPUT_TIMEOUT_S = 120
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _reason(exc: BaseException) -> str:
    traceback = _ANSI.sub("", getattr(exc, "inner_traceback", None) or "")
    lines = [line.strip() for line in traceback.splitlines() if line.strip()]
    last = lines[-1] if lines else ""
    return f"{last} ({exc})" if last else str(exc)


def pytest_collection_modifyitems(items):
    for item in items:
        if type(item).__name__ != "IPyNbCell":
            continue
        item.output_timeout = NBVAL_OUTPUT_TIMEOUT_S
        original = item.repr_failure

        def repr_failure(excinfo, _original=original):
            report = _original(excinfo)
            return f"{_reason(excinfo.value)}\n{report}"

        item.repr_failure = repr_failure
