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
