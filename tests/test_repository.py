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
