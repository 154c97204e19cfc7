"""The nbval run fills the book's execution cache (``scripts/book_cache.py``), and neither
an error nor a stale entry can hide behind it.

A small notebook goes through what ``make test`` does to the course's notebooks (pytest
with nbval and the plugin, in a subprocess, with its own cache folder):

- run cleanly, it is stored, and the stored outputs are what the book's executor makes
  of the kernel's messages (a ``clear_output`` and a display update applied, which
  nbval's own list of outputs ignores);
- with a deliberately broken cell, the test run fails and nothing is stored for it: the
  book finds no entry and executes the notebook itself (and fails on the same error);
- with its code changed but not re-tested, the old entry does not match it either.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
CELLS = [
    "x = 41",
    "print('counting...')\nfrom IPython.display import clear_output\nclear_output(wait=True)\n"
    "print('answer:', x + 1)",
    "from IPython.display import display\nh = display('draft', display_id=True)\n"
    "h.update('final')",
]


def notebook(cells: list[str]) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell("# A notebook")] + [
        nbformat.v4.new_code_cell(c) for c in cells]
    return nb


def make_test(folder: Path, cache: Path) -> subprocess.CompletedProcess:
    """``make test``'s nbval run of the notebooks in ``folder``, with the plugin."""
    env = {**os.environ, "DL4PHYS_BOOK_CACHE": str(cache), "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "pytest", str(folder), "--nbval-lax", "--nbval-current-env",
         "-p", "scripts.book_cache", "-p", "no:cacheprovider", "-q"],
        cwd=folder, env=env, capture_output=True, text=True, timeout=600)


def cached(cache: Path, nb) -> nbformat.NotebookNode:
    from jupyter_cache import get_cache

    return get_cache(str(cache)).merge_match_into_notebook(nb)[1]


@pytest.fixture
def folders(tmp_path):
    (tmp_path / "nb").mkdir()
    return tmp_path / "nb", tmp_path / "cache"


def test_a_clean_run_is_stored_as_the_books_executor_would_store_it(folders):
    folder, cache = folders
    nb = notebook(CELLS)
    nbformat.write(nb, folder / "demo.ipynb")
    done = make_test(folder, cache)
    assert done.returncode == 0, done.stdout + done.stderr
    merged = cached(cache, nb)
    cells = [c for c in merged.cells if c.cell_type == "code"]
    assert [c.execution_count for c in cells] == [1, 2, 3]  # as a fresh Run All numbers them
    assert [o.text for o in cells[1].outputs] == ["answer: 42\n"]  # cleared "counting..."
    assert [o.data["text/plain"] for o in cells[2].outputs] == ["'final'"]  # updated


def test_a_broken_cell_fails_the_test_run_and_is_never_served_from_the_cache(folders):
    folder, cache = folders
    good = notebook(CELLS)
    nbformat.write(good, folder / "demo.ipynb")
    assert make_test(folder, cache).returncode == 0
    broken = notebook([CELLS[0], "raise RuntimeError('deliberately broken')", CELLS[2]])
    nbformat.write(broken, folder / "demo.ipynb")
    done = make_test(folder, cache)
    assert done.returncode != 0 and "deliberately broken" in done.stdout
    with pytest.raises(KeyError):  # the book finds nothing and executes it itself
        cached(cache, broken)
    assert cached(cache, good).cells[2].outputs  # the clean run's entry is still there


def test_changed_code_that_was_not_tested_again_finds_no_entry(folders):
    folder, cache = folders
    nbformat.write(notebook(CELLS), folder / "demo.ipynb")
    assert make_test(folder, cache).returncode == 0
    changed = notebook([CELLS[0].replace("41", "6"), *CELLS[1:]])
    with pytest.raises(KeyError):
        cached(cache, changed)
    edited_prose = notebook(CELLS)
    edited_prose.cells[0].source = "# A notebook, reworded"
    assert cached(cache, edited_prose).cells[0].source == "# A notebook, reworded"
