"""The course notebooks (``notebooks/NAME.ipynb``) and their graded questions."""

from __future__ import annotations

from pathlib import Path

import nbformat

from course.markup import questions
from course.paths import NOTEBOOKS


def names() -> list[str]:
    """The notebooks' names (``01_cnn``, ...), in order."""
    return sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb"))


def path(name: str) -> Path:
    """``notebooks/NAME.ipynb``; ValueError naming the notebooks there are."""
    known = names()
    if name not in known:
        raise ValueError(f"unknown notebook {name!r}: the course's notebooks are {known}")
    return NOTEBOOKS / f"{name}.ipynb"


def read(name: str):
    """The course notebook ``name`` (nbformat v4)."""
    return nbformat.read(path(name), as_version=4)


def points(name: str) -> dict[str, float]:
    """{question: points} of the graded questions of notebook ``name``, in order."""
    return {q["name"]: float(q["config"].get("points", 1)) for q in questions(read(name))}
