"""Grading a made-up class through the term, end to end (``make assignments-check``).

Six students hand in notebook 04 (tests/made_up_class.py): Ada three times (blank, right,
and half right after the due date), Paul two days late. Their hand-ins are small: the
student notebook's set-up cell and one cell of answers (numbers, computed as a student
would), so that twelve gradings take a minute. The same class is downloaded as Moodle
and as Canvas lay it out and graded by ``python -m grading.batch`` with a roster, each hand-in
in its two sandboxes; then one student is graded again.
"""

from __future__ import annotations

import csv
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
from made_up_class import CLASS, moodle_worksheet, write_class

from course.paths import ASSIGNMENTS as OUT

ROOT = Path(__file__).resolve().parents[2]
NAME = "04_pinn_inverse"

DESIGN = """
import numpy as np
t_best = 1 / (0.1 * np.pi**2)  # where (du/dalpha)^2 at x = 1/2 is largest
info = (np.pi**2 * t_best * np.exp(-0.1 * np.pi**2 * t_best)) ** 2
se_best = 0.02 / np.sqrt(100 * info)
"""
TWO = """
from scipy.optimize import curve_fit
rng = np.random.default_rng(2026)  # the notebook's make_observations(100, 0.02, seed=2026)
x_obs, t_obs = rng.uniform(0.1, 0.9, 100), rng.uniform(0.05, 0.8, 100)
u_obs = np.sin(np.pi * x_obs) * np.exp(-0.1 * np.pi**2 * t_obs) + 0.02 * rng.standard_normal(100)
(amp_lsq, alpha_two), cov_two = curve_fit(
    lambda xt, a, k: a * np.sin(np.pi * xt[0]) * np.exp(-k * np.pi**2 * xt[1]),
    (x_obs, t_obs), u_obs, p0=[0.5, 0.2], sigma=np.full(100, 0.02), absolute_sigma={absolute})
se_two = np.sqrt(np.diag(cov_two))
amp_pinn_two, alpha_pinn_two = amp_lsq, alpha_two
"""
ANSWERS = {"full": DESIGN + TWO.format(absolute=True),
           "half": DESIGN + TWO.format(absolute=False),  # curve_fit's rescaled errors
           "blank": ""}
# which answer each hand-in of made_up_class.HAND_INS carries
CARRIES = {"first": "blank", "second": "full", "after the due date": "half", "borel": "half",
           "hopper": "full", "turing": "blank", "noether": "full", "dirac": "full"}
TOTALS = {"1001": 2.0, "1002": 1.0, "1003": 2.0, "1004": 0.0, "1005": 2.0, "1006": 2.0}


@pytest.fixture(autouse=True)
def _built(require_built):
    require_built(OUT / NAME / "student" / f"{NAME}.ipynb", "make assignments")


def hand_in(label: str) -> dict:
    """The student notebook's set-up cell, then the answers."""
    student = nbformat.read(OUT / NAME / "student" / f"{NAME}.ipynb", as_version=4)
    (setup,) = [c for c in student.cells if "assignment-setup" in c.metadata.get("tags", [])]
    student.cells = [setup, nbformat.v4.new_code_cell(ANSWERS[CARRIES[label]].strip())]
    return student


def grade(folder: Path, grades: Path, roster: Path, *extra: str) -> str:
    done = subprocess.run([sys.executable, "-m", "grading.batch", str(folder),
                           "--grades", str(grades), "--roster", str(roster), *extra],
                          check=True, capture_output=True, text=True, cwd=ROOT)
    return done.stdout


def table(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def term(tmp_path_factory):
    base = tmp_path_factory.mktemp("term")
    roster = base / "roster.csv"
    with open(roster, "w", newline="") as f:
        csv.writer(f).writerows([["id", "name", "email"], *(c[:3] for c in CLASS)])
    printed = {}
    sheet = moodle_worksheet(base / "worksheet.csv")
    for layout in ("moodle", "canvas"):
        write_class(base / layout, layout, notebook=hand_in)
        extra = ["--worksheet", str(sheet)] if layout == "moodle" else []
        printed[layout] = grade(base / layout, base / f"grades-{layout}", roster, *extra)
    return {"base": base, "roster": roster, "printed": printed}


def totals(grades: Path) -> dict[str, float]:
    return {r["student"]: float(r["total"]) for r in table(grades / "gradebook.csv")
            if r["assignment"] == NAME}


def test_moodle_and_canvas_downloads_give_the_same_six_students_and_totals(term):
    moodle, canvas = (totals(term["base"] / f"grades-{k}") for k in ("moodle", "canvas"))
    assert moodle == canvas == TOTALS
    for layout in ("moodle", "canvas"):
        assert "several files:\n  1001 04_pinn_inverse: 3 files; graded" in term["printed"][layout]


def test_late_work_is_marked_in_the_gradebook_and_the_feedback(term):
    grades = term["base"] / "grades-moodle"
    (paul,) = [r for r in table(grades / "gradebook.csv") if r["student"] == "1006"]
    assert paul["days_late"] == "2" and paul["late_note"] == "2 days late (marked, not penalised)"
    (run,) = (grades / "runs").iterdir()
    feedback = (run / "feedback" / f"1006_{NAME}.txt").read_text()
    assert feedback.startswith("Paul Dirac: 04_pinn_inverse") and "late: 2 days late" in feedback


def test_the_lms_imports_hold_every_student(term):
    grades = term["base"] / "grades-canvas"
    canvas = table(grades / "canvas.csv")
    assert canvas[0]["Student"].strip() == "Points Possible" and canvas[0][NAME] == "2"
    assert {r["ID"]: float(r[NAME]) for r in canvas[1:]} == TOTALS
    moodle = table(grades / "moodle.csv")
    assert {r["Email address"] for r in moodle} == {c[2] for c in CLASS}


def first_run(grades: Path) -> Path:
    return sorted((grades / "runs").iterdir())[0]


def test_the_grades_and_feedback_go_back_through_moodle_under_each_participants_id(term):
    """The filled worksheet (rows by "Participant N") and the feedback zip (folders whose
    second "_"-separated part is the participant id, as Moodle's import reads them)."""
    run = first_run(term["base"] / "grades-moodle")
    by_participant = {c[3]: c[0] for c in CLASS}
    sheet = table(run / "lms" / f"moodle-worksheet_{NAME}.csv")
    assert {by_participant[r["Identifier"].split()[-1]]: float(r["Grade"])
            for r in sheet} == TOTALS
    with zipfile.ZipFile(run / "lms" / f"moodle-feedback_{NAME}.zip") as archive:
        texts = {by_participant[n.split("/")[0].split("_")[1]]: archive.read(n).decode()
                 for n in archive.namelist()}
    assert set(texts) == set(TOTALS)
    for key, text in texts.items():
        name = next(c[1] for c in CLASS if c[0] == key)
        assert text.startswith(f"{name}: {NAME}") and f"total: {TOTALS[key]:g} / 2" in text
        assert (run / "feedback" / f"{key}_{NAME}.txt").read_text() == text


def test_the_feedback_goes_back_through_canvas_under_each_user_id(term):
    """The re-upload zip: the download's file names (user id, then the submitted file's
    id), each a zip holding that student's feedback."""
    import io

    run = first_run(term["base"] / "grades-canvas")
    downloaded = {p.name for p in (term["base"] / "canvas").iterdir()}
    texts = {}
    with zipfile.ZipFile(run / "lms" / f"canvas-reupload_{NAME}.zip") as archive:
        for name in archive.namelist():
            assert name in downloaded
            user = [p for p in name.split("_") if p.isdigit()][0]
            with zipfile.ZipFile(io.BytesIO(archive.read(name))) as inner:
                texts[user] = inner.read(f"feedback_{NAME}.txt").decode()
    assert set(texts) == set(TOTALS)
    for key, text in texts.items():
        assert f"total: {TOTALS[key]:g} / 2" in text
        assert (run / "feedback" / f"{key}_{NAME}.txt").read_text() == text


def test_a_second_run_regrading_one_student_destroys_nothing(term):
    base, grades = term["base"], term["base"] / "grades-moodle"
    (first,) = (grades / "runs").iterdir()
    before = {p: p.read_bytes() for p in first.rglob("*") if p.is_file()}
    again = base / "regrade" / "Émile Borel_55502_assignsubmission_file"
    again.mkdir(parents=True)
    # Borel's corrected hand-in, graded alone (a regrade after a marking query)
    source = next((base / "moodle" / again.name).iterdir())
    nb = hand_in("hopper")  # the full answers
    with zipfile.ZipFile(source) as archive, zipfile.ZipFile(again / source.name, "w") as new:
        new.writestr(f"{NAME}.ipynb", nbformat.writes(nb))
        new.writestr("submission.json", archive.read("submission.json"))
    printed = grade(base / "regrade", grades, term["roster"])
    assert "grades changed by this run:\n  1002 04_pinn_inverse: 1 -> 2" in printed, printed
    assert totals(grades) == TOTALS | {"1002": 2.0}
    assert {p: p.read_bytes() for p in first.rglob("*") if p.is_file()} == before
    assert len(list((grades / "runs").iterdir())) == 2
    changed = [r for r in table(grades / "history.csv") if r["changed"]]
    assert [(r["student"], r["previous"], r["total"]) for r in changed] == [("1002", "1", "2")]


def test_make_similarity_ranks_the_identical_answers_first(term):
    """Ada (her second hand-in), Hopper, Noether and Dirac hand in the same answer cell
    (this test's "full" answers); Borel's differs in one argument; Turing's is blank. The
    six pairs of the four identical ones rank first; the report shows them side by side."""
    import itertools

    grades = term["base"] / "grades-moodle"
    subprocess.run([sys.executable, "-m", "grading.similarity",
                    str(term["base"] / "moodle"), "--roster", str(term["roster"]),
                    "--grades", str(grades)], check=True, capture_output=True, cwd=ROOT)
    pairs = table(grades / "similarity" / f"{NAME}.csv")
    ranked = [frozenset((p["student_a"], p["student_b"])) for p in pairs]
    same = {frozenset(p) for p in itertools.combinations(["1001", "1003", "1005", "1006"], 2)}
    assert set(ranked[:6]) == same, ranked[:8]
    def score(pair):
        return min(float(pair["share_a"]), float(pair["share_b"]))

    assert score(pairs[5]) > score(pairs[6])
    assert "<mark>" in (grades / "similarity" / f"{NAME}.html").read_text()
