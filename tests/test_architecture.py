"""The shape of the code: one core that every part imports, no circle, no path hacks.

docs/architecture.md draws it. Read with ``ast`` (nothing is imported or run): every
``import`` and ``from ... import`` of the course's own packages, at module level or inside
a function, is an edge from the importing module to the imported one.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ["course", "utils", "scripts", "grading", "_ext", "benchmarks"]
# Who may import whom (besides itself): the core imports only the students' package,
# which imports nothing of the course; the grader never reaches into the build scripts.
ALLOWED = {
    "utils": set(),
    "course": {"utils"},
    "grading": {"course", "utils"},
    "scripts": {"course", "utils"},
    "_ext": {"course", "utils"},
    "benchmarks": {"course", "utils", "grading", "scripts"},
}


def modules() -> dict[str, Path]:
    """{dotted name: file} of every module of the course's packages."""
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports(path: Path, name: str, known: set[str]) -> set[str]:
    """The course modules that the module ``name`` at ``path`` imports."""
    found = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the module's own package
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, base] if base else up)
            # "from grading import sandbox" imports the module grading.sandbox
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base
                       for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def graph() -> dict[str, set[str]]:
    found = modules()
    return {name: imports(path, name, set(found)) for name, path in found.items()}


def test_the_import_graph_is_read_from_the_code():
    edges = graph()
    assert "course.schedule" in edges["grading.batch"]
    assert "grading.sandbox" in edges["grading.grader"]  # "from grading import sandbox"
    assert "course.markup" in edges["scripts.release"]


def test_no_module_imports_one_that_imports_it_back():
    edges = graph()
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = "open"
        path.append(node)
        for child in sorted(edges[node]):
            if state.get(child) == "open":
                circle = path[path.index(child):] + [child]
                pytest.fail("import circle: " + " -> ".join(circle))
            if child not in state:
                visit(child)
        path.pop()
        state[node] = "done"

    for node in sorted(edges):
        if node not in state:
            visit(node)


@pytest.mark.parametrize("package", PACKAGES)
def test_each_part_imports_only_what_lies_below_it(package):
    wrong = sorted(f"{name} imports {target}" for name, targets in graph().items()
                   if name.split(".")[0] == package for target in targets
                   if target.split(".")[0] not in ALLOWED[package] | {package})
    assert not wrong, f"{package} may import only {sorted(ALLOWED[package])}: {wrong}"


def test_the_grader_does_not_import_the_build_scripts():
    edges = graph()
    assert not [t for n, ts in edges.items() if n.startswith("grading") for t in ts
                if t.startswith("scripts")]


def _path_edits(path: Path) -> list[int]:
    """Lines of calls such as ``sys.path.insert(...)`` or ``sys.path.append(...)``."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("insert", "append", "extend")
                and isinstance(node.func.value, ast.Attribute)
                and node.func.value.attr == "path"):
            lines.append(node.lineno)
    return lines


def test_nothing_edits_the_import_path_and_nothing_needs_an_import_after_code():
    """Entry points run as modules (``python -m grading.batch``) from the checkout, so no
    file puts a folder on ``sys.path`` (the sandbox's own start-up code, a template for
    the process inside it, is text here) and no import needs ``noqa: E402``."""
    files = [*modules().values(), *sorted((ROOT / "tests").rglob("*.py")), ROOT / "conftest.py"]
    edits = [f"{p.relative_to(ROOT)}:{n}" for p in files for n in _path_edits(p)]
    assert not edits, f"sys.path edited at {edits}"
    e402 = [str(p.relative_to(ROOT)) for p in files if re.search(r"#\s*noqa:[^\n]*E402",
                                                                  p.read_text())]
    assert not e402, f"imports after code (noqa: E402) in {e402}"


def _parses_yaml(path: Path) -> bool:
    tree = ast.parse(path.read_text(), str(path))
    return any(isinstance(n, ast.Attribute) and n.attr in ("safe_load", "load", "full_load")
               and isinstance(n.value, ast.Name) and n.value.id == "yaml" for n in ast.walk(tree))


def test_the_course_configuration_is_parsed_in_one_module():
    """YAML is parsed in two places only: ``_config.yml`` in course.config, the YAML of
    otter's raw cells in course.markup. Everyone else asks them."""
    parsers = [str(p.relative_to(ROOT)) for p in modules().values() if _parses_yaml(p)]
    assert parsers == ["course/config.py", "course/markup.py"], parsers


def test_the_makefile_runs_every_entry_point_as_a_module():
    makefile = (ROOT / "Makefile").read_text()
    by_path = re.findall(r"\$\(PY\)\s+((?:scripts|grading|benchmarks)/\w+\.py)", makefile)
    assert not by_path, f"run by path in the Makefile: {by_path}"
    assert "$(PY) -m grading.batch" in makefile
