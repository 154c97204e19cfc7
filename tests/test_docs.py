"""The documentation does not go stale silently: every ``make TARGET`` that the README and
the guides in ``docs/`` name exists in the Makefile, every relative link resolves to a
file of the repository, and every command line in a fenced block that starts with
``.venv/bin/python`` or ``python`` names a script that exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")),
        ROOT / "benchmarks" / "README.md"]
MAKE = re.compile(r"`make ([a-z][a-z-]*)[^`]*`")
LINK = re.compile(r"\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.M | re.S)


def make_targets() -> set[str]:
    return set(re.findall(r"^([a-z][a-z-]*):", (ROOT / "Makefile").read_text(), re.M))


def problems(path: Path, text: str, targets: set[str]) -> list[str]:
    """What in ``text`` (the file ``path``) points at nothing."""
    found = []
    for target in MAKE.findall(text):
        if target not in targets:
            found.append(f"{path.name}: `make {target}` is not a Makefile target")
    for link in LINK.findall(text):
        if re.match(r"[a-z]+:", link) or link.startswith("#"):
            continue  # a URL, or an anchor in the same file
        file = link.split("#", 1)[0]
        if not (path.parent / file).resolve().exists():
            found.append(f"{path.name}: link {link} resolves to no file")
    for block in FENCE.findall(text):
        for line in block.splitlines():
            words = line.split()
            if not words or not re.fullmatch(r"(\.venv/bin/)?python3?", words[0]):
                continue
            script = next((w for w in words[1:] if w.endswith(".py")), None)
            if script and not (ROOT / script).is_file():
                found.append(f"{path.name}: `{line.strip()}` names no script {script}")
    return found


@pytest.mark.parametrize("path", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_target_link_and_script_exists(path):
    assert problems(path, path.read_text(), make_targets()) == []


def test_the_readme_is_short_and_reaches_every_guide_in_one_click():
    text = (ROOT / "README.md").read_text()
    assert len(text.splitlines()) <= 150
    for guide in sorted((ROOT / "docs").glob("*.md")):
        assert f"](docs/{guide.name})" in text, guide.name
    assert "](benchmarks/README.md)" in text


def test_the_checker_catches_a_broken_link_and_a_renamed_target():
    path = ROOT / "docs" / "teaching.md"
    text = path.read_text()
    assert problems(path, text.replace("(students.md)", "(student.md)", 1),
                    make_targets()) == ["teaching.md: link student.md resolves to no file"]
    renamed = make_targets() - {"lab-check"} | {"lab-test"}
    assert "teaching.md: `make lab-check` is not a Makefile target" in problems(
        path, text, renamed)
    assert problems(path, "```bash\npython scripts/nothing.py\n```\n", make_targets()) == [
        "teaching.md: `python scripts/nothing.py` names no script scripts/nothing.py"]


# Figures. Every number that README.md or a guide in docs/ quotes with a unit of time,
# memory or a percentage is either a measurement, and then benchmarks/README.md holds it
# (with its date, machine and command), or a configuration value, and then it is listed
# here with the file that sets it and a pattern that finds it there.
GUIDES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
UNITS = {"s": "s", "seconds": "s", "second": "s", "ms": "ms", "min": "min", "minutes": "min",
         "minute": "min", "h": "h", "hours": "h", "hour": "h", "%": "%", "GiB": "GiB",
         "MiB": "MiB", "GB": "GB", "MB": "MB", "×": "×"}
_NUMBER = r"\d[\d,]*(?:\.\d+)?"
FIGURE = re.compile(rf"({_NUMBER})(?:\s?[–-]\s?({_NUMBER}))?\s?"
                    r"(seconds?|minutes?|hours?|min|ms|GiB|MiB|GB|MB|s|h|%|×(?!\s?[\d(]))"
                    r"(?![\w-])")  # "1.19×" is a measured ratio; "1e-4 × (1 + x)" is not
WORDS = re.compile(r"\b(?:(?:an?|one|half an?)\s+(?:minute|hour)|(?:two|three|four|five|six|ten|"
                   r"few|several)\s+(?:seconds|minutes|hours))\b", re.I)  # not "a second X"
CONFIG = {
    ("900", "s"): ("Makefile", r"^TIMEOUT\s+\?= 900$"),  # make grade's wall time per hand-in
    ("4", "GiB"): ("grading/sandbox.py", r"memory: int = 4 \* GiB"),  # its memory cap
    ("1", "GiB"): ("grading/sandbox.py", r"disk: int = 1 \* GiB"),  # /tmp and work folder
    ("1", "MiB"): ("grading/sandbox.py", r"output: int = 1 \* MiB"),  # console output kept
    ("64", "MiB"): ("grading/checker/checks.py", r"limit: int = 64 << 20"),  # answers read
    ("300", "s"): ("grading/grader.py", r"wall=300"),  # the checker's sandbox
    ("3", "GiB"): ("tests/assignments/test_assignments.py", r'^MEMORY = "3G"'),
    ("60", "s"): ("tests/assignments/test_assignments.py", r"max\(60, "),
    # the bounds of the graded checks (grading/checker/checks.py; docs/assignments.md
    # says where each comes from)
    ("5", "%"): ("grading/checker/checks.py", r"1\.05 \*"),
    ("10", "%"): ("grading/checker/checks.py", r"1\.1 \*"),
    ("1", "%"): ("grading/checker/checks.py", r"<= 0\.01 \* se"),
    ("25", "min"): (".ci/run", r"25 min"),  # CI's budget, where the lecture's code takes 155 s
    ("155", "s"): (".ci/run", r"155 s"),
}


def figures(text: str) -> list[tuple[str, str]]:
    """The (number, unit) pairs in ``text``, a range giving both ends ("65–77 s")."""
    found = []
    for match in FIGURE.finditer(text):
        unit = UNITS[match.group(3)]
        for number in match.group(1, 2):
            if number is not None:
                found.append((number.replace(",", ""), unit))
    return found


def unsourced(text: str, measured: set[tuple[str, str]]) -> list[str]:
    """Figures in ``text`` that are neither in ``measured`` nor configuration values, and
    durations written in words ("about a minute"), which no measurement can back."""
    text = re.sub(rf"{_NUMBER}\s?% confidence", "", text)  # a chosen level, not a figure
    bad = [f"{n} {u}" for n, u in figures(text) if (n, u) not in measured and (n, u) not in CONFIG]
    return bad + [m.group(0) for m in WORDS.finditer(text)]


def measured_figures() -> set[tuple[str, str]]:
    return set(figures((ROOT / "benchmarks" / "README.md").read_text()))


@pytest.mark.parametrize("path", GUIDES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_figure_is_measured_or_configured(path):
    assert unsourced(path.read_text(), measured_figures()) == []


@pytest.mark.parametrize("key", sorted(CONFIG), ids=lambda k: " ".join(k))
def test_each_configuration_value_is_where_it_is_set(key):
    file, pattern = CONFIG[key]
    assert re.search(pattern, (ROOT / file).read_text(), re.M), f"{key}: {pattern} in {file}"


def test_the_figure_check_catches_an_invented_number_and_a_vague_one():
    measured = measured_figures()
    assert unsourced("Notebook 03 takes 47.5 s.", measured) == ["47.5 s"]
    assert unsourced("each notebook runs in about a minute or less", measured) == ["a minute"]
    assert unsourced("grading stops after 900 s (TIMEOUT)", measured) == []
    assert unsourced("an error rate below 3/600 at 95 % confidence", measured) == []
    assert figures("from 65–77 s, 1,080 MiB, 87 %") == [("65", "s"), ("77", "s"),
                                                         ("1080", "MiB"), ("87", "%")]
    assert unsourced("the sandbox costs 7.77× the plain run", measured) == ["7.77 ×"]
    assert figures("a bound of 1e-4 × (1 + x), 3.5 × 10⁻⁶") == []  # products, not ratios


def test_make_help_lists_every_option_of_make_grade():
    import subprocess

    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile[makefile.index("\ngrade:"):makefile.index("\nsimilarity:")]
    options = set(re.findall(r"\$\(([A-Z]+)\)", recipe)) - {"PY", "STAMP"}  # not options
    assert {"SUBMISSIONS", "ROSTER", "GRADES", "TIMEOUT", "UNSAFE"} <= options
    shown = subprocess.run(["make", "-s", "help"], cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout
    assert sorted(o for o in options if f"{o}=" not in shown) == []
