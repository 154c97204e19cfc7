"""Notebook prose renders the same in JupyterLab (jupyterlab-myst), GitHub, Colab and the book.

These are the fast, browser-free halves of ``make lab-check``: markup that only the book
understands is caught here, before anyone opens a notebook.
"""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NAMES = ["01_cnn", "02_autoencoder", "03_pinn_forward", "04_pinn_inverse", "05_symmetry"]

# Roles that need myst-nb or sphinx-bibtex: other front ends print them raw or as a warning.
BOOK_ONLY_ROLE = re.compile(r"\{(glue|glue:\w+|cite|cite:\w+|bibliography|eval)\}`")


def _cells(name):
    return json.loads((ROOT / "notebooks" / f"{name}.ipynb").read_text())["cells"]


def _source(cell) -> str:
    return "".join(cell["source"])


@pytest.mark.parametrize("name", NAMES)
def test_markdown_uses_no_book_only_roles(name):
    found = [(i, m.group(0)) for i, cell in enumerate(_cells(name))
             if cell["cell_type"] == "markdown"
             for m in BOOK_ONLY_ROLE.finditer(_source(cell))]
    assert not found, (
        f"{name}: markdown cells {found} use book-only roles; show numbers from code "
        "(print or utils.show_table) and cite as [Author Year](https://doi.org/...)")


def test_book_only_role_pattern_catches_what_it_must():
    assert BOOK_ONLY_ROLE.search("accuracy {glue:text}`cnn_test_acc:.3f`")
    assert BOOK_ONLY_ROLE.search("as {cite:t}`carrasquilla2017` did")
    assert BOOK_ONLY_ROLE.search("({cite}`wang2016,wetzel2017`)")
    assert not BOOK_ONLY_ROLE.search("[Wang (2016)](https://doi.org/10.1103/PhysRevB.94.195105)")


def test_notebook_citations_link_works_listed_in_references_bib():
    bib = (ROOT / "references.bib").read_text()
    known = set(re.findall(r"(?:doi\s*=\s*\{([^}]+)\})", bib))
    known |= {u.removeprefix("https://doi.org/")
              for u in re.findall(r"url\s*=\s*\{([^}]+)\}", bib)}
    for name in NAMES:
        text = "\n".join(_source(c) for c in _cells(name) if c["cell_type"] == "markdown")
        links = re.findall(r"\]\((https://(?:doi\.org|arxiv\.org/abs)/[^)\s]+)\)", text)
        for link in links:
            key = link.removeprefix("https://doi.org/")
            assert key in known, f"{name}: {link} is not in references.bib"


@pytest.mark.parametrize("name", NAMES)
def test_solutions_open_collapsed_in_jupyterlab(name):
    solutions = [c for c in _cells(name) if "solution" in c["metadata"].get("tags", [])]
    assert solutions, f"{name} has no solution cells"
    for cell in solutions:
        hidden = cell["metadata"].get("jupyter", {})
        assert hidden.get("source_hidden") is True, f"{name}: {cell['id']} not collapsed"
        if cell["cell_type"] == "code":
            assert hidden.get("outputs_hidden") is True, f"{name}: {cell['id']} outputs shown"


@pytest.mark.parametrize("name", NAMES)
def test_notebook_metadata_is_what_jupyterlab_writes_back(name):
    """JupyterLab replaces language_info with the kernel's on opening; anything the kernel
    reports differently would mark the notebook modified before any edit."""
    meta = json.loads((ROOT / "notebooks" / f"{name}.ipynb").read_text())["metadata"]
    assert set(meta) <= {"kernelspec", "language_info"}, set(meta)
    assert meta["kernelspec"]["name"] == "python3"


# A projector shows about 30 lines of code at a size the back row can read (JupyterLab,
# 1080p, 18-pt code font). Worked solutions are read at a desk, not projected.
PROJECTOR_LINES = 30


@pytest.mark.parametrize("name", NAMES)
def test_code_cells_fit_on_a_projector(name):
    long = [(i, len(_source(c).splitlines())) for i, c in enumerate(_cells(name))
            if c["cell_type"] == "code" and "solution" not in c["metadata"].get("tags", [])
            and len(_source(c).splitlines()) > PROJECTOR_LINES]
    assert not long, f"{name}: code cells longer than {PROJECTOR_LINES} lines: {long}; split them"
