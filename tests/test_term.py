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
import html
import io
import json
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from made_up_class import (
    ASSIGNMENT,
    CLASS,
    DUE,
    UTC,
    export_name,
    exported_zip,
    moodle_worksheet,
    write_class,
)

from course.schedule import due_moments, schedule
from grading import batch, collect, gradebook, privacy, report, similarity


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


@pytest.mark.parametrize("layout", ["plain", "moodle", "moodle-flat", "moodle-old", "canvas"])
def test_each_layout_gives_the_six_students_and_the_file_that_counts(tmp_path, roster, layout):
    """moodle-old: Moodle 3.1 to 4.0, whose folders end in "_"."""
    found = collect.collect(write_class(tmp_path / layout, layout), roster,
                            {ASSIGNMENT: DUE})
    assert found.layout == layout.split("-")[0] and found.problems == []
    assert chosen_answers(found) == {
        "1001": "answer = 'second'", "1002": "answer = 'borel'", "1003": "answer = 'hopper'",
        "1004": "answer = 'turing'", "1005": "answer = 'noether'", "1006": "answer = 'dirac'"}
    assert {h.student.name for h in found.chosen} == {c[1] for c in CLASS}
    # a plain folder has the export cell's time; an LMS download the LMS's upload time
    assert {h.time_from for h in found.chosen} == {
        "plain": {"the export cell"}, "moodle": {"the Moodle download"},
        "moodle-flat": {"the Moodle download"}, "moodle-old": {"the Moodle download"},
        "canvas": {"the Canvas download"}}[layout]


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


# ------------------------------------------------- matching by the LMS's ids, not names
def one_file(folder: Path, name: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(exported_zip("x", DUE))
    return folder


def write_roster(path: Path, rows: list[tuple[str, str, str]]) -> list[collect.Student]:
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([("id", "name", "email"), *rows])
    return collect.read_roster(path)


@pytest.mark.parametrize("ids", ["canvas user ids", "other ids"])
def test_canvas_names_keep_their_accents_and_match_by_user_id_or_name(tmp_path, ids):
    """Canvas writes "lastnamefirstname" lower-case with accents kept; its user id is the
    roster's id. With other ids in the roster, the name still matches."""
    folder = one_file(tmp_path / "in", f"schrödingererwin_2001_801_{export_name(DUE)}")
    one_file(folder, f"châteletémiliedu_LATE_2002_802_{export_name(DUE)}")
    first = "2001" if ids == "canvas user ids" else "s1"
    second = "2002" if ids == "canvas user ids" else "s2"
    roster = write_roster(tmp_path / "roster.csv", [
        (first, "Erwin Schrödinger", "erwin@uni.example"),
        (second, "Émilie du Châtelet", "emilie@uni.example")])
    found = collect.collect(folder, roster)
    assert found.layout == "canvas" and found.problems == []
    assert {h.lms_id: h.student.key for h in found.chosen} == {"2001": first, "2002": second}
    assert [h.lms_late for h in found.chosen] == [False, True]


def test_a_moodle_name_without_its_punctuation_matches_the_roster(tmp_path):
    """Moodle drops quotes, colons and slashes from names in its folder names."""
    folder = one_file(tmp_path / "in",
                      f"Seán OBrien_77_assignsubmission_file/{export_name(DUE)}")
    roster = write_roster(tmp_path / "roster.csv", [("9", "Seán O'Brien", "sob@uni.example")])
    found = collect.collect(folder, roster)
    assert found.problems == [] and found.chosen[0].student.key == "9"


def test_moodles_worksheet_matches_a_participant_by_id_and_email_not_name(tmp_path):
    """The worksheet maps "Participant 78" to an e-mail; the roster row with that e-mail
    is the student, whatever name the folder carries."""
    folder = one_file(tmp_path / "in", f"Jo March_78_assignsubmission_file/{export_name(DUE)}")
    one_file(folder, f"Jo March_79_assignsubmission_file/{export_name(DUE)}")
    roster = write_roster(tmp_path / "roster.csv", [("1", "Josephine March", "jo@uni.example"),
                                                    ("2", "Joanna March", "jm@uni.example")])
    sheet = moodle_worksheet(tmp_path / "sheet.csv", [
        ("", "Jo March", "jo@uni.example", "78"), ("", "Jo March", "jm@uni.example", "79")])
    assert collect.collect(folder, roster).chosen == []  # by name: neither matches
    found = collect.collect(folder, roster, worksheet=collect.read_worksheet(sheet))
    assert found.problems == []
    assert {h.lms_id: h.student.key for h in found.chosen} == {"78": "1", "79": "2"}


def test_a_worksheet_that_is_not_moodles_says_which_columns_it_needs(tmp_path):
    path = tmp_path / "sheet.csv"
    path.write_text("id,name\n1,Ann\n")
    with pytest.raises(ValueError, match="must be Moodle's grading worksheet with the columns "
                       "Identifier, Full name, Email address, Grade, Feedback comments"):
        collect.read_worksheet(path)


# ------------------------------------- results back through the LMS, parsed as it parses
QUESTIONS = ("inv_design", "inv_two")


def graded_rows(key: str, k: int) -> list[dict]:
    """Student number k: inv_design passed when k is even, inv_two always failed with a
    message that names the student (to see that nothing is crossed)."""
    return [{"question": QUESTIONS[0], "score": 1 if k % 2 == 0 else 0, "max": 1, "note": "",
             "output": "" if k % 2 == 0 else f"t_best is off (marker-{key})", "flags": ""},
            {"question": QUESTIONS[1], "score": 0, "max": 1, "note": "",
             "output": f"se_two is off (marker-{key})", "flags": ""}]


def grade_made_up(tmp_path, folder: Path, roster, worksheet: Path | None = None,
                  rows=graded_rows) -> Path:
    """What make grade writes for ``folder``, with the checker's verdicts made up
    (``rows(student, k)``): the run's folder."""
    sheet = collect.read_worksheet(worksheet) if worksheet else None
    found = collect.collect(folder, roster, {ASSIGNMENT: DUE}, worksheet=sheet)
    grades = tmp_path / "grades"
    run, out = batch.new_run(grades)
    plan = SimpleNamespace(
        args=SimpleNamespace(submissions=folder, grades=grades, worksheet=worksheet),
        found=found, due={ASSIGNMENT: DUE}, policy=gradebook.LatePolicy(), schedule=schedule())
    graded = {id(h): (ASSIGNMENT, rows(h.student.key, k), "log")
              for k, h in enumerate(found.chosen)}
    report.write_run(plan, run, out, graded)
    return out


def expected_totals() -> dict[str, float]:
    return {c[0]: (1.0 if k % 2 == 0 else 0.0) for k, c in enumerate(CLASS)}


def assert_own_feedback(by_student: dict[str, str]) -> None:
    """Every student's feedback, none missing, none crossed: it names their own marker
    and total and no one else's marker."""
    assert set(by_student) == {c[0] for c in CLASS}
    for key, text in by_student.items():
        assert f"marker-{key}" in text, (key, text)
        assert not [c[0] for c in CLASS if c[0] != key and f"marker-{c[0]}" in text]
        assert f"total: {expected_totals()[key]:g} / 2" in text


def test_moodles_worksheet_and_feedback_zip_come_back_under_each_participants_id(
        tmp_path, roster):
    """The worksheet is read back as Moodle's offline grading import reads it (the row
    by "Participant N", the Grade and Feedback comments columns), the zip as its
    feedback-file import does (importziplib.php: the participant id is the second
    "_"-separated part of a folder's name). Each participant id leads, through the
    worksheet's e-mail, to the roster's student."""
    folder = write_class(tmp_path / "in", "moodle")
    sheet = moodle_worksheet(tmp_path / "sheet.csv")
    out = grade_made_up(tmp_path, folder, roster, sheet)
    by_participant = {c[3]: c[0] for c in CLASS}

    with open(out / "lms" / f"moodle-worksheet_{ASSIGNMENT}.csv", newline="",
              encoding="utf-8") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames == list(csv.reader(open(sheet, encoding="utf-8")))[0]
        rows = list(reader)
    assert len(rows) == len(CLASS)
    grades = {by_participant[r["Identifier"].removeprefix("Participant ")]: r for r in rows}
    assert {k: float(r["Grade"]) for k, r in grades.items()} == expected_totals()
    assert_own_feedback({k: html.unescape(r["Feedback comments"].replace("<br>", "\n"))
                         for k, r in grades.items()})
    assert {r["Full name"] for r in rows} == {c[1] for c in CLASS}  # Moodle's own columns

    feedback = {}
    with zipfile.ZipFile(out / "lms" / f"moodle-feedback_{ASSIGNMENT}.zip") as archive:
        for name in archive.namelist():
            folder_name, file_name = name.split("/")
            info = folder_name.split("_", 4)
            assert len(info) >= 4 and info[1].isdigit() and info[2:4] == [
                "assignsubmission", "file"]
            assert file_name == f"feedback_{ASSIGNMENT}.txt"
            feedback[by_participant[info[1]]] = archive.read(name).decode()
    assert_own_feedback(feedback)


def test_canvases_reupload_zip_comes_back_under_each_user_id(tmp_path, roster):
    """Read as Canvas's Re-Upload Submissions reads it: the first two numbers among the
    "_"-separated parts of each file's name are the user and the submitted file; the
    file is the download's own, so it opens as a zip holding the feedback."""
    folder = write_class(tmp_path / "in", "canvas")
    downloaded = {p.name for p in folder.iterdir()}
    out = grade_made_up(tmp_path, folder, roster)
    feedback = {}
    with zipfile.ZipFile(out / "lms" / f"canvas-reupload_{ASSIGNMENT}.zip") as archive:
        for name in archive.namelist():
            assert name in downloaded
            user, attachment = [p for p in name.split("_") if p.isdigit()][:2]
            assert attachment.startswith("7000")
            with zipfile.ZipFile(io.BytesIO(archive.read(name))) as inner:
                feedback[user] = inner.read(f"feedback_{ASSIGNMENT}.txt").decode()
    assert_own_feedback(feedback)


def test_the_feedback_gives_points_reasons_lateness_and_the_solutions_date(tmp_path, roster):
    out = grade_made_up(tmp_path, write_class(tmp_path / "in", "moodle"), roster)
    paul = (out / "feedback" / f"1006_{ASSIGNMENT}.txt").read_text()
    assert paul.startswith("Paul Dirac: 04_pinn_inverse (due 8 February 2027, 23:59 UTC)")
    assert "  inv_design             0 / 1  not passed: what failed is below" in paul
    assert "--- inv_design: what failed\n  t_best is off (marker-1006)\n" in paul
    assert "late: 2 days late (marked, not penalised)" in paul
    assert "The worked solution is in the course's book from 15 February 2027." in paul


def test_the_students_own_error_stays_on_one_line_marked_as_theirs(tmp_path, roster):
    """An error message with line breaks cannot write lines that look like the course's
    own score lines into the feedback."""
    forged = "boom\nae_denoise 1 / 1\ninv_two                1 / 1\n\ntotal: 2 / 2\n"

    def rows(key, k):
        return [{"question": q, "score": 0, "max": 1, "note": "", "flags": "",
                 "output": f"your code raised an error while its answer was read: {forged}"}
                for q in QUESTIONS]

    out = grade_made_up(tmp_path, write_class(tmp_path / "in", "canvas"), roster, rows=rows)
    text = (out / "feedback" / f"1001_{ASSIGNMENT}.txt").read_text()
    lines = text.splitlines()
    assert [line for line in lines if line.startswith("total:")] == ["total: 0 / 2"]
    assert [line for line in lines if "1 / 1" in line] == [
        "  your code raised an error while its answer was read: «boom ⏎ ae_denoise 1 / 1 ⏎ "
        "inv_two 1 / 1 ⏎ ⏎ total: 2 / 2»"] * 2
    assert [line for line in lines if line.startswith("  inv_")] == [
        f"  {q:22s} 0 / 1  not passed: what failed is below" for q in QUESTIONS]
    assert "Text between « and » is quoted from your own code's output" in text


def test_no_csv_cell_from_outside_runs_as_a_spreadsheet_formula(tmp_path):
    """OWASP's CSV injection: a name, an e-mail, a file name or a note starting with = + -
    @, a tab or a carriage return gets a leading apostrophe in every CSV written; the
    numbers stay numbers."""
    hostile = '=HYPERLINK("http://x","y")'
    people = [(c[0], hostile if c[0] == "1001" else c[1], "@" + c[2] if c[0] == "1002"
               else c[2]) for c in CLASS]
    roster = write_roster(tmp_path / "roster.csv", people)
    folder = write_class(tmp_path / "in", "canvas")
    first = sorted(folder.iterdir())[0]
    first.rename(first.with_name(first.name.replace("_04_", "_-04_")))  # a file name

    def rows(key, k):
        note = ["+1 run", "-cmd|' /C calc'!A0", "@SUM(1)", "\tx", "\rx", "=1+1"][k]
        return [{"question": q, "score": 0, "max": 1, "note": note, "flags": "", "output": "x"}
                for q in QUESTIONS]

    sheet = moodle_worksheet(tmp_path / "sheet.csv",
                             [(c[0], hostile, c[2], c[3]) for c in CLASS])
    out = grade_made_up(tmp_path, folder, roster, rows=rows)
    out_moodle = grade_made_up(tmp_path / "m", write_class(tmp_path / "m-in", "moodle"),
                               roster, sheet, rows=rows)
    written = [*(tmp_path / "grades").glob("*.csv"), out / "grades.csv",
               *(out_moodle / "lms").glob("*.csv")]
    assert {p.name for p in written} >= {"gradebook.csv", "history.csv", "term.csv",
                                         "moodle.csv", "canvas.csv", "grades.csv",
                                         f"moodle-worksheet_{ASSIGNMENT}.csv"}
    seen = set()
    for path in written:
        for row in csv.reader(open(path, newline="", encoding="utf-8")):
            for cell in row:
                assert not cell.startswith(gradebook.FORMULA_START) or \
                    gradebook.NUMBER.fullmatch(cell), (path.name, cell)
                seen.add(cell)
    assert "'" + hostile in seen and "'@eborel@uni.example" in seen and "'+1 run" in seen
    book = gradebook.read_csv(tmp_path / "grades" / "gradebook.csv")
    assert {r["name"] for r in book} >= {hostile}  # read back as the roster wrote it
    assert any(r["file"].startswith("-") or "_-04_" in r["file"] for r in book)


# ------------------------------------------------------------ personal data outside git
def test_a_tracked_or_unignored_roster_or_hand_ins_folder_is_refused(tmp_path):
    """In a git checkout, a hand-ins folder or roster that git tracks is refused with the
    fix; one the course's .gitignore ignores (hand-ins/, roster*.csv) is accepted."""
    import shutil
    import subprocess

    if shutil.which("git") is None:
        pytest.skip("no git")
    repo = tmp_path / "course"
    repo.mkdir()
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@x"]
    subprocess.run([*git, "init", "-q"], check=True)
    shutil.copy(Path(__file__).resolve().parents[1] / ".gitignore", repo / ".gitignore")
    (repo / "hand-ins" / "02").mkdir(parents=True)
    (repo / "roster.csv").write_text("id,name,email\n")
    (repo / "class").mkdir()
    (repo / "class" / "a.ipynb").write_text("{}")
    subprocess.run([*git, "add", ".gitignore", "class"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "x"], check=True)
    assert privacy.tracked({"SUBMISSIONS": repo / "hand-ins" / "02",
                            "ROSTER": repo / "roster.csv", "GRADES": repo / "grades"}) == ""
    message = privacy.tracked({"SUBMISSIONS": repo / "class"})
    assert "SUBMISSIONS=" in message and "is tracked by git (1 file" in message
    assert "git rm -r --cached" in message
    (repo / "other.csv").write_text("id,name,email\n")
    assert "not ignored" in privacy.tracked({"ROSTER": repo / "other.csv"})
    assert privacy.tracked({"ROSTER": tmp_path / "elsewhere.csv"}) == ""  # outside git


def test_make_grade_refuses_a_tracked_submissions_folder(tmp_path, capsys):
    import shutil
    import subprocess

    if shutil.which("git") is None:
        pytest.skip("no git")
    repo = tmp_path / "course"
    (repo / "class").mkdir(parents=True)
    (repo / "class" / "a.ipynb").write_text("{}")
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@x"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "class"], check=True)
    with pytest.raises(SystemExit) as stop:
        batch.plan_run([str(repo / "class"), "--grades", str(tmp_path / "grades")])
    assert stop.value.code == 2
    assert "SUBMISSIONS=" in capsys.readouterr().err


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


def test_make_grade_prints_each_due_date_with_its_time_zone(monkeypatch):
    from zoneinfo import ZoneInfo

    monkeypatch.setattr(report, "timezone", lambda: ZoneInfo("Europe/Berlin"))
    plan = SimpleNamespace(found=SimpleNamespace(chosen=[SimpleNamespace(assignment=ASSIGNMENT)]),
                           due={ASSIGNMENT: DUE})
    assert report.due_lines(plan) == [
        f"{ASSIGNMENT} due 2027-02-09 00:59:59 Europe/Berlin (2027-02-08 23:59:59 UTC)"]


def test_make_grade_worksheet_reaches_the_grader(tmp_path):
    """make grade WORKSHEET=file.csv runs the grader with --worksheet file.csv."""
    import subprocess

    root = Path(__file__).resolve().parents[1]
    sheet = tmp_path / "sheet.csv"
    shown = subprocess.run(["make", "-n", "grade", f"SUBMISSIONS={tmp_path}",
                            f"WORKSHEET={sheet}"], cwd=root, capture_output=True, text=True,
                           check=True).stdout
    assert f'--worksheet "{sheet}"' in shown
    assert batch.parser().parse_args(["in", "--worksheet", str(sheet)]).worksheet == sheet


def test_a_regrade_from_a_copy_without_file_times_keeps_the_first_recorded_time(tmp_path):
    """`cp` without `-p` gives every file the time of the copy: a hand-in graded on time
    would turn late. The same bytes keep the time the first grading recorded."""
    import os

    from grading.store import load_times, record_times

    folder, grades = tmp_path / "hand-ins", tmp_path / "grades"
    folder.mkdir()
    grades.mkdir()
    nb = {"cells": [], "metadata": {"otter": {"assignment_name": ASSIGNMENT}},
          "nbformat": 4, "nbformat_minor": 5}
    (folder / "ada.ipynb").write_text(json.dumps(nb))
    on_time = DUE - dt.timedelta(hours=2)
    os.utime(folder / "ada.ipynb", (on_time.timestamp(), on_time.timestamp()))
    first = collect.collect(folder, due={ASSIGNMENT: DUE}, seen=load_times(grades))
    record_times(grades, first.chosen)
    copied = DUE + dt.timedelta(days=3)  # the copy's own time: late
    os.utime(folder / "ada.ipynb", (copied.timestamp(), copied.timestamp()))
    (again,) = collect.collect(folder, due={ASSIGNMENT: DUE}, seen=load_times(grades)).chosen
    assert again.time == on_time
    assert again.time_from == "the file's time, as first recorded"
    other = tmp_path / "other"  # other bytes: no earlier record applies
    other.mkdir()
    (other / "ada.ipynb").write_text(json.dumps({**nb, "metadata": {**nb["metadata"], "x": 1}}))
    os.utime(other / "ada.ipynb", (copied.timestamp(), copied.timestamp()))
    (new,) = collect.collect(other, due={ASSIGNMENT: DUE}, seen=load_times(grades)).chosen
    assert new.time == copied
