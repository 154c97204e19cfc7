"""Launch buttons point where they must (``make publish-check``, after ``make book``).

The book is built a second time, into ``_build/publish-check/``, with an example
repository URL and JupyterHub set, from the outputs in ``make book``'s execution cache
(nothing is executed again). Every notebook page must then link to that notebook's path on branch
``main`` on Colab, Binder and JupyterHub (nbgitpuller). The book of ``make book``, built
with the repository's own ``_config.yml`` whose URL is empty, must have no launch link.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

import nbformat
import pytest
import yaml

from scripts.student_edition import executed

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "_build" / "publish-check"
NAMES = ["01_cnn", "02_autoencoder", "03_pinn_forward", "04_pinn_inverse", "05_symmetry"]
BOOK_FILES = ["intro.md", "summary.md", "references.md", "execution_statistics.md",
              "references.bib", "_toc.yml"]
REPO = "https://github.com/example-org/dl4phys"
HUB = "https://hub.example.org"
LAUNCH_HOSTS = ("mybinder.org", "colab.research.google.com", "hub.example.org")


def _links(html: str) -> list[str]:
    from html.parser import HTMLParser

    class Links(HTMLParser):
        def __init__(self):
            super().__init__()
            self.hrefs = []

        def handle_starttag(self, tag, attrs):
            href = dict(attrs).get("href")
            if tag == "a" and href:
                self.hrefs.append(href)

    parser = Links()
    parser.feed(html)
    return parser.hrefs


@pytest.fixture(scope="module")
def site_with_url() -> Path:
    src = OUT / "book"
    shutil.rmtree(OUT, ignore_errors=True)
    src.mkdir(parents=True)
    for name in BOOK_FILES:
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "_ext", src / "_ext")
    (src / "notebooks").mkdir()
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):  # outputs from make book's cache
        nbformat.write(executed(path), src / "notebooks" / path.name)
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    config["repository"]["url"] = REPO
    config["launch_buttons"]["jupyterhub_url"] = HUB
    config["execute"]["execute_notebooks"] = "off"  # outputs come from the cache: nothing runs
    (src / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    with open(OUT / "build.log", "w") as log:
        result = subprocess.run([str(jupyter_book), "build", str(src), "-W", "-n",
                                 "--keep-going"], stdout=log, stderr=subprocess.STDOUT)
    assert result.returncode == 0, f"book build failed: see {OUT / 'build.log'}"
    return src / "_build" / "html"


@pytest.mark.parametrize("name", NAMES)
def test_launch_links_point_at_the_notebook_on_main(site_with_url, name):
    links = _links((site_with_url / "notebooks" / f"{name}.html").read_text())
    path = f"notebooks/{name}.ipynb"
    colab = [u for u in links if u.startswith("https://colab.research.google.com/")]
    assert colab == [f"https://colab.research.google.com/github/example-org/dl4phys/blob/"
                     f"main/{path}"], colab
    binder = [u for u in links if u.startswith("https://mybinder.org/")]
    assert len(binder) == 1, binder
    parsed = urlparse(binder[0])
    assert parsed.path == "/v2/gh/example-org/dl4phys/main", binder
    assert parse_qs(parsed.query)["urlpath"] == [f"lab/tree/{path}"], binder
    hub = [u for u in links if u.startswith(HUB)]
    assert len(hub) == 1, hub
    query = parse_qs(urlparse(hub[0]).query)
    assert urlparse(hub[0]).path == "/hub/user-redirect/git-pull", hub
    assert query["repo"] == [REPO] and query["branch"] == ["main"], hub
    assert unquote(query["urlpath"][0]).endswith(f"dl4phys/{path}"), hub


def test_repository_button_uses_the_url(site_with_url):
    links = _links((site_with_url / "intro.html").read_text())
    assert REPO in links
    assert any(u.startswith(f"{REPO}/issues/new?") for u in links), links


@pytest.mark.parametrize("name", NAMES)
def test_book_without_url_has_no_launch_links(name):
    page = ROOT / "_build" / "html" / "notebooks" / f"{name}.html"
    if not page.exists():
        pytest.skip("run `make book` first")
    links = _links(page.read_text())
    assert not [u for u in links if any(host in u for host in LAUNCH_HOSTS)]
    assert not [u for u in links if u.startswith("https://github.com/")]
