"""The set-up and export cells of the otter-grader assignments, on Colab and everywhere else.

``make assignments`` writes two cells into every student notebook that call these
functions: the first cell (installs what Google Colab lacks, then ``grader =
start("02_autoencoder")``) and the last (``export(grader)``). The same two cells work on
Google Colab, a JupyterHub and a laptop:

- **Colab** keeps the notebook in the browser, not on disk, and otter-grader reads neither
  its tests from the notebook there nor exports from it. :func:`start` fetches the
  notebook from Colab's front end and writes its public tests to ``tests/``; :func:`export`
  zips the notebook as Colab has it and offers the zip for download.
- **Anywhere else** otter-grader works from the notebook file: :func:`start` creates the
  grader, :func:`export` calls otter's own export.

Both say in one sentence what went wrong (:class:`SetUpError` prints no traceback), and
:func:`export` warns about code cells that have not been run.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import sys
import warnings
import zipfile
from pathlib import Path

__all__ = ["LECTURE_BRANCH", "SetUpError", "answered", "course_requirement", "export",
           "install_hint", "on_colab", "on_hub", "start", "unexecuted_cells"]

LECTURE_BRANCH = "lecture"  # the public branch the deploy workflow writes (scripts/release.py)


def course_requirement(repository_url: str, how: str = "archive") -> str:
    """What ``pip install`` takes to install the course package from the public branch
    ``lecture`` of ``repository_url`` (``https://github.com/ORG/REPO``).

    ``how="archive"`` (a laptop, a hub's image): the branch as GitHub's zip, no git needed,
    with the extra ``student`` (JupyterLab, jupyterlab-myst, otter-grader, scikit-learn,
    ipywidgets). ``how="git"`` (Colab, which has the rest): the package alone, with git.
    """
    url = repository_url.rstrip("/")
    if not re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", url):
        raise ValueError(f"repository_url must look like https://github.com/ORG/REPO, "
                         f"got {repository_url!r}")
    if how == "archive":
        return f"dl4phys-utils[student] @ {url}/archive/refs/heads/{LECTURE_BRANCH}.zip"
    if how == "git":
        return f"dl4phys-utils @ git+{url}@{LECTURE_BRANCH}"
    raise ValueError(f"how must be 'archive' or 'git', got {how!r}")


def on_hub() -> bool:
    """Whether this kernel runs on a JupyterHub (its single-user servers set
    ``JUPYTERHUB_USER``, and kernels inherit it)."""
    return "JUPYTERHUB_USER" in os.environ


def install_hint(requirement: str = "") -> str:
    """What to do about a missing course package, addressed to who can do it: on a hub
    only its admin can install (the student tells the lecturer); on a laptop the student
    installs ``requirement`` (:func:`course_requirement`) into this kernel's Python."""
    if on_hub():
        return ("only the hub's administrator can install it: tell your lecturer that the "
                "hub's image lacks the course package (docs/publishing.md of the course "
                "gives the install line)")
    what = f'%pip install "{requirement}"' if requirement else (
        '%pip install "dl4phys-utils[student] @ <the install line of the book\'s '
        'Assignment box>"')
    return (f"install it into this kernel's Python: run {what} in a new cell, restart the "
            "kernel (Kernel -> Restart Kernel), and run this cell again")


class SetUpError(Exception):
    """A set-up problem, shown in a notebook as its message alone, without a traceback."""

    def _render_traceback_(self) -> list[str]:  # IPython shows this instead of a traceback
        return [f"{type(self).__name__}: {self}"]


def answered(*values) -> bool:
    """Whether every value holds an answer: ``False`` while any of them is still the
    ``...`` of a student notebook's answer cell, or ``None`` (what a function whose body is
    still ``...`` returns), also inside a dict, list or tuple.

    The given code around an answer runs only ``if answered(...)``, so that *Run All* on an
    untouched assignment runs every cell without an exception and the unanswered
    questions' checks say, in words, what is missing.

    >>> answered(3, {"a": 1.0}), answered(...), answered({"conv1": ...}), answered(None)
    (True, False, False, False)
    """
    for value in values:
        if value is ... or value is None:
            return False
        if isinstance(value, dict) and not answered(*value.values()):
            return False
        if isinstance(value, (list, tuple)) and not answered(*value):
            return False
    return True


def on_colab() -> bool:
    """Whether this kernel runs on Google Colab."""
    return "google.colab" in sys.modules


def _check_name(name: str) -> str:
    if not isinstance(name, str) or not re.fullmatch(r"[\w-]+", name):
        raise ValueError(f"name must be an assignment name such as '02_autoencoder' "
                         f"(letters, digits, _ and -), got {name!r}")
    return name


def _colab_notebook() -> dict:
    """The notebook as Colab's front end holds it (cells, outputs, metadata)."""
    from google.colab import _message

    reply = _message.blocking_request("get_ipynb", timeout_sec=60)
    if not isinstance(reply, dict) or not isinstance(reply.get("ipynb"), dict):
        raise SetUpError("Colab did not hand over the notebook: reload the page and run this "
                         "cell again")
    return reply["ipynb"]


def start(name: str):
    """The otter-grader ``Notebook`` of assignment ``name`` (``grader.check("q")``).

    On Colab the public tests come from the notebook's metadata (otter keeps them there)
    and are written to ``tests/``, where otter looks for them first.
    """
    _check_name(name)
    try:
        import otter
    except ImportError:
        raise SetUpError(f"otter-grader is not installed here: {install_hint()}") from None
    if on_colab():
        tests = _colab_notebook().get("metadata", {}).get("otter", {}).get("tests", {})
        if not tests:
            raise SetUpError(f"this notebook holds no tests: open the assignment notebook "
                             f"{name}.ipynb as handed out, not a copy of the lecture")
        folder = Path("tests")
        folder.mkdir(exist_ok=True)
        for question, source in tests.items():
            (folder / f"{_check_name(question)}.py").write_text(source)
        return otter.Notebook(tests_dir=str(folder))
    if getattr(otter.Notebook, "_grading_mode", False):  # otter run: it knows its notebook
        return otter.Notebook(f"{name}.ipynb")
    return otter.Notebook(str(_notebook_file(name)))


def _notebook_file(name: str) -> Path:
    """The assignment's notebook in the current folder: ``NAME.ipynb``, or the one notebook
    there whose otter metadata names the assignment (a download renamed "NAME (1).ipynb")."""
    path = Path(f"{name}.ipynb")
    if path.is_file():
        return path
    found = []
    for candidate in sorted(Path().glob("*.ipynb")):
        try:
            meta = json.loads(candidate.read_text()).get("metadata", {})
        except (OSError, ValueError):
            continue
        if meta.get("otter", {}).get("assignment_name") == name:
            found.append(candidate)
    if len(found) == 1:
        return found[0]
    raise SetUpError(
        f"cannot find this assignment's notebook {name}.ipynb in the current folder "
        f"({Path.cwd()}; {len(found)} candidates): open the notebook from the folder it is "
        "saved in, and keep one copy of it there")


def unexecuted_cells(nb: dict) -> list[int]:
    """Indices of the code cells (with code) that have no execution count, but for the
    export cell itself (it is running while it looks)."""
    return [i for i, cell in enumerate(nb.get("cells", []))
            if cell.get("cell_type") == "code" and cell.get("execution_count") is None
            and (source := "".join(cell.get("source", ""))).strip()
            and "export(grader" not in source]


def _warn_unexecuted(nb: dict, where: str) -> None:
    missing = unexecuted_cells(nb)
    if missing:
        shown = ", ".join(str(i) for i in missing[:8]) + (", ..." if len(missing) > 8 else "")
        warnings.warn(
            f"{len(missing)} code cells of the {where} have not been run (cells {shown}): "
            "the grader runs your notebook from the top, so run every cell (Run -> Run All), "
            "save, and export again", UserWarning, stacklevel=3)


def _stamp(path: Path, name: str, when: dt.datetime) -> None:
    """Add ``submission.json`` to the zip: the assignment and the moment of export (UTC),
    which grading reads as the time of hand-in where the LMS gives none."""
    with zipfile.ZipFile(path, "a") as archive:
        if "submission.json" not in archive.namelist():
            archive.writestr("submission.json", json.dumps(
                {"assignment": name, "exported_at": when.isoformat(timespec="seconds")}))


def export(grader, name: str | None = None) -> Path:
    """Write the submission zip (and on Colab offer it for download); returns its path.
    The zip holds the notebook and ``submission.json`` (the assignment, the time of
    export)."""
    now = dt.datetime.now(dt.timezone.utc)
    if on_colab():
        nb = _colab_notebook()
        name = _check_name(name or nb.get("metadata", {}).get("otter", {}).get(
            "assignment_name", "submission"))
        _warn_unexecuted(nb, "notebook")
        stamp = dt.datetime.now().strftime("%Y_%m_%dT%H_%M_%S")
        path = Path(f"{name}_{stamp}.zip")
        with zipfile.ZipFile(path, "w") as archive:  # what otter's export writes
            archive.writestr(f"{name}.ipynb", json.dumps(nb))
            if Path(".OTTER_LOG").is_file():
                archive.write(".OTTER_LOG")
            archive.writestr("__zip_filename__", path.name)
        _stamp(path, name, now)
        print(f"Your submission is {path}: download it (Colab offers it now) and hand it in.")
        from google.colab import files

        files.download(str(path))
        return path
    notebook = _notebook_file(_check_name(name)) if name else None
    if notebook is not None:
        _warn_unexecuted(json.loads(notebook.read_text()), "saved notebook")
    before = set(Path().glob("*.zip"))
    grader.export(str(notebook) if notebook else None, pdf=False, run_tests=False)
    written = sorted(set(Path().glob("*.zip")) - before)
    if not written:
        return Path()
    _stamp(written[-1], name or "submission", now)
    where = ("in the file browser next to this notebook: right-click it, Download"
             if on_hub() else f"in {Path.cwd()}")
    print(f"Your submission is {written[-1]} ({where}): hand it in where your lecturer "
          "collects the work.")
    return written[-1]
