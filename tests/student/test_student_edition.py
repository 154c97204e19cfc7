"""The student edition (``make student`` builds it, then runs this file).

Student notebooks must hold every exercise prompt and no solution, be valid notebooks,
and run without error up to their exercises (shown from the book's execution cache, not
by running them again); the student book must show the exercises and no solutions.
"""

from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
STUDENT = ROOT / "_build" / "student"
NAMES = ["01_cnn", "02_autoencoder", "03_pinn_forward", "04_pinn_inverse", "05_symmetry"]



@pytest.fixture(autouse=True)
def _built(require_built):
    require_built(STUDENT, "make student")


def _read(path):
    return nbformat.read(path, as_version=4)


def _solution_code(nb):
    return [c.source.strip() for c in nb.cells
            if c.cell_type == "code" and "solution" in c.metadata.get("tags", [])]


@pytest.mark.parametrize("name", NAMES)
def test_student_notebook_has_prompts_and_no_solutions(name):
    original = _read(ROOT / "notebooks" / f"{name}.ipynb")
    student = _read(STUDENT / "notebooks" / f"{name}.ipynb")
    nbformat.validate(student)
    text = "\n".join(c.source for c in student.cells)
    assert "{solution-start}" not in text and "{solution-end}" not in text
    assert not any("solution" in c.metadata.get("tags", []) for c in student.cells)
    assert not any("otter-test" in c.metadata.get("tags", []) for c in student.cells)
    assert not any(c.cell_type == "raw" for c in student.cells)  # otter's delimiters
    student_code = {c.source.strip() for c in student.cells if c.cell_type == "code"}
    solutions = _solution_code(original)
    assert solutions, f"{name} has no tagged solution code"
    assert not student_code.intersection(solutions)
    n_prompts = "\n".join(c.source for c in original.cells).count("```{exercise}")
    assert n_prompts >= 3 and text.count("```{exercise}") == n_prompts
    assert all(not c.get("outputs") for c in student.cells if c.cell_type == "code")


@pytest.mark.parametrize("name", NAMES)
def test_student_notebook_runs_up_to_its_exercises(name):
    """Proved without running anything again: up to its first exercise the student notebook
    is the lecturer's notebook cell for cell, and ``make book`` executed exactly those
    cells without error (its execution cache holds that run; the book build fails on any
    cell error)."""
    from scripts.student_edition import failed_in_book

    original = _read(ROOT / "notebooks" / f"{name}.ipynb")
    student = _read(STUDENT / "notebooks" / f"{name}.ipynb")
    first = next(i for i, c in enumerate(student.cells) if "```{exercise}" in c.source)
    assert [c.source for c in student.cells[:first]] == [
        c.source for c in original.cells[:first]], f"{name}: differs before its exercises"
    problems = failed_in_book(ROOT / "notebooks" / f"{name}.ipynb", first)
    assert not problems, f"{name}: {problems}"


@pytest.mark.parametrize("name", NAMES)
def test_student_book_shows_exercises_without_solutions(name):
    page = (STUDENT / "html" / "notebooks" / f"{name}.html").read_text()
    n_prompts = page.count('<div class="exercise admonition"')
    assert n_prompts >= 3, n_prompts
    assert '<div class="solution' not in page and "tag_solution" not in page
