"""The built assignments and the grading of whole submissions (``make assignments-check``).

Runs after ``make assignments``, whose ``otter assign`` has already graded each
notebook's solution version to full marks (it refuses to finish otherwise). Here:

- what students get holds no solution, no output and no hidden test, and has a check
  cell per question; the autograder holds every test;
- ``make grade`` on a folder of submissions of the quickest notebook (02): the solution
  scores full marks, the untouched student notebook zero (its cells fail, the grading goes
  on), a planted mistake loses exactly its question, and files that are not notebooks, or
  that run past the time limit, get one clear line each and do not stop the others.

Grading executes each submitted notebook, so only notebook 02 is graded whole; the tests
of every question are checked directly in tests/test_assignment_questions.py.
"""

from __future__ import annotations

import csv
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from scripts.assignments import OUT, autograder_zip, master, questions

ROOT = Path(__file__).resolve().parents[2]
NAMES = ["01_cnn", "02_autoencoder", "03_pinn_forward", "04_pinn_inverse", "05_symmetry"]
GRADED = "02_autoencoder"  # the quickest notebook to execute

pytestmark = pytest.mark.skipif(not (OUT / "release").is_dir(),
                                reason="run `make assignments` first")


def student(name):
    return nbformat.read(OUT / name / "student" / f"{name}.ipynb", as_version=4)


def question_names(name):
    nb = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
    return [q["name"] for q in questions(nb)]


@pytest.mark.parametrize("name", NAMES)
def test_student_notebook_has_checks_and_no_answers(name):
    nb = student(name)
    nbformat.validate(nb)
    assert nb.metadata["otter"]["assignment_name"] == name
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert f'grader = otter.Notebook("{name}.ipynb")' in code
    for q in question_names(name):
        assert f'grader.check("{q}")' in code, q
    assert "# SOLUTION" not in code and "# BEGIN SOLUTION" not in code
    text = "\n".join(c.source for c in nb.cells)
    assert "{solution-start}" not in text and "**Discussion.**" not in text
    assert "# BEGIN QUESTION" not in text and "# ASSIGNMENT CONFIG" not in text
    tests = nb.metadata["otter"]["tests"]
    assert set(tests) == set(question_names(name))
    assert all("hidden=True" not in t and "hidden=False" in t for t in tests.values())
    answers = [c for c in nb.cells if "otter_answer_cell" in c.metadata.get("tags", [])]
    assert answers and all("jupyter" not in c.metadata for c in answers)  # open unfolded
    assert (OUT / "release" / f"{name}.ipynb").read_text() == (
        OUT / name / "student" / f"{name}.ipynb").read_text()


@pytest.mark.parametrize("name", NAMES)
def test_autograder_holds_every_test(name):
    with zipfile.ZipFile(autograder_zip(name)) as archive:
        files = set(archive.namelist())
        for q in question_names(name):
            text = archive.read(f"tests/{q}.py").decode()
            assert "hidden=True" in text and "hidden=False" in text, q
            assert "all_or_nothing = True" in text, q
    assert "otter_config.json" in files


@pytest.mark.parametrize("name", NAMES)
def test_student_notebook_runs_up_to_its_first_question(name):
    """Shown without running it again: after otter's set-up cell, the student notebook is
    the lecturer's notebook cell for cell up to the assignment (less the worked solution
    of an ungraded exercise before it), and ``make book`` executed those cells without
    error (its execution cache holds that run). The set-up cell itself runs in
    JupyterLab in ``make lab-check``."""
    from scripts.student_edition import failed_in_book

    lecture = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
    first = next(i for i, c in enumerate(lecture.cells) if c.cell_type == "raw")
    handed_out = [c.source for c in master(lecture).cells]
    handed_out = handed_out[:next(i for i, c in enumerate(master(lecture).cells)
                                  if c.cell_type == "raw")]
    nb = student(name)
    assert nb.cells[0].source.startswith("# Initialize Otter")
    assert [c.source for c in nb.cells[1:len(handed_out) + 1]] == handed_out
    assert set(handed_out) <= {c.source for c in lecture.cells[:first]}
    problems = failed_in_book(ROOT / "notebooks" / f"{name}.ipynb", first)
    assert not problems, f"{name}: {problems}"


# --------------------------------------------------------------- grading whole submissions
def planted_mistake(nb):
    """The solution with the denoiser left untrained: loses ae_denoise only."""
    nb = nbformat.from_dict(nb)
    (cell,) = [c for c in nb.cells if "noise=0.1, report_every=0" in c.source]
    lines = cell.source.splitlines()
    cell.source = "\n".join(line for line in lines if not line.startswith("train_autoencoder("))
    assert cell.source != "\n".join(lines)
    return nb


def grade(folder: Path, out: Path, *extra) -> dict:
    subprocess.run([sys.executable, str(ROOT / "scripts" / "grade.py"), str(folder),
                    "--out", str(out), *extra], check=True)
    with open(out / "grades.csv") as f:
        rows = list(csv.DictReader(f))
    grades: dict = {}
    for row in rows:
        grades.setdefault(row["student"], {})[row["question"]] = row
    return grades


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("submissions")
    solution = nbformat.read(OUT / GRADED / "autograder" / f"{GRADED}.ipynb", as_version=4)
    nbformat.write(solution, folder / "ada.ipynb")
    nbformat.write(student(GRADED), folder / "bo.ipynb")  # untouched: every answer is ...
    nbformat.write(planted_mistake(solution), folder / "cy.ipynb")
    (folder / "di.ipynb").write_text("this is not JSON")  # a broken upload
    (folder / "ed.pdf").write_bytes(b"%PDF-1.4")  # the wrong file
    out = tmp_path_factory.mktemp("grades")
    return grade(folder, out), out


def test_solution_scores_full_marks(graded):
    grades, _ = graded
    assert set(grades["ada"]) == set(question_names(GRADED))
    assert all(float(r["score"]) == float(r["max"]) > 0 for r in grades["ada"].values())


def test_untouched_student_notebook_scores_zero(graded):
    grades, _ = graded
    assert set(grades["bo"]) == set(question_names(GRADED))
    assert all(float(r["score"]) == 0 for r in grades["bo"].values())


def test_planted_mistake_loses_exactly_its_question(graded):
    grades, _ = graded
    assert float(grades["cy"]["ae_denoise"]["score"]) == 0
    assert float(grades["cy"]["ae_latent"]["score"]) == float(grades["cy"]["ae_latent"]["max"])


def test_files_that_are_not_notebooks_get_one_clear_line(graded):
    grades, _ = graded
    for who, words in [("di", "not a notebook: di.ipynb cannot be read"),
                       ("ed", "not a notebook: ed.pdf")]:
        (row,) = grades[who].values()
        assert row["question"] == "(submission)" and float(row["score"]) == 0
        assert row["note"].startswith(words), row["note"]


def test_feedback_file_per_student(graded):
    _, out = graded
    for who in ["ada", "bo", "cy", "di", "ed"]:
        assert (out / "feedback" / f"{who}.txt").is_file(), who
    bo = (out / "feedback" / "bo.txt").read_text()
    assert "total: 0 / 2" in bo and "what failed" in bo and "AssertionError" in bo
    cy = (out / "feedback" / "cy.txt").read_text()
    assert "ae_denoise: what failed" in cy and "ae_latent: what failed" not in cy


def test_submission_past_the_time_limit_is_stopped_and_reported(tmp_path):
    nb = student(GRADED)
    nb.cells.insert(1, nbformat.v4.new_code_cell("import time\ntime.sleep(3600)"))
    (tmp_path / "in").mkdir()
    nbformat.write(nb, tmp_path / "in" / "fay.ipynb")
    grades = grade(tmp_path / "in", tmp_path / "out", "--timeout", "20")
    (row,) = grades["fay"].values()
    assert row["note"] == "timed out: grading took longer than 20 s", row
    assert float(row["score"]) == 0 and float(row["max"]) == 2, row  # two questions
