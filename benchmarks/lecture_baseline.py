"""Time the lecture's own code, section by section, on this machine.

This is the baseline the course is measured against (``make bench`` runs it next to the
notebooks). The code is the lecture's, verbatim (``lecture_code.py``), run the way the
course's notebooks are run and the way a student runs the lecture: as one notebook (one
cell per section) in a fresh Jupyter kernel, with the inline backend drawing every
figure. The total is the wall time of the whole execution, kernel start included, as for
each course notebook; the section times are those of the cells. Writes
``lecture_baseline.json``.
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from benchmarks import lecture_code

HERE = Path(__file__).resolve().parent


def lecture_notebook() -> nbformat.NotebookNode:
    """The lecture's code as a notebook: one code cell per section, in order."""
    cells = []
    for k in range(1, 6):
        cell = nbformat.v4.new_code_cell(getattr(lecture_code, f"CODE_{k}").strip("\n"))
        cell.metadata["section"] = getattr(lecture_code, f"SECTION_{k}")
        cells.append(cell)
    return nbformat.v4.new_notebook(cells=cells)


def _seconds(cell) -> float:
    timing = cell.metadata["execution"]
    start, end = (datetime.fromisoformat(timing[key].replace("Z", "+00:00"))
                  for key in ("iopub.execute_input", "shell.execute_reply"))
    return (end - start).total_seconds()


def main() -> dict:
    nb = lecture_notebook()
    client = NotebookClient(nb, timeout=600, kernel_name="python3", record_timing=True,
                            resources={"metadata": {"path": str(HERE)}})
    t0 = time.perf_counter()
    client.execute(transport_encryption="auto")  # CurveZMQ, as make lab
    total = time.perf_counter() - t0
    timings = {cell.metadata["section"]: _seconds(cell) for cell in nb.cells}
    for name, seconds in timings.items():
        print(f"{name:22s} {seconds:7.1f} s")
    overhead = total - sum(timings.values())
    print(f"{'kernel start etc.':22s} {overhead:7.1f} s")
    print(f"{'total':22s} {total:7.1f} s")
    result = {"sections_seconds": timings, "kernel_start_seconds": overhead,
              "total_seconds": total}
    (HERE / "lecture_baseline.json").write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    main()
