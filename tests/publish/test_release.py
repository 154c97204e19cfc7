"""No graded solution is public before its release date (``make publish-check``).

With the repository's own schedule (``course:`` in ``_config.yml``), the public site, its
downloadable notebooks, the branch ``lecture`` (what the launch buttons open) and the
student notebooks of branch ``assignments`` are built twice from ``make book``'s
execution cache, nothing executed again: with "today" (``DL4PHYS_TODAY``) the day before
the first release, and on the last release date. The distinctive lines of every graded
solution, taken from otter's markup (the code on ``# SOLUTION`` lines and between ``#
BEGIN SOLUTION`` and ``# END SOLUTION``, and the lines of its discussion), must appear
nowhere public before, and each of them after (but in the student notebooks, which never
hold a solution). Ungraded exercises keep their solutions in both.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from pathlib import Path

import nbformat
import pytest

from course.markup import questions
from course.schedule import schedule
from scripts.assignments import solution_lines
from scripts.release import build_public_site, status_lines, write_lecture_branch

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "_build" / "release-check"
RELEASE = ROOT / "_build" / "assignments" / "release"
NAMES = ["01_cnn", "02_autoencoder", "03_pinn_forward", "04_pinn_inverse", "05_symmetry"]
TAG = re.compile(r"<[^>]+>")


def _outside_solutions(nb) -> str:
    graded = {c.id for q in questions(nb) for c in q["solution"]}
    return "\n".join(c.source for c in nb.cells if c.id not in graded
                     and "otter-test" not in c.metadata.get("tags", []))


def graded_solutions() -> dict[str, dict[str, list[str]]]:
    """{assignment: {"code": lines, "prose": lines}}: the distinctive lines of its graded
    questions' solutions (those that the notebook has nowhere else: the keyword
    arguments of a fit that the lecture also makes tell nothing)."""
    found = {}
    for name in NAMES:
        nb = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
        rest = _outside_solutions(nb)
        code, prose = [], []
        for q in questions(nb):
            for cell in q["solution"]:
                if "{solution-" in cell.source:  # the gated directive's own markers
                    continue
                lines = [x for x in solution_lines(cell) if x not in rest]
                (code if cell.cell_type == "code" else prose).extend(lines)
        found[name] = {"code": code, "prose": prose}
    return found


def texts(folder: Path) -> dict[str, str]:
    """What a reader of each public file sees: a page's text (tags stripped, entities
    decoded), a notebook's cell sources and outputs, any other text file as it is."""
    found = {}
    for path in folder.rglob("*"):
        if not path.is_file() or path.suffix in (".png", ".jpg", ".svg", ".woff", ".woff2",
                                                   ".ttf", ".eot", ".ico", ".gif"):
            continue
        if "mathjax" in path.parts or ".git" in path.parts:
            continue
        raw = path.read_text(errors="replace")
        if path.suffix == ".html":
            found[str(path)] = html.unescape(TAG.sub("", raw))
        elif path.suffix == ".ipynb":
            nb = json.loads(raw)
            parts = []
            for cell in nb["cells"]:
                parts.append("".join(cell["source"]))
                for output in cell.get("outputs", []):
                    parts.append("".join(output.get("text", "")))
                    parts.append("".join(output.get("data", {}).get("text/plain", "")))
            found[str(path)] = "\n".join(parts)
        else:
            found[str(path)] = raw
    return found


def where(line: str, corpus: dict[str, str]) -> list[str]:
    return [path for path, text in corpus.items() if line in text]


@pytest.fixture(scope="module")
def public(require_built):
    """The public things on the day before the first release and on the last one."""
    require_built(ROOT / "_build" / ".jupyter_cache", "make book")
    require_built(RELEASE, "make book")
    plan = schedule()
    assert set(plan) == set(NAMES), "the repository's schedule names every assignment"
    releases = sorted(a.solutions for a in plan.values())
    days = {"before": releases[0] - dt.timedelta(days=1), "after": releases[-1]}
    built = {}
    OUT.mkdir(parents=True, exist_ok=True)
    for label, day in days.items():
        with open(OUT / f"build-{label}.log", "w") as log:
            site = build_public_site(day, OUT / label / "book", log=log)
        lecture = write_lecture_branch(OUT / label / "lecture", day)
        built[label] = {"day": day, "site": texts(site), "lecture": texts(lecture),
                        "assignments": texts(RELEASE), "site_dir": site}
    return built


def test_every_graded_question_has_distinctive_solution_lines():
    for name in NAMES:
        nb = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
        rest = _outside_solutions(nb)
        for q in questions(nb):
            code = [x for c in q["solution"] if c.cell_type == "code"
                    for x in solution_lines(c) if x not in rest]
            assert len(code) >= 1, (name, q["name"])


def test_before_the_first_release_no_graded_solution_is_public(public):
    before = public["before"]
    leaks = []
    for name, lines in graded_solutions().items():
        for line in lines["code"] + lines["prose"]:
            for part in ("site", "lecture", "assignments"):
                leaks += [f"{name}: {line!r} in {path}" for path in where(line, before[part])]
    assert leaks == [], "\n".join(leaks[:20])


def test_before_the_release_the_page_keeps_the_prompt_and_says_when(public):
    before = public["before"]
    for name in NAMES:
        page = before["site"][str(before["site_dir"] / "notebooks" / f"{name}.html")]
        assert page.count("Solution withheld until") == 2, name  # two graded questions
        when = schedule()[name].solutions
        assert f"{when.day} {when:%B %Y}" in page, name
        nb = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
        for q in questions(nb):
            title = q["prompt"][0].source.splitlines()[0].removeprefix("```{exercise}").strip()
            assert title in page, (name, title)  # the exercise itself stays


def test_from_the_release_date_each_graded_solution_is_public(public):
    after = public["after"]
    missing = []
    for name, lines in graded_solutions().items():
        page = after["site"][str(after["site_dir"] / "notebooks" / f"{name}.html")]
        notebook = after["lecture"][str(OUT / "after" / "lecture" / "notebooks" /
                                        f"{name}.ipynb")]
        download = after["site"][str(after["site_dir"] / "_sources" / "notebooks" /
                                     f"{name}.ipynb")]
        for line in lines["code"]:
            missing += [f"{name}: {line!r} not on its page"] if line not in page else []
        for line in lines["code"] + lines["prose"]:
            missing += [f"{name}: {line!r} not in the lecture branch"] if line not in notebook \
                else []
            missing += [f"{name}: {line!r} not in the download"] if line not in download else []
        assert "Solution withheld" not in page, name
    assert missing == [], "\n".join(missing[:20])


def test_student_notebooks_never_hold_a_solution(public):
    after = public["after"]
    leaks = [f"{name}: {line!r}" for name, lines in graded_solutions().items()
             for line in lines["code"] if where(line, after["assignments"])]
    assert leaks == []


def test_hidden_tests_and_assignment_markup_are_never_public(public):
    for label in ("before", "after"):
        for part in ("site", "lecture"):
            for path, text in public[label][part].items():
                assert "# HIDDEN" not in text and "# BEGIN QUESTION" not in text, (label, path)


def test_ungraded_exercises_keep_their_solutions(public):
    before = public["before"]
    for name in NAMES:
        nb = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
        graded = {c.id for q in questions(nb) for c in q["solution"]}
        ungraded = [c for c in nb.cells if "solution" in c.metadata.get("tags", [])
                    and c.cell_type == "code" and c.id not in graded]
        notebook = before["lecture"][str(OUT / "before" / "lecture" / "notebooks" /
                                         f"{name}.ipynb")]
        for cell in ungraded:
            assert cell.source in notebook, (name, cell.source[:80])


def test_the_lecture_branch_installs_and_builds_like_the_repository(public):
    lecture = OUT / "before" / "lecture"
    for name in ("environment.yml", "pyproject.toml", "requirements.txt",
                 "utils/__init__.py"):
        assert (lecture / name).read_bytes() == (ROOT / name).read_bytes(), name
    for name in NAMES:
        nb = json.loads((lecture / "notebooks" / f"{name}.ipynb").read_text())
        colab = [c for c in nb["cells"] if "colab-setup" in c["metadata"].get("tags", [])]
        assert 'COURSE_BRANCH = "lecture"' in "".join(colab[0]["source"]), name
        assert all(not c.get("outputs") for c in nb["cells"] if c["cell_type"] == "code")


def test_the_status_says_what_is_public_per_question(public):
    lines = status_lines(public["before"]["day"])
    assert len(lines) == 10 and all("withheld until" in line for line in lines), lines
    lines = status_lines(public["after"]["day"])
    assert len(lines) == 10 and all("published (since" in line for line in lines), lines


def test_private_sources_publish_only_public_things_to_a_second_repository(public, tmp_path):
    """The private layout, offline: the workflow's step pushes the site and both branches
    to a second repository (here a local bare one), which then holds those three
    branches, their own history only, and no graded solution before its date."""
    import subprocess
    import sys

    from tests.publish.test_branch_publishing import git

    before = public["before"]
    remote = tmp_path / "course-public.git"
    git("init", "-q", "--bare", str(remote), cwd=tmp_path)
    command = [sys.executable, "-m", "scripts.publish_branch", str(remote),
               f"assignments={RELEASE}", f"lecture={OUT / 'before' / 'lecture'}",
               f"gh-pages={before['site_dir']}", "--message", "Course update"]
    out = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT).stdout
    assert [line.split(":")[0] for line in out.splitlines()] == [
        "assignments", "lecture", "gh-pages"], out
    assert git("for-each-ref", "--format=%(refname)", cwd=remote).split() == [
        "refs/heads/assignments", "refs/heads/gh-pages", "refs/heads/lecture"]
    assert git("rev-list", "--all", "--count", cwd=remote).strip() == "3"  # nothing of main
    assert git("cat-file", "-e", "gh-pages:.nojekyll", cwd=remote) == ""
    assert "index.html" in git("ls-tree", "--name-only", "gh-pages", cwd=remote).split()
    checkout = tmp_path / "public-checkout"
    leaks = []
    for branch in ("assignments", "lecture", "gh-pages"):
        git("clone", "-q", "--branch", branch, str(remote), str(checkout / branch), cwd=tmp_path)
        corpus = texts(checkout / branch)
        leaks += [f"{branch}: {name}: {line!r}" for name, lines in graded_solutions().items()
                  for line in lines["code"] + lines["prose"] if where(line, corpus)]
    assert leaks == []
