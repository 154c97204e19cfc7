"""Build the course's otter-grader assignments into ``_build/assignments/``.

Each notebook in ``notebooks/`` is the assignment source: its graded exercises are
otter-grader questions, marked up with raw delimiter cells (``# BEGIN QUESTION`` ...
``# END QUESTION``) that the book and JupyterLab leave alone. For every notebook this
script

1. writes the *master* notebook that ``otter assign`` reads: the course notebook without
   the worked solutions of the ungraded exercises (cells tagged ``solution`` outside a
   question; otter would hand them out), with the answer cells unfolded (the course
   notebook opens its solutions folded, a student's answer cell should not be), and with
   the course's own set-up and export cells instead of otter's (``utils.assignment``: the
   first cell installs what Google Colab lacks, the last writes the zip to hand in, on
   Colab, a JupyterHub or a laptop alike);
2. runs ``otter assign --no-pdfs``, which executes the solution version and refuses to
   finish unless every question scores full marks. With ``--from-book-cache`` (CI and the
   deploy workflow) nothing is executed again: ``make book``'s execution cache must show
   every cell of the notebook, its test cells included, run without error, and otter
   assign runs with ``--no-run-tests`` (seconds instead of minutes);
3. checks what students get: no outputs, no solution code, no hidden tests.

Output, per notebook ``NAME``: ``_build/assignments/NAME/student/NAME.ipynb`` (hand this
out) and ``_build/assignments/NAME/autograder/NAME-autograder_*.zip`` (grade with it:
``make grade``); ``_build/assignments/release/`` collects the five student notebooks.

Run with ``make assignments`` (all notebooks), or ``python -m scripts.assignments NAME``.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

from course import config as course_config
from course import notebooks as course_notebooks
from course.markup import (
    ANSWER_TAG,
    ASSIGNMENT_CONFIG,
    COLAB_TAG,
    SOLUTION_TAG,
    block_boundary,
    questions,
    raw_config,
)
from course.paths import ASSIGNMENTS as OUT
from course.paths import BUILD, RELEASE
from course.schedule import due_text, schedule

SETUP_TAG = "assignment-setup"

SETUP_CELL = """\
# Set-up: run this cell first. On Google Colab it installs what Colab lacks (the course
# package and otter-grader); anywhere else they must be installed already.
import sys

ASSIGNMENT = "{name}"
COURSE_PACKAGE = "{package}"
LAPTOP_PACKAGE = "{laptop}"
OTTER = "otter-grader=={otter}"


class SetUpError(Exception):
    def _render_traceback_(self):  # the message alone, no traceback
        return [f"SetUpError: {{self}}"]


if "google.colab" in sys.modules:
    if not COURSE_PACKAGE:
        raise SetUpError("this copy of the assignment names no repository to install the "
                         "course from: ask for the published notebook")
    import subprocess

    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", OTTER, COURSE_PACKAGE],
                   check=True)
try:
    from utils.assignment import export, start
except ImportError:
    import os

    if "JUPYTERHUB_USER" in os.environ:  # on a hub only its administrator installs
        raise SetUpError("this JupyterHub lacks the course package `utils`: tell your "
                         "lecturer (the hub's image needs the install line of the course's "
                         "docs/publishing.md)") from None
    what = (f'%pip install "{{LAPTOP_PACKAGE}}"' if LAPTOP_PACKAGE
            else "the install line of the course's web book")
    raise SetUpError(f"the course package `utils` is not installed in this kernel's Python: "
                     f"run {{what}} in a new cell, restart the kernel (Kernel -> Restart "
                     "Kernel), and run this cell again") from None
grader = start(ASSIGNMENT)"""

EXPORT_MARKDOWN = """\
## Hand in

{due}Run every cell from the top (Run → Run All Cells), save the notebook, then run the cell
below: it checks that every cell has run and writes `{name}_<date>.zip`, the file to hand
in (on Colab it also downloads it). The zip records when you exported it."""


def due_line(name: str) -> str:
    """"**Due 25 January 2027** (...)" from the schedule in _config.yml, or nothing."""
    entry = schedule().get(name)
    if entry is None or entry.due is None:
        return ""
    return (f"**Due {due_text(entry.due)}**: hand in the "
            "zip where your lecturer collects the work (the course's page on your "
            "learning platform).\n\n")


def course_package(how: str = "git") -> str:
    """What the set-up cell installs: on Colab (``how="git"``) the course package from
    the published repository (``repository.url`` in ``_config.yml``, branch ``lecture``,
    which with private sources is the public repository's only source of it); on a laptop
    (``how="archive"``, only named in its message) the package with the student's tools.
    Nothing when no URL is set."""
    from utils.assignment import course_requirement

    url = course_config.repository_url()
    return course_requirement(url, how) if url else ""


def master(nb, package: str | None = None):
    """The notebook that ``otter assign`` reads (see the module docstring). ``package``:
    what the set-up cell installs on Colab (default: from ``_config.yml``)."""
    nb = nbformat.from_dict(nb)
    cells, block, name = [], None, None
    for cell in nb.cells:
        boundary = block_boundary(cell)
        if cell.cell_type == "raw" and cell.source.startswith(ASSIGNMENT_CONFIG):
            name = raw_config(cell.source)["name"]  # otter's own first and last cells: off
            cell.source = re.sub(r"^export_cell:.*$", "export_cell: false\ninit_cell: false",
                                 cell.source, flags=re.M)
        if boundary is not None:
            block = boundary[1] if boundary[0] == "begin" else None
        elif block == "solution":
            cell.metadata.pop("jupyter", None)  # answers open unfolded
        elif SOLUTION_TAG in cell.metadata.get("tags", []):
            continue  # an ungraded exercise's worked solution
        cells.append(cell)
    if name is not None:  # the course's set-up cell replaces the lecture's Colab cell
        setup = nbformat.v4.new_code_cell(SETUP_CELL.format(
            name=name, otter=importlib.metadata.version("otter-grader"),
            package=course_package() if package is None else package,
            laptop=course_package("archive") if package is None else ""))
        setup.metadata["tags"], setup.id = [SETUP_TAG], "assignment-setup"
        cells = [setup if COLAB_TAG in c.metadata.get("tags", []) else c for c in cells]
        hand_in = nbformat.v4.new_markdown_cell(EXPORT_MARKDOWN.format(name=name,
                                                                       due=due_line(name)))
        export = nbformat.v4.new_code_cell("export(grader, ASSIGNMENT)")
        hand_in.id, export.id = "assignment-hand-in", "assignment-export"
        cells += [hand_in, export]
    nb.cells = cells
    return nb


def solution_lines(cell) -> list[str]:
    """What a student must not see of a solution cell: its markdown, or the code on lines
    marked ``# SOLUTION`` and inside ``# BEGIN SOLUTION``/``# END SOLUTION``."""
    if cell.cell_type == "markdown":
        return [line.strip() for line in cell.source.splitlines() if len(line.strip()) > 20]
    hidden, inside = [], False
    for line in cell.source.splitlines():
        stripped = line.strip()
        if stripped.startswith("# BEGIN SOLUTION"):
            inside = True
        elif stripped.startswith("# END SOLUTION"):
            inside = False
        elif inside or re.search(r"#\s?SOLUTION", line):
            code = re.split(r"\s+#", stripped)[0]
            if len(code) > 10:
                hidden.append(code)
    return hidden


def check_student_notebook(path: Path, source) -> None:
    """Fail unless the student notebook has no outputs, solutions or hidden tests."""
    nb = nbformat.read(path, as_version=4)
    problems = []
    if any(c.get("outputs") for c in nb.cells if c.cell_type == "code"):
        problems.append("code cells with outputs")
    # Code of a solution must not survive in the answer cells (the lecture's own cells may
    # share a line with it); the discussion must not appear anywhere.
    answers = "\n".join(c.source for c in nb.cells
                        if ANSWER_TAG in c.metadata.get("tags", []))
    prose = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    for q in questions(source):
        leaked = [line for cell in q["solution"] for line in solution_lines(cell)
                  if line in (prose if cell.cell_type == "markdown" else answers)]
        if leaked:
            problems.append(f"{q['name']}: solution lines {leaked}")
    tests = nb.metadata.get("otter", {}).get("tests", {})
    for name, text in tests.items():
        if "hidden=True" in text:
            problems.append(f"{name}: hidden tests in the notebook metadata")
    if problems:
        raise SystemExit(f"{path}: " + "; ".join(problems))


def build(name: str, from_book_cache: bool = False) -> Path:
    """Build one assignment; returns its directory."""
    source = course_notebooks.read(name)
    if not questions(source):
        raise SystemExit(f"{name} has no otter questions")
    if from_book_cache:
        from scripts.student_edition import failed_in_book

        problems = failed_in_book(course_notebooks.path(name), len(source.cells))
        if problems:
            raise SystemExit(f"{name}: not every cell ran cleanly in the book's execution "
                             f"cache ({'; '.join(problems[:3])}): run `make book` first, or "
                             "build without --from-book-cache")
    target = OUT / name
    shutil.rmtree(target, ignore_errors=True)
    (target / "master").mkdir(parents=True)
    nbformat.write(master(source), target / "master" / f"{name}.ipynb")
    otter = Path(sys.executable).with_name("otter")
    if from_book_cache:
        print(f"== otter assign {name} (the book's execution showed the solution passing)",
              flush=True)
        command = [str(otter), "assign", "--no-pdfs", "--no-run-tests"]
    else:
        print(f"== otter assign {name} (executes the solution version)", flush=True)
        command = [str(otter), "assign", "--no-pdfs"]
    subprocess.run(command + [f"master/{name}.ipynb", "."], cwd=target, check=True)
    check_student_notebook(target / "student" / f"{name}.ipynb", source)
    RELEASE.mkdir(exist_ok=True)
    shutil.copy(target / "student" / f"{name}.ipynb", RELEASE / f"{name}.ipynb")
    return target


def autograder_zip(name: str) -> Path:
    """The autograder configuration zip of assignment ``name`` (after ``build``)."""
    zips = sorted((OUT / name / "autograder").glob(f"{name}-autograder_*.zip"))
    if not zips:
        raise FileNotFoundError(f"no autograder for {name!r}: run `make assignments` first")
    return zips[-1]


def main(argv=None) -> None:
    names = course_notebooks.names()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"default: all of {names}")
    parser.add_argument("--from-book-cache", action="store_true",
                        help="do not execute the solutions again: require that make book's "
                             "execution cache shows every cell run without error")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.names) - set(names))
    if unknown:
        parser.error(f"unknown notebook(s) {unknown}; choose from {names}")
    for name in args.names or names:
        build(name, from_book_cache=args.from_book_cache)
    for site in (BUILD / "html", BUILD / "instructor" / "html", BUILD / "student" / "html"):
        if site.is_dir():  # the books link to them (_ext/course_site.py)
            (site / "assignments").mkdir(exist_ok=True)
            for notebook in RELEASE.glob("*.ipynb"):
                shutil.copy(notebook, site / "assignments" / notebook.name)
    print(f"student notebooks: {RELEASE}; autograders: {OUT}/*/autograder/")


if __name__ == "__main__":
    main()
