"""The markup inside a course notebook, read and written in one place.

- **Cell tags**: ``solution`` (a worked solution, folded; the student edition drops it),
  ``otter-test`` (an assignment's test cell), ``colab-setup`` (the first cell, which
  installs the course package on Colab).
- **otter-grader's blocks**: raw cells ``# BEGIN QUESTION`` ... ``# END QUESTION`` with
  ``# BEGIN SOLUTION``/``TESTS``/``PROMPT`` blocks inside, and the notebook's first raw
  cell ``# ASSIGNMENT CONFIG`` (its name). The book and JupyterLab leave raw cells alone.
- **Outputs**: a notebook as the repository and the branches keep it has none.

Functions take nbformat notebooks (or plain dicts where said) and never change their
argument unless they say so.
"""

from __future__ import annotations

import re

import nbformat
import yaml

SOLUTION_TAG = "solution"
TEST_TAG = "otter-test"
COLAB_TAG = "colab-setup"
ANSWER_TAG = "otter_answer_cell"  # otter's tag on a student's answer cell
ASSIGNMENT_CONFIG = "# ASSIGNMENT CONFIG"
BLOCK = re.compile(r"#\s+(begin|end)\s+(question|solution|tests|prompt)\b", re.IGNORECASE)
# The Colab cell's two lines that name where the course package is installed from.
URL_LINE = re.compile(r'^COURSE_REPOSITORY = "([^"]*)"', re.M)
BRANCH_LINE = re.compile(r'^COURSE_BRANCH = "([^"]*)"', re.M)


def tags(cell) -> list:
    """The cell's tags (a list, also when the metadata has none)."""
    return cell.get("metadata", {}).get("tags", [])


def block_boundary(cell) -> tuple[str, str] | None:
    """``("begin", "solution")`` etc. for an otter delimiter cell, else None."""
    if cell.cell_type != "raw" or not cell.source.strip():
        return None
    match = BLOCK.match(cell.source.lstrip().splitlines()[0])
    return (match.group(1).lower(), match.group(2).lower()) if match else None


def raw_config(source: str) -> dict:
    """The YAML under the first line of a raw cell (``# BEGIN QUESTION``, ``# ASSIGNMENT
    CONFIG``)."""
    return yaml.safe_load(source.split("\n", 1)[1])


def assignment_name(nb) -> str | None:
    """The name in the notebook's ``# ASSIGNMENT CONFIG`` cell, or None."""
    return next((raw_config(c.source)["name"] for c in nb.cells if c.cell_type == "raw"
                 and c.source.startswith(ASSIGNMENT_CONFIG)), None)


def questions(nb) -> list[dict]:
    """The otter questions of a notebook, in order.

    Each is ``{"name", "config", "prompt", "solution", "tests"}``: the name and config from
    its ``# BEGIN QUESTION`` cell, the prompt and solution cells, and the sources of its
    test cells.
    """
    found, current, block = [], None, None
    for cell in nb.cells:
        boundary = block_boundary(cell)
        if boundary == ("begin", "question"):
            config = raw_config(cell.source)
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


def is_solution(cell) -> bool:
    """A worked solution, or the assignment markup (otter's delimiters and tests)."""
    found = tags(cell)
    return SOLUTION_TAG in found or TEST_TAG in found or cell.get("cell_type") == "raw"


def without_outputs(nb):
    """A copy of ``nb`` (nbformat or a plain dict) with no outputs, execution counts or
    execution timings: as the repository and the published branches keep notebooks."""
    nb = nbformat.from_dict(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            cell.metadata.pop("execution", None)
    return nb


def colab_cell(nb: dict) -> dict:
    """The notebook's Colab set-up cell (tagged ``colab-setup``); ValueError unless one."""
    cells = [c for c in nb["cells"] if COLAB_TAG in c.get("metadata", {}).get("tags", [])]
    if len(cells) != 1:
        raise ValueError(f"expected one cell tagged {COLAB_TAG!r}, found {len(cells)}")
    return cells[0]


def colab_cell_url(nb: dict) -> str:
    """The repository URL that the Colab cell installs the course package from."""
    match = URL_LINE.search("".join(colab_cell(nb)["source"]))
    if match is None:
        raise ValueError("the Colab cell has no line COURSE_REPOSITORY = \"...\"")
    return match.group(1)
