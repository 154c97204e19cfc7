"""Students on a JupyterHub keep their work across redeploys (``make publish-check``).

The deploy workflow publishes the student notebooks to the branch ``assignments`` with
``scripts/publish_branch.py``; a hub's nbgitpuller link pulls that branch into each
student's home and, on every later click, merges the branch's new commits into the
student's copy. Here, offline: a local bare repository stands in for GitHub, nbgitpuller's
own ``GitPuller`` (the code behind the hub link) pulls into a student's folder, the
student edits an answer cell, and the course publishes twice more (an unchanged release,
then one with a prompt edited). After each pull the student's edit is still there, the
new prompt arrives, there is no backup folder and no merge error.

The same sequence with the workflow's former steps (a fresh ``git init``, one commit,
``git push -f``) makes nbgitpuller refuse to merge: that is what students met.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from scripts.publish_branch import publish

ROOT = Path(__file__).resolve().parents[2]
RELEASE = ROOT / "_build" / "assignments" / "release"
BRANCH = "assignments"
EDIT = "# my answer, typed in the hub\n"


def git(*args, cwd):
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout


@pytest.fixture
def course(tmp_path, require_built):
    """A bare 'GitHub' repository and a release folder holding the five student notebooks."""
    require_built(RELEASE, "make book")
    remote = tmp_path / "github.git"
    git("init", "-q", "--bare", str(remote), cwd=tmp_path)
    release = tmp_path / "release"
    shutil.copytree(RELEASE, release)
    return remote, release


def pull(remote: Path, home: Path) -> list[str]:
    """What a click on the hub link does: nbgitpuller's puller, as the hub runs it."""
    from nbgitpuller.pull import GitPuller

    puller = GitPuller(str(remote), str(home / "dl4phys-assignments"), branch=BRANCH)
    return list(puller.pull())


def answer_cell_edited(notebook: Path) -> None:
    """The student types into the first answer cell and saves (nbformat writes as
    JupyterLab does: one-space indent, sorted keys)."""
    nb = nbformat.read(notebook, as_version=4)
    cell = next(c for c in nb.cells if "otter_answer_cell" in c.metadata.get("tags", []))
    cell.source = EDIT + cell.source
    nbformat.write(nb, notebook)


def prompt_edited(notebook: Path, words: str) -> None:
    """The lecturer adds a sentence to the last question's prompt."""
    nb = nbformat.read(notebook, as_version=4)
    prompt = [c for c in nb.cells if c.cell_type == "markdown" and "{exercise}" in c.source][-1]
    prompt.source += f"\n\n{words}"
    nbformat.write(nb, notebook)


def old_workflow_publish(source: Path, remote: Path, tmp: Path, sha: str) -> None:
    """The workflow's steps before scripts/publish_branch.py: a new root, force-pushed
    (its message named the commit of main it was built from)."""
    work = tmp / "old-publish"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(source, work)
    git("init", "-q", "-b", BRANCH, cwd=work)
    git("-c", "user.name=bot", "-c", "user.email=bot@example.org", "add", ".", cwd=work)
    git("-c", "user.name=bot", "-c", "user.email=bot@example.org", "commit", "-q", "-m",
        f"Assignments built from {sha}", cwd=work)
    git("push", "-q", "-f", str(remote), BRANCH, cwd=work)


def test_students_edits_survive_republication(course, tmp_path):
    remote, release = course
    home = tmp_path / "home"
    home.mkdir()
    first = publish(release, str(remote), BRANCH, "release 1")
    assert first is not None
    pull(remote, home)
    folder = home / "dl4phys-assignments"
    assert sorted(p.name for p in folder.glob("*.ipynb")) == sorted(
        p.name for p in release.glob("*.ipynb"))
    assert (folder / "02_autoencoder.ipynb").read_bytes() == (
        release / "02_autoencoder.ipynb").read_bytes()  # byte for byte

    answer_cell_edited(folder / "02_autoencoder.ipynb")  # the student works ...
    assert publish(release, str(remote), BRANCH, "release 1 again") is None  # unchanged
    assert git("rev-parse", BRANCH, cwd=remote).strip() == first  # no new commit
    prompt_edited(release / "02_autoencoder.ipynb", "Hint: the lecture's loop is in cell 20.")
    second = publish(release, str(remote), BRANCH, "release 2")
    assert second is not None
    # on top of the previous state: history kept, never a new root
    assert git("rev-list", "--parents", "-n", "1", second, cwd=remote).split()[1:] == [first]

    pull(remote, home)  # ... and clicks the link again
    text = (folder / "02_autoencoder.ipynb").read_text()
    assert EDIT.strip() in text, "the student's edit was lost"
    assert "Hint: the lecture's loop is in cell 20." in text, "the new prompt did not arrive"
    json.loads(text)  # still a notebook
    assert [p.name for p in home.iterdir()] == ["dl4phys-assignments"], "a backup folder"
    assert "<<<<<<<" not in text


def test_a_first_publication_starts_the_branch_and_a_bad_folder_is_refused(course, tmp_path):
    remote, release = course
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(SystemExit, match="not a folder with files"):
        publish(empty, str(remote), BRANCH, "nothing")
    assert git("branch", "--list", cwd=remote).strip() == ""
    command = [sys.executable, "-m", "scripts.publish_branch", str(remote),
               f"{BRANCH}={release}"]
    out = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT).stdout
    assert out.startswith(f"{BRANCH}: published ")
    out = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT).stdout
    assert out.strip() == f"{BRANCH}: unchanged"


def test_the_former_force_pushed_root_commit_breaks_the_students_pull(course, tmp_path):
    """The failure this replaces, shown: after one re-publication the pull refuses."""
    remote, release = course
    home = tmp_path / "home"
    home.mkdir()
    old_workflow_publish(release, remote, tmp_path, "e56a9b3")
    pull(remote, home)
    answer_cell_edited(home / "dl4phys-assignments" / "02_autoencoder.ipynb")
    old_workflow_publish(release, remote, tmp_path, "f00ba47")  # same files, a new root
    with pytest.raises(subprocess.CalledProcessError) as failure:
        pull(remote, home)
    assert "merge" in failure.value.cmd, failure.value.cmd  # git merge: unrelated histories


def test_the_workflow_publishes_with_the_script():
    workflow = (ROOT / ".github" / "workflows" / "book.yml").read_text()
    assert "scripts/publish_branch.py" in workflow and "assignments=assignments" in workflow
    assert "push -f" not in workflow and "--force" not in workflow and "git init" not in workflow
