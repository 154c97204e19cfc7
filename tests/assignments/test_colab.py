"""The handed-out assignments where students work: Google Colab, and anywhere without the
course environment (``make assignments-check``, after ``make assignments``).

A stand-in for Colab, built here in ``_build/colab/``:

- a fresh virtual environment that holds only what Colab has preinstalled for this course:
  torch, numpy, scipy, matplotlib, scikit-learn, ipywidgets, tqdm, numba and the kernel
  (ipykernel), with what they depend on. They are the course environment's installed
  copies, reached through a folder of symbolic links outside the new environment (pip
  never removes what lies outside an environment); otter-grader and the course package
  ``utils`` are not there, and the test checks that they do not import;
- a stand-in ``google.colab`` module, imported when the kernel starts as on Colab: otter
  sees the Colab interpreter (the shell's class lives in ``google.colab``), the notebook
  is not on disk but handed over by ``_message.blocking_request("get_ipynb")`` (the
  notebook as executed so far), and ``files.download`` records what it was asked to offer.

Then each student notebook runs from its first cell: the set-up cell installs what is
missing (otter-grader, pinned, from the package index ``make test`` installs from, and the
course package from this checkout instead of the published repository), and every cell
of every untouched student notebook runs in order, as on Colab with Run all: no cell
raises, the unanswered answers (``...``) leave their checks failing with the public
test's message in words, and the export writes the zip and offers it for download. A
student who jumps to the first question is warned at the export that cells have not been
run. Without Colab and without the course package the set-up cell says in one sentence
what to install.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from course.paths import ASSIGNMENTS as OUT
from utils.assignment import course_requirement

ROOT = Path(__file__).resolve().parents[2]
COLAB = ROOT / "_build" / "colab"
NAMES = ["01_cnn", "02_autoencoder", "03_pinn_forward", "04_pinn_inverse", "05_symmetry"]
COLAB_STACK = ["torch", "numpy", "scipy", "matplotlib", "scikit-learn", "ipywidgets", "tqdm",
               "numba", "ipykernel"]
ABSENT = ["otter-grader", "dl4phys-utils"]

STANDIN = {
    "__init__.py": '''\
"""Stand-in for Google Colab's module (tests/assignments/test_colab.py)."""
from IPython import get_ipython

_shell = get_ipython()
if _shell is not None and "google.colab" not in type(_shell).__module__:
    # On Colab the shell is google.colab._shell.Shell; otter recognises Colab by that name.
    _shell.__class__ = type("Shell", (type(_shell),), {"__module__": "google.colab._shell"})
''',
    "_message.py": '''\
import json
import os


def blocking_request(request_type, request="", timeout_sec=5, parent=None):
    assert request_type == "get_ipynb", request_type
    with open(os.environ["COLAB_STANDIN_NOTEBOOK"]) as f:
        return {"ipynb": json.load(f)}
''',
    "files.py": '''\
import os


def download(filename):
    with open(os.environ["COLAB_STANDIN_DOWNLOADS"], "a") as f:
        f.write(os.path.abspath(filename) + "\\n")
    print(f"[stand-in] Colab offers {filename} for download")
''',
}


def closure(roots: list[str]) -> dict[str, importlib.metadata.Distribution]:
    """The installed distributions ``roots`` need, by normalised name."""
    def norm(name: str) -> str:
        return re.sub(r"[-_.]+", "-", name).lower()

    found, todo = {}, [norm(r) for r in roots]
    while todo:
        name = todo.pop()
        if name in found:
            continue
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue  # an optional dependency that is not installed
        found[name] = dist
        for requirement in dist.requires or []:
            if "extra ==" in requirement:
                continue
            todo.append(norm(re.split(r"[ ;<>=!~\[(]", requirement, maxsplit=1)[0]))
    return found


@pytest.fixture(scope="module")
def colab(require_built) -> dict:
    """The stand-in environment (built once per checkout; reused while it is intact)."""
    require_built(OUT / "release", "make assignments")
    venv, stack, fake = COLAB / "venv", COLAB / "stack", COLAB / "fake"
    python = venv / "bin" / "python"
    shutil.rmtree(venv, ignore_errors=True)  # fresh: nothing installed by an earlier run
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    dists = closure(COLAB_STACK)
    assert not set(ABSENT) & set(dists), "otter or the course package in Colab's stack"
    stack.mkdir(parents=True, exist_ok=True)
    site = Path(next(p for p in sys.path if p.endswith("site-packages")))
    for dist in dists.values():
        for top in {Path(str(f)).parts[0] for f in dist.files or []} - {".."}:
            if top.endswith(".pth") or top.startswith("__editable__"):
                continue
            link = stack / top
            if not link.exists() and (site / top).exists():
                link.symlink_to(site / top)
    standin_site = next((venv / "lib").glob("python3*/site-packages"))
    (standin_site / "colab_stack.pth").write_text(f"{stack}\n")
    for name, source in STANDIN.items():
        path = fake / "google" / "colab" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)
    (fake / "google" / "__init__.py").write_text("")
    package = COLAB / "package"  # the course package, copied: pip builds in its source folder
    shutil.rmtree(package, ignore_errors=True)
    shutil.copytree(ROOT / "utils", package / "utils",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", package / "pyproject.toml")
    kernels = COLAB / "kernels"
    for kernel, startup in [("colab-standin", ["--IPKernelApp.exec_lines=import google.colab"]),
                            ("bare-standin", [])]:
        spec = kernels / "kernels" / kernel / "kernel.json"
        spec.parent.mkdir(parents=True, exist_ok=True)
        spec.write_text(json.dumps({
            "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}",
                     *startup],
            "display_name": kernel, "language": "python",
            "metadata": {"supported_encryption": ["curve"]},  # as ipykernel's own spec
            "env": {"PYTHONPATH": str(fake) if startup else "", "MPLBACKEND": "Agg",
                    "DL4PHYS_PROGRESS": "text", "PYTHONNOUSERSITE": "1"}}))
    return {"python": python, "kernels": kernels, "package": package}


def standin_imports(colab, module: str) -> bool:
    return subprocess.run([str(colab["python"]), "-c", f"import {module}"], cwd=COLAB,
                          capture_output=True).returncode == 0  # not from the checkout


def run_cells(colab, nb, cells: list[int], workdir: Path, kernel="colab-standin") -> list:
    """Execute the given cells of ``nb`` in order, in one stand-in kernel whose working
    folder is ``workdir`` (empty, like Colab's /content: the notebook is not on disk).
    The stand-in hands over the notebook as executed so far."""
    live = workdir.parent / f"{workdir.name}-live.ipynb"
    downloads = workdir.parent / f"{workdir.name}-downloads.txt"
    os.environ["JUPYTER_PATH"] = str(colab["kernels"])
    os.environ["COLAB_STANDIN_NOTEBOOK"], os.environ["COLAB_STANDIN_DOWNLOADS"] = (
        str(live), str(downloads))
    nbformat.write(nb, live)
    client = NotebookClient(nb, kernel_name=kernel, timeout=900, allow_errors=True,
                            resources={"metadata": {"path": str(workdir)}},
                            on_cell_executed=lambda cell, cell_index, **_: nbformat.write(
                                nb, live))
    # No stand-in Output widget (01's slider): nbclient's would send its state on the
    # shell socket while the reply is awaited there; CI once lost the reply's wake-up for
    # the whole 900 s timeout (cell 10 of 01: reply at 18:58:46.998, next cell at
    # 19:13:46.768). Outputs the widget would capture stay in the cell's outputs.
    client.widget_registry = {}
    with client.setup_kernel(transport_encryption="auto"):  # CurveZMQ, as in make lab
        for index in cells:
            client.execute_cell(nb.cells[index], index)
    return downloads.read_text().splitlines() if downloads.exists() else []


def text(cell) -> str:
    parts = []
    for output in cell.get("outputs", []):
        if output.output_type == "stream":
            parts.append(output.text)
        elif output.output_type == "error":
            parts.append(f"{output.ename}: {output.evalue}\n" + "\n".join(output.traceback))
        else:
            parts.append(str(output.get("data", {}).get("text/plain", "")))
    return "".join(parts)


def handed_out(colab, name: str):
    """The release notebook, installing the course package from this checkout."""
    nb = nbformat.read(OUT / "release" / f"{name}.ipynb", as_version=4)
    setup = nb.cells[setup_index(nb)]
    setup.source = re.sub(r'^COURSE_PACKAGE = ".*"$', f'COURSE_PACKAGE = "{colab["package"]}"',
                          setup.source, flags=re.M)
    return nb


def setup_index(nb) -> int:
    (index,) = [i for i, c in enumerate(nb.cells)
                if "assignment-setup" in c.metadata.get("tags", [])]
    return index


def first_check(nb) -> int:
    return next(i for i, c in enumerate(nb.cells) if c.source.startswith("grader.check("))


def export_index(nb) -> int:
    return next(i for i, c in enumerate(nb.cells) if c.source == "export(grader, ASSIGNMENT)")


def test_the_standin_has_colabs_stack_and_not_the_course(colab):
    assert standin_imports(colab, "torch, numpy, scipy, matplotlib, sklearn, ipywidgets, tqdm")
    assert not standin_imports(colab, "otter") and not standin_imports(colab, "utils")


@pytest.mark.parametrize("where", ["laptop", "hub"])
def test_without_the_course_package_the_setup_cell_tells_who_can_act(colab, tmp_path,
                                                                    monkeypatch, where):
    """On a laptop the student installs the package with the book's line; on a JupyterHub
    only its administrator can, so the student is told to tell the lecturer, and the
    lecturer where the image's install line is."""
    if where == "hub":
        monkeypatch.setenv("JUPYTERHUB_USER", "student-1")  # a hub's single-user server
    else:
        monkeypatch.delenv("JUPYTERHUB_USER", raising=False)
    line = course_requirement("https://github.com/example-org/dl4phys")
    nb = nbformat.read(OUT / "release" / "02_autoencoder.ipynb", as_version=4)
    setup = nb.cells[setup_index(nb)]
    setup.source = re.sub(r'^LAPTOP_PACKAGE = ".*"$', f'LAPTOP_PACKAGE = "{line}"',
                          setup.source, flags=re.M)
    (tmp_path / "work").mkdir()
    run_cells(colab, nb, [setup_index(nb)], tmp_path / "work", kernel="bare-standin")
    (error,) = [o for o in setup.outputs if o.output_type == "error"]
    assert error.ename == "SetUpError" and len(error.traceback) == 1, error  # no traceback
    message = error.traceback[0]
    if where == "hub":
        assert "tell your lecturer" in message and "docs/publishing.md" in message, message
        assert "%pip" not in message, message
    else:
        assert "`utils` is not installed" in message, message
        assert f'%pip install "{line}"' in message and "restart the kernel" in message


@pytest.fixture(scope="module")
def run_all(colab, tmp_path_factory):
    """``run_all(name)``: the untouched student notebook on the stand-in Colab, every cell
    in order (Run all), once per notebook: ``(notebook as run, its folder, downloads)``."""
    done = {}

    def run(name):
        if name not in done:
            nb = handed_out(colab, name)
            work = tmp_path_factory.mktemp(f"colab-{name}") / "content"
            work.mkdir()
            downloads = run_cells(colab, nb, list(range(len(nb.cells))), work)
            done[name] = nb, work, downloads
        return done[name]

    return run


@pytest.fixture(scope="module")
def colab_02(run_all):
    return run_all("02_autoencoder")


def test_on_colab_the_setup_cell_installs_what_colab_lacks(colab, colab_02):
    nb, _, _ = colab_02
    assert not [o for o in nb.cells[setup_index(nb)].outputs if o.output_type == "error"]
    assert standin_imports(colab, "otter, utils")
    version = importlib.metadata.version("otter-grader")
    assert f'OTTER = "otter-grader=={version}"' in nb.cells[setup_index(nb)].source


@pytest.mark.parametrize("name", NAMES)
def test_run_all_on_an_untouched_assignment_raises_nothing(run_all, name):
    """Every cell runs, the unanswered ones (``...``) included: the given code around an
    answer does not depend on the line the student writes (``utils.answered``)."""
    nb, _, _ = run_all(name)
    errors = [f"cell {i}: " + text(c)[-800:] for i, c in enumerate(nb.cells)
              if c.cell_type == "code" and any(o.output_type == "error" for o in c.outputs)]
    assert errors == [], errors
    assert all(c.execution_count for c in nb.cells if c.cell_type == "code")


@pytest.mark.parametrize("name", NAMES)
def test_run_all_leaves_each_unanswered_check_failing_in_words(run_all, name):
    nb, _, _ = run_all(name)
    checks = [c for c in nb.cells if c.source.startswith("grader.check(")]
    assert len(checks) == 2
    for cell in checks:
        question, output = cell.source.split('"')[1], text(cell)
        # the public test's own message (an AssertionError in words), not a stray error
        # of the test's code meeting a `...` (TypeError, AttributeError, NameError)
        error_lines = [line.strip() for line in output.splitlines()
                       if re.match(r"\s*\w+Error: ", line)]
        assert question in output and error_lines, output
        assert all(line.startswith("AssertionError: ") for line in error_lines), output
        assert "Traceback" not in output, output


@pytest.mark.parametrize("name", NAMES)
def test_run_all_exports_the_zip_and_offers_it(run_all, name):
    nb, work, downloads = run_all(name)
    (zip_path,) = sorted(work.glob(f"{name}_*.zip"))
    assert downloads == [str(zip_path)]
    with zipfile.ZipFile(zip_path) as archive:
        submitted = json.loads(archive.read(f"{name}.ipynb"))
        assert archive.read("__zip_filename__").decode() == zip_path.name
        meta = json.loads(archive.read("submission.json"))  # what grading reads
    assert meta["assignment"] == name
    assert dt.datetime.fromisoformat(meta["exported_at"]).tzinfo is not None
    assert submitted["metadata"]["otter"]["assignment_name"] == name
    executed = [c for c in submitted["cells"] if c["cell_type"] == "code"][:-1]
    assert all(c["execution_count"] for c in executed)  # as the student ran it
    assert "have not been run" not in text(nb.cells[export_index(nb)])


def test_on_colab_a_check_before_the_answer_says_what_is_missing_in_words(colab_02):
    nb, _, _ = colab_02
    output = text(nb.cells[first_check(nb)])
    assert "ae_latent" in output and "`latent_models` should be a dict" in output, output
    assert "Traceback" not in output


@pytest.mark.parametrize("name", ["05_symmetry"])
def test_on_colab_a_student_who_skips_cells_is_warned_at_the_export(colab, name, tmp_path):
    """Set-up, the first check (before its answer) and the export, as a student who jumps
    to the first question would run them; the export warns that cells were not run. (One
    notebook: the warning does not depend on which; Run All covers the five above.)"""
    nb = handed_out(colab, name)
    work = tmp_path / "content"
    work.mkdir()
    cells = [setup_index(nb), first_check(nb), export_index(nb)]
    downloads = run_cells(colab, nb, cells, work)
    errors = [text(nb.cells[i])[-600:] for i in cells
              if any(o.output_type == "error" for o in nb.cells[i].outputs)]
    assert errors == [], errors
    check = text(nb.cells[first_check(nb)])
    question = nb.cells[first_check(nb)].source.split('"')[1]
    assert question in check and "`" in check and "Traceback" not in check, check
    export = text(nb.cells[export_index(nb)])
    assert "have not been run" in export and "Run All" in export, export
    (zip_path,) = sorted(work.glob(f"{name}_*.zip"))
    assert downloads == [str(zip_path)]
