"""Results back to the students through the LMS, written into each run's ``lms/`` folder
(``GRADES/runs/RUN/lms/``), one set per assignment graded in the run:

- **Moodle**, from a download of "Download all submissions":
  ``moodle-worksheet_ASSIGNMENT.csv``, Moodle's own grading worksheet (the assignment →
  *Download grading worksheet*, given as ``--worksheet``/``WORKSHEET=``) with ``Grade``
  and ``Feedback comments`` filled for every participant graded; every other column and
  row as Moodle wrote it (the assignment → *Upload grading worksheet*; Moodle matches
  rows by ``Identifier``, "Participant N", and skips rows whose grade changed in Moodle
  since the worksheet's ``Last modified (grade)``). And ``moodle-feedback_ASSIGNMENT.zip``
  for *Upload multiple feedback files in a zip*: a folder per participant, named as in
  Moodle's download (``Full Name_<participant id>_assignsubmission_file``), holding
  ``feedback_ASSIGNMENT.txt``. Moodle matches each file by the participant id, the second
  ``_``-separated part of the folder's name (``is_valid_filename_for_import`` in
  ``mod/assign/feedback/file/importziplib.php``), not by the name.
- **Canvas**, from a download of "Download Submissions": ``canvas-reupload_ASSIGNMENT.zip``
  for *Re-Upload Submissions*: one file per student under the download's own file name
  (``lastnamefirstname_<user id>_<attachment id>_<file>``), holding the feedback: Canvas
  takes the first two numbers of the name as the user and the submitted file and adds
  the file as a comment on that student's submission
  (``infer_comment_context_from_filename`` in Canvas's ``app/models/assignment.rb``). A
  ``.zip`` name holds a zip with ``feedback_ASSIGNMENT.txt``, an ``.ipynb`` name a
  notebook with the feedback as its one cell, so the student can open what arrives.
- Any LMS, and a plain folder: ``feedback/`` of the run, as before.

Grades for the gradebook are ``moodle.csv`` and ``canvas.csv`` of the term
(``grading/gradebook.py``).
"""

from __future__ import annotations

import csv
import html
import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

from grading import collect, gradebook

FEEDBACK_COLUMN = "Feedback comments"
GRADE_COLUMN = "Grade"


@dataclass
class Returned:
    """What goes back to one student for one assignment."""

    hand_in: collect.HandIn
    assignment: str
    total: float
    maximum: float
    feedback: str  # the text of feedback/STUDENT_ASSIGNMENT.txt


def feedback_name(assignment: str) -> str:
    return f"feedback_{assignment or 'unknown'}.txt"


def moodle_folder(hand_in: collect.HandIn, submissions: Path) -> str:
    """The participant's folder as Moodle's download names it (a flat download's file
    names the same folder)."""
    rel = hand_in.path.relative_to(submissions)
    if len(rel.parts) > 1:
        return rel.parts[0]  # Moodle's own folder, with 3.1-4.0's trailing "_" if it had one
    return f"{hand_in.named}_{hand_in.lms_id}_assignsubmission_file"


def comment_html(text: str) -> str:
    """The feedback as Moodle's "Feedback comments" (HTML): escaped, lines kept."""
    return "<br>".join(html.escape(line) for line in text.rstrip("\n").split("\n"))


def filled_worksheet(worksheet: Path, returned: list[Returned]) -> tuple[list[str], list[dict]]:
    """(columns, rows) of Moodle's worksheet with ``Grade`` and ``Feedback comments``
    filled for the participants in ``returned``."""
    with open(worksheet, newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        columns, rows = list(reader.fieldnames or []), list(reader)
    mine = {r.hand_in.lms_id: r for r in returned}
    for row in rows:
        match = collect.PARTICIPANT.match(str(row[collect.WORKSHEET_ID]).strip())
        if match and match[1] in mine:
            row[GRADE_COLUMN] = f"{mine[match[1]].total:g}"
            row[FEEDBACK_COLUMN] = comment_html(mine[match[1]].feedback)
    return columns, rows


def canvas_file(name: str, assignment: str, text: str) -> bytes:
    """The feedback as a file that opens as what its name says."""
    if name.lower().endswith(".zip"):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(feedback_name(assignment), text)
        return buffer.getvalue()
    if name.lower().endswith(".ipynb"):
        return json.dumps({"cells": [{"cell_type": "raw", "metadata": {}, "source": text}],
                           "metadata": {}, "nbformat": 4, "nbformat_minor": 5}).encode()
    return text.encode()


def write(folder: Path, submissions: Path, layout: str, returned: list[Returned],
          worksheet: Path | None = None) -> list[Path]:
    """The LMS's files for ``returned`` (see the module docstring); returns their paths.
    Without a Moodle worksheet, only the feedback zip is written for Moodle."""
    written = []
    if layout not in ("moodle", "canvas") or not returned:
        return written
    folder.mkdir(exist_ok=True)
    by_assignment: dict[str, list[Returned]] = {}
    for item in returned:
        if item.hand_in.lms_id:
            by_assignment.setdefault(item.assignment or "unknown", []).append(item)
    for assignment, items in sorted(by_assignment.items()):
        if layout == "moodle":
            path = folder / f"moodle-feedback_{assignment}.zip"
            with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
                for item in items:
                    archive.writestr(f"{moodle_folder(item.hand_in, submissions)}/"
                                     f"{feedback_name(assignment)}", item.feedback)
            written.append(path)
            if worksheet is not None:
                path = folder / f"moodle-worksheet_{assignment}.csv"
                gradebook.write_csv(path, *filled_worksheet(worksheet, items))
                written.append(path)
        else:
            path = folder / f"canvas-reupload_{assignment}.zip"
            with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
                for item in items:
                    name = item.hand_in.lms_entry
                    archive.writestr(name, canvas_file(name, assignment, item.feedback))
            written.append(path)
    return written
