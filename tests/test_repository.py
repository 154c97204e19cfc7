"""The repository's own conventions: requirement files agree, notebooks carry no outputs."""

import json
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ["01_cnn", "02_autoencoder", "03_pinn_forward", "04_pinn_inverse", "05_symmetry"]
CONDA_TO_PIP = {"pytorch": "torch"}


def _split(spec: str) -> tuple[str, str]:
    name, version = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", spec).groups()
    return CONDA_TO_PIP.get(name.lower(), name.lower()), version.replace(" ", "")


def test_requirements_and_environment_name_the_same_packages():
    pip = dict(
        _split(line.split("#")[0])
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if line.split("#")[0].strip()
    )
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    deps = env["dependencies"]
    pip_section = next(d["pip"] for d in deps if isinstance(d, dict) and "pip" in d)
    conda = dict(
        _split(dep.split("#")[0])
        for dep in [*deps, *pip_section]
        if isinstance(dep, str) and not dep.startswith(("python", "pip", "-e"))
    )
    assert pip == conda


def test_notebooks_exist_in_order_and_are_stored_without_outputs():
    toc = (ROOT / "_toc.yml").read_text()
    positions = [toc.index(f"notebooks/{name}") for name in NOTEBOOKS]
    assert positions == sorted(positions)
    for name in NOTEBOOKS:
        nb = json.loads((ROOT / "notebooks" / f"{name}.ipynb").read_text())
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                assert cell["outputs"] == [], f"{name}: a code cell has stored outputs"
                assert cell["execution_count"] is None, f"{name}: execution count stored"


def test_notebooks_import_utils_without_sys_path_edits():
    for name in NOTEBOOKS:
        source = (ROOT / "notebooks" / f"{name}.ipynb").read_text()
        assert "sys.path" not in source, name
        assert "from utils import" in source, name


def test_code_and_notebooks_are_ruff_clean():
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check",
         "conftest.py", "utils", "tests", "benchmarks", "scripts", "notebooks", "_ext"],
        cwd=ROOT, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _closure(names: set[str]) -> set[str]:
    """The installed distributions that ``names`` need, recursively (normalized names;
    markers and extras of the dependencies are not evaluated: an over-estimate)."""
    from importlib.metadata import PackageNotFoundError, requires

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    seen, todo = set(), [canonicalize_name(n) for n in names]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            needed = requires(name) or []
        except PackageNotFoundError:
            continue
        todo += [canonicalize_name(Requirement(r).name) for r in needed
                 if "extra ==" not in r]
    return seen


def imported_modules(sources: list[str]) -> set[str]:
    found = set()
    for source in sources:
        found |= set(re.findall(r"^\s*(?:from|import)\s+([A-Za-z_]\w*)", source, re.M))
    return found


# imported only where present: Colab's own module; myst-nb, without which utils.glue
# does nothing (the book has it, a student's notebook does not need it)
OPTIONAL = {"google", "myst_nb"}


def missing_from_the_student_install(modules: set[str], declared: set[str]) -> list[str]:
    """Third-party modules whose distribution ``declared`` (and what it needs) lacks."""
    import sys
    from importlib.metadata import packages_distributions

    from packaging.utils import canonicalize_name

    provided, closure = packages_distributions(), _closure(declared)
    return sorted(m for m in modules - {"utils", *OPTIONAL}
                  if m not in sys.stdlib_module_names and m in provided
                  and not {canonicalize_name(d) for d in provided[m]} & closure)


def test_the_student_install_line_brings_everything_the_notebooks_import():
    """What a laptop or a hub image gets from ``dl4phys-utils[student]`` (docs/students.md)
    covers every module that the notebooks and the package import."""
    from packaging.requirements import Requirement

    project = __import__("tomllib").loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {Requirement(r).name for r in project["dependencies"]
                + project["optional-dependencies"]["student"]}
    sources = [(p.read_text()) for p in (ROOT / "utils").glob("*.py")]
    for path in (ROOT / "notebooks").glob("*.ipynb"):
        sources += ["".join(c["source"]) for c in json.loads(path.read_text())["cells"]
                    if c["cell_type"] == "code"]
    modules = imported_modules(sources)
    assert {"torch", "sklearn", "ipywidgets", "otter"} <= modules
    assert missing_from_the_student_install(modules, declared) == []
    # and it would notice a missing one: scikit-learn left out of the extra
    assert missing_from_the_student_install(modules, declared - {"scikit-learn"}) == [
        "sklearn"]
