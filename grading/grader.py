"""Grading one hand-in: the student's sandbox, then the checker's, and only data between.

**Two sandboxes per submission** (``grading/sandbox.py``: bubblewrap, no network,
read-only filesystem but its own scratch, caps on memory, processes, CPU and wall time):

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
its ``points`` (from the lecturer's notebook) when passed, else 0.
"""

from __future__ import annotations

import json
import re
import tempfile
import threading
from pathlib import Path

from course import notebooks as course_notebooks
from course.paths import ASSIGNMENTS
from grading import handin, sandbox
from grading.checker import queries as checker_queries
from grading.handin import NotGradable


class MachineryFailure(Exception):
    """Grading failed for a reason that is not the student's: a sandbox that did not start,
    the checker failing, the host's disk or memory. Retried, then reported as not graded;
    never a zero, never stored, never replacing a grade."""


HERE = Path(__file__).resolve().parent
INSIDE = HERE / "inside"  # the only grading code that enters a student's sandbox
CHECKS = HERE / "checker" / "checks.py"

SUBMISSION = "(submission)"  # the question of a hand-in's single row when it is not graded
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
# checker's caps (it reads arrays and compares: well under its caps; benchmarks/README.md
# has what it took).
MAX_ANSWERS = 32 * sandbox.MiB
CHECKER_LIMITS = sandbox.Limits(memory=1 * sandbox.GiB, processes=16, cpus=1, wall=300)
# What run_notebook.py prints first: without it the student's sandbox never started.
STARTED = "GRADING: started"
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


def assignment_of(nb: dict, given: str | None) -> str:
    """The assignment to grade ``nb`` as: ``given`` (``--assignment``), else its own."""
    name = given or handin.assignment_name(nb)
    if not name:
        raise NotGradable("cannot tell which assignment this is (no otter metadata): "
                          "grade it with --assignment NAME")
    if not isinstance(name, str) or not re.fullmatch(r"[\w-]+", name):
        raise NotGradable(f"unknown assignment name {str(name)[:40]!r}")
    return name


def questions_of(assignment: str) -> dict[str, float]:
    """{question: points} of an assignment, from the lecturer's notebook."""
    if assignment not in course_notebooks.names():
        raise NotGradable(f"unknown assignment {assignment!r}: no notebooks/{assignment}.ipynb")
    return course_notebooks.points(assignment)


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
        source = handin.source(cell)
        if cell.get("cell_type") != "code" or source in given:
            continue
        for label, pattern in FLAGS.items():
            match = pattern.search(source)
            if match and not any(label in f for f in found):
                found.append(f"{label} (cell {i}: `{match.group(0)[:30]}`)")
    return "; ".join(found)


def handed_out_path(assignment: str) -> Path:
    """The student notebook of ``assignment`` as handed out (``make assignments``)."""
    return ASSIGNMENTS / assignment / "student" / f"{assignment}.ipynb"


def handed_out_notebook(assignment: str) -> dict | None:
    path = handed_out_path(assignment)
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

    def __init__(self, limits: sandbox.Limits, scratch: Path, assignment: str | None = None,
                 unsafe: bool = False, prepared_in: Path | None = None):
        """``scratch``: a private folder for this process's copies of the hand-ins;
        ``prepared_in``: where each assignment's queries and references are (made there
        once, by the first grader that needs them; default ``scratch``)."""
        self.limits, self.scratch = limits, scratch
        self.assignment, self.unsafe = assignment, unsafe
        self.prepared_in = prepared_in or scratch
        # What the student's sandbox shows besides its system allowlist and the Python
        # running this: the installed course package (``utils``), nothing else of the
        # checkout (not ``grading/``: the checks and references are not there).
        self.keep = [course_package()]
        self._lock = threading.Lock()

    def prepared(self, assignment: str) -> tuple[Path, Path]:
        """(queries.npz, references.npz) of an assignment, made once."""
        folder = self.prepared_in / assignment
        paths = (folder / "queries.npz", folder / "references.npz")
        with self._lock:
            if not all(p.is_file() for p in paths):
                queries, refs = checker_queries.prepare(assignment)
                folder.mkdir(mode=0o700, parents=True, exist_ok=True)
                for arrays, path in zip((queries, refs), paths):
                    checker_queries.save(arrays, path.with_suffix(".tmp.npz"))
                    path.with_suffix(".tmp.npz").replace(path)
            return paths

    def grade(self, path: Path) -> tuple[str, list[dict], str]:
        """(assignment, rows, log) for one submission file. A student's failure is a row
        with its reason (score 0); :class:`MachineryFailure` when the machinery failed."""
        assignment, maximum, log, found = self.assignment or "", "", "", ""
        try:
            if path.suffix not in (".ipynb", ".zip"):
                raise NotGradable(f"not a notebook: {path.name} (submit the .ipynb or its .zip)")
            nb = handin.read(path).nb
            assignment = assignment_of(nb, self.assignment)
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
        except MachineryFailure:
            raise
        except Exception as err:  # noqa: BLE001 - the host's trouble (a full disk, ...), not the student's
            raise MachineryFailure(f"{type(err).__name__}: {str(err)[:200]}") from err
        for row in rows:
            row["flags"] = found
            if self.unsafe:
                row["note"] = f"{UNSAFE_NOTE}; {row['note']}" if row["note"] else UNSAFE_NOTE
        return assignment, rows, log

    def _run(self, path, nb, assignment, questions, queries, references, logs: list[str]):
        names = " ".join(sorted(questions))
        with tempfile.TemporaryDirectory(dir=self.scratch) as folder:
            notebook = Path(folder) / f"{assignment}.ipynb"
            notebook.write_text(json.dumps(nb))
            student = sandbox.run(
                STUDENT_COMMAND.format(assignment=assignment, questions=names),
                limits=self.limits, keep=self.keep, confined=not self.unsafe,
                result_cap=MAX_ANSWERS,
                expose={notebook.name: notebook, "queries.npz": queries,
                        "answers.py": INSIDE / "answers.py",
                        "run_notebook.py": INSIDE / "run_notebook.py"})
            logs.append(f"# {path.name}: student's sandbox: {describe(student)}\n{student.output}")
            if student.exceeded:
                raise NotGradable(cap_note(student.exceeded, self.limits))
            if student.result_truncated:
                raise NotGradable(f"the answers were larger than {size_text(MAX_ANSWERS)}")
            if not student.result and never_started(student):
                first = (student.output.strip().splitlines() or ["no output"])[0][:200]
                raise MachineryFailure(f"the student's sandbox did not start (exit "
                                       f"{student.returncode}: {first})")
            if not student.result:
                why = STOPPED.get(student.returncode, f"grading it failed (exit "
                                                      f"{student.returncode})")
                raise NotGradable(f"no answers came back from the notebook: {why}")
            answers = Path(folder) / "answers.npz"
            answers.write_bytes(student.result)
            checker = sandbox.run(
                CHECKER_COMMAND.format(questions=names), limits=CHECKER_LIMITS,
                confined=not self.unsafe, result_cap=sandbox.MiB,
                expose={"checks.py": CHECKS, "answers.npz": answers,
                        "references.npz": references})
        logs.append(f"# checker's sandbox: {describe(checker)}\n{checker.output}")
        if checker.exceeded or not checker.result:  # the checker is the course's own code
            raise MachineryFailure("the checker could not judge the answers ("
                                   + (cap_note(checker.exceeded, CHECKER_LIMITS)
                                      or f"exit {checker.returncode}") + ")")
        try:
            return validated(checker.result, checker.result_truncated, questions)
        except NotGradable as err:
            raise MachineryFailure(str(err)) from None


def never_started(outcome: sandbox.Outcome) -> bool:
    """Whether a student's sandbox failed before its first line (bubblewrap or the launcher
    failing): an exit without answers, no cap hit, its whole console output kept, and no
    start line from run_notebook.py in it."""
    return (outcome.returncode not in (0, None) and not outcome.exceeded
            and outcome.output_bytes <= len(outcome.output.encode())
            and STARTED not in outcome.output)


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


