"""Grade a folder of submitted notebooks with otter-grader (``make grade SUBMISSIONS=dir``).

Every file in the folder is one student's submission (the student is the file name
without its extension): a student notebook ``.ipynb`` or the ``.zip`` that its export
cell writes. Each is executed and graded by ``otter run`` against the autograder that
``make assignments`` built, one at a time, each with a time limit. The assignment is read
from the notebook's metadata (``otter.assignment_name``) unless ``--assignment`` names it.

Writes, in ``--out`` (default ``_build/grades``):

- ``grades.csv``: one row per student and question (``student, assignment, question,
  score, max, note``); a submission that is not a notebook, cannot be graded, errors out
  of otter or runs past the time limit gets one row with question ``(submission)``,
  score 0, the assignment's maximum when known and the reason in ``note``, and the other
  submissions are graded as usual;
- ``feedback/STUDENT.txt``: the student's scores and the output of every failed test;
- ``results/STUDENT.json``: otter's own results.

Warning: ``otter run`` executes the submitted code as you, without a sandbox. For
untrusted submissions grade in Docker (``otter grade``) or on Gradescope.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from scripts.assignments import OUT as ASSIGNMENTS  # noqa: E402
from scripts.assignments import autograder_zip

FIELDS = ["student", "assignment", "question", "score", "max", "note"]
SUBMISSION = "(submission)"


class NotGradable(Exception):
    """A submission that cannot be graded; the message says why, for the CSV."""


def read_notebook(path: Path) -> dict:
    """The submitted notebook as JSON (from inside the zip for a ``.zip``)."""
    try:
        if path.suffix == ".zip":
            with zipfile.ZipFile(path) as archive:
                names = [n for n in archive.namelist()
                         if n.endswith(".ipynb") and "/." not in "/" + n]
                if len(names) != 1:
                    raise NotGradable(f"the zip holds {len(names)} notebooks, expected one")
                text = archive.read(names[0])
        else:
            text = path.read_bytes()
        nb = json.loads(text)
    except (zipfile.BadZipFile, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise NotGradable(f"not a notebook: {path.name} cannot be read ({err})") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise NotGradable(f"not a notebook: {path.name} has no cells")
    return nb


def assignment_of(nb: dict, given: str | None) -> str:
    name = given or nb.get("metadata", {}).get("otter", {}).get("assignment_name")
    if not name:
        raise NotGradable("cannot tell which assignment this is (no otter metadata): "
                          "grade it with --assignment NAME")
    return name


def run_otter(path: Path, autograder: Path, timeout: float) -> dict:
    """otter's results.json for one submission; raises NotGradable on failure."""
    otter = Path(sys.executable).with_name("otter")
    with tempfile.TemporaryDirectory() as tmp:
        process = subprocess.Popen(
            [str(otter), "run", "-a", str(autograder), "-o", tmp, str(path)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True)  # its own process group: a timeout stops the kernel too
        try:
            log, _ = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise NotGradable(f"timed out: grading took longer than {timeout:.0f} s") from None
        results = Path(tmp) / "results.json"
        if process.returncode != 0 or not results.exists():
            last = [line for line in log.splitlines() if line.strip()][-1:] or ["no output"]
            raise NotGradable(f"otter run failed (exit {process.returncode}): {last[0]}")
        return json.loads(results.read_text())


def question_rows(results: dict) -> list[dict]:
    return [{"question": t["name"], "score": t["score"], "max": t["max_score"], "note": ""}
            for t in results["tests"] if "score" in t]


def feedback(student: str, assignment: str, rows: list[dict], results: dict | None) -> str:
    lines = [f"{student}: {assignment}", ""]
    for row in rows:
        lines.append(f"{row['question']:24s} {row['score']} / {row['max']}  {row['note']}")
    total = sum(float(r["score"]) for r in rows)
    maximum = sum(float(r["max"] or 0) for r in rows)
    lines += ["", f"total: {total:g} / {maximum:g}"]
    for test in (results or {}).get("tests", []):
        if "score" in test and test["score"] < test["max_score"]:
            lines += ["", f"--- {test['name']}: what failed", test.get("output", "").rstrip()]
    return "\n".join(lines) + "\n"


def total_points(autograder: Path) -> float:
    """The assignment's maximum score: the points of every question in the autograder."""
    with zipfile.ZipFile(autograder) as archive:
        tests = [archive.read(n).decode() for n in archive.namelist()
                 if n.startswith("tests/") and n.endswith(".py")]
    return sum(float(m.group(1)) for t in tests
               for m in [re.search(r"^points = ([\d.]+)", t, re.MULTILINE)] if m)


def grade_one(path: Path, given: str | None, timeout: float) -> tuple[str, list[dict], dict | None]:
    assignment, results, maximum = given or "", None, ""
    try:
        if path.suffix not in (".ipynb", ".zip"):
            raise NotGradable(f"not a notebook: {path.name} (submit the .ipynb or its .zip)")
        assignment = assignment_of(read_notebook(path), given)
        try:
            autograder = autograder_zip(assignment)
        except FileNotFoundError as err:
            raise NotGradable(str(err)) from None
        maximum = total_points(autograder)
        results = run_otter(path, autograder, timeout)
        rows = question_rows(results)
        if not rows:
            raise NotGradable("otter returned no question scores")
    except NotGradable as reason:
        rows = [{"question": SUBMISSION, "score": 0, "max": maximum, "note": str(reason)}]
    return assignment, rows, results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("submissions", type=Path, help="folder of submitted notebooks")
    parser.add_argument("--assignment", help="assignment name (default: from each notebook)")
    parser.add_argument("--out", type=Path, default=ROOT / "_build" / "grades")
    parser.add_argument("--timeout", type=float, default=900,
                        help="seconds per submission (default 900)")
    args = parser.parse_args(argv)
    if not args.submissions.is_dir():
        parser.error(f"SUBMISSIONS must be a folder of notebooks, got {args.submissions}")
    if args.timeout <= 0:
        parser.error(f"--timeout must be a positive number of seconds, got {args.timeout}")
    files = sorted(p for p in args.submissions.iterdir()
                   if p.is_file() and not p.name.startswith("."))
    if not files:
        parser.error(f"no submissions in {args.submissions}")
    (args.out / "feedback").mkdir(parents=True, exist_ok=True)
    (args.out / "results").mkdir(exist_ok=True)
    print(f"grading {len(files)} submissions with the autograders in {ASSIGNMENTS}")

    all_rows = []
    for path in files:
        student = path.stem
        assignment, rows, results = grade_one(path, args.assignment, args.timeout)
        for row in rows:
            all_rows.append({"student": student, "assignment": assignment, **row})
        (args.out / "feedback" / f"{student}.txt").write_text(
            feedback(student, assignment, rows, results))
        if results is not None:
            (args.out / "results" / f"{student}.json").write_text(json.dumps(results, indent=1))
        scored = sum(float(r["score"]) for r in rows)
        possible = sum(float(r["max"] or 0) for r in rows)
        note = rows[0]["note"] if rows[0]["question"] == SUBMISSION else ""
        print(f"  {student:24s} {scored:g} / {possible:g}  {note}", flush=True)

    with open(args.out / "grades.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerows(all_rows)
    print(f"grades: {args.out / 'grades.csv'}; feedback: {args.out / 'feedback'}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
