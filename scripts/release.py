"""What of the course is public, and from when: the term's release schedule.

The schedule lives in one place, the ``course:`` section of ``_config.yml``: for each
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
should set it). Run ``python scripts/release.py`` for the state of every graded question.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the scripts package, run as a script too
NOTEBOOKS = ROOT / "notebooks"
# the branch the launch buttons open and the install lines name (the workflow writes it)
from utils.assignment import LECTURE_BRANCH as PUBLIC_BRANCH  # noqa: I001

TODAY_VARIABLE = "DL4PHYS_TODAY"
# What the branch `lecture` holds besides the notebooks: what Binder builds (the root
# environment.yml installs the package with `-e .`) and Colab's first cell installs.
LECTURE_BRANCH_FILES = ["environment.yml", "requirements.txt", "pyproject.toml", "utils"]
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _date(value, where: str) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and _DATE.match(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"{where} must be a date written YYYY-MM-DD, got {value!r}")


@dataclass(frozen=True)
class Assignment:
    name: str
    due: dt.date | None
    solutions: dt.date | None  # None: withheld until a date is set

    def released(self, today: dt.date) -> bool:
        return self.solutions is not None and today >= self.solutions


def schedule(config: dict | None = None) -> dict[str, Assignment]:
    """The schedule of ``_config.yml`` (or of ``config``, its parsed contents), by name."""
    if config is None:
        config = yaml.safe_load((ROOT / "_config.yml").read_text())
    course = config.get("course") or {}
    if not isinstance(course, dict):
        raise ValueError("course in _config.yml must be a mapping with 'assignments'")
    entries = course.get("assignments") or {}
    if not isinstance(entries, dict):
        raise ValueError("course.assignments in _config.yml must map each notebook's name to "
                         "{due: YYYY-MM-DD, solutions: YYYY-MM-DD}")
    known = {p.stem for p in NOTEBOOKS.glob("*.ipynb")}
    found = {}
    for name, dates in entries.items():
        where = f"course.assignments.{name}"
        if name not in known:
            raise ValueError(f"{where}: no notebook notebooks/{name}.ipynb; the assignments "
                             f"are {sorted(known)}")
        if not isinstance(dates, dict) or set(dates) - {"due", "solutions"}:
            raise ValueError(f"{where} must be {{due: YYYY-MM-DD, solutions: YYYY-MM-DD}}, "
                             f"got {dates!r}")
        due = _date(dates.get("due"), f"{where}.due")
        solutions = _date(dates.get("solutions"), f"{where}.solutions")
        if due and solutions and solutions < due:
            raise ValueError(f"{where}: solutions ({solutions}) before the due date ({due})")
        found[name] = Assignment(name, due, solutions)
    return found


def public_repository(config: dict | None = None) -> str:
    """``course.public_repository`` ("ORG/NAME", or "" for this repository)."""
    if config is None:
        config = yaml.safe_load((ROOT / "_config.yml").read_text())
    value = str((config.get("course") or {}).get("public_repository") or "")
    if value and not re.fullmatch(r"[\w.-]+/[\w.-]+", value):
        raise ValueError(f"course.public_repository must be ORG/NAME (or empty), got {value!r}")
    return value


def today() -> dt.date:
    """Today in UTC, or ``DL4PHYS_TODAY`` (tests only)."""
    value = os.environ.get(TODAY_VARIABLE)
    if value:
        return _date(value, TODAY_VARIABLE)
    return dt.datetime.now(dt.timezone.utc).date()


def assignment_of(name: str, plan: dict[str, Assignment]) -> Assignment:
    return plan.get(name) or Assignment(name, None, None)


def status_lines(on: dt.date, plan: dict[str, Assignment] | None = None) -> list[str]:
    """One line per graded question: published or withheld, and until when."""
    from scripts.assignments import questions

    plan = schedule() if plan is None else plan
    lines = []
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        entry = assignment_of(path.stem, plan)
        due = f"due {entry.due}" if entry.due else "no due date"
        for q in questions(nbformat.read(path, as_version=4)):
            if entry.released(on):
                state = f"published (since {entry.solutions})"
            elif entry.solutions:
                state = f"withheld until {entry.solutions}"
            else:
                state = "withheld (no solutions date in course.assignments)"
            lines.append(f"{path.stem:16s} {q['name']:16s} {due:16s} {state}")
    return lines


def _day(date: dt.date) -> str:
    return f"{date.day} {date:%B %Y}"


def _note(entry: Assignment) -> str:
    due = f", after the assignment is due ({_day(entry.due)})" if entry.due else ""
    if entry.solutions:
        return (f"**Solution withheld until {_day(entry.solutions)}.** This exercise is "
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
    from scripts.assignments import block_boundary, yaml_load
    from scripts.repository_url import _BRANCH_LINE, COLAB_TAG
    from scripts.student_edition import TEST_TAG

    plan = schedule() if plan is None else plan
    nb = nbformat.from_dict(nb)
    if name is None:
        name = next((yaml_load(c.source)["name"] for c in nb.cells if c.cell_type == "raw"
                     and c.source.startswith("# ASSIGNMENT CONFIG")), None)
    entry = assignment_of(name or "", plan)
    cells, question, block, noted = [], None, None, False
    for cell in nb.cells:
        boundary = block_boundary(cell)
        if boundary == ("begin", "question"):
            question, block, noted = yaml_load(cell.source)["name"], None, False
        elif boundary == ("end", "question"):
            question, block = None, None
        elif boundary is not None:  # begin/end of a solution, tests or prompt block
            block = boundary[1] if boundary[0] == "begin" else None
        if cell.cell_type == "raw" or TEST_TAG in cell.metadata.get("tags", []):
            continue  # assignment markup and tests: never public
        if COLAB_TAG in cell.metadata.get("tags", []):  # installs from the public branch
            cell = nbformat.from_dict(cell)
            cell.source = _BRANCH_LINE.sub(f'COURSE_BRANCH = "{PUBLIC_BRANCH}"', cell.source)
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


def _without_outputs(nb):
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            cell.metadata.pop("execution", None)
    return nb


def write_lecture_branch(target: Path, on: dt.date) -> Path:
    """The content of branch ``lecture``: the public notebooks (without outputs, as the
    repository keeps them) and what Binder and Colab install from."""
    shutil.rmtree(target, ignore_errors=True)
    (target / "notebooks").mkdir(parents=True)
    plan = schedule()
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        nb = public_notebook(nbformat.read(path, as_version=4), on, plan, path.stem)
        nbformat.write(_without_outputs(nb), target / "notebooks" / path.name)
    for name in LECTURE_BRANCH_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy(source, target / name)
    (target / "README.md").write_text(
        "# Lecture 22 notebooks (public)\n\nWritten by the course's deploy workflow "
        "(`scripts/release.py`): the lecture notebooks as students may see them today, "
        "graded solutions appearing on their release dates. Do not edit this branch.\n")
    return target


def _public_config(config: dict) -> None:
    config["repository"]["branch"] = PUBLIC_BRANCH  # the launch buttons open it


def build_public_site(on: dt.date, src: Path | None = None, log=None) -> Path:
    """The public web book on date ``on``, from ``make book-instructor``'s execution cache
    (nothing runs again), built in ``src`` (default ``_build/public``); returns its html
    folder. ``make book`` copies it to ``_build/html``."""
    from scripts.student_edition import build_from_cache

    plan = schedule()
    return build_from_cache(src or ROOT / "_build" / "public", _public_config,
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
        print(public_repository())
        return 0
    on = today()
    overridden = f" ({TODAY_VARIABLE} is set)" if os.environ.get(TODAY_VARIABLE) else ""
    if args.site:
        html = ROOT / "_build" / "html"
        shutil.rmtree(html, ignore_errors=True)
        shutil.copytree(build_public_site(on), html)
        print(f"public site: {html / 'index.html'}")
    if args.lecture_branch:
        write_lecture_branch(args.lecture_branch, on)
        print(f"branch {PUBLIC_BRANCH}: {args.lecture_branch}")
    print(f"\n== What is public on {on}{overridden} (schedule: course.assignments in "
          "_config.yml) ==")
    print("\n".join(status_lines(on)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
