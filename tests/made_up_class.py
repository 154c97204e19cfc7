"""A made-up class of six students handing in notebook 04, as a plain folder, as
Moodle's "Download all submissions" and as Canvas's "Download Submissions" lay it out
(tests/test_term.py, tests/assignments/test_term_grading.py)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import zipfile
from pathlib import Path

from grading.collect import squashed

UTC = dt.timezone.utc
ASSIGNMENT = "04_pinn_inverse"
DUE = dt.datetime(2027, 2, 8, 23, 59, 59, tzinfo=UTC)
# id (the Canvas user id in a Canvas course), name, email; Moodle numbers its participants
# itself (the second column below), so a Moodle download is matched by name
CLASS = [("1001", "Ada Lovelace", "ada.lovelace@uni.example", "55501"),
         ("1002", "Émile Borel", "eborel@uni.example", "55502"),
         ("1003", "Grace Hopper", "grace@uni.example", "55503"),
         ("1004", "Alan Turing", "turing@uni.example", "55504"),
         ("1005", "Emmy Noether", "noether@uni.example", "55505"),
         ("1006", "Paul Dirac", "dirac@uni.example", "55506")]
# (student, export time, answer): Ada hands in twice before the due date and once after
# it; Paul two days late
HAND_INS = [("1001", dt.datetime(2027, 2, 6, 9, 0, tzinfo=UTC), "first"),
            ("1001", dt.datetime(2027, 2, 8, 20, 0, tzinfo=UTC), "second"),
            ("1001", dt.datetime(2027, 2, 9, 8, 0, tzinfo=UTC), "after the due date"),
            ("1002", dt.datetime(2027, 2, 7, 12, 0, tzinfo=UTC), "borel"),
            ("1003", dt.datetime(2027, 2, 8, 23, 0, tzinfo=UTC), "hopper"),
            ("1004", dt.datetime(2027, 2, 1, 16, 30, tzinfo=UTC), "turing"),
            ("1005", dt.datetime(2027, 2, 8, 10, 0, tzinfo=UTC), "noether"),
            ("1006", dt.datetime(2027, 2, 10, 18, 0, tzinfo=UTC), "dirac")]


def answer_notebook(answer: str) -> dict:
    """A notebook whose one cell says which hand-in it is."""
    return {"cells": [{"cell_type": "code", "source": f"answer = {answer!r}", "metadata": {},
                       "outputs": [], "execution_count": 1}],
            "metadata": {"otter": {"assignment_name": ASSIGNMENT}}, "nbformat": 4,
            "nbformat_minor": 5}


def exported_zip(answer: str, when: dt.datetime, notebook=answer_notebook) -> bytes:
    """What the export cell writes: the notebook (``notebook(answer)``) and
    submission.json."""
    nb = notebook(answer)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"{ASSIGNMENT}.ipynb", json.dumps(nb))
        archive.writestr("submission.json", json.dumps(
            {"assignment": ASSIGNMENT, "exported_at": when.isoformat()}))
    return buffer.getvalue()


def export_name(when: dt.datetime) -> str:
    return f"{ASSIGNMENT}_{when:%Y_%m_%dT%H_%M_%S}.zip"


def write_class(folder: Path, layout: str, extra: list[tuple] = (),
                notebook=answer_notebook) -> Path:
    """The class's hand-ins in an LMS's layout (see the module docstring of collect)."""
    people = {c[0]: c for c in CLASS}
    for k, (who, when, answer) in enumerate([*HAND_INS, *extra]):
        key, name, email, participant = people.get(who, ("1099", who, "", "59999"))
        data = exported_zip(answer, when, notebook)
        if layout == "plain":  # a folder per student, named by the roster id
            path = folder / key / export_name(when)
        elif layout == "moodle":
            path = folder / f"{name}_{participant}_assignsubmission_file" / export_name(when)
        elif layout == "moodle-old":  # Moodle 3.1 to 4.0: the folder ends in "_"
            path = folder / f"{name}_{participant}_assignsubmission_file_" / export_name(when)
        elif layout == "moodle-flat":  # "Download submissions in folders" switched off
            path = folder / f"{name}_{participant}_assignsubmission_file_{export_name(when)}"
        else:
            last, first = name.split()[-1], " ".join(name.split()[:-1])
            late = "LATE_" if when > DUE else ""
            path = folder / (f"{squashed(last + first)}_{late}{key}_{700000 + k}_"
                             f"{export_name(when)}")
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():  # the LMS keeps every attempt: a resubmission gets a suffix
            path = path.with_name(f"{path.stem}-{k}.zip")
        path.write_bytes(data)
        if layout != "plain":  # unzip keeps the upload time that the LMS's zip records
            os.utime(path, (when.timestamp(), when.timestamp()))
    return folder




WORKSHEET_COLUMNS = ["Identifier", "Full name", "Email address", "Status", "Grade",
                     "Maximum Grade", "Grade can be changed", "Last modified (submission)",
                     "Last modified (grade)", "Feedback comments"]


def moodle_worksheet(path: Path, people=CLASS) -> Path:
    """Moodle's grading worksheet of the assignment (*Download grading worksheet*): one
    row per participant, "Participant N", the columns of mod/assign's export."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(WORKSHEET_COLUMNS)
        for _, name, email, participant in people:
            writer.writerow([f"Participant {participant}", name, email,
                             "Submitted for grading", "", "2.00", "Yes",
                             "Monday, 8 February 2027, 8:00 PM", "-", ""])
    return path
