"""Grade a folder of submitted notebooks with otter-grader (``make grade SUBMISSIONS=dir``).

Every file in the folder is one student's submission (the student is the file name
without its extension): a student notebook ``.ipynb`` or the ``.zip`` that its export
cell writes. Each is executed and graded by ``otter run`` against the autograder that
``make assignments`` built. The assignment is read from the notebook's metadata
(``otter.assignment_name``) unless ``--assignment`` names it.

**Untrusted code.** Each ``otter run`` (and so the student's kernel) runs in its own
sandbox (``scripts/sandbox.py``: bubblewrap, no network, read-only filesystem but its own
scratch, caps on memory, processes, CPU and wall time), several at once (``--jobs``).
Nothing from inside is trusted: the grader unpickles nothing; it reads one JSON result,
and accepts it only if it names exactly the assignment's questions with numeric scores
between 0 and each question's points (taken from the autograder, not from the result).
Without bubblewrap the script stops and says what to do; ``--unsafe`` grades without a
sandbox and says so in every row.

Writes, in ``--out`` (default ``_build/grades``):

- ``grades.csv``: one row per student and question (``student, assignment, question,
  score, max, note, flags``). A submission that is not a notebook, cannot be graded, hits
  a cap ("exceeded the memory limit of 4 GiB") or returns no valid result gets one row
  with question ``(submission)``, score 0, the assignment's maximum when known and the
  reason in ``note``; the other submissions are graded as usual. ``flags`` lists what in
  the student's own code (cells that are not in the handed-out notebook) touches otter,
  the grader object, result files or the interpreter's machinery, for a person to look at.
- ``feedback/STUDENT.txt``: the student's scores and the output of every failed test;
- ``results/STUDENT.json``: the validated result (question, score, max, output);
- ``logs/STUDENT.log``: the end of the sandbox's console output and its resource use.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import re
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from scripts import sandbox  # noqa: E402
from scripts.assignments import OUT as ASSIGNMENTS  # noqa: E402
from scripts.assignments import autograder_zip  # noqa: E402

FIELDS = ["student", "assignment", "question", "score", "max", "note", "flags"]
SUBMISSION = "(submission)"
UNSAFE_NOTE = "UNSAFE: graded without a sandbox"
# What comes from inside the sandbox and reaches a person (feedback/STUDENT.txt, which the
# course sends to the student, and the note in grades.csv) is a channel out of it: each
# failed test's output is cut to MAX_TEST_OUTPUT characters, a note to MAX_NOTE, and both
# are stripped of control characters (terminal escapes included) but newline and tab.
MAX_TEST_OUTPUT = 4_000
MAX_NOTE = 200
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-_]|[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def from_inside(text: str, limit: int) -> str:
    """``text`` from the sandbox as a person may read it: no control characters, at most
    ``limit`` characters (a cut one ends saying so)."""
    text = _ESCAPES.sub("", text)
    if len(text) <= limit:
        return text
    marker = f" [... cut at {limit} characters]"
    return text[:limit - len(marker)] + marker

# Inside the sandbox: grade, then hand the result over as JSON (otter's own pickles stay
# inside). $WORK holds submission.* and autograder.zip, read-only.
OTTER_COMMAND = (
    'mkdir "$WORK/out" && otter run -a "$WORK/autograder.zip" -o "$WORK/out" '
    '"$WORK/{submission}"; status=$?; '
    'if [ -f "$WORK/out/results.json" ]; then cat "$WORK/out/results.json" >&"$RESULT_FD"; fi; '
    'exit $status')

# What, in a student's own code, deserves a human look (it may be innocent).
FLAGS = {
    "uses otter": re.compile(r"\botter\b"),
    "uses the grader object": re.compile(
        r"\bgrader\s*(=[^=]|\.(?!(check|export|check_all)\s*\())"),
    "names a results file": re.compile(r"results\.(pkl|json)|OTTER_LOG|\.otter\b"),
    "patches the interpreter": re.compile(
        r"\bsys\.modules\b|__builtins__|\bbuiltins\b|\bsetattr\s*\(|\bgc\.get_(referrers|objects)"
        r"|\bsys\._getframe|\binspect\.(stack|currentframe)|__code__|\bglobals\s*\(\s*\)\s*\["),
    "starts processes or opens connections": re.compile(
        r"\bsubprocess\b|\bos\.(system|fork|exec\w*|popen|kill|spawn\w*)\b|\bsocket\b"
        r"|\bctypes\b|/proc/|\bmultiprocessing\b"),
}


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
                if archive.getinfo(names[0]).file_size > 200 * sandbox.MiB:
                    raise NotGradable("the notebook in the zip is larger than 200 MiB")
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
    if not isinstance(name, str) or not re.fullmatch(r"[\w-]+", name):
        raise NotGradable(f"unknown assignment name {str(name)[:40]!r}")
    return name


def questions_of(autograder: Path) -> dict[str, float]:
    """{question: points} from the autograder's test files."""
    found = {}
    with zipfile.ZipFile(autograder) as archive:
        for name in archive.namelist():
            if name.startswith("tests/") and name.endswith(".py"):
                text = archive.read(name).decode()
                points = re.search(r"^points = ([\d.]+)", text, re.MULTILINE)
                found[Path(name).stem] = float(points.group(1)) if points else 0.0
    return found


def validated(result: bytes, truncated: bool, questions: dict[str, float]) -> list[dict]:
    """The rows of a result from the sandbox; NotGradable unless it is exactly what otter
    writes for this assignment: every question once, numeric scores in [0, points]."""
    def invalid(why: str) -> NotGradable:
        return NotGradable(f"the sandbox returned an invalid result: {why}")

    if truncated:
        raise invalid("larger than 8 MiB")
    try:
        data = json.loads(result.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise invalid(f"not JSON ({err})") from None
    tests = data.get("tests") if isinstance(data, dict) else None
    if not isinstance(tests, list) or not all(isinstance(t, dict) for t in tests):
        raise invalid("no list of tests")
    rows = {}
    for test in tests:
        name, score = test.get("name"), test.get("score")
        if "score" not in test and name not in questions:
            continue  # otter's summary entries ("Public Tests") carry no score
        if name not in questions:
            raise invalid(f"unknown question {str(name)[:40]!r}")
        if name in rows:
            raise invalid(f"question {name} twice")
        if (not isinstance(score, (int, float)) or isinstance(score, bool)
                or not math.isfinite(score) or not 0 <= score <= questions[name]):
            raise invalid(f"score {str(score)[:20]} of {name} is not a number in "
                          f"[0, {questions[name]:g}]")
        output = test.get("output")
        rows[name] = {"question": name, "score": score, "max": questions[name], "note": "",
                      "output": from_inside(output, MAX_TEST_OUTPUT)
                      if isinstance(output, str) else ""}
    missing = sorted(set(questions) - set(rows))
    if missing:
        raise invalid(f"no score for {', '.join(missing)}")
    return [rows[q] for q in sorted(rows)]


def flags(nb: dict, handed_out: dict | None) -> str:
    """What the student's own code (code cells not in the handed-out notebook) touches."""
    given = {"".join(c.get("source", "")) for c in (handed_out or {}).get("cells", [])}
    found = []
    for i, cell in enumerate(nb.get("cells", [])):
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        if cell.get("cell_type") != "code" or source in given:
            continue
        for label, pattern in FLAGS.items():
            match = pattern.search(source)
            if match and not any(label in f for f in found):
                found.append(f"{label} (cell {i}: `{match.group(0)[:30]}`)")
    return "; ".join(found)


def handed_out_notebook(assignment: str) -> dict | None:
    path = ASSIGNMENTS / assignment / "student" / f"{assignment}.ipynb"
    return json.loads(path.read_text()) if path.is_file() else None


def size_text(n: int) -> str:
    for unit, size in (("GiB", sandbox.GiB), ("MiB", sandbox.MiB)):
        if n >= size:
            return f"{n / size:g} {unit}"
    return f"{n} bytes"


def cap_note(caps: tuple[str, ...], limits: sandbox.Limits) -> str:
    """One sentence naming every cap that was hit, e.g. "exceeded the memory limit of 4
    GiB"; a time-out is said as before ("timed out: grading took longer than 900 s")."""
    notes = {"memory": f"the memory limit of {size_text(limits.memory)}",
             "processes": f"the process limit of {limits.processes} processes and threads"}
    parts = []
    if "wall time" in caps:
        parts.append(f"timed out: grading took longer than {limits.wall:g} s")
    exceeded = [notes[c] for c in caps if c in notes]
    if exceeded:
        parts.append("exceeded " + " and ".join(exceeded))
    return "; ".join(parts)


class Grader:
    """Grades one submission at a time, in its own sandbox; safe to call from threads."""

    def __init__(self, args, limits: sandbox.Limits, out: Path):
        self.args, self.limits, self.out = args, limits, out
        # What the sandbox shows besides its system allowlist and the Python running this:
        # the installed course package (``utils``), nothing else of the checkout.
        self.keep = [course_package()]

    def grade(self, path: Path) -> tuple[str, list[dict], str]:
        """(assignment, rows, log) for one submission file."""
        assignment, maximum, log, found = self.args.assignment or "", "", "", ""
        try:
            if path.suffix not in (".ipynb", ".zip"):
                raise NotGradable(f"not a notebook: {path.name} (submit the .ipynb or its .zip)")
            nb = read_notebook(path)
            assignment = assignment_of(nb, self.args.assignment)
            found = flags(nb, handed_out_notebook(assignment))
            try:
                autograder = autograder_zip(assignment)
            except FileNotFoundError as err:
                raise NotGradable(str(err)) from None
            questions = questions_of(autograder)
            maximum = sum(questions.values())
            submission = f"submission{path.suffix}"
            outcome = sandbox.run(
                OTTER_COMMAND.format(submission=submission), limits=self.limits,
                keep=self.keep, confined=not self.args.unsafe,
                expose={submission: path.resolve(), "autograder.zip": autograder})
            log = (f"# {path.name}: exit {outcome.returncode}, {outcome.seconds:.1f} s, "
                   f"peak memory {size_text(outcome.peak_memory or 0)}, peak processes "
                   f"{outcome.peak_processes}, output {outcome.output_bytes} bytes, caps by "
                   f"{outcome.mechanism}\n{outcome.output}")
            if outcome.exceeded:
                raise NotGradable(cap_note(outcome.exceeded, self.limits))
            if not outcome.result:
                last = [line for line in outcome.output.splitlines() if line.strip()][-1:]
                raise NotGradable(f"otter run failed (exit {outcome.returncode}): "
                                  f"{from_inside((last or ['no output'])[0], MAX_NOTE)}")
            rows = validated(outcome.result, outcome.result_truncated, questions)
        except NotGradable as reason:
            rows = [{"question": SUBMISSION, "score": 0, "max": maximum, "note": str(reason),
                     "output": ""}]
        for row in rows:
            row["flags"] = found
            if self.args.unsafe:
                row["note"] = f"{UNSAFE_NOTE}; {row['note']}" if row["note"] else UNSAFE_NOTE
        return assignment, rows, log


def course_package() -> Path:
    """The folder of the installed course package ``utils`` (the checkout's ``utils/`` for
    an editable install, or in site-packages)."""
    import importlib.util

    spec = importlib.util.find_spec("utils")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("the course package utils is not installed: run `make test` once "
                         "(or `pip install -e .`)")
    return Path(next(iter(spec.submodule_search_locations))).resolve()


def feedback(student: str, assignment: str, rows: list[dict]) -> str:
    lines = [f"{student}: {assignment}", ""]
    for row in rows:
        lines.append(f"{row['question']:24s} {row['score']:g} / {row['max'] or 0:g}  "
                     f"{row['note']}".rstrip())
    total = sum(float(r["score"]) for r in rows)
    maximum = sum(float(r["max"] or 0) for r in rows)
    lines += ["", f"total: {total:g} / {maximum:g}"]
    for row in rows:
        if row["question"] != SUBMISSION and row["score"] < row["max"]:
            lines += ["", f"--- {row['question']}: what failed", row["output"].rstrip()]
    return "\n".join(lines) + "\n"


def parse_size(text: str) -> int:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMG]?)i?B?\s*", str(text), re.IGNORECASE)
    if not match:
        raise argparse.ArgumentTypeError(
            f"a size such as 4G, 512M or 4294967296 (bytes), got {text!r}")
    factor = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}[match.group(2).upper()]
    return int(float(match.group(1)) * factor)


def default_jobs(memory: int) -> int:
    """One submission per core, but no more than fit in memory at their cap each."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    try:
        ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        ram = cores * memory
    return max(1, min(cores or 1, ram // memory))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("submissions", type=Path, help="folder of submitted notebooks")
    parser.add_argument("--assignment", help="assignment name (default: from each notebook)")
    parser.add_argument("--out", type=Path, default=ROOT / "_build" / "grades")
    parser.add_argument("--timeout", type=float, default=900,
                        help="wall-time cap per submission, seconds (default 900)")
    parser.add_argument("--memory", type=parse_size, default=4 * sandbox.GiB,
                        help="memory cap per submission, whole process tree (default 4G)")
    parser.add_argument("--processes", type=int, default=512,
                        help="processes and threads per submission (default 512)")
    parser.add_argument("--cpus", type=int, default=1,
                        help="CPU cores (quota and threads) per submission (default 1)")
    parser.add_argument("--jobs", type=int, default=0,
                        help="submissions graded at once (default: cores, as memory allows)")
    parser.add_argument("--unsafe", action="store_true",
                        help="grade without a sandbox (only for submissions you trust)")
    args = parser.parse_args(argv)
    if not args.submissions.is_dir():
        parser.error(f"SUBMISSIONS must be a folder of notebooks, got {args.submissions}")
    try:
        limits = sandbox.Limits(memory=args.memory, processes=args.processes, cpus=args.cpus,
                                wall=args.timeout)
    except ValueError as err:
        parser.error(str(err).replace("Limits.wall", "--timeout (TIMEOUT)")
                     .replace("Limits.", "--"))
    if args.jobs < 0:
        parser.error(f"--jobs (JOBS) must be a positive number, got {args.jobs}")
    files = sorted(p for p in args.submissions.iterdir()
                   if p.is_file() and not p.name.startswith("."))
    if not files:
        parser.error(f"no submissions in {args.submissions}")
    if args.unsafe:
        print(f"WARNING: {UNSAFE_NOTE}: the submitted code runs as you, with your files "
              "and network. Only for submissions you trust.", file=sys.stderr)
    else:
        try:
            sandbox.check()
        except sandbox.Unavailable as err:
            print(f"make grade: {err}", file=sys.stderr)
            return 2
    jobs = args.jobs or default_jobs(limits.memory)
    out = args.out
    for folder in ("feedback", "results", "logs"):
        (out / folder).mkdir(parents=True, exist_ok=True)
    print(f"grading {len(files)} submissions, {jobs} at a time, each "
          f"{'UNSANDBOXED' if args.unsafe else 'in a sandbox'} with at most "
          f"{size_text(limits.memory)}, {limits.processes} processes, {limits.cpus} CPU, "
          f"{limits.wall:g} s (caps by {sandbox.mechanism()}); autograders in {ASSIGNMENTS}",
          flush=True)

    grader, graded = Grader(args, limits, out), {}
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(grader.grade, path): path for path in files}
        for done, future in enumerate(as_completed(futures), 1):
            path = futures[future]
            graded[path] = assignment, rows, log = future.result()
            scored = sum(float(r["score"]) for r in rows)
            possible = sum(float(r["max"] or 0) for r in rows)
            note = rows[0]["note"] if rows[0]["question"] == SUBMISSION else ""
            print(f"  [{done}/{len(files)}] {path.stem:24s} {scored:g} / {possible:g}  {note}",
                  flush=True)

    all_rows = []
    for path in files:  # the input's order, whatever order the jobs finished in
        assignment, rows, log = graded[path]
        student = path.stem
        all_rows += [{"student": student, "assignment": assignment,
                      **{k: r[k] for k in FIELDS[2:]}} for r in rows]
        (out / "feedback" / f"{student}.txt").write_text(feedback(student, assignment, rows))
        (out / "logs" / f"{student}.log").write_text(log)
        if rows[0]["question"] != SUBMISSION:
            (out / "results" / f"{student}.json").write_text(json.dumps(rows, indent=1))
    with open(out / "grades.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerows(all_rows)
    print(f"grades: {out / 'grades.csv'}; feedback: {out / 'feedback'}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
