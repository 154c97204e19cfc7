"""Write the student edition of the course into _build/student/.

- ``_build/student/notebooks/``: the five notebooks without their solutions (cells tagged
  ``solution``: the gated ``{solution-start}``/``{solution-end}`` markers, the solution
  code and its discussion) and without the assignment markup (otter's raw delimiter
  cells and its test cells, tagged ``otter-test``), stored without outputs, exercise
  prompts kept. The self-grading assignments are ``make assignments``.
- ``_build/student/html/``: the web book with the same notebooks, built from the outputs
  of the last ``make book`` (taken from its execution cache, no re-execution), with
  sphinx-exercise's ``hide_solutions`` switched on as well.

Run with ``make student`` (which builds the book first).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import yaml

from course import config as course_config
from course import notebooks as course_notebooks
from course.markup import is_solution, without_outputs
from course.paths import BOOK_CACHE, BUILD, ROOT

OUT = BUILD / "student"
BOOK_FILES = ["intro.md", "summary.md", "notation.md", "references.md", "execution_statistics.md",
              "references.bib", "_toc.yml"]


def strip_solutions(nb, keep_outputs: bool = False):
    """A copy of ``nb`` without solution and assignment cells (and outputs unless asked)."""
    student = nbformat.from_dict(nb) if keep_outputs else without_outputs(nb)
    student.cells = [c for c in student.cells if not is_solution(c)]
    nbformat.validate(student)
    return student


def write_notebooks() -> list[Path]:
    target = OUT / "notebooks"
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name in course_notebooks.names():
        nbformat.write(strip_solutions(course_notebooks.read(name)), target / f"{name}.ipynb")
        written.append(target / f"{name}.ipynb")
    return written


def executed(path: Path):
    """The notebook with the outputs of its last execution by ``make book``.

    They come from jupyter-book's cache, which keeps the outputs as the kernel produced
    them (including the glued values that the pages display).
    """
    from jupyter_cache import get_cache

    nb = nbformat.read(path, as_version=4)
    try:
        _, merged = get_cache(str(BOOK_CACHE)).merge_match_into_notebook(nb)
    except KeyError:
        message = f"{path.name} has no up-to-date execution: run `make book` first"
        raise SystemExit(message) from None
    return merged


def failed_in_book(path: Path, n_cells: int) -> list[str]:
    """Code cells among the first ``n_cells`` of the notebook at ``path`` that ``make
    book``'s last execution did not run, or ran into an error ([] when all ran cleanly)."""
    problems = []
    for i, cell in enumerate(executed(path).cells[:n_cells]):
        if cell.cell_type != "code":
            continue
        if not cell.get("execution_count"):
            problems.append(f"cell {i}: no execution in the book's cache")
        elif any(o.output_type == "error" for o in cell.outputs):
            problems.append(f"cell {i}: an error in the book's execution")
    return problems


def build_from_cache(src: Path, edit_config, edit_notebook=lambda nb: nb, log=None) -> Path:
    """Build a copy of the book in ``src`` from ``make book``'s execution cache.

    Nothing is executed again: each notebook is written with the outputs of its last
    execution (``edit_notebook`` may change it first), and ``edit_config`` changes the
    parsed ``_config.yml`` in place, whose execution is switched off. The build runs
    with warnings as errors, like ``make book``. Returns the built ``_build/html``.
    """
    if not BOOK_CACHE.is_dir():
        raise SystemExit("No execution cache in _build/.jupyter_cache: run `make book` first")
    shutil.rmtree(src, ignore_errors=True)
    (src / "notebooks").mkdir(parents=True)
    for name in BOOK_FILES:
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "_ext", src / "_ext")
    for name in course_notebooks.names():
        nbformat.write(edit_notebook(executed(course_notebooks.path(name))),
                       src / "notebooks" / f"{name}.ipynb")

    config = course_config.load()
    config["execute"]["execute_notebooks"] = "off"  # outputs come from the main build
    edit_config(config)
    (src / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False))

    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    subprocess.run([str(jupyter_book), "build", str(src), "-W", "-n", "--keep-going"],
                   check=True, stdout=log, stderr=subprocess.STDOUT if log else None)
    return src / "_build" / "html"


def _student_config(config: dict) -> None:
    config["title"] += " (student edition)"
    config["sphinx"].setdefault("config", {})["hide_solutions"] = True


def build_book() -> Path:
    built = build_from_cache(OUT / "book", _student_config,
                             lambda nb: strip_solutions(nb, keep_outputs=True))
    html = OUT / "html"
    shutil.rmtree(html, ignore_errors=True)
    shutil.copytree(built, html)
    return html


if __name__ == "__main__":
    notebooks = write_notebooks()
    html = build_book()
    print(f"student notebooks: {', '.join(p.name for p in notebooks)} in {notebooks[0].parent}")
    print(f"student book: {html / 'index.html'}")
