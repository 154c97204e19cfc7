"""Writing a grading run: its folder in ``GRADES/runs/``, then the term's gradebook.

Per run (``GRADES/runs/RUN/``): ``grades.csv`` (one row per student and question:
``student, assignment, question, score, max, note, flags``), ``feedback/STUDENT_NAME.txt``
(the student's scores and, for each failed question, the checker's reason),
``results/STUDENT_NAME.json`` (the validated result), ``logs/STUDENT_NAME.log`` (the end of
both sandboxes' console output and their resource use), ``collected.txt`` and ``lms/``
(the feedback in the files that Moodle's and Canvas's uploads take, ``grading/lms.py``).
Every CSV cell goes through ``gradebook.safe_cell`` (no spreadsheet formulas). Then the
term's files (``grading/gradebook.py``): ``gradebook.csv``, ``history.csv``, ``term.csv``,
``moodle.csv``, ``canvas.csv``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from course.config import timezone
from course.schedule import assignment_of, day_text
from grading import gradebook, lms
from grading.grader import SUBMISSION, NotGradable, questions_of

FIELDS = ["student", "assignment", "question", "score", "max", "note", "flags"]
# Where the checker quotes the student's own text (grading/checker/checks.py): the course's
# words before and after it, so the student's part can be marked as theirs
QUOTED = [re.compile(r"^(your code raised an error while its answer was read: )(.*)()$", re.S),
          re.compile(r"^(`\w+` cannot classify \d+x\d+ lattices \()(.*)(\): a head that "
                     r"flattens .*)$", re.S),
          re.compile(r"^(`)(.*)(` has no answer yet .*)$", re.S),
          re.compile(r"^(no answers came back from the notebook: )(.*)()$", re.S)]
OPEN, CLOSE = "«", "»"  # around the student's own text in the feedback


def one_line(text: str) -> str:
    """``text`` on one line: each line break shown as ⏎, runs of spaces as one."""
    return " ".join(str(text).replace("\r", "\n").replace("\n", " ⏎ ").split())


def reason(text: str) -> str:
    """The checker's reason on one line, the student's own text in it between « and »."""
    text = str(text).strip()
    for pattern in QUOTED:
        match = pattern.match(text)
        if match:
            before, theirs, after = match.groups()
            theirs = theirs.replace(OPEN, "<").replace(CLOSE, ">")
            return one_line(f"{before}{OPEN}{one_line(theirs)}{CLOSE}{after}")
    return one_line(text)


def feedback(student: str, assignment: str, rows: list[dict], late: str = "",
             total: float | None = None, due: str = "", solutions: str = "") -> str:
    """What the student reads: each question's points and why, the late penalty, the
    total, and when the worked solution appears. Everything quoted from the student's own
    code is on one line between « and »; no line of it can pass for one of the course's."""
    lines = [f"{one_line(student)}: {assignment}" + (f" (due {due})" if due else ""), "",
             "Points per question, and why:"]
    failed = [r for r in rows if r["question"] != SUBMISSION and r["score"] < (r["max"] or 0)]
    for row in rows:
        why = ("not passed: what failed is below" if row in failed else
               reason(row["note"] or "not graded") if row["question"] == SUBMISSION
               else "passed")
        lines.append(f"  {row['question']:22s} {row['score']:g} / {row['max'] or 0:g}  {why}")
    score = sum(float(r["score"]) for r in rows)
    maximum = sum(float(r["max"] or 0) for r in rows)
    lines += ["", f"score: {score:g} / {maximum:g}"]
    if late:
        lines += [f"late: {one_line(late)}"]
    lines += [f"total: {score if total is None else total:g} / {maximum:g}", ""]
    for row in failed:
        lines += [f"--- {row['question']}: what failed",
                  f"  {reason(row.get('output') or row['note'] or 'the check did not pass')}",
                  ""]
    lines += [f"The worked solution is in the course's book from {solutions}." if solutions
              else "The worked solution appears in the course's book once its release date "
                   "is set."]
    if any(OPEN in line for line in lines[3:]):
        lines += [f"Text between {OPEN} and {CLOSE} is quoted from your own code's output, "
                  f"not the course's (line breaks shown as ⏎)."]
    return "\n".join(lines) + "\n"


def due_text(day) -> str:
    """"8 February 2027, 23:59 Europe/Berlin": the due moment in the course's words."""
    return f"{day_text(day)}, 23:59 {timezone().key}" if day else ""


def due_lines(plan) -> list[str]:
    """One line per assignment of the run: when it was due, in the course's time zone and
    in UTC (every time the grader prints is UTC)."""
    zone, lines = timezone(), []
    for name in sorted({h.assignment for h in plan.found.chosen if h.assignment}):
        due = plan.due.get(name)
        lines.append(f"{name} due {due.astimezone(zone):%Y-%m-%d %H:%M:%S} {zone.key} "
                     f"({due:%Y-%m-%d %H:%M:%S} UTC)" if due else f"{name}: no due date in "
                     "course.assignments, nothing is late")
    return lines


def write_run(plan, run: str, out: Path, graded: dict, failed: dict | None = None) -> list[str]:
    """Write one run's folder and update the term's files from ``graded`` ({id(hand-in):
    (assignment, rows, log)}); ``failed`` ({id(hand-in): reason}): hand-ins the machinery
    could not grade, listed in ``not-graded.txt`` and left out of every grade file.
    Returns the lines of grades that this run changed."""
    args, found, due, policy = plan.args, plan.found, plan.due, plan.policy
    failed = failed or {}
    all_rows, book_rows, returned = [], [], []
    (out / "not-graded.txt").write_text("".join(
        f"{h.student.key} {h.path.relative_to(args.submissions)}: {failed[id(h)]}\n"
        for h in found.chosen if id(h) in failed))
    for hand_in in found.chosen:  # in the collection's order, whatever order jobs finished in
        if id(hand_in) in failed:
            continue
        assignment, rows, log = graded[id(hand_in)]
        student = hand_in.student
        score = sum(float(r["score"]) for r in rows)
        late = gradebook.days_late(hand_in.time, due.get(assignment))
        late = max(late, 1) if hand_in.lms_late else late  # Canvas's own LATE_ mark
        total, late_note = policy.apply(score, late)
        all_rows += [{"student": student.key, "assignment": assignment,
                      **{k: r[k] for k in FIELDS[2:] if k != "student"}} for r in rows]
        stem = f"{student.key}_{assignment or 'unknown'}"
        entry = assignment_of(assignment, plan.schedule)
        text = feedback(student.name or student.key, assignment, rows, late_note, total,
                        due_text(entry.due), day_text(entry.solutions) if entry.solutions
                        else "")
        (out / "feedback" / f"{stem}.txt").write_text(text)
        returned.append(lms.Returned(hand_in, assignment, total,
                                     sum(float(r["max"] or 0) for r in rows), text))
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
    gradebook.write_csv(out / "grades.csv", FIELDS, all_rows)
    lms.write(out / "lms", args.submissions, found.layout, returned,
              getattr(args, "worksheet", None))
    changes = gradebook.update(args.grades, run, [r for r in book_rows if r["assignment"]])
    maxima = {}
    for name in plan.schedule:
        try:
            maxima[name] = sum(questions_of(name).values())
        except NotGradable:
            pass
    gradebook.write_exports(args.grades, maxima)
    return changes


