"""Build the course's otter-grader assignments into ``_build/assignments/``.

Each notebook in ``notebooks/`` is the assignment source: its graded exercises are
otter-grader questions, marked up with raw delimiter cells (``# BEGIN QUESTION`` ...
``# END QUESTION``) that the book and JupyterLab leave alone. For every notebook this
script

1. writes the *master* notebook that ``otter assign`` reads: the course notebook without
   the worked solutions of the ungraded exercises (cells tagged ``solution`` outside a
   question; otter would hand them out), and with the answer cells unfolded (the course
   notebook opens its solutions folded, a student's answer cell should not be);
2. runs ``otter assign --no-pdfs``, which executes the solution version and refuses to
   finish unless every question scores full marks;
3. checks what students get: no outputs, no solution code, no hidden tests.

Output, per notebook ``NAME``: ``_build/assignments/NAME/student/NAME.ipynb`` (hand this
out) and ``_build/assignments/NAME/autograder/NAME-autograder_*.zip`` (grade with it:
``make grade``); ``_build/assignments/release/`` collects the five student notebooks.

Run with ``make assignments`` (all notebooks), or ``python scripts/assignments.py NAME``.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
OUT = ROOT / "_build" / "assignments"
SOLUTION_TAG = "solution"
BLOCK = re.compile(r"#\s+(begin|end)\s+(question|solution|tests|prompt)\b", re.IGNORECASE)


def block_boundary(cell) -> tuple[str, str] | None:
    """``("begin", "solution")`` etc. for an otter delimiter cell, else None."""
    if cell.cell_type != "raw" or not cell.source.strip():
        return None
    match = BLOCK.match(cell.source.lstrip().splitlines()[0])
    return (match.group(1).lower(), match.group(2).lower()) if match else None


def questions(nb) -> list[dict]:
    """The otter questions of a notebook, in order.

    Each is ``{"name", "prompt", "solution", "tests"}``: the name from its ``# BEGIN
    QUESTION`` config, the prompt and solution cells, and the sources of its test cells.
    """
    import yaml

    found, current, block = [], None, None
    for cell in nb.cells:
        boundary = block_boundary(cell)
        if boundary == ("begin", "question"):
            config = yaml.safe_load(cell.source.split("\n", 1)[1])
            current = {"name": config["name"], "config": config, "prompt": [],
                       "solution": [], "tests": []}
            block = "question"
        elif boundary == ("end", "question"):
            found.append(current)
            current, block = None, None
        elif boundary is not None:
            block = boundary[1] if boundary[0] == "begin" else "question"
        elif current is not None:
            if block == "tests":
                current["tests"].append(cell.source)
            elif block == "solution":
                current["solution"].append(cell)
            else:
                current["prompt"].append(cell)
    return found


def master(nb):
    """The notebook that ``otter assign`` reads (see the module docstring)."""
    nb = nbformat.from_dict(nb)
    cells, block = [], None
    for cell in nb.cells:
        boundary = block_boundary(cell)
        if boundary is not None:
            block = boundary[1] if boundary[0] == "begin" else None
        elif block == "solution":
            cell.metadata.pop("jupyter", None)  # answers open unfolded
        elif SOLUTION_TAG in cell.metadata.get("tags", []):
            continue  # an ungraded exercise's worked solution
        cells.append(cell)
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
                        if "otter_answer_cell" in c.metadata.get("tags", []))
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


def build(name: str) -> Path:
    """Build one assignment; returns its directory."""
    source = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    if not questions(source):
        raise SystemExit(f"{name} has no otter questions")
    target = OUT / name
    shutil.rmtree(target, ignore_errors=True)
    (target / "master").mkdir(parents=True)
    nbformat.write(master(source), target / "master" / f"{name}.ipynb")
    otter = Path(sys.executable).with_name("otter")
    print(f"== otter assign {name} (executes the solution version)", flush=True)
    subprocess.run([str(otter), "assign", "--no-pdfs", f"master/{name}.ipynb", "."],
                   cwd=target, check=True)
    check_student_notebook(target / "student" / f"{name}.ipynb", source)
    release = OUT / "release"
    release.mkdir(exist_ok=True)
    shutil.copy(target / "student" / f"{name}.ipynb", release / f"{name}.ipynb")
    return target


def autograder_zip(name: str) -> Path:
    """The autograder configuration zip of assignment ``name`` (after ``build``)."""
    zips = sorted((OUT / name / "autograder").glob(f"{name}-autograder_*.zip"))
    if not zips:
        raise FileNotFoundError(f"no autograder for {name!r}: run `make assignments` first")
    return zips[-1]


def main(argv=None) -> None:
    names = sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb"))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"default: all of {names}")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.names) - set(names))
    if unknown:
        parser.error(f"unknown notebook(s) {unknown}; choose from {names}")
    for name in args.names or names:
        build(name)
    print(f"student notebooks: {OUT / 'release'}; autograders: {OUT}/*/autograder/")


if __name__ == "__main__":
    main()
