"""The one repository URL of the published course, in every place that needs it.

``repository.url`` and ``repository.branch`` in ``_config.yml`` drive the book's
repository, issues and launch buttons (Binder, JupyterHub, Colab). The Colab set-up cell
at the top of each notebook installs the course package from the same repository, so
the URL is written there too. Set both at once:

    .venv/bin/python scripts/repository_url.py https://github.com/ORG/REPO

``tests/test_publishing.py`` fails if the notebooks and ``_config.yml`` disagree.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
COLAB_TAG = "colab-setup"
_URL_LINE = re.compile(r'^COURSE_REPOSITORY = "([^"]*)"', re.M)
_BRANCH_LINE = re.compile(r'^COURSE_BRANCH = "([^"]*)"', re.M)
_REPOSITORY_URL = re.compile(r"^https://github\.com/[\w.-]+/[\w.-]+$")


def config() -> dict:
    return yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]


def config_url() -> str:
    return str(config().get("url") or "")


def colab_cell(nb: dict) -> dict:
    """The notebook's Colab set-up cell (tagged ``colab-setup``)."""
    cells = [c for c in nb["cells"] if COLAB_TAG in c.get("metadata", {}).get("tags", [])]
    if len(cells) != 1:
        raise ValueError(f"expected one cell tagged {COLAB_TAG!r}, found {len(cells)}")
    return cells[0]


def colab_cell_url(nb: dict) -> str:
    match = _URL_LINE.search("".join(colab_cell(nb)["source"]))
    if match is None:
        raise ValueError("the Colab cell has no line COURSE_REPOSITORY = \"...\"")
    return match.group(1)


def set_url(url: str, branch: str = "main") -> None:
    """Write ``url`` and ``branch`` into _config.yml and every notebook's Colab cell."""
    url = url.rstrip("/")
    if url and not _REPOSITORY_URL.match(url):
        raise ValueError(f"url must look like https://github.com/ORG/REPO (or be empty), "
                         f"got {url!r}")
    path = ROOT / "_config.yml"
    text = path.read_text()
    text, n_url = re.subn(r'(?m)^(repository:\n(?:  .*\n)*?  url: ).*$', rf'\g<1>"{url}"', text)
    text, n_branch = re.subn(r'(?m)^(repository:\n(?:  .*\n)*?  branch: ).*$',
                             rf"\g<1>{branch}", text)
    if n_url != 1 or n_branch != 1:
        raise ValueError("_config.yml has no repository.url and repository.branch lines")
    path.write_text(text)
    for nb_path in NOTEBOOKS:
        nb = json.loads(nb_path.read_text())
        cell = colab_cell(nb)
        source = _URL_LINE.sub(f'COURSE_REPOSITORY = "{url}"', "".join(cell["source"]))
        source = _BRANCH_LINE.sub(f'COURSE_BRANCH = "{branch}"', source)
        cell["source"] = source.splitlines(keepends=True)
        nb_path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        raise SystemExit(__doc__)
    set_url(*sys.argv[1:])
    print(f"repository.url = {config_url()!r}, branch {config()['branch']!r}: "
          f"_config.yml and {len(NOTEBOOKS)} notebooks")
