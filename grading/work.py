"""The unit of grading work, the same on every engine: one hand-in, graded once, kept.

The submitting host turns the collected hand-ins into :class:`Item` s (the file, its
SHA-256, the assignment, the grader's identity) and writes them with the settings as a
plan (``plan.json``) into a private queue folder in the grades folder. Every engine runs
:func:`grade_item` on items of that plan: the local engine in threads of ``make grade``,
the Slurm engine in array tasks on the cluster's nodes (``python -m grading.task``). A
result that exists is reused; a new one is stored the moment it exists
(:mod:`grading.store`); a failure of the machinery is retried by the engine and, if it
stays, reported, never stored.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

from grading import sandbox
from grading.grader import Grader, MachineryFailure
from grading.store import Store

PLAN = "plan.json"


@dataclasses.dataclass(frozen=True)
class Item:
    index: int
    path: str  # the hand-in file (absolute)
    handin: str  # SHA-256 of its bytes
    assignment: str  # as collected ("" when it cannot be read: graded as a row saying why)
    grader: str  # grading.store.grader_identity of its assignment


@dataclasses.dataclass(frozen=True)
class Settings:
    grades: str  # the term's grades folder (absolute)
    limits: dict  # grading.sandbox.Limits as a mapping
    assignment: str | None  # --assignment
    unsafe: bool
    force: bool  # regrade even where a result exists

    def make_limits(self) -> sandbox.Limits:
        return sandbox.Limits(**self.limits)


def write_plan(queue: Path, settings: Settings, items: list[Item]) -> Path:
    """``queue/plan.json`` (atomically)."""
    data = {"settings": dataclasses.asdict(settings),
            "items": [dataclasses.asdict(i) for i in items]}
    tmp = queue / f".{PLAN}.tmp"
    tmp.write_text(json.dumps(data, indent=1))
    os.replace(tmp, queue / PLAN)
    return queue / PLAN


def read_plan(queue: Path) -> tuple[Settings, list[Item]]:
    data = json.loads((queue / PLAN).read_text())
    return Settings(**data["settings"]), [Item(**i) for i in data["items"]]


def stored(store: Store, item: Item) -> dict | None:
    return store.get(item.assignment, item.handin, item.grader)


def grade_item(grader: Grader, store: Store, item: Item, force: bool = False) -> dict:
    """The result of ``item`` ({"assignment", "rows", "log"}, and "reused": whether it was
    stored already). :class:`MachineryFailure` propagates: nothing is stored then."""
    if not force:
        found = stored(store, item)
        if found is not None:
            return {**found, "reused": True}
    assignment, rows, log = grader.grade(Path(item.path))
    result = {"assignment": assignment, "rows": rows, "log": log}
    store.put(item.assignment, item.handin, item.grader, result)
    return {**result, "reused": False}


__all__ = ["Item", "MachineryFailure", "PLAN", "Settings", "grade_item", "read_plan",
           "stored", "write_plan"]
