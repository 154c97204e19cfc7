"""The repository root and the paths under it, for every part of the course."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "_config.yml"
NOTEBOOKS = ROOT / "notebooks"
BUILD = ROOT / "_build"
BOOK_CACHE = BUILD / ".jupyter_cache"  # jupyter-book's execution cache (make book, make test)
ASSIGNMENTS = BUILD / "assignments"  # make assignments: NAME/student, NAME/autograder, release/
RELEASE = ASSIGNMENTS / "release"  # the student notebooks, as handed out
GRADES = ROOT / "grades"  # make grade's default: the term's grades (never committed)
