"""The one repository URL of the published course, in every place that needs it.

``repository.url`` and ``repository.branch`` in ``_config.yml`` drive the book's
repository, issues and launch buttons (Binder, JupyterHub, Colab). The Colab set-up cell
at the top of each notebook installs the course package from the same repository, so
the URL is written there too. Set both at once:

    .venv/bin/python -m scripts.repository_url https://github.com/ORG/REPO

``tests/test_publishing.py`` fails if the notebooks and ``_config.yml`` disagree.
"""

from __future__ import annotations

import json
import re
import sys

from course import config as course_config
from course import notebooks as course_notebooks
from course.config import GITHUB_URL, ConfigError
from course.markup import BRANCH_LINE, URL_LINE, colab_cell
from course.paths import CONFIG


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
    for nb_path in map(course_notebooks.path, course_notebooks.names()):
        nb = json.loads(nb_path.read_text())
        cell = colab_cell(nb)
        source = URL_LINE.sub(f'COURSE_REPOSITORY = "{url}"', "".join(cell["source"]))
        source = BRANCH_LINE.sub(f'COURSE_BRANCH = "{branch}"', source)
        cell["source"] = source.splitlines(keepends=True)
        nb_path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")


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
