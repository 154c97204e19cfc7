"""The term's schedule: when each assignment is due and when its solutions are public.

It is ``course.assignments`` in ``_config.yml``: for each assignment (a notebook's name)
``{due: YYYY-MM-DD, solutions: YYYY-MM-DD}``. An assignment that is not named, or has no
``solutions`` date, keeps its graded solutions withheld (the safe choice). "Today" is the
date in UTC, or ``DL4PHYS_TODAY=YYYY-MM-DD`` (for the tests of the release; nothing else
should set it).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass

from course import config as course_config
from course.config import ConfigError
from course.notebooks import names as notebook_names

TODAY_VARIABLE = "DL4PHYS_TODAY"
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_date(value, where: str) -> dt.date | None:
    """A ``YYYY-MM-DD`` value of the configuration as a date (None when empty)."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and _DATE.match(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise ConfigError(f"{where} must be a date written YYYY-MM-DD, got {value!r}")


@dataclass(frozen=True)
class Assignment:
    name: str
    due: dt.date | None
    solutions: dt.date | None  # None: withheld until a date is set

    def released(self, today: dt.date) -> bool:
        return self.solutions is not None and today >= self.solutions


def schedule(config: dict | None = None) -> dict[str, Assignment]:
    """The schedule of ``_config.yml`` (or of ``config``, its parsed contents), by name."""
    entries = course_config.course(config).get("assignments") or {}
    if not isinstance(entries, dict):
        raise ConfigError("course.assignments in _config.yml must map each notebook's name to "
                          "{due: YYYY-MM-DD, solutions: YYYY-MM-DD}")
    known = notebook_names()
    found = {}
    for name, dates in entries.items():
        where = f"course.assignments.{name}"
        if name not in known:
            raise ConfigError(f"{where}: no notebook notebooks/{name}.ipynb; the assignments "
                              f"are {known}")
        if not isinstance(dates, dict) or set(dates) - {"due", "solutions"}:
            raise ConfigError(f"{where} must be {{due: YYYY-MM-DD, solutions: YYYY-MM-DD}}, "
                              f"got {dates!r}")
        due = parse_date(dates.get("due"), f"{where}.due")
        solutions = parse_date(dates.get("solutions"), f"{where}.solutions")
        if due and solutions and solutions < due:
            raise ConfigError(f"{where}: solutions ({solutions}) before the due date ({due})")
        found[name] = Assignment(name, due, solutions)
    return found


def assignment_of(name: str, plan: dict[str, Assignment]) -> Assignment:
    """The schedule's entry for ``name``, or one with no dates (solutions withheld)."""
    return plan.get(name) or Assignment(name, None, None)


def today() -> dt.date:
    """Today in UTC, or ``DL4PHYS_TODAY`` (tests only)."""
    value = os.environ.get(TODAY_VARIABLE)
    if value:
        return parse_date(value, TODAY_VARIABLE)
    return dt.datetime.now(dt.timezone.utc).date()


def today_overridden() -> bool:
    return bool(os.environ.get(TODAY_VARIABLE))


def day_text(date: dt.date) -> str:
    """"25 January 2027", as the course writes a date to students."""
    return f"{date.day} {date:%B %Y}"


def due_text(due: dt.date, config: dict | None = None) -> str:
    """"18 January 2027, 23:59 Europe/Berlin": when an assignment is due, in the words
    and the time zone (``course.timezone``) that students see."""
    return f"{day_text(due)}, 23:59 {course_config.timezone(config).key}"


def due_moments(course: dict | None,
                due_dates: dict[str, dt.date | None]) -> dict[str, dt.datetime]:
    """{assignment: the end of its due day in ``course.timezone``}, in UTC. ``course``:
    the ``course:`` section (None or no ``timezone``: UTC)."""
    zone = course_config.timezone({"course": course or {}})
    return {name: dt.datetime.combine(day, dt.time(23, 59, 59), zone).astimezone(dt.timezone.utc)
            for name, day in due_dates.items() if day is not None}


def term_due(config: dict | None = None) -> dict[str, dt.datetime]:
    """{assignment: the moment it is due} from the schedule (see :func:`due_moments`)."""
    return due_moments(course_config.course(config),
                       {n: a.due for n, a in schedule(config).items()})
