"""Run a submitted notebook, then collect its answers as data: the student's side of grading.

Runs inside the student's sandbox (``grading/sandbox.py``), in its work folder, which
holds the submission as ``NAME.ipynb``, the checker's ``queries.npz`` (inputs only) and
``answers.py``, and nothing of the hidden checks or their reference data::

    python run_notebook.py NAME QUESTION [QUESTION ...]

Every code cell of the notebook runs in one Jupyter kernel, in order, as otter-grader runs
a submission: a cell that raises does not stop the others; the hand-in cell (it writes a
zip) is left out. Then one more cell runs in the same kernel: ``answers.write`` with the
notebook's variables, which writes ``answers.npz``. That file, as it is, is this run's
result: copied to the result channel (``$RESULT_FD``), from where the grader hands it to
the checker, which reads it as data. If the kernel died or exited before that cell ran,
nothing is sent, and the grader scores the submission zero with a note.

Nothing here is trusted: the student's code runs in this kernel and can change
``answers.write`` or what it returns; it can only change its own answers, which are
judged elsewhere.
"""

from __future__ import annotations

import json
import os
import sys

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError

ANSWER_CELL = """\
import sys as _grading_sys
_grading_sys.path.insert(0, {work!r})
import answers as _grading_answers
_grading_answers.write(globals(), {questions!r}, "queries.npz", "answers.npz")"""
HAND_IN = "export(grader"
STARTED = "GRADING: started"  # grading/grader.py tells a sandbox that never started by it


def main(name: str, questions: list[str]) -> int:
    print(STARTED, flush=True)  # before anything of the student's: the sandbox started
    work = os.getcwd()
    nb = nbformat.read(f"{name}.ipynb", as_version=4)
    cells = [c for c in nb.cells if c.cell_type == "code" and HAND_IN not in c.source]
    answer = nbformat.v4.new_code_cell(ANSWER_CELL.format(work=work, questions=questions))
    nb.cells = cells + [answer]
    if os.path.exists("answers.npz"):
        os.remove("answers.npz")
    client = NotebookClient(nb, allow_errors=True, timeout=None, kernel_name="python3",
                            resources={"metadata": {"path": work}})
    # No front end for widgets: nbclient's stand-in for an Output widget (01's slider)
    # would send its state on the shell socket while the reply is awaited on it, and the
    # reply's wake-up can be lost until the poll's timeout (15 min seen in CI). Grading
    # reads the namespace, not the widget's outputs.
    client.widget_registry = {}
    try:
        client.execute()
    except DeadKernelError as err:
        print(f"GRADING: the kernel died or exited before the answers were collected ({err})")
        return 3
    errors = [i for i, c in enumerate(nb.cells)
              for o in c.get("outputs", []) if o.get("output_type") == "error"]
    print(f"GRADING: ran {len(cells)} code cells; cells with errors: {errors}")
    if nb.cells[-1].get("outputs") and any(o.get("output_type") == "error"
                                           for o in nb.cells[-1].outputs):
        print("GRADING: collecting the answers failed:", json.dumps(nb.cells[-1].outputs)[:2000])
        return 4
    if not os.path.exists("answers.npz"):
        print("GRADING: no answers were written")
        return 4
    result_fd = int(os.environ.get("RESULT_FD", "1"))
    with open("answers.npz", "rb") as f, os.fdopen(result_fd, "wb", closefd=False) as out:
        while chunk := f.read(1 << 20):
            out.write(chunk)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))
