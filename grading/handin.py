"""Reading a student's hand-in on the grading host: one bounded, validated reader.

A hand-in is untrusted data. Everything the host reads of it before a sandbox (who it is
from, when, which assignment, the similarity report) goes through :func:`read`, which
never raises anything but :class:`NotGradable` with a sentence for the student's row:

- a ``.zip`` (what the export cell writes) must hold exactly one notebook of at most
  ``MAX_NOTEBOOK`` bytes (hidden files such as ``__MACOSX/._x.ipynb`` do not count);
- the file must be JSON of at most ``MAX_NOTEBOOK`` bytes (JSON nested 100,000 deep,
  which exhausts the decoder's recursion, is refused like any other unreadable file);
- the notebook's shape must be what nbformat writes where the grader looks: ``cells`` a
  list of mappings, each ``source`` a string or a list of strings, ``metadata`` mappings,
  ``otter.assignment_name`` a name.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

MAX_NOTEBOOK = 200 << 20  # bytes: a notebook with every output of the course is ~10 MiB
META = "submission.json"  # what the export cell writes into its zip
UTC = dt.timezone.utc
_NAME = re.compile(r"[\w-]+")


class NotGradable(Exception):
    """A hand-in that cannot be graded; the message says why, for the student's row."""


@dataclass
class HandInFile:
    nb: dict
    time: dt.datetime  # when it was handed in, as far as the file tells
    time_from: str  # where that time comes from


def _json(text: bytes, what: str):
    if len(text) > MAX_NOTEBOOK:
        raise NotGradable(f"not a notebook: {what} is larger than {MAX_NOTEBOOK >> 20} MiB")
    try:
        return json.loads(text)
    except RecursionError:  # JSON nested thousands deep: the decoder's recursion runs out
        raise NotGradable(f"not a notebook: {what} cannot be read (its JSON is nested too "
                          "deeply)") from None
    except (UnicodeDecodeError, ValueError) as err:
        raise NotGradable(f"not a notebook: {what} cannot be read ({str(err)[:80]})") from None


def _check_shape(nb, what: str) -> dict:
    def bad(why: str) -> NotGradable:
        return NotGradable(f"not a notebook: {what} cannot be read ({why})")

    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise bad("it has no list of cells")
    if not isinstance(nb.get("metadata", {}), dict):
        raise bad("its metadata is not a mapping")
    for i, cell in enumerate(nb["cells"]):
        if not isinstance(cell, dict) or not isinstance(cell.get("cell_type"), str):
            raise bad(f"cell {i} is not a cell")
        source = cell.get("source", "")
        if not (isinstance(source, str) or isinstance(source, list)
                and all(isinstance(line, str) for line in source)):
            raise bad(f"the source of cell {i} is not text")
        if not isinstance(cell.get("metadata", {}), dict):
            raise bad(f"the metadata of cell {i} is not a mapping")
    otter = nb.get("metadata", {}).get("otter", {})
    if not isinstance(otter, dict):
        raise bad("its otter metadata is not a mapping")
    name = otter.get("assignment_name")
    if name is not None and not (isinstance(name, str) and _NAME.fullmatch(name)):
        raise bad(f"its assignment name {str(name)[:40]!r} is not a name")
    return nb


def read(path: Path) -> HandInFile:
    """The notebook of a hand-in (``.ipynb``, or the ``.zip`` the export cell writes) and
    when it was handed in; :class:`NotGradable` saying why it cannot be read."""
    what = path.name
    try:
        mtime = dt.datetime.fromtimestamp(path.stat().st_mtime, UTC)
        if path.suffix == ".zip":
            with zipfile.ZipFile(path) as archive:
                names = [n for n in archive.namelist()
                         if n.endswith(".ipynb") and "/." not in "/" + n]
                if len(names) != 1:
                    raise NotGradable(f"the zip holds {len(names)} notebooks, expected one")
                info = archive.getinfo(names[0])
                if info.file_size > MAX_NOTEBOOK:
                    raise NotGradable(f"the notebook in the zip is larger than "
                                      f"{MAX_NOTEBOOK >> 20} MiB")
                nb = _check_shape(_json(archive.read(info), what), what)
                if META in archive.namelist() and archive.getinfo(META).file_size < 4096:
                    try:
                        meta = json.loads(archive.read(META))
                        when = dt.datetime.fromisoformat(meta["exported_at"])
                        return HandInFile(nb, when.astimezone(UTC), "the export cell")
                    except (ValueError, KeyError, TypeError):
                        pass  # a hand-edited record: the zip's own time instead
                when = dt.datetime(*info.date_time, tzinfo=UTC)
                return HandInFile(nb, when, "the notebook's time in the zip")
        if path.suffix == ".ipynb":
            if path.stat().st_size > MAX_NOTEBOOK:
                raise NotGradable(f"not a notebook: {what} is larger than "
                                  f"{MAX_NOTEBOOK >> 20} MiB")
            return HandInFile(_check_shape(_json(path.read_bytes(), what), what), mtime,
                              "the file's time")
    except (OSError, zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError) as err:
        raise NotGradable(f"not a notebook: {what} cannot be read ({str(err)[:80]})") from None
    raise NotGradable(f"not a notebook: {what} (submit the .ipynb or its .zip)")


def assignment_name(nb: dict) -> str:
    """``otter.assignment_name`` of a notebook that :func:`read` returned ("" if none)."""
    return nb.get("metadata", {}).get("otter", {}).get("assignment_name") or ""


def source(cell: dict) -> str:
    """A cell's source as one string (a notebook that :func:`read` returned)."""
    text = cell.get("source", "")
    return "".join(text) if isinstance(text, list) else text
