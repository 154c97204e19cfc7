"""Personal data stays out of git: ``make grade`` refuses a roster, a worksheet, a folder
of hand-ins or a grades folder that a git checkout tracks or would track (``git ls-files``,
``git check-ignore``). The course's ``.gitignore`` ignores the places the guide names
(``hand-ins/``, ``roster*.csv``, ``grades/``, Moodle's worksheet); anything else inside
the checkout must be ignored too, or live outside it. Outside a git checkout, or without
git, there is nothing to check."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


def _git(folder: Path, *args: str) -> subprocess.CompletedProcess | None:
    try:
        return subprocess.run(["git", "-C", str(folder), *args], capture_output=True,
                              text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None


def problem(what: str, path: Path) -> str:
    """Why git would publish ``path`` (the argument ``what``), or "" when it would not."""
    if shutil.which("git") is None:
        return ""
    path = path.resolve()
    folder = path if path.is_dir() else path.parent
    while not folder.exists():  # a grades folder that make grade is about to create
        folder = folder.parent
    top = _git(folder, "rev-parse", "--show-toplevel")
    if top is None or top.returncode != 0:
        return ""  # not in a git checkout
    listed = _git(folder, "ls-files", "--", str(path))
    if listed is not None and listed.stdout.strip():
        count = len(listed.stdout.splitlines())
        return (f"{what}={path} is tracked by git ({count} file{'s' * (count > 1)} in "
                f"{top.stdout.strip()}): personal data must not be committed. Remove it "
                f"from git (git rm -r --cached {path}; it stays on disk), add it to "
                f".gitignore, and run make grade again")
    # a folder (or the grades folder still to be made) as git names folders: "grades/"
    name = str(path) + ("/" if path.is_dir() or not path.exists() else "")
    ignored = _git(folder, "check-ignore", "-q", "--", name)
    if ignored is not None and ignored.returncode == 1:
        return (f"{what}={path} is inside the git checkout {top.stdout.strip()} and not "
                f"ignored: git add would commit personal data. Move it out of the checkout "
                f"or add it to .gitignore (docs/assignments.md says where the course "
                f"ignores it already)")
    return ""


def tracked(paths: dict[str, Path | None]) -> str:
    """Every problem of ``paths`` ({argument: path or None}), one per line; "" if none."""
    return "\n".join(p for p in (problem(what, path) for what, path in paths.items()
                                 if path is not None) if p)
