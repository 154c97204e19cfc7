"""What of the course is public, and from when: the term's release schedule.

The schedule lives in one place, the ``course:`` section of ``_config.yml`` (read by
:mod:`course.schedule`): for each
assignment (a notebook's name) its due date and the date from which its graded
questions' worked solutions are public. Everything the course publishes obeys it:

- the web book (``make book`` builds the public site into ``_build/html``, which the
  deploy workflow publishes; ``make book-instructor`` keeps every solution, in
  ``_build/instructor/html``),
- the notebooks that the book's pages offer for download,
- the branch ``lecture`` (the notebooks that the Colab, Binder and JupyterHub buttons
  open, and the course package that their first cell installs) and the branch
  ``assignments`` (the student notebooks, which never hold a solution).

A graded question's worked solution (the cells between otter's ``# BEGIN SOLUTION`` and
``# END SOLUTION`` in its question) is public from its assignment's ``solutions`` date on
(00:00 UTC); before it, the public notebook keeps the exercise and its prompt and says
when the solution appears. An assignment that the schedule does not name, or names
without a ``solutions`` date, keeps its solutions withheld: the safe choice. Ungraded
exercises keep their solutions, the lecture's own results and figures stay, and the
assignment markup (otter's delimiter cells and its tests, hidden ones included) is never
public.

``DL4PHYS_TODAY=YYYY-MM-DD`` sets "today" (for the tests of the release; nothing else
should set it; :mod:`course.schedule`). ``python -m scripts.release`` prints the state of
every graded question.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import nbformat

from course import config as course_config
from course import notebooks as course_notebooks
from course.branches import LECTURE_BRANCH
from course.markup import (
    BRANCH_LINE,
    COLAB_TAG,
    TEST_TAG,
    assignment_name,
    block_boundary,
    questions,
    raw_config,
    without_outputs,
)
from course.paths import BUILD, ROOT
from course.schedule import (
    TODAY_VARIABLE,
    Assignment,
    assignment_of,
    day_text,
    schedule,
    today,
    today_overridden,
)
from scripts.student_edition import build_from_cache

# What the lecture branch holds besides the notebooks: what Binder builds (the root
# environment.yml installs the package with `-e .`) and Colab's first cell installs.
LECTURE_BRANCH_FILES = ["environment.yml", "requirements.txt", "pyproject.toml", "utils"]


def status_lines(on: dt.date, plan: dict[str, Assignment] | None = None) -> list[str]:
    """One line per graded question: published or withheld, and until when."""
    plan = schedule() if plan is None else plan
    zone, lines = course_config.timezone().key, []
    for name in course_notebooks.names():
        entry = assignment_of(name, plan)
        due = f"due {entry.due} 23:59 {zone}" if entry.due else "no due date"
        for q in questions(course_notebooks.read(name)):
            if entry.released(on):
                state = f"published (since {entry.solutions})"
            elif entry.solutions:
                state = f"withheld until {entry.solutions}"
            else:
                state = "withheld (no solutions date in course.assignments)"
            lines.append(f"{name:16s} {q['name']:16s} {due:26s} {state}")
    return lines


def _note(entry: Assignment) -> str:
    due = f", after the assignment is due ({day_text(entry.due)})" if entry.due else ""
    if entry.solutions:
        return (f"**Solution withheld until {day_text(entry.solutions)}.** This exercise is "
                f"graded: its worked solution appears here on that date{due}.")
    return ("**Solution withheld.** This exercise is graded: its worked solution appears "
            "here once the course schedule gives it a release date.")


def public_notebook(nb, on: dt.date, plan: dict[str, Assignment] | None = None,
                    name: str | None = None):
    """A copy of lecture notebook ``nb`` as the public may see it on ``on``.

    Removed: every assignment delimiter cell and test cell (hidden tests included), and
    the worked solution of each graded question whose assignment is not released; a
    short note takes that solution's place. Everything else, outputs included, is kept.
    """
    plan = schedule() if plan is None else plan
    nb = nbformat.from_dict(nb)
    if name is None:
        name = assignment_name(nb)
    entry = assignment_of(name or "", plan)
    cells, question, block, noted = [], None, None, False
    for cell in nb.cells:
        boundary = block_boundary(cell)
        if boundary == ("begin", "question"):
            question, block, noted = raw_config(cell.source)["name"], None, False
        elif boundary == ("end", "question"):
            question, block = None, None
        elif boundary is not None:  # begin/end of a solution, tests or prompt block
            block = boundary[1] if boundary[0] == "begin" else None
        if cell.cell_type == "raw" or TEST_TAG in cell.metadata.get("tags", []):
            continue  # assignment markup and tests: never public
        if COLAB_TAG in cell.metadata.get("tags", []):  # installs from the public branch
            cell = nbformat.from_dict(cell)
            cell.source = BRANCH_LINE.sub(f'COURSE_BRANCH = "{LECTURE_BRANCH}"', cell.source)
        if question is not None and block == "solution" and not entry.released(on):
            if not noted:
                note = nbformat.v4.new_markdown_cell(_note(entry))
                note.id = f"withheld-{question}".replace("_", "-")
                note.metadata["tags"] = ["solution-withheld"]
                cells.append(note)
                noted = True
            continue
        cells.append(cell)
    nb.cells = cells
    nbformat.validate(nb)
    return nb


def write_lecture_branch(target: Path, on: dt.date) -> Path:
    """The content of branch ``lecture``: the public notebooks (without outputs, as the
    repository keeps them) and what Binder and Colab install from."""
    shutil.rmtree(target, ignore_errors=True)
    (target / "notebooks").mkdir(parents=True)
    plan = schedule()
    for name in course_notebooks.names():
        nb = public_notebook(course_notebooks.read(name), on, plan, name)
        nbformat.write(without_outputs(nb), target / "notebooks" / f"{name}.ipynb")
    for name in LECTURE_BRANCH_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy(source, target / name)
    (target / "README.md").write_text(
        "# Lecture 22 notebooks (public)\n\nWritten by the course's deploy workflow "
        "(`python -m scripts.release`): the lecture notebooks as students may see them today, "
        "graded solutions appearing on their release dates. Do not edit this branch.\n")
    return target


def _public_config(config: dict) -> None:
    config["repository"]["branch"] = LECTURE_BRANCH  # the launch buttons open it


def build_public_site(on: dt.date, src: Path | None = None, log=None) -> Path:
    """The public web book on date ``on``, from ``make book-instructor``'s execution cache
    (nothing runs again), built in ``src`` (default ``_build/public``); returns its html
    folder. ``make book`` copies it to ``_build/html``."""
    plan = schedule()
    return build_from_cache(src or BUILD / "public", _public_config,
                            lambda nb: public_notebook(nb, on, plan), log=log)


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--site", action="store_true",
                        help="build the public site into _build/html (after make "
                             "book-instructor)")
    parser.add_argument("--lecture-branch", type=Path, metavar="DIR",
                        help="write the content of branch 'lecture' into DIR")
    parser.add_argument("--public-repository", action="store_true",
                        help="print course.public_repository (empty: this repository) "
                             "and nothing else")
    args = parser.parse_args(argv)
    if args.public_repository:
        print(course_config.public_repository())
        return 0
    on = today()
    overridden = f" ({TODAY_VARIABLE} is set)" if today_overridden() else ""
    if args.site:
        html = BUILD / "html"
        shutil.rmtree(html, ignore_errors=True)
        shutil.copytree(build_public_site(on), html)
        print(f"public site: {html / 'index.html'}")
    if args.lecture_branch:
        write_lecture_branch(args.lecture_branch, on)
        print(f"branch {LECTURE_BRANCH}: {args.lecture_branch}")
    print(f"\n== What is public on {on}{overridden} (schedule: course.assignments in "
          "_config.yml) ==")
    print("\n".join(status_lines(on)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
