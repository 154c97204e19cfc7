"""Grade a folder of submitted notebooks (``make grade SUBMISSIONS=dir``).

Every file in the folder is one student's submission (the student is the file name
without its extension): a student notebook ``.ipynb`` or the ``.zip`` that its export
cell writes. The assignment is read from the notebook's metadata
(``otter.assignment_name``) unless ``--assignment`` names it.

**Two sandboxes per submission, and only data between them** (``grading/sandbox.py``:
bubblewrap, no network, read-only filesystem but its own scratch, caps on memory,
processes, CPU and wall time):

1. **The student's sandbox** runs the notebook in a Jupyter kernel
   (``grading/inside/run_notebook.py``), then, in the same kernel, turns each graded
   question's answer into arrays (``grading/inside/answers.py``): numbers as they are, a
   network's or a function's outputs on the checker's queries (``queries.npz``: inputs
   only). It holds nothing of the hidden checks or their reference data. What comes back
   is one ``.npz`` of plain arrays.
2. **The checker's sandbox** (``grading/checker/checks.py``) reads those arrays with
   ``allow_pickle=False`` next to the reference data and says, per question, passed or
   failed and why. It never imports, unpickles or runs anything of the submission.

The queries and references are made once per assignment and run by the grader itself
(``grading/checker/queries.py``, the course's own code). The grader reads one JSON verdict
and accepts it only if it names exactly the assignment's questions; each question scores
its ``points`` (from the lecturer's notebook) when passed, else 0. Without bubblewrap the
script stops and says what to do; ``--unsafe`` grades without sandboxes and says so in
every row.

Writes, in ``--out`` (default ``_build/grades``):

- ``grades.csv``: one row per student and question (``student, assignment, question,
  score, max, note, flags``). A submission that is not a notebook, cannot be graded, hits
  a cap ("exceeded the memory limit of 4 GiB") or returns no answers gets one row with
  question ``(submission)``, score 0, the assignment's maximum when known and the reason
  in ``note``; the other submissions are graded as usual. ``flags`` lists what in the
  student's own code (cells that are not in the handed-out notebook) touches otter, the
  grader object, result files or the interpreter's machinery, for a person to look at.
- ``feedback/STUDENT.txt``: the student's scores and, for each failed question, the
  checker's reason;
- ``results/STUDENT.json``: the validated result (question, score, max, output);
- ``logs/STUDENT.log``: the end of both sandboxes' console output and their resource use.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import re
import shutil
import sys
import tempfile
import threading
import zipfile
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from grading import sandbox  # noqa: E402
from grading.checker import queries as checker_queries  # noqa: E402
from scripts.assignments import OUT as ASSIGNMENTS  # noqa: E402
from scripts.assignments import questions as notebook_questions  # noqa: E402

HERE = Path(__file__).resolve().parent
INSIDE = HERE / "inside"  # the only grading code that enters a student's sandbox
CHECKS = HERE / "checker" / "checks.py"

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

# The student's sandbox: run the notebook, send its answers (an .npz) to the result channel.
STUDENT_COMMAND = 'python run_notebook.py {assignment} {questions}'
# The checker's sandbox: judge the answers, send the verdict (JSON) to the result channel.
CHECKER_COMMAND = 'python checks.py {questions}'
# What the student's side may send back (02's answers, the largest, are ~5 MiB), and the
# checker's caps (it reads arrays and compares; ~0.3 s and 100 MiB measured).
MAX_ANSWERS = 32 * sandbox.MiB
CHECKER_LIMITS = sandbox.Limits(memory=1 * sandbox.GiB, processes=16, cpus=1, wall=300)
# The student's exit codes (run_notebook.py), in the course's words.
STOPPED = {3: "its kernel died or exited before the answers were collected",
           4: "its answers could not be collected (see the note of each question in the "
              "notebook: the last cell raised, or nothing was written)"}

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


def questions_of(assignment: str) -> dict[str, float]:
    """{question: points} of an assignment, from the lecturer's notebook."""
    import nbformat

    path = ROOT / "notebooks" / f"{assignment}.ipynb"
    if not path.is_file():
        raise NotGradable(f"unknown assignment {assignment!r}: no notebooks/{assignment}.ipynb")
    return {q["name"]: float(q["config"].get("points", 1))
            for q in notebook_questions(nbformat.read(path, as_version=4))}


def validated(result: bytes, truncated: bool, questions: dict[str, float]) -> list[dict]:
    """The rows of the checker's verdict; NotGradable unless it is exactly what the
    checker writes for this assignment: every question once, passed or not, a message."""
    def invalid(why: str) -> NotGradable:
        return NotGradable(f"the checker returned an invalid verdict: {why}")

    if truncated:
        raise invalid("larger than its cap")
    try:
        data = json.loads(result.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise invalid(f"not JSON ({err})") from None
    verdicts = data.get("questions") if isinstance(data, dict) else None
    if not isinstance(verdicts, dict) or set(verdicts) != set(questions):
        raise invalid("it does not name exactly the assignment's questions")
    rows = []
    for name in sorted(questions):
        verdict = verdicts[name]
        passed = verdict.get("passed") if isinstance(verdict, dict) else None
        message = verdict.get("message") if isinstance(verdict, dict) else None
        if not isinstance(passed, bool) or not isinstance(message, str):
            raise invalid(f"no verdict for {name}")
        rows.append({"question": name, "score": questions[name] if passed else 0,
                     "max": questions[name], "note": "",
                     "output": from_inside(message, MAX_TEST_OUTPUT)})
    return rows


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
    """Grades one submission at a time, in its own two sandboxes; safe to call from threads."""

    def __init__(self, args, limits: sandbox.Limits, out: Path, scratch: Path):
        self.args, self.limits, self.out, self.scratch = args, limits, out, scratch
        # What the student's sandbox shows besides its system allowlist and the Python
        # running this: the installed course package (``utils``), nothing else of the
        # checkout (not ``grading/``: the checks and references are not there).
        self.keep = [course_package()]
        self._prepared: dict[str, tuple[Path, Path]] = {}
        self._lock = threading.Lock()

    def prepared(self, assignment: str) -> tuple[Path, Path]:
        """(queries.npz, references.npz) of an assignment, made once per run."""
        with self._lock:
            if assignment not in self._prepared:
                queries, refs = checker_queries.prepare(assignment)
                folder = self.scratch / assignment
                folder.mkdir()
                self._prepared[assignment] = (
                    checker_queries.save(queries, folder / "queries.npz"),
                    checker_queries.save(refs, folder / "references.npz"))
            return self._prepared[assignment]

    def grade(self, path: Path) -> tuple[str, list[dict], str]:
        """(assignment, rows, log) for one submission file."""
        assignment, maximum, log, found = self.args.assignment or "", "", "", ""
        try:
            if path.suffix not in (".ipynb", ".zip"):
                raise NotGradable(f"not a notebook: {path.name} (submit the .ipynb or its .zip)")
            nb = read_notebook(path)
            assignment = assignment_of(nb, self.args.assignment)
            found = flags(nb, handed_out_notebook(assignment))
            questions = questions_of(assignment)
            maximum = sum(questions.values())
            queries, references = self.prepared(assignment)
            logs: list[str] = []  # filled as the sandboxes finish, also when one fails
            try:
                rows = self._run(path, nb, assignment, questions, queries, references, logs)
            finally:
                log = "\n".join(logs)
        except NotGradable as reason:
            rows = [{"question": SUBMISSION, "score": 0, "max": maximum, "note": str(reason),
                     "output": ""}]
        for row in rows:
            row["flags"] = found
            if self.args.unsafe:
                row["note"] = f"{UNSAFE_NOTE}; {row['note']}" if row["note"] else UNSAFE_NOTE
        return assignment, rows, log

    def _run(self, path, nb, assignment, questions, queries, references, logs: list[str]):
        names = " ".join(sorted(questions))
        with tempfile.TemporaryDirectory(dir=self.scratch) as folder:
            notebook = Path(folder) / f"{assignment}.ipynb"
            notebook.write_text(json.dumps(nb))
            student = sandbox.run(
                STUDENT_COMMAND.format(assignment=assignment, questions=names),
                limits=self.limits, keep=self.keep, confined=not self.args.unsafe,
                result_cap=MAX_ANSWERS,
                expose={notebook.name: notebook, "queries.npz": queries,
                        "answers.py": INSIDE / "answers.py",
                        "run_notebook.py": INSIDE / "run_notebook.py"})
            logs.append(f"# {path.name}: student's sandbox: {describe(student)}\n{student.output}")
            if student.exceeded:
                raise NotGradable(cap_note(student.exceeded, self.limits))
            if student.result_truncated:
                raise NotGradable(f"the answers were larger than {size_text(MAX_ANSWERS)}")
            if not student.result:
                why = STOPPED.get(student.returncode, f"grading it failed (exit "
                                                      f"{student.returncode})")
                raise NotGradable(f"no answers came back from the notebook: {why}")
            answers = Path(folder) / "answers.npz"
            answers.write_bytes(student.result)
            checker = sandbox.run(
                CHECKER_COMMAND.format(questions=names), limits=CHECKER_LIMITS,
                confined=not self.args.unsafe, result_cap=sandbox.MiB,
                expose={"checks.py": CHECKS, "answers.npz": answers,
                        "references.npz": references})
        logs.append(f"# checker's sandbox: {describe(checker)}\n{checker.output}")
        if checker.exceeded or not checker.result:
            raise NotGradable("the checker could not judge the answers ("
                              + (cap_note(checker.exceeded, CHECKER_LIMITS)
                                 or f"exit {checker.returncode}") + ")")
        return validated(checker.result, checker.result_truncated, questions)


def describe(outcome: sandbox.Outcome) -> str:
    return (f"exit {outcome.returncode}, {outcome.seconds:.1f} s, peak memory "
            f"{size_text(outcome.peak_memory or 0)}, peak processes {outcome.peak_processes}, "
            f"output {outcome.output_bytes} bytes, caps by {outcome.mechanism}")


def course_package() -> Path:
    """The folder of the installed course package ``utils`` (the checkout's ``utils/`` for
    an editable install, or in site-packages)."""
    import importlib.util

    spec = importlib.util.find_spec("utils")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("the course package utils is not installed: run `make test` once "
                         "(or `pip install -e .`)")
    return Path(next(iter(spec.submodule_search_locations))).resolve()


def feedback(student: str, assignment: str, rows: list[dict], late: str = "",
             total: float | None = None) -> str:
    lines = [f"{student}: {assignment}", ""]
    for row in rows:
        lines.append(f"{row['question']:24s} {row['score']:g} / {row['max'] or 0:g}  "
                     f"{row['note']}".rstrip())
    score = sum(float(r["score"]) for r in rows)
    maximum = sum(float(r["max"] or 0) for r in rows)
    lines += ["", f"score: {score:g} / {maximum:g}"]
    if late:
        lines += [f"late: {late}"]
    lines += [f"total: {score if total is None else total:g} / {maximum:g}"]
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


def new_run(grades: Path) -> tuple[str, Path]:
    """(name, folder) of a new run in ``grades/runs/``: named by the time (UTC), never the
    folder of an earlier run."""
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H-%M-%SZ")
    (grades / "runs").mkdir(parents=True, exist_ok=True)
    for k in range(1, 1000):
        run = stamp if k == 1 else f"{stamp}-{k}"
        try:
            (grades / "runs" / run).mkdir()
        except FileExistsError:
            continue
        for folder in ("feedback", "results", "logs"):
            (grades / "runs" / run / folder).mkdir()
        return run, grades / "runs" / run
    raise RuntimeError(f"cannot make a new run folder in {grades / 'runs'}")


def main(argv=None) -> int:
    from grading import collect, gradebook
    from scripts.release import schedule

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("submissions", type=Path,
                        help="folder of hand-ins: plain, or an LMS download (Moodle, Canvas)")
    parser.add_argument("--roster", type=Path, help="CSV with the columns id, name, email")
    parser.add_argument("--assignment", help="assignment name (default: from each notebook)")
    parser.add_argument("--grades", type=Path, default=ROOT / "grades",
                        help="the term's grades folder (default grades/): every run is kept")
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
        parser.error(f"SUBMISSIONS must be a folder of hand-ins (unpack an LMS download "
                     f"first), got {args.submissions}")
    try:
        limits = sandbox.Limits(memory=args.memory, processes=args.processes, cpus=args.cpus,
                                wall=args.timeout)
    except ValueError as err:
        parser.error(str(err).replace("Limits.wall", "--timeout (TIMEOUT)")
                     .replace("Limits.", "--"))
    if args.jobs < 0:
        parser.error(f"--jobs (JOBS) must be a positive number, got {args.jobs}")
    course = gradebook.course_config()
    try:
        roster = collect.read_roster(args.roster) if args.roster else None
        policy = gradebook.LatePolicy.from_config(course)
        plan = schedule()
        due = gradebook.term_due(course)
    except (OSError, ValueError) as err:
        parser.error(str(err))
    found = collect.collect(args.submissions, roster, due, args.assignment)
    if not found.chosen and not found.problems:
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
    run, out = new_run(args.grades)
    report = [f"layout: {found.layout}; {len(found.chosen)} submissions graded"]
    report += ["", "not graded:"] + [f"  {p}" for p in found.problems] if found.problems else []
    report += ["", "several files:"] + [f"  {c}" for c in found.choices] if found.choices else []
    (out / "collected.txt").write_text("\n".join(report) + "\n")
    print("\n".join(report), flush=True)
    print(f"grading {len(found.chosen)} submissions, {jobs} at a time, each "
          f"{'UNSANDBOXED' if args.unsafe else 'in a sandbox'} with at most "
          f"{size_text(limits.memory)}, {limits.processes} processes, {limits.cpus} CPU, "
          f"{limits.wall:g} s (caps by {sandbox.mechanism()}); checked in a sandbox of its own",
          flush=True)

    scratch = Path(tempfile.mkdtemp(prefix="dl4phys-grading-"))
    scratch.chmod(0o700)  # the references: readable by the grader only
    grader, graded = Grader(args, limits, out, scratch), {}
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(grader.grade, h.path): h for h in found.chosen}
        for done, future in enumerate(as_completed(futures), 1):
            hand_in = futures[future]
            graded[id(hand_in)] = assignment, rows, log = future.result()
            scored = sum(float(r["score"]) for r in rows)
            possible = sum(float(r["max"] or 0) for r in rows)
            note = rows[0]["note"] if rows[0]["question"] == SUBMISSION else ""
            print(f"  [{done}/{len(found.chosen)}] {hand_in.student.key:24s} {assignment:16s} "
                  f"{scored:g} / {possible:g}  {note}", flush=True)
    shutil.rmtree(scratch, ignore_errors=True)

    all_rows, book_rows = [], []
    for hand_in in found.chosen:  # in the collection's order, whatever order jobs finished in
        assignment, rows, log = graded[id(hand_in)]
        student = hand_in.student
        score = sum(float(r["score"]) for r in rows)
        late = gradebook.days_late(hand_in.time, due.get(assignment))
        late = max(late, 1) if hand_in.lms_late else late  # Canvas's own LATE_ mark
        total, late_note = policy.apply(score, late)
        all_rows += [{"student": student.key, "assignment": assignment,
                      **{k: r[k] for k in FIELDS[2:] if k != "student"}} for r in rows]
        stem = f"{student.key}_{assignment or 'unknown'}"
        (out / "feedback" / f"{stem}.txt").write_text(
            feedback(student.name or student.key, assignment, rows, late_note, total))
        (out / "logs" / f"{stem}.log").write_text(log)
        if rows[0]["question"] != SUBMISSION:
            (out / "results" / f"{stem}.json").write_text(json.dumps(rows, indent=1))
        book_rows.append({
            "student": student.key, "name": student.name, "email": student.email,
            "assignment": assignment, "score": f"{score:g}",
            "max": f"{sum(float(r['max'] or 0) for r in rows):g}", "days_late": late,
            "total": f"{total:g}", "late_note": late_note,
            "submitted": f"{hand_in.time:%Y-%m-%d %H:%M:%S} UTC ({hand_in.time_from})",
            "file": str(hand_in.path.relative_to(args.submissions))})
    with open(out / "grades.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerows(all_rows)
    changes = gradebook.update(args.grades, run, [r for r in book_rows if r["assignment"]])
    maxima = {}
    for name in plan:
        try:
            maxima[name] = sum(questions_of(name).values())
        except NotGradable:
            pass
    gradebook.write_exports(args.grades, maxima)
    print(f"this run: {out}/ (grades.csv, feedback/, collected.txt)")
    print(f"the term: {args.grades / 'gradebook.csv'}, term.csv, moodle.csv, canvas.csv")
    if changes:
        print("grades changed by this run:\n" + "\n".join(f"  {c}" for c in changes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
