"""Launch buttons point where they must (``make publish-check``, after ``make book``).

The public book is built a second time, into ``_build/publish-check/``, with an example
repository URL and JupyterHub set, from the outputs in ``make book``'s execution cache
(nothing is executed again), as ``scripts/release.py`` builds it. Every notebook page must
then link to that notebook's path on branch ``lecture`` (the public notebooks that the
deploy workflow writes; never ``main``, which holds every graded solution) on Colab,
Binder and JupyterHub (nbgitpuller). The book of ``make book``, built with the
repository's own ``_config.yml`` whose URL is empty, must have no launch link.
"""

from __future__ import annotations

import html
import json
import subprocess
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

import pytest

from course.schedule import today
from scripts.release import public_notebook
from scripts.student_edition import build_from_cache
from utils.assignment import course_requirement

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "_build" / "publish-check"
NAMES = ["01_cnn", "02_autoencoder", "03_pinn_forward", "04_pinn_inverse", "05_symmetry"]
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


def _with_example_url(config: dict) -> None:
    from scripts.release import _public_config

    _public_config(config)
    config["repository"]["url"] = REPO
    config["launch_buttons"]["jupyterhub_url"] = HUB


@pytest.fixture(scope="module")
def site_with_url() -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    with open(OUT / "build.log", "w") as log:
        try:
            return build_from_cache(OUT / "book", _with_example_url,
                                    lambda nb: public_notebook(nb, today()), log=log)
        except subprocess.CalledProcessError:
            pytest.fail(f"book build failed: see {OUT / 'build.log'}")


@pytest.mark.parametrize("name", NAMES)
def test_launch_links_point_at_the_public_notebook_on_branch_lecture(site_with_url, name):
    links = _links((site_with_url / "notebooks" / f"{name}.html").read_text())
    path = f"notebooks/{name}.ipynb"
    colab = [u for u in links if u.startswith("https://colab.research.google.com/")
             and "/blob/assignments/" not in u]  # the assignment's link: test below
    assert colab == [f"https://colab.research.google.com/github/example-org/dl4phys/blob/"
                     f"lecture/{path}"], colab
    binder = [u for u in links if u.startswith("https://mybinder.org/")]
    assert len(binder) == 1, binder
    parsed = urlparse(binder[0])
    assert parsed.path == "/v2/gh/example-org/dl4phys/lecture", binder
    assert parse_qs(parsed.query)["urlpath"] == [f"lab/tree/{path}"], binder
    hub = [u for u in links if u.startswith(HUB) and "branch=assignments" not in u]
    assert len(hub) == 1, hub
    query = parse_qs(urlparse(hub[0]).query)
    assert urlparse(hub[0]).path == "/hub/user-redirect/git-pull", hub
    assert query["repo"] == [REPO] and query["branch"] == ["lecture"], hub
    assert unquote(query["urlpath"][0]).endswith(f"dl4phys/{path}"), hub


def test_repository_button_uses_the_url(site_with_url):
    links = _links((site_with_url / "intro.html").read_text())
    assert REPO in links
    assert any(u.startswith(f"{REPO}/issues/new?") for u in links), links


@pytest.mark.parametrize("name", NAMES)
def test_each_page_hands_out_its_assignment(site_with_url, name):
    """A download of the student notebook from the site itself (the file is there), Colab
    on the ``assignments`` branch that the deploy workflow publishes, and nbgitpuller
    pulling that branch (all five notebooks) into a JupyterHub home."""
    page = site_with_url / "notebooks" / f"{name}.html"
    links = _links(page.read_text())
    assert f"../assignments/{name}.ipynb" in links, links
    handed_out = json.loads((page.parent / f"../assignments/{name}.ipynb").resolve().read_text())
    otter = handed_out["metadata"].get("otter", {})
    assert otter.get("assignment_name") == name, f"{name}: not the student notebook"
    assert any("assignment-setup" in c["metadata"].get("tags", []) for c in handed_out["cells"])
    assert ("https://colab.research.google.com/github/example-org/dl4phys/blob/assignments/"
            f"{name}.ipynb") in links
    (hub,) = [u for u in links if u.startswith(HUB) and "branch=assignments" in u]
    query = parse_qs(urlparse(hub).query)
    assert query["repo"] == [REPO] and query["targetpath"] == ["dl4phys-assignments"]
    assert query["urlpath"] == [f"lab/tree/dl4phys-assignments/{name}.ipynb"]
    # and the laptop route's install line, the one tests/publish/test_laptop_route.py runs
    text = html.unescape(page.read_text())
    assert f'python -m pip install "{course_requirement(REPO)}"' in text
    assert f"jupyter lab {name}.ipynb" in text


@pytest.mark.parametrize("name", NAMES)
def test_book_without_url_hands_out_the_download_only(name, require_built):
    page = ROOT / "_build" / "html" / "notebooks" / f"{name}.html"
    require_built(page, "make book")
    links = _links(page.read_text())
    assert f"../assignments/{name}.ipynb" in links
    assert (page.parent / f"../assignments/{name}.ipynb").resolve().is_file()


@pytest.mark.parametrize("name", NAMES)
def test_book_without_url_has_no_launch_links(name, require_built):
    page = ROOT / "_build" / "html" / "notebooks" / f"{name}.html"
    require_built(page, "make book")
    links = _links(page.read_text())
    assert not [u for u in links if any(host in u for host in LAUNCH_HOSTS)]
    assert not [u for u in links if u.startswith("https://github.com/")]
