"""Every grading result, kept the moment it exists, and found again instead of regraded.

A result is what grading one hand-in gave (its rows, its log), stored in
``GRADES/results/ASSIGNMENT/HANDIN.GRADER.json``:

- ``HANDIN`` is the SHA-256 of the hand-in's bytes: another file, another result;
- ``GRADER`` is :func:`grader_identity`: a hash of everything that decides a grade besides
  the hand-in (the grading code, the course package that makes the reference data, the
  assignment's notebook with its questions and points, the handed-out notebook that the
  flags compare with, the caps and whether sandboxes were used). Change any of it and
  every result of that assignment is stale: the next run grades again.

A result is written atomically (a temporary file in the same folder, then ``os.replace``):
a crash, a kill or a full disk leaves the former file or none, never half of one. Only a
grade is stored, a student's zero included; a failure of the machinery (a sandbox that
did not start, a node that died) is never stored, so the next run tries again. The
folder is private (0700): results are personal data.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tempfile
from pathlib import Path

from course.paths import ROOT

GRADING = Path(__file__).resolve().parent
# What decides a grade besides the hand-in (folders: every .py file in them, recursively).
DECIDES = [GRADING / "grader.py", GRADING / "handin.py", GRADING / "sandbox.py",
           GRADING / "inside", GRADING / "checker", ROOT / "utils"]


def file_hash(path: Path) -> str:
    """SHA-256 of a file's bytes, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def grader_identity(assignment: str, settings: dict, extra: list[Path] = ()) -> str:
    """A hash of what decides ``assignment``'s grades besides the hand-in: the files of
    ``DECIDES`` and ``extra`` (the assignment's notebook, its handed-out version), and
    ``settings`` (caps, sandboxed or not; JSON-serialisable)."""
    digest = hashlib.sha256(assignment.encode())
    files = []
    for item in [*DECIDES, *extra]:
        item = Path(item)
        files += sorted(item.rglob("*.py")) if item.is_dir() else [item]
    for path in files:
        if path.is_file():
            digest.update(str(path.relative_to(ROOT) if path.is_relative_to(ROOT)
                              else path.name).encode())
            digest.update(file_hash(path).encode())
    digest.update(json.dumps(settings, sort_keys=True).encode())
    return digest.hexdigest()[:20]


TIMES = "handin-times.json"


def load_times(grades: Path) -> dict[str, list[str]]:
    """{SHA-256 of a hand-in: [the time it was handed in (ISO 8601), where that time came
    from]} as the grades folder's earlier runs first recorded it."""
    try:
        data = json.loads((Path(grades) / TIMES).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def record_times(grades: Path, hand_ins) -> None:
    """Add each hand-in's (``sha256``, ``time``, ``time_from``) to ``TIMES``, keeping the
    earliest time of the same bytes; written atomically."""
    times = load_times(grades)
    for h in hand_ins:
        if not h.sha256 or h.time is None:
            continue
        known = times.get(h.sha256)
        if known is None or h.time < dt.datetime.fromisoformat(known[0]):
            times[h.sha256] = [h.time.isoformat(), h.time_from]
    fd, tmp = tempfile.mkstemp(dir=grades, prefix=".", suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        json.dump(times, f, indent=0)
    os.replace(tmp, Path(grades) / TIMES)


class Store:
    """The results of one grades folder (``GRADES/results``)."""

    def __init__(self, grades: Path):
        self.root = Path(grades) / "results"
        self.root.mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o700)

    def path(self, assignment: str, handin: str, grader: str) -> Path:
        return self.root / (assignment or "unknown") / f"{handin}.{grader}.json"

    def get(self, assignment: str, handin: str, grader: str) -> dict | None:
        """The stored result, or None (none yet, or unreadable: then it is graded again)."""
        try:
            data = json.loads(self.path(assignment, handin, grader).read_text())
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) and isinstance(data.get("rows"), list) else None

    def put(self, assignment: str, handin: str, grader: str, result: dict) -> Path:
        """Keep ``result`` (JSON-serialisable) atomically; returns its file."""
        target = self.path(assignment, handin, grader)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(fd, "w") as f:
                json.dump(result, f)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return target
