"""Grading a class through a term, as a specification: who handed in what and when
(``grading/collect.py``), the gradebook, late work and the LMS imports
(``grading/gradebook.py``), and the similarity of students' own code
(``grading/similarity.py``).

A made-up class of six students hands in notebook 04 (its numbers-only answers), laid
out as a plain folder, as Moodle's "Download all submissions" and as Canvas's "Download
Submissions" lay it out. Cheap: nothing is executed here (grading whole hand-ins of the
same class is in tests/assignments).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import zipfile
from pathlib import Path

import pytest
from made_up_class import ASSIGNMENT, CLASS, DUE, UTC, export_name, exported_zip, write_class

from course.schedule import due_moments
from grading import collect, gradebook, similarity


@pytest.fixture
def roster(tmp_path) -> list[collect.Student]:
    path = tmp_path / "roster.csv"
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "name", "email"])
        writer.writerows(c[:3] for c in CLASS)
    return collect.read_roster(path)


def chosen_answers(found: collect.Collection) -> dict[str, str]:
    out = {}
    for hand_in in found.chosen:
        with zipfile.ZipFile(hand_in.path) as archive:
            nb = json.loads(archive.read(f"{ASSIGNMENT}.ipynb"))
        out[hand_in.student.key] = nb["cells"][0]["source"]
    return out


@pytest.mark.parametrize("layout", ["plain", "moodle", "moodle-flat", "canvas"])
def test_each_layout_gives_the_six_students_and_the_file_that_counts(tmp_path, roster, layout):
    found = collect.collect(write_class(tmp_path / layout, layout), roster,
                            {ASSIGNMENT: DUE})
    assert found.layout == layout.removesuffix("-flat") and found.problems == []
    assert chosen_answers(found) == {
        "1001": "answer = 'second'", "1002": "answer = 'borel'", "1003": "answer = 'hopper'",
        "1004": "answer = 'turing'", "1005": "answer = 'noether'", "1006": "answer = 'dirac'"}
    assert {h.student.name for h in found.chosen} == {c[1] for c in CLASS}
    # a plain folder has the export cell's time; an LMS download the LMS's upload time
    assert {h.time_from for h in found.chosen} == {
        "plain": {"the export cell"}, "moodle": {"the Moodle download"},
        "moodle-flat": {"the Moodle download"}, "canvas": {"the Canvas download"}}[layout]


def test_of_three_files_of_one_student_the_latest_before_the_due_date_counts(tmp_path, roster):
    found = collect.collect(write_class(tmp_path / "in", "moodle"), roster, {ASSIGNMENT: DUE})
    (choice,) = found.choices
    assert choice.startswith("1001 04_pinn_inverse: 3 files; graded "
                             "04_pinn_inverse_2027_02_08T20_00_00.zip (2027-02-08 20:00 UTC, "
                             "the latest before the due date), not "), choice
    assert "2027_02_06T09_00_00" in choice and "2027_02_09T08_00_00" in choice


def test_when_every_file_is_late_the_latest_counts_and_is_late(tmp_path, roster):
    found = collect.collect(write_class(tmp_path / "in", "plain"), roster, {ASSIGNMENT: DUE})
    (paul,) = [h for h in found.chosen if h.student.key == "1006"]
    assert gradebook.days_late(paul.time, DUE) == 2


@pytest.mark.parametrize("layout", ["plain", "moodle", "canvas"])
def test_a_file_of_someone_not_on_the_roster_is_listed_and_not_graded(tmp_path, roster, layout):
    extra = [("Mallory Mole", dt.datetime(2027, 2, 7, tzinfo=UTC), "mallory")]
    found = collect.collect(write_class(tmp_path / "in", layout, extra), roster,
                            {ASSIGNMENT: DUE})
    (problem,) = found.problems
    assert "is not on the roster" in problem, problem
    assert len(found.chosen) == 6


def test_an_export_named_as_the_export_cell_names_it_says_nobody(tmp_path, roster):
    (tmp_path / export_name(DUE)).write_bytes(exported_zip("x", DUE))
    found = collect.collect(tmp_path, roster, {ASSIGNMENT: DUE})
    assert found.chosen == [] and "names no student" in found.problems[0]


def test_a_name_that_matches_two_roster_rows_is_ambiguous(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text("id,name,email\n1,Ann Lee,a@x\n2,Lee Ann,b@x\n")
    (tmp_path / "in" / "Ann Lee_5_assignsubmission_file").mkdir(parents=True)
    (tmp_path / "in" / "Ann Lee_5_assignsubmission_file" / "a.zip").write_bytes(
        exported_zip("x", DUE))
    found = collect.collect(tmp_path / "in", collect.read_roster(path))
    assert found.chosen == [] and "matches 2 students of the roster (1, 2)" in found.problems[0]


def test_a_roster_without_its_columns_says_which_it_needs(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text("matrikel,name\n1,Ann\n")
    with pytest.raises(ValueError, match="roster must be a CSV with the columns id, name, email"):
        collect.read_roster(path)


# ----------------------------------------------------------------- late work and policy
@pytest.mark.parametrize("config, days, expected", [
    ({}, 0, (2.0, "")),
    ({}, 2, (2.0, "2 days late (marked, not penalised)")),
    ({"late": {"policy": "penalty", "per_day": 0.1}}, 2,
     (1.6, "2 days late: 20% of the points off")),
    ({"late": {"policy": "penalty", "per_day": 0.1, "after_days": 1}}, 2, (0.0, "2 days late: "
      "not accepted (the policy accepts no work later than 1 days)")),
    ({"late": {"policy": "refuse"}}, 1, (0.0, "1 day late: not accepted (the policy accepts "
      "no work later than 0 days)")),
])
def test_late_work_is_marked_per_the_policy(config, days, expected):
    assert gradebook.LatePolicy.from_config(config).apply(2.0, days) == expected


def test_a_late_policy_written_wrongly_says_what_is_allowed():
    with pytest.raises(ValueError, match="policy must be flag, penalty or refuse"):
        gradebook.LatePolicy.from_config({"late": {"policy": "halve"}})


def test_the_due_moment_is_the_end_of_the_due_day_in_the_course_timezone():
    due = due_moments({"timezone": "Europe/Berlin"},
                                {ASSIGNMENT: dt.date(2027, 2, 8)})[ASSIGNMENT]
    assert due == dt.datetime(2027, 2, 8, 22, 59, 59, tzinfo=UTC)
    assert gradebook.days_late(due + dt.timedelta(seconds=1), due) == 1
    assert gradebook.days_late(due, due) == 0


# ----------------------------------------------------------------------- the gradebook
def book_row(student, total, assignment=ASSIGNMENT):
    return {"student": student, "name": f"Name {student}", "email": f"{student}@x",
            "assignment": assignment, "score": total, "max": "2", "days_late": 0,
            "total": total, "late_note": "", "submitted": "", "file": ""}


def test_a_regrade_of_one_student_keeps_everyone_elses_grades_and_says_what_changed(tmp_path):
    first = [book_row(s, "2") for s in ("1001", "1002", "1003")]
    assert gradebook.update(tmp_path, "run-1", first) == []
    changes = gradebook.update(tmp_path, "run-2", [book_row("1002", "1")])
    assert changes == ["1002 04_pinn_inverse: 2 -> 1 (run run-1 -> run-2)"]
    book = {r["student"]: r for r in gradebook.read_csv(tmp_path / "gradebook.csv")}
    assert {k: (r["total"], r["run"]) for k, r in book.items()} == {
        "1001": ("2", "run-1"), "1002": ("1", "run-2"), "1003": ("2", "run-1")}
    history = gradebook.read_csv(tmp_path / "history.csv")
    assert [(h["run"], h["student"], h["changed"]) for h in history][-1] == (
        "run-2", "1002", "yes")
    assert len(history) == 4  # every grade of every run is kept


def exports(tmp_path) -> dict[str, list[list[str]]]:
    gradebook.update(tmp_path, "run-1", [book_row("1001", "2"), book_row("1002", "1.6"),
                                         book_row("1001", "1", "05_symmetry")])
    gradebook.write_exports(tmp_path, {ASSIGNMENT: 2.0, "05_symmetry": 2.0})
    return {name: list(csv.reader(open(tmp_path / f"{name}.csv", newline="", encoding="utf-8")))
            for name in ("term", "moodle", "canvas")}


def test_the_term_table_has_every_student_every_assignment_and_the_maximum(tmp_path):
    header, *rows = exports(tmp_path)["term"]
    assert header == ["student", "name", "email", ASSIGNMENT, "05_symmetry", "total"]
    assert rows == [["1001", "Name 1001", "1001@x", "2", "1", "3"],
                    ["1002", "Name 1002", "1002@x", "1.6", "", "1.6"],
                    ["Maximum", "", "", "2", "2", "4"]]


def test_the_moodle_csv_is_what_moodles_gradebook_import_reads(tmp_path):
    """Moodle (Grades > Import > CSV file): UTF-8, comma-separated, a header row, one row
    per user with a column that identifies the user (email) and numeric grade columns."""
    header, *rows = exports(tmp_path)["moodle"]
    assert header[:3] == ["Email address", "ID number", "Full name"]
    assert {r[0] for r in rows} == {"1001@x", "1002@x"} and len(rows) == 2
    for row in rows:
        assert len(row) == len(header)
        assert all(v == "" or float(v) >= 0 for v in row[3:])  # "." decimals, no units


def test_the_canvas_csv_is_what_canvases_gradebook_import_reads(tmp_path):
    """Canvas (Gradebook > Import): its export's first five columns, then one column per
    assignment, and an optional second row "Points Possible" with each maximum."""
    header, possible, *rows = exports(tmp_path)["canvas"]
    assert header[:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert header[5:] == [ASSIGNMENT, "05_symmetry"]
    assert possible[0].strip() == "Points Possible" and possible[5:] == ["2", "2"]
    assert [r[1] for r in rows] == ["1001", "1002"]
    assert all(v == "" or float(v) >= 0 for r in rows for v in r[5:])


# ---------------------------------------------------------------------------- similarity
HANDED_OUT = {"cells": [{"cell_type": "code", "source": "import numpy as np\n"
                         "t_values = np.linspace(0.01, 3, 300)\ninfo = ...\nt_best = ...\n"}]}
HONEST = {
    "ada": "info = (np.pi**2 * t_values * np.exp(-0.1 * np.pi**2 * t_values))**2\n"
           "t_best = t_values[np.argmax(info)]\nse_best = 0.02 / np.sqrt(100 * info.max())\n",
    "borel": "def fisher(t):\n    du = -np.pi**2 * t * np.exp(-0.1 * np.pi**2 * t)\n"
             "    return du * du\nscores = [fisher(t) for t in t_values]\n"
             "k = int(np.argmax(scores))\nt_best = float(t_values[k])\n"
             "se_best = sigma_noise / (100 * scores[k]) ** 0.5\n",
    "hopper": "from scipy.optimize import minimize_scalar\n"
              "res = minimize_scalar(lambda t: -t * np.exp(-alpha_true * np.pi**2 * t), "
              "bounds=(0, 3), method='bounded')\nt_best = res.x\n"
              "info_max = (np.pi**2 * res.x * np.exp(-alpha_true * np.pi**2 * res.x))**2\n"
              "se_best = sigma_noise * info_max**-0.5 / 10\n",
    "turing": "t_best = 1 / (alpha_true * np.pi ** 2)\nu_half = exact_heat(0.5, t_best)\n"
              "derivative = np.pi ** 2 * t_best * u_half\n"
              "se_best = sigma_noise / np.sqrt(len(x_obs)) / abs(derivative)\n",
}


def notebook_of(code: str) -> dict:
    return {"cells": [HANDED_OUT["cells"][0], {"cell_type": "code", "source": code}]}


def test_planted_copies_rank_above_every_honest_pair():
    """A verbatim copy of Ada's answer and one with every variable renamed (and a comment
    added) rank first; the honest, distinct answers below them."""
    renamed = (HONEST["ada"].replace("info", "fisher_information").replace("t_best", "best_t")
               .replace("se_best", "best_error"))
    codes = {who: similarity.own_code(notebook_of(code), HANDED_OUT)
             for who, code in {**HONEST, "noether": HONEST["ada"],
                               "dirac": "# my own work\n" + renamed}.items()}
    assert "t_values = np.linspace" not in codes["ada"]  # given code is left out
    pairs = similarity.compare(codes)
    planted = {frozenset(("ada", "noether")), frozenset(("ada", "dirac")),
               frozenset(("noether", "dirac"))}
    ranked = [frozenset((p.a, p.b)) for p in pairs]
    assert set(ranked[:3]) == planted, [(p.a, p.b, round(p.score, 2)) for p in pairs[:5]]
    honest_best = max(p.score for p in pairs if frozenset((p.a, p.b)) not in planted)
    assert min(p.score for p in pairs[:3]) > honest_best
    html = similarity.report(ASSIGNMENT, codes, pairs)
    assert "<mark>" in html and "ada" in html and "dirac" in html


# ------------------------------------------------------------ the due date, where shown
def test_the_due_date_is_in_the_books_assignment_box_and_the_hand_in_cell():
    """From course.assignments in _config.yml: the box that opens each notebook page and
    the hand-in cell of the student notebook both say it."""
    from types import SimpleNamespace

    import nbformat

    from _ext import course_site
    from course.schedule import schedule
    from scripts.assignments import master

    root = Path(__file__).resolve().parents[1]

    for name, entry in schedule().items():
        words = f"Due {entry.due.day} {entry.due:%B %Y}, 23:59 UTC"  # course.timezone
        context = {"body": "<p>page</p>"}
        app = SimpleNamespace(srcdir=str(root), config=SimpleNamespace(html_theme_options={}))
        course_site._assignment_box(app, f"notebooks/{name}", "page.html", context, None)
        assert f"<strong>{words}</strong>" in context["body"], name
        nb = master(nbformat.read(root / "notebooks" / f"{name}.ipynb", as_version=4), "")
        (hand_in,) = [c for c in nb.cells if c.get("id") == "assignment-hand-in"]
        assert f"**{words}**" in hand_in.source, name
