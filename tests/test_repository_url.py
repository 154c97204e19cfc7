"""Setting the repository URL keeps the book's execution cache (scripts/repository_url.py).

The URL is written into each notebook's Colab cell, which is code: jupyter-cache would
no longer match the notebooks, and the next ``make book`` would execute all five again.
The cell does nothing outside Colab, so the cached execution is carried over to the
notebook with the new cell; any other change is not carried (the book must run it).
"""

from __future__ import annotations

import copy

import nbformat
from jupyter_cache import get_cache
from jupyter_cache.base import CacheBundleIn

from course.markup import COLAB_TAG
from scripts.repository_url import carry_executions


def notebook(url: str, extra: str = "x = 1") -> dict:
    colab = nbformat.v4.new_code_cell(f'COURSE_REPOSITORY = "{url}"')
    colab.metadata["tags"] = [COLAB_TAG]
    nb = nbformat.v4.new_notebook(cells=[colab, nbformat.v4.new_code_cell(extra)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    for k, cell in enumerate(nb.cells):
        cell.id = f"cell-{k}"
    return nb


def cached(tmp_path, nb, path):
    executed = copy.deepcopy(nb)
    executed.cells[1].outputs = [nbformat.v4.new_output("stream", text="trained\n")]
    executed.cells[1].execution_count = 2
    store = get_cache(str(tmp_path / "cache"))
    store.cache_notebook_bundle(CacheBundleIn(executed, str(path)), check_validity=False)
    return store


def test_a_new_url_keeps_the_cached_execution(tmp_path):
    path = tmp_path / "01_cnn.ipynb"
    before, after = notebook(""), notebook("https://github.com/org/course")
    store = cached(tmp_path, before, path)
    assert carry_executions(tmp_path / "cache", [(before, after, path)]) == ["01_cnn"]
    _, merged = store.merge_match_into_notebook(nbformat.from_dict(after))
    assert merged.cells[1].outputs[0]["text"] == "trained\n"
    assert merged.cells[0].source == 'COURSE_REPOSITORY = "https://github.com/org/course"'


def test_any_other_change_is_executed_again(tmp_path):
    path = tmp_path / "01_cnn.ipynb"
    before = notebook("")
    after = notebook("https://github.com/org/course", extra="x = 2")
    store = cached(tmp_path, before, path)
    assert carry_executions(tmp_path / "cache", [(before, after, path)]) == []
    try:
        store.merge_match_into_notebook(nbformat.from_dict(after))
    except KeyError:
        return
    raise AssertionError("a notebook whose code changed matched an old execution")
