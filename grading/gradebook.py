"""The term's grades: every run kept, one gradebook, late work, totals, LMS imports.

``make grade`` writes into the folder ``GRADES`` (default ``grades/`` beside the course,
outside ``_build``, so ``make clean`` leaves it alone):

- ``runs/RUN/``: what one grading run wrote (``grades.csv`` per question, ``feedback/``,
  ``results/``, ``logs/``, ``collected.txt``: whose files were graded, which were not and
  why). A run never changes another run's folder.
- ``gradebook.csv``: one row per student and assignment, the latest grading of each:
  score, maximum, days late, the total after the late policy, the run it came from.
  Grading a few students again replaces their rows only.
- ``history.csv``: every grade every run gave, with the one it replaced: a regrade that
  changes a grade says so here and on the terminal.
- ``term.csv``: students × assignments, the totals, with a ``Maximum`` row.
- ``moodle.csv`` and ``canvas.csv``: the same totals in the files that the two LMSs'
  gradebook imports take (see :func:`moodle_rows`, :func:`canvas_rows`).

Every CSV written here (and the run's ``grades.csv`` and Moodle worksheet) goes through
:func:`safe_cell`: a text cell that a spreadsheet would run as a formula gets a leading
apostrophe; :func:`read_csv` takes it off again.

The late policy is ``course.late`` in ``_config.yml``: ``{policy: flag}`` (marked, not
changed), ``{policy: penalty, per_day: 0.1}`` (a tenth of the points off per day or part
of a day late) or ``{policy: refuse}``, each with an optional ``after_days: N`` past
which a submission scores 0 ("not accepted"). An assignment is due at the end of its
``due`` day (23:59:59) in ``course.timezone`` (default UTC; :mod:`course.schedule`).
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import re
from dataclasses import dataclass
from pathlib import Path

from course import config as course_config

BOOK = ["student", "name", "email", "assignment", "score", "max", "days_late", "total",
        "late_note", "submitted", "file", "run"]
HISTORY = ["run", "student", "assignment", "total", "previous", "changed"]
Table = tuple[list[str], list[dict]]  # (columns, rows) of a CSV file


@dataclass(frozen=True)
class LatePolicy:
    policy: str = "flag"  # flag | penalty | refuse
    per_day: float = 0.0  # fraction of the points off per day late (penalty)
    after_days: int | None = None  # later than this many days: not accepted

    @classmethod
    def from_config(cls, course: dict | None = None) -> LatePolicy:
        """The policy of ``course`` (a ``course:`` section; None: the course's own)."""
        course = course_config.course() if course is None else course
        late = course.get("late") or {}
        where = "course.late in _config.yml"
        if not isinstance(late, dict) or set(late) - {"policy", "per_day", "after_days"}:
            raise ValueError(f"{where} must be {{policy: flag|penalty|refuse, per_day: "
                             f"0.1, after_days: 7}}, got {late!r}")
        policy = late.get("policy", "flag")
        if policy not in ("flag", "penalty", "refuse"):
            raise ValueError(f"{where}.policy must be flag, penalty or refuse, got {policy!r}")
        per_day = late.get("per_day", 0.0)
        if not isinstance(per_day, (int, float)) or not 0 <= per_day <= 1:
            raise ValueError(f"{where}.per_day must be a fraction between 0 and 1, got "
                             f"{per_day!r}")
        after = late.get("after_days")
        if after is not None and (not isinstance(after, int) or after < 0):
            raise ValueError(f"{where}.after_days must be a whole number of days, got {after!r}")
        return cls(policy, float(per_day), after)

    def apply(self, score: float, days_late: int) -> tuple[float, str]:
        """(the total, a note for the student) for a score handed in ``days_late`` late."""
        if days_late <= 0:
            return score, ""
        days = f"{days_late} day{'s' if days_late > 1 else ''} late"
        if self.policy == "refuse" and self.after_days is None or (
                self.after_days is not None and days_late > self.after_days):
            return 0.0, f"{days}: not accepted (the policy accepts no work later than " \
                        f"{self.after_days or 0} days)"
        if self.policy == "penalty":
            factor = max(0.0, 1 - self.per_day * days_late)
            return round(score * factor, 4), f"{days}: {1 - factor:.0%} of the points off"
        return score, f"{days} (marked, not penalised)"


def days_late(submitted: dt.datetime | None, due: dt.datetime | None) -> int:
    """Whole days or parts of days after the due moment (0 when on time or unknown)."""
    if submitted is None or due is None or submitted <= due:
        return 0
    return math.ceil((submitted - due).total_seconds() / 86400)


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet may run (OWASP)
NUMBER = re.compile(r"-?\d+(\.\d+)?|-")  # a lone "-": Moodle's "no date"


def safe_cell(value):
    """A CSV cell that no spreadsheet runs as a formula: text starting with ``= + - @``, a
    tab or a carriage return gets a leading apostrophe (OWASP, "CSV Injection"); numbers,
    and text that is a plain number ("-0.5"), stay as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not NUMBER.fullmatch(value):
        return "'" + value
    return value


def unsafe_cell(value: str) -> str:
    """A cell as :func:`safe_cell` was given it (for files that are read back)."""
    if value.startswith("'") and value[1:].startswith(FORMULA_START):
        return value[1:]
    return value


def safe_row(row: dict) -> dict:
    return {k: safe_cell(v) for k, v in row.items()}


def read_csv(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    with open(path, newline="", encoding="utf-8") as f:
        return [{k: unsafe_cell(v) if isinstance(v, str) else v for k, v in row.items()}
                for row in csv.DictReader(f)]


def write_csv(path: Path, fields: list[str], rows: list[dict]) -> None:
    """Every cell through :func:`safe_cell`; written whole or not at all."""
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=[safe_cell(c) for c in fields],
                                extrasaction="ignore")
        writer.writeheader()
        writer.writerows({safe_cell(k): v for k, v in safe_row(r).items()} for r in rows)
    tmp.replace(path)  # a run that stops half-way leaves the former file whole


def update(grades: Path, run: str, rows: list[dict]) -> list[str]:
    """Merge one run's rows (BOOK fields) into ``gradebook.csv`` and ``history.csv``;
    returns a line for every grade that changed."""
    book = {(r["student"], r["assignment"]): r for r in read_csv(grades / "gradebook.csv")}
    history = read_csv(grades / "history.csv")
    changes = []
    for row in rows:
        key = (row["student"], row["assignment"])
        before = book.get(key)
        previous = before["total"] if before else ""
        changed = before is not None and float(previous) != float(row["total"])
        history.append({"run": run, "student": key[0], "assignment": key[1],
                        "total": row["total"], "previous": previous,
                        "changed": "yes" if changed else ""})
        if changed:
            changes.append(f"{key[0]} {key[1]}: {float(previous):g} -> {float(row['total']):g} "
                           f"(run {before['run']} -> {run})")
        book[key] = {**row, "run": run}
    write_csv(grades / "gradebook.csv", BOOK, sorted(book.values(),
                                                    key=lambda r: (r["student"], r["assignment"])))
    write_csv(grades / "history.csv", HISTORY, history)
    return changes


def term_table(book: list[dict], maxima: dict[str, float]) -> Table:
    """(columns, rows): one row per student with each assignment's total and the sum, then
    a ``Maximum`` row; an assignment not handed in is empty."""
    names = sorted(maxima)
    students: dict[str, dict] = {}
    for row in book:
        entry = students.setdefault(row["student"], {"student": row["student"],
                                                     "name": row["name"], "email": row["email"]})
        entry[row["assignment"]] = f"{float(row['total']):g}"
    rows = []
    for key in sorted(students):
        entry = students[key]
        entry["total"] = f"{sum(float(entry[n]) for n in names if entry.get(n)):g}"
        rows.append(entry)
    rows.append({"student": "Maximum", **{n: f"{maxima[n]:g}" for n in names},
                 "total": f"{sum(maxima.values()):g}"})
    return ["student", "name", "email", *names, "total"], rows


def moodle_rows(rows: list[dict], names: list[str]) -> Table:
    """Moodle's gradebook import (Grades > Import > CSV file): a header row, one row per
    student, a column that identifies the user (here ``Email address``, mapped to the
    user's email in the import's "Identify user" step) and one numeric column per grade
    item (mapped to the assignment's grade item). UTF-8, comma-separated, ``.`` decimal
    point; the ``Maximum`` row is left out (Moodle takes the maximum from the grade item)."""
    fields = ["Email address", "ID number", "Full name", *names]
    out = [{"Email address": r["email"], "ID number": r["student"], "Full name": r["name"],
            **{n: r.get(n, "") for n in names}} for r in rows if r["student"] != "Maximum"]
    return fields, out


def canvas_rows(rows: list[dict], names: list[str]) -> Table:
    """Canvas's gradebook import (Gradebook > Import): the columns of its own export,
    ``Student, ID, SIS User ID, SIS Login ID, Section``, then one column per assignment
    (an unknown name makes Canvas create the assignment); a second row ``Points
    Possible`` gives each assignment's maximum. ``ID`` is the Canvas user id (the roster's
    id in a Canvas course)."""
    fields = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *names]
    maximum = next(r for r in rows if r["student"] == "Maximum")
    out = [{"Student": "    Points Possible", **{n: maximum.get(n, "") for n in names}}]
    out += [{"Student": r["name"], "ID": r["student"], "SIS Login ID": r["email"],
             **{n: r.get(n, "") for n in names}} for r in rows if r["student"] != "Maximum"]
    return fields, out


def write_exports(grades: Path, maxima: dict[str, float]) -> list[Path]:
    """``term.csv``, ``moodle.csv`` and ``canvas.csv`` from ``gradebook.csv``."""
    columns, rows = term_table(read_csv(grades / "gradebook.csv"), maxima)
    names = sorted(maxima)
    write_csv(grades / "term.csv", columns, rows)
    write_csv(grades / "moodle.csv", *moodle_rows(rows, names))
    write_csv(grades / "canvas.csv", *canvas_rows(rows, names))
    return [grades / n for n in ("term.csv", "moodle.csv", "canvas.csv")]
