"""``_config.yml``, the course's one configuration file, parsed once and validated.

The book's own settings (``title``, ``execute``, ``sphinx``, ...) are Jupyter Book's; the
course adds two sections that every part reads through this module:

- ``course:``: ``term``, ``assignments`` (the schedule, :mod:`course.schedule`),
  ``timezone`` (the due day ends at 23:59:59 there), ``late`` (the late policy that
  ``make grade`` applies, ``grading/gradebook.py``) and ``public_repository``;
- ``repository:``: ``url`` (the published repository, every launch button and install
  line) and ``branch``.

A bad value raises :class:`ConfigError` naming the key, what it must be and what it was.
Every function takes an already parsed ``config`` (tests, a copy of the book being built)
or reads the course's ``_config.yml``.
"""

from __future__ import annotations

import copy
import functools
import re
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from course.paths import CONFIG

COURSE_KEYS = {"term", "assignments", "timezone", "late", "public_repository"}
GITHUB_URL = re.compile(r"^https://github\.com/[\w.-]+/[\w.-]+$")
_ORG_NAME = re.compile(r"[\w.-]+/[\w.-]+")


class ConfigError(ValueError):
    """A value of ``_config.yml`` that the course cannot use; the message names the key."""


@functools.lru_cache(maxsize=8)
def _parsed(path: Path, version: tuple[int, int]) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise ConfigError(f"{path} is not valid YAML: {err}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must be a mapping of settings, got {type(data).__name__}")
    return data


def load(path: Path = CONFIG) -> dict:
    """The parsed ``_config.yml``: read once, again only when the file changed (its time
    and size); each call gets its own copy, which the caller may change."""
    path = Path(path).resolve()
    try:
        stat = path.stat()
    except OSError as err:
        raise ConfigError(f"cannot read the course's configuration {path}: {err}") from None
    return copy.deepcopy(_parsed(path, (stat.st_mtime_ns, stat.st_size)))


def _section(config: dict | None, name: str) -> dict:
    config = load() if config is None else config
    value = config.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(f"{name} in _config.yml must be a mapping, got {value!r}")
    return value


def course(config: dict | None = None) -> dict:
    """The ``course:`` section (empty when there is none); unknown keys are refused."""
    section = _section(config, "course")
    unknown = sorted(set(section) - COURSE_KEYS)
    if unknown:
        raise ConfigError(f"course.{unknown[0]} in _config.yml is not a course setting; "
                          f"the settings are {sorted(COURSE_KEYS)}")
    return section


def repository(config: dict | None = None) -> dict:
    """The ``repository:`` section (``url``, ``branch``)."""
    return _section(config, "repository")


def repository_url(config: dict | None = None) -> str:
    """``repository.url``: ``https://github.com/ORG/REPO``, or "" while none is set."""
    url = str(repository(config).get("url") or "").rstrip("/")
    if url and not GITHUB_URL.match(url):
        raise ConfigError(f"repository.url in _config.yml must look like "
                          f"https://github.com/ORG/REPO (or be empty), got {url!r}")
    return url


def public_repository(config: dict | None = None) -> str:
    """``course.public_repository`` ("ORG/NAME", or "" for this repository)."""
    value = str(course(config).get("public_repository") or "")
    if value and not _ORG_NAME.fullmatch(value):
        raise ConfigError(f"course.public_repository must be ORG/NAME (or empty), got {value!r}")
    return value


def timezone(config: dict | None = None) -> ZoneInfo:
    """``course.timezone`` (default UTC), the zone in which a due day ends."""
    name = str(course(config).get("timezone") or "UTC")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"course.timezone in _config.yml must be an IANA time zone such as "
                          f"UTC or Europe/Berlin, got {name!r}") from None

