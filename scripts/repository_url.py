"""The one repository URL of the published course, in every place that needs it.

``repository.url`` and ``repository.branch`` in ``_config.yml`` drive the book's
repository, issues and launch buttons (Binder, JupyterHub, Colab). The Colab set-up cell
at the top of each notebook installs the course package from the same repository, so
the URL is written there too. Set both at once:

    make repository-url URL=https://github.com/ORG/REPO [BRANCH=main]

(on a fresh clone it builds ``.venv`` first; or ``.venv/bin/python -m scripts.repository_url
URL``). The Colab cell is code, so the book's execution cache would no longer match the
notebooks and the next ``make book`` would execute all of them again; the cell does
nothing outside Colab, so each cached execution is carried over to the notebook with the
new cell instead (:func:`carry_executions`): nothing runs again.
``tests/test_publishing.py`` fails if the notebooks and ``_config.yml`` disagree.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from course import config as course_config
from course import notebooks as course_notebooks
from course.config import GITHUB_URL, ConfigError
from course.markup import BRANCH_LINE, COLAB_TAG, URL_LINE, colab_cell
from course.paths import BOOK_CACHE, CONFIG


def set_url(url: str, branch: str = "main") -> None:
    """Write ``url`` and ``branch`` into _config.yml and every notebook's Colab cell."""
    url = url.rstrip("/")
    if url and not GITHUB_URL.match(url):
        raise ValueError(f"url must look like https://github.com/ORG/REPO (or be empty), "
                         f"got {url!r}")
    path = CONFIG
    text = path.read_text()
    text, n_url = re.subn(r'(?m)^(repository:\n(?:  .*\n)*?  url: ).*$', rf'\g<1>"{url}"', text)
    text, n_branch = re.subn(r'(?m)^(repository:\n(?:  .*\n)*?  branch: ).*$',
                             rf"\g<1>{branch}", text)
    if n_url != 1 or n_branch != 1:
        raise ConfigError("_config.yml has no repository.url and repository.branch lines")
    path.write_text(text)
    changed = []
    for nb_path in map(course_notebooks.path, course_notebooks.names()):
        before = nb_path.read_text()
        nb = json.loads(before)
        cell = colab_cell(nb)
        source = URL_LINE.sub(f'COURSE_REPOSITORY = "{url}"', "".join(cell["source"]))
        source = BRANCH_LINE.sub(f'COURSE_BRANCH = "{branch}"', source)
        cell["source"] = source.splitlines(keepends=True)
        nb_path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
        changed.append((json.loads(before), nb, nb_path))
    carried = carry_executions(BOOK_CACHE, changed)
    if carried:
        print(f"the book's execution cache carried over for {', '.join(carried)}")


def carry_executions(cache: Path, changed: list[tuple[dict, dict, Path]]) -> list[str]:
    """For each (notebook before, notebook after, its path) whose only change is its Colab
    cell, store the cached execution of the former as that of the latter (the Colab cell
    has no output outside Colab). Returns the names carried over."""
    if not cache.is_dir():
        return []
    import nbformat
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    store, carried = get_cache(str(cache)), []
    for before, after, path in changed:
        old_cells = [c for c in before["cells"] if COLAB_TAG not in c.get("metadata", {}).get(
            "tags", [])]
        new_cells = [c for c in after["cells"] if COLAB_TAG not in c.get("metadata", {}).get(
            "tags", [])]
        if old_cells != new_cells or before == after:
            continue  # another change: the book must execute it
        try:
            _, executed = store.merge_match_into_notebook(nbformat.from_dict(before))
        except KeyError:
            continue  # no execution to carry
        new_source = "".join(colab_cell(after)["source"])
        for cell in executed.cells:
            if COLAB_TAG in cell.get("metadata", {}).get("tags", []):
                cell.source = new_source
        store.cache_notebook_bundle(CacheBundleIn(executed, str(path)), check_validity=False,
                                    overwrite=True)
        carried.append(path.stem)
    return carried


def main(argv: list[str]) -> int:
    if len(argv) not in (1, 2):
        raise SystemExit(__doc__)
    set_url(*argv)
    config = course_config.load()
    print(f"repository.url = {course_config.repository_url(config)!r}, branch "
          f"{course_config.repository(config)['branch']!r}: _config.yml and "
          f"{len(course_notebooks.names())} notebooks")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
