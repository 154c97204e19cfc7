"""The laptop route of docs/students.md, as written, in a fresh virtual environment
(``make publish-check``, after ``make book``).

A student (or a hub's administrator building its image) runs one install line, the one
that the book's Assignment box shows, from the public branch ``lecture``; then, in the
folder of the downloaded assignment, ``jupyter lab NAME.ipynb``. Here, offline:

- a local bare repository stands in for the public GitHub repository and holds only what
  the deploy workflow publishes there (the branch ``lecture``; no ``main``, as with
  private sources); GitHub's zip of the branch is ``git archive`` of it, with GitHub's
  top folder;
- a new virtual environment without the course package; the network is off, so the
  course's other dependencies are made visible to it through a ``.pth`` file (a folder of
  links to ``.venv``'s packages, the course package left out), and pip installs the
  package from the zip (the laptop's and the hub image's line), then from git (Colab's);
- the downloaded notebook is the student notebook that the book serves (public files
  only): its set-up cell, the first graded answer as a student types it, its check, a
  save and the export cell run in a kernel of the new environment, and ``jupyter lab
  NAME.ipynb`` serves the notebook with that environment's Python as its kernel (here as
  ``python -m jupyterlab``: the linked dependencies bring no ``jupyter`` command of
  their own into the new environment, as an installed one does).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
import zipfile
from pathlib import Path

import nbformat
import pytest

from course.schedule import today
from scripts.publish_branch import publish
from scripts.release import write_lecture_branch
from utils.assignment import LECTURE_BRANCH, course_requirement

ROOT = Path(__file__).resolve().parents[2]
RELEASE = ROOT / "_build" / "assignments" / "release"
GITHUB = "https://github.com/example-org/dl4phys"
NAME = "01_cnn"
ANSWER = """\
layers = {}  # layer -> number of parameters (weights and biases)
layers["conv1: 16 filters 1x3x3 + 16 biases"] = 16 * 9 + 16
layers["conv2: 32 filters 16x3x3 + 32 biases"] = 32 * 16 * 9 + 32
layers["fc1: 512 -> 64"] = 512 * 64 + 64
layers["fc2: 64 -> 2"] = 64 * 2 + 2
n_mlp_first_layer = 256 * 64 + 64
"""
DRIVER = """\
import sys

import nbformat
from nbclient import NotebookClient

path, cells, export = sys.argv[1], [int(i) for i in sys.argv[2].split(",")], int(sys.argv[3])
nb = nbformat.read(path, as_version=4)
client = NotebookClient(nb, kernel_name="python3", timeout=600, allow_errors=True,
                        resources={"metadata": {"path": "."}})
with client.setup_kernel():
    for index in cells:
        client.execute_cell(nb.cells[index], index)
    nbformat.write(nb, path)  # File -> Save, before the export
    client.execute_cell(nb.cells[export], export)
nbformat.write(nb, path)
"""


def run(*args, cwd: Path, env: dict | None = None) -> str:
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=env, text=True,
                          capture_output=True)
    assert done.returncode == 0, f"{args}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def public_repository(tmp_path_factory):
    """A bare 'GitHub' repository holding only the branch ``lecture``, as published, and
    the zip of that branch that GitHub serves."""
    tmp = tmp_path_factory.mktemp("public")
    remote = tmp / "dl4phys.git"
    run("git", "init", "-q", "--bare", remote, cwd=tmp)
    content = write_lecture_branch(tmp / "lecture", today())
    publish(content, str(remote), LECTURE_BRANCH, "the workflow's publication")
    assert run("git", "--git-dir", remote, "branch", "--list", cwd=tmp).split() == [
        LECTURE_BRANCH]  # no main: private sources leave nothing else there
    archive = tmp / f"{LECTURE_BRANCH}.zip"
    run("git", "--git-dir", remote, "archive", "--format=zip",
        f"--prefix=dl4phys-{LECTURE_BRANCH}/", "-o", archive, LECTURE_BRANCH, cwd=tmp)
    return remote, archive


def python_of(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


@pytest.fixture(scope="module")
def fresh_venv(tmp_path_factory):
    """A new virtual environment that sees the course's dependencies but not the course
    package (no network here: nothing is downloaded)."""
    tmp = tmp_path_factory.mktemp("laptop")
    venv = tmp / "dl4phys"
    run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp)
    deps = tmp / "dependencies"
    deps.mkdir()
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if not entry.name.startswith(("dl4phys_utils", "__editable__", "utils")):
            (deps / entry.name).symlink_to(entry)
    site = Path(run(python_of(venv), "-c", "import sysconfig; print(sysconfig.get_paths()"
                    "['purelib'])", cwd=tmp).strip())
    (site / "course-dependencies.pth").write_text(f"{deps}\n")
    # and their data files (JupyterLab's application and extensions), as installing puts
    # them in the environment's share/jupyter
    (venv / "share").mkdir(exist_ok=True)
    (venv / "share" / "jupyter").symlink_to(Path(sys.prefix) / "share" / "jupyter")
    missing = subprocess.run([python_of(venv), "-c", "import utils"], cwd=tmp,
                             capture_output=True, text=True)
    assert missing.returncode != 0 and "No module named 'utils'" in missing.stderr
    return venv


def pip_install(venv: Path, requirement: str, cwd: Path, *extra: str) -> None:
    """``python -m pip install "requirement" *extra``, offline."""
    run(python_of(venv), "-m", "pip", "install", "--no-index", "--no-build-isolation",
        "--no-cache-dir", "--disable-pip-version-check", requirement, *extra, cwd=cwd)


def installed_utils(venv: Path, cwd: Path) -> Path:
    return Path(run(python_of(venv), "-c", "import otter, utils; print(utils.__file__)",
                    cwd=cwd).strip())


def test_the_docs_give_the_tested_lines():
    placeholder = course_requirement("https://github.com/ORG/REPO")
    students = (ROOT / "docs" / "students.md").read_text()
    assert f'python -m pip install "{placeholder}"' in students
    assert "jupyter lab NAME.ipynb" in students
    publishing = (ROOT / "docs" / "publishing.md").read_text()
    assert f'python -m pip install "{placeholder}" nbgitpuller' in publishing


def test_the_hub_images_line_installs_the_course_package_from_the_public_branch(
        public_repository, fresh_venv, tmp_path):
    """docs/publishing.md's line for a JupyterHub's image (the laptop's line and
    nbgitpuller), then Colab's form of it."""
    remote, archive = public_repository
    line = course_requirement(GITHUB)
    assert line == f"dl4phys-utils[student] @ {GITHUB}/archive/refs/heads/lecture.zip"
    pip_install(fresh_venv, line.replace(f"{GITHUB}/archive/refs/heads/lecture.zip",
                                         archive.as_uri()), tmp_path, "nbgitpuller")
    assert installed_utils(fresh_venv, tmp_path).is_relative_to(fresh_venv)
    # Colab's form, from git (with the rest of Colab's stack already there)
    colab = course_requirement(GITHUB, how="git")
    local = remote.as_uri().replace("file://", "file://localhost", 1)  # pip: a host is needed
    pip_install(fresh_venv, colab.replace(f"git+{GITHUB}", f"git+{local}"), tmp_path,
                "--force-reinstall", "--no-deps")
    assert installed_utils(fresh_venv, tmp_path).is_relative_to(fresh_venv)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_downloaded_assignment_runs_to_a_check_and_an_export(
        public_repository, fresh_venv, tmp_path, require_built):
    """From the download folder, in the new environment: the set-up cell, an answer, its
    check, a save, the export; then ``jupyter lab NAME.ipynb`` serves it."""
    require_built(RELEASE / f"{NAME}.ipynb", "make book")
    _, archive = public_repository
    pip_install(fresh_venv, course_requirement(GITHUB).replace(
        f"{GITHUB}/archive/refs/heads/lecture.zip", archive.as_uri()), tmp_path)
    downloads = tmp_path / "Downloads"
    downloads.mkdir()
    notebook = downloads / f"{NAME}.ipynb"
    shutil.copy(RELEASE / notebook.name, notebook)  # what "download 01_cnn.ipynb" gives
    nb = nbformat.read(notebook, as_version=4)
    setup = next(i for i, c in enumerate(nb.cells)
                 if "assignment-setup" in c.metadata.get("tags", []))
    answer = next(i for i, c in enumerate(nb.cells) if c.source.startswith("layers = {}"))
    check = next(i for i, c in enumerate(nb.cells)
                 if c.source.startswith('grader.check("cnn_params")'))
    export = next(i for i, c in enumerate(nb.cells) if c.source.startswith("export(grader"))
    nb.cells[answer].source = ANSWER  # the student's answer, typed in
    nbformat.write(nb, notebook)
    (tmp_path / "driver.py").write_text(DRIVER)
    env = {k: v for k, v in os.environ.items() if k not in ("JUPYTERHUB_USER", "PYTHONPATH")}
    run(python_of(fresh_venv), tmp_path / "driver.py", notebook.name,
        f"{setup},{answer},{check}", export, cwd=downloads, env=env)

    ran = nbformat.read(notebook, as_version=4)
    for index in (setup, answer, check, export):
        errors = [o for o in ran.cells[index].outputs if o.output_type == "error"]
        assert not errors, (index, errors)
    check_text = json.dumps([o.get("data", o.get("text")) for o in ran.cells[check].outputs])
    assert "cnn_params" in check_text and "passed" in check_text, check_text
    export_text = "".join(o.get("text", "") for o in ran.cells[export].outputs)
    (zip_path,) = downloads.glob(f"{NAME}_*.zip")
    assert f"Your submission is {zip_path.name}" in export_text, export_text
    with zipfile.ZipFile(zip_path) as handed_in:
        saved = nbformat.reads(handed_in.read(notebook.name).decode(), as_version=4)
        stamp = json.loads(handed_in.read("submission.json"))
    assert saved.cells[answer].source == ANSWER  # the saved answer is what is handed in
    assert stamp["assignment"] == NAME

    # jupyter lab NAME.ipynb, beside the download, serves it with this Python as kernel
    port, token = free_port(), "laptop-route"
    log = tmp_path / "lab.log"
    with log.open("w") as out:
        lab = subprocess.Popen(
            [python_of(fresh_venv), "-m", "jupyterlab", notebook.name, "--no-browser",
             f"--port={port}", f"--IdentityProvider.token={token}",
             "--ServerApp.port_retries=0", *(["--allow-root"] if os.geteuid() == 0 else [])],
            cwd=downloads, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        base, deadline = f"http://127.0.0.1:{port}", time.monotonic() + 600
        while f":{port}/lab" not in log.read_text():  # the server prints its URL when up
            assert lab.poll() is None, f"jupyter lab exited:\n{log.read_text()[-3000:]}"
            assert time.monotonic() < deadline, f"no server URL in 600 s:\n{log.read_text()}"
            time.sleep(0.2)
        headers = {"Authorization": f"token {token}"}
        with urllib.request.urlopen(urllib.request.Request(
                f"{base}/api/contents/{notebook.name}?content=0", headers=headers)) as reply:
            assert json.load(reply)["type"] == "notebook"
        with urllib.request.urlopen(urllib.request.Request(
                f"{base}/api/kernelspecs", headers=headers)) as reply:
            specs = json.load(reply)
        kernel_python = specs["kernelspecs"][specs["default"]]["spec"]["argv"][0]
        # "python" is the server's own interpreter (jupyter_client puts sys.executable in
        # its place), here the new environment's; otherwise a path into it
        assert (kernel_python in ("python", "python3")
                or Path(kernel_python).parent == python_of(fresh_venv).parent), kernel_python
    finally:
        lab.terminate()
        lab.wait(timeout=60)
