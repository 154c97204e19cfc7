"""Who handed in what, and when: a folder of hand-ins as one submission per student and
assignment (``make grade SUBMISSIONS=folder [ROSTER=roster.csv]``).

Three layouts are read, whichever the folder has (or a ``.zip`` of it, as the LMS
downloads it):

- **plain**: notebooks and exported zips, at the top or one folder per student; the
  student is the file's name without extension (``alice.ipynb``) or the folder's
  (``alice/02_autoencoder_2027_01_20T10_11_12.zip``). A file named as the export cell
  names it (``02_autoencoder_<date>.zip``) at the top says nobody: it is listed as
  unmatched, never guessed.
- **Moodle** ("Download all submissions" of an assignment activity, mod_assign): one
  folder per participant, ``Full Name_<participant id>_assignsubmission_file`` (Moodle
  4.1 and later) or ``..._assignsubmission_file_`` (3.1 to 4.0), holding the uploaded
  files; or, with "Download submissions in folders" off, files named
  ``Full Name_<participant id>_assignsubmission_file_<uploaded name>``. Moodle writes
  the name without ``_`` and without the characters its file names refuse (quotes,
  colons, slashes, ...), so a name can differ from the roster's.
- **Canvas** ("Download Submissions" of an assignment): files named
  ``<lastnamefirstname>_<user id>_<file id>_<uploaded name>`` (the name lower-case,
  accents kept), with ``LATE_`` before the user id for a submission that Canvas counts
  as late; resubmissions add ``-1``, ``-2``, ... to the uploaded name.

An optional **roster** (CSV with the columns ``id, name, email``) names each student.
A file is matched by the LMS's own id first: Canvas's user id is the roster's ``id``;
Moodle's participant id is looked up in Moodle's grading worksheet (``worksheet``:
``Identifier`` "Participant N", ``Full name``, ``Email address``) and matched to the
roster's ``email``. Then by the roster's ``id`` (the id a plain folder uses), by its
e-mail's local part, and last by name (case, accents, punctuation and the order of the
name's words ignored). A file that matches no row, or more than one, is listed in
``problems`` and not graded; nothing is merged or skipped silently.

Each file's time: in an LMS's download, the time the LMS recorded for it (its zip keeps
each file's upload time, and ``unzip`` keeps that as the file's time: a student cannot
set it); in a plain folder, the export time written into the zip by the export cell
(``submission.json``), else the notebook's time inside the zip, else the file's own
time. Canvas's ``LATE_`` mark makes a file at least one day late. The assignment is the
notebook's own (``otter.assignment_name``). Of several files of one student for one
assignment, the latest before the due date counts (the latest
of all when every one is late); ``choices`` says which, and why.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from grading import handin
from grading.store import file_hash

# Moodle's folder or file: before 4.1 a folder ends in "_" (an empty ``rest``)
MOODLE = re.compile(
    r"^(?P<name>[^_]+)_(?P<id>\d+)_assignsubmission_(?:file|onlinetext)(?:_(?P<rest>.*))?$")
# Canvas's file: the name is lower-case letters, accents kept ("schrödingererwin")
CANVAS = re.compile(
    r"^(?P<name>[^\W\d_]+)_(?P<late>LATE_)?(?P<id>\d+)_(?P<sub>\d+)_(?P<rest>.+)$")
# Moodle drops these from a name in its file names (clean_param(PARAM_FILE))
MOODLE_DROPS = re.compile(r"[&<>\"`|':\\/]")
WORKSHEET_ID = "Identifier"  # Moodle's grading worksheet: "Participant 123456"
PARTICIPANT = re.compile(r"^\D*?(\d+)$")
EXPORTED = re.compile(r"^(?P<assignment>[\w-]+?)_\d{4}_\d{2}_\d{2}T\d{2}_\d{2}_\d{2}$")
UTC = dt.timezone.utc


@dataclass
class Student:
    key: str  # one per student: the roster id, else what the layout names
    name: str = ""
    email: str = ""


@dataclass
class HandIn:
    """One file as handed in."""

    path: Path
    layout: str
    named: str  # who the layout says it is ("Ada Lovelace", "lovelaceada", "ada")
    lms_id: str = ""  # Moodle's participant id, Canvas's user id
    lms_late: bool = False
    lms_entry: str = ""  # the download's own folder (Moodle) or file name (Canvas)
    student: Student | None = None
    assignment: str = ""
    time: dt.datetime | None = None
    time_from: str = ""
    sha256: str = ""  # of the file's bytes (set when ``seen`` is given to :func:`collect`)


@dataclass
class Collection:
    chosen: list[HandIn] = field(default_factory=list)  # one per (student, assignment)
    problems: list[str] = field(default_factory=list)  # files that are not graded, and why
    choices: list[str] = field(default_factory=list)  # several files: which one counts
    layout: str = "plain"


@dataclass
class Participant:
    """A row of Moodle's grading worksheet."""

    id: str  # the participant id of "Participant N"
    name: str
    email: str


def normalized(name: str) -> str:
    """A name as matched: no accents, case or punctuation (what Moodle drops from file
    names is dropped, "O'Brien" = "OBrien"), its words in sorted order."""
    text = MOODLE_DROPS.sub("", name)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()
    return " ".join(sorted(re.findall(r"[a-z]+", text)))


def squashed(name: str) -> str:
    """A name as Canvas writes it in file names: lower-case letters only."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()
    return "".join(re.findall(r"[a-z]+", text))


def canvas_names(name: str) -> set[str]:
    """How Canvas may write ``name`` ("Émilie du Châtelet") in its file names: as written,
    words reversed, or the last word first ("chateletemiliedu"), squashed."""
    words = name.split()
    return {squashed(name), squashed("".join(reversed(words))),
            squashed("".join(words[-1:] + words[:-1]))}


def read_roster(path: Path) -> list[Student]:
    """The roster CSV (``id, name, email``); ValueError naming what is wrong."""
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        columns = {c.strip().lower() for c in reader.fieldnames or []}
        if not {"id", "name", "email"} <= columns:
            raise ValueError(f"roster must be a CSV with the columns id, name, email; "
                             f"{path} has {sorted(columns)}")
        students = [Student(str(r["id"]).strip(), str(r["name"]).strip(),
                            str(r["email"]).strip())
                    for r in ({k.strip().lower(): v for k, v in row.items()} for row in reader)]
    keys = [s.key for s in students]
    twice = sorted({k for k in keys if keys.count(k) > 1})
    if twice or "" in keys:
        raise ValueError(f"roster ids must be unique and not empty: {twice or ['(empty)']}")
    return students


def read_worksheet(path: Path) -> dict[str, Participant]:
    """Moodle's grading worksheet (the assignment → *Download grading worksheet*):
    {participant id: its row}; ValueError naming what is wrong."""
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        need = [WORKSHEET_ID, "Full name", "Email address", "Grade", "Feedback comments"]
        missing = [c for c in need if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"worksheet {path} must be Moodle's grading worksheet with the "
                             f"columns {', '.join(need)}; it lacks {', '.join(missing)}")
        found = {}
        for row in reader:
            match = PARTICIPANT.match(str(row[WORKSHEET_ID]).strip())
            if not match:
                raise ValueError(f"worksheet {path}: {WORKSHEET_ID} must be 'Participant N', "
                                 f"got {row[WORKSHEET_ID]!r}")
            found[match[1]] = Participant(match[1], str(row["Full name"]).strip(),
                                          str(row["Email address"]).strip())
    return found


def _layout_of(folder: Path) -> str:
    names = [p.name for p in folder.iterdir() if not p.name.startswith(".")]
    if any(MOODLE.match(Path(n).stem if Path(n).suffix else n) or MOODLE.match(n)
           for n in names):
        return "moodle"
    if names and sum(bool(CANVAS.match(n)) for n in names) > len(names) / 2:
        return "canvas"  # files that do not follow its naming are listed, not guessed
    return "plain"


def hand_ins(folder: Path) -> tuple[list[HandIn], str]:
    """Every file of the folder as a hand-in, with whom the layout says it is from."""
    layout = _layout_of(folder)
    found = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if layout == "moodle":
            match = MOODLE.match(rel.parts[0]) or MOODLE.match(Path(rel.parts[0]).stem)
            if match:
                found.append(HandIn(path, layout, match["name"], lms_id=match["id"],
                                    lms_entry=rel.parts[0]))
            else:
                found.append(HandIn(path, layout, ""))
        elif layout == "canvas":
            match = CANVAS.match(rel.name)
            found.append(HandIn(path, layout, match["name"], lms_id=match["id"],
                                lms_late=bool(match["late"]), lms_entry=rel.name) if match
                         else HandIn(path, layout, ""))
        else:
            named = rel.parts[0] if len(rel.parts) > 1 else path.stem
            found.append(HandIn(path, layout, "" if EXPORTED.match(named) else named))
    return found, layout


def identify(hand_in: HandIn, roster: list[Student] | None,
             worksheet: dict[str, Participant] | None = None) -> Student | str:
    """The student of a hand-in, or a sentence saying why there is none."""
    if not hand_in.named:
        return ("names no student (an export's own name, or not in the LMS's layout): "
                "rename it after the student, or grade the LMS's download")
    participant = (worksheet or {}).get(hand_in.lms_id) if hand_in.layout == "moodle" else None
    if roster is None:
        key = hand_in.lms_id or hand_in.named
        if participant:
            return Student(key, participant.name, participant.email)
        return Student(key, hand_in.named if hand_in.layout != "canvas" else "")
    by_lms = []
    if participant and participant.email:  # Moodle: participant id -> e-mail -> roster
        by_lms = [s for s in roster if s.email.casefold() == participant.email.casefold()]
    elif hand_in.layout == "canvas":  # Canvas: the user id is the roster's id
        by_lms = [s for s in roster if s.key == hand_in.lms_id]
    by_id = [s for s in roster if s.key == hand_in.named]
    named = hand_in.named.casefold()
    by_email = [s for s in roster if s.email.split("@")[0].casefold() == named]
    if hand_in.layout == "canvas":  # "lastnamefirstname"; a roster may write "First Last"
        squash = squashed(hand_in.named)
        by_name = [s for s in roster if squash in canvas_names(s.name)]
    else:
        names = {normalized(hand_in.named)} | ({normalized(participant.name)} if participant
                                               else set())
        by_name = [s for s in roster if normalized(s.name) in names]
    for candidates in (by_lms, by_id, by_email, by_name):
        if len(candidates) == 1:
            return candidates[0]
        if len(candidates) > 1:
            return (f"matches {len(candidates)} students of the roster "
                    f"({', '.join(s.key for s in candidates)}): grade it with its own roster row")
    return f"'{hand_in.named}' is not on the roster"


def collect(folder: Path, roster: list[Student] | None = None,
            due: dict[str, dt.datetime] | None = None, assignment: str | None = None,
            worksheet: dict[str, Participant] | None = None,
            seen: dict[str, list[str]] | None = None) -> Collection:
    """The submissions in ``folder`` (see the module docstring); ``due``: {assignment:
    the moment it is due}; ``assignment`` forces one for notebooks that name none;
    ``worksheet``: Moodle's grading worksheet (:func:`read_worksheet`); ``seen``: {SHA-256
    of a file: [its time, where from]} as an earlier run recorded it
    (:func:`grading.store.load_times`): the same bytes keep the earlier, first-recorded time,
    so a download copied without its file times (``cp`` without ``-p``) turns no hand-in late."""
    if folder.is_file() and folder.suffix == ".zip":
        raise ValueError(f"{folder} is a zip: unpack the LMS download first "
                         f"(unzip -d FOLDER {folder}) and grade the folder")
    found, layout = hand_ins(folder)
    out = Collection(layout=layout)
    groups: dict[tuple[str, str], list[HandIn]] = {}
    for hand_in in found:
        who = identify(hand_in, roster, worksheet)
        rel = hand_in.path.relative_to(folder)
        if isinstance(who, str):
            out.problems.append(f"{rel}: {who}")
            continue
        hand_in.student = who
        try:
            read = handin.read(hand_in.path)
            named, hand_in.time, hand_in.time_from = (handin.assignment_name(read.nb),
                                                      read.time, read.time_from)
        except handin.NotGradable:  # graded as one row saying why (grading/batch.py)
            named, hand_in.time_from = "", "the file's time"
            hand_in.time = dt.datetime.fromtimestamp(hand_in.path.stat().st_mtime, UTC)
        if layout != "plain":  # the LMS's own record of the upload, not the student's
            hand_in.time = dt.datetime.fromtimestamp(hand_in.path.stat().st_mtime, UTC)
            hand_in.time_from = f"the {layout.capitalize()} download"
        if seen is not None:
            hand_in.sha256 = file_hash(hand_in.path)
            earlier = seen.get(hand_in.sha256)
            if earlier and dt.datetime.fromisoformat(earlier[0]) < hand_in.time:
                hand_in.time = dt.datetime.fromisoformat(earlier[0])
                hand_in.time_from = f"{earlier[1]}, as first recorded"
        hand_in.assignment = assignment or named
        groups.setdefault((who.key, hand_in.assignment), []).append(hand_in)
    for (key, name), group in sorted(groups.items()):
        deadline = (due or {}).get(name)
        on_time = [h for h in group if deadline is None or h.time <= deadline]
        chosen = max(on_time or group, key=lambda h: h.time)
        out.chosen.append(chosen)
        if len(group) > 1:
            others = ", ".join(f"{h.path.name} ({h.time:%Y-%m-%d %H:%M})"
                               for h in group if h is not chosen)
            why = ("the latest before the due date" if on_time else
                   "the latest (every file is late)")
            out.choices.append(f"{key} {name or '(no assignment)'}: {len(group)} files; graded "
                               f"{chosen.path.name} ({chosen.time:%Y-%m-%d %H:%M} UTC, {why}), "
                               f"not {others}")
    return out
