"""Writing a grading run: its folder in ``GRADES/runs/``, then the term's gradebook.

Per run (``GRADES/runs/RUN/``): ``grades.csv`` (one row per student and question:
``student, assignment, question, score, max, note, flags``), ``feedback/STUDENT_NAME.txt``
(the student's scores and, for each failed question, the checker's reason),
``results/STUDENT_NAME.json`` (the validated result), ``logs/STUDENT_NAME.log`` (the end of
both sandboxes' console output and their resource use) and ``collected.txt``. Then the
term's files (``grading/gradebook.py``): ``gradebook.csv``, ``history.csv``, ``term.csv``,
``moodle.csv``, ``canvas.csv``.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from grading import gradebook
from grading.grader import SUBMISSION, NotGradable, questions_of

FIELDS = ["student", "assignment", "question", "score", "max", "note", "flags"]


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


def write_run(plan, run: str, out: Path, graded: dict, failed: dict | None = None) -> list[str]:
    """Write one run's folder and update the term's files from ``graded`` ({id(hand-in):
    (assignment, rows, log)}); ``failed`` ({id(hand-in): reason}): hand-ins the machinery
    could not grade, listed in ``not-graded.txt`` and left out of every grade file.
    Returns the lines of grades that this run changed."""
    args, found, due, policy = plan.args, plan.found, plan.due, plan.policy
    failed = failed or {}
    all_rows, book_rows = [], []
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
    for name in plan.schedule:
        try:
            maxima[name] = sum(questions_of(name).values())
        except NotGradable:
            pass
    gradebook.write_exports(args.grades, maxima)
    return changes


