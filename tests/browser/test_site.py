"""Every page of the built book, opened in headless Chromium (``make browser-check``).

For each page: no JavaScript errors and no request leaving the local server (the site
works offline); every formula typeset by MathJax; every image loaded; the exercise and
solution blocks of the notebooks present. A screenshot of each page goes to
``screenshots/`` beside the site. Needs Debian's ``chromium`` (or CHROMIUM=/path/to/chrome).
By default the public book of ``make book`` (graded solutions only from their release
date, ``scripts/release.py``); BOOK_HTML=_build/student/html checks the student edition
(which has no solutions), BOOK_HTML=_build/instructor/html the instructor's (all of them).
"""

import functools
import http.server
import json
import os
import re
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HTML = Path(os.environ.get("BOOK_HTML", ROOT / "_build" / "html"))
SHOTS = HTML.parent / "screenshots"  # _build/screenshots, _build/student/screenshots
PAGES = sorted(
    p.relative_to(HTML).as_posix() for p in HTML.rglob("*.html")
    if not p.relative_to(HTML).parts[0].startswith(("_static", "_sources", "_images"))
) if HTML.is_dir() else []



def test_the_book_is_built(require_built):
    """The pages below are collected from the built site; with none, this says why."""
    require_built(HTML / "index.html", "make book" if "student" not in str(HTML)
                  else "make student")


@pytest.fixture(scope="module")
def server():
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(HTML))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def _exercise_counts(page_name):
    """Exercise and solution directives in the notebook behind a page (0, 0 for others):
    in the public book, the solutions that are public today; in the student edition,
    none; in the instructor's book, all."""
    source = ROOT / Path(page_name).with_suffix(".ipynb")
    if not source.exists():
        return 0, 0
    nb = json.loads(source.read_text())
    if HTML.parent.name not in ("student", "instructor"):
        import nbformat

        from course.schedule import today
        from scripts.release import public_notebook

        nb = public_notebook(nbformat.read(source, as_version=4), today())
    text = "\n".join("".join(c["source"]) for c in nb["cells"])
    return text.count("```{exercise}"), text.count("```{solution-start}")


@pytest.mark.parametrize("name", PAGES)
def test_page_renders_offline(name, server, browser):
    html = (HTML / name).read_text()
    redirect = re.search(r'http-equiv="Refresh" content="0; url=([^"]+)"', html, re.I)
    if redirect:  # e.g. index.html -> intro.html: the target is tested on its own
        assert (HTML / Path(name).parent / redirect.group(1)).is_file()
        return
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors, foreign, missing = [], [], []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text)
            if msg.type == "error" and not msg.text.startswith("Failed to load resource")
            else None)
    page.on("request", lambda req: None if req.url.startswith((server, "data:", "blob:"))
            else foreign.append(req.url))
    # the browser's own favicon probe is not the page's request
    page.on("response", lambda res: missing.append(res.url)
            if res.status >= 400 and not res.url.endswith("/favicon.ico") else None)
    page.goto(f"{server}/{name}", wait_until="load")

    n_math = page.evaluate("document.querySelectorAll('.math').length")
    if n_math:
        page.wait_for_function(
            "window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=30000)
        page.evaluate("MathJax.startup.promise")
        untypeset = page.evaluate("[...document.querySelectorAll('.math')]"
                                  ".filter(e => !e.querySelector('mjx-container')).length")
        assert untypeset == 0, f"{untypeset} of {n_math} formulas not typeset by MathJax"

    broken = page.evaluate(
        "[...document.images].filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)")
    assert not broken, f"images not loaded: {broken}"

    n_exercises, n_solutions = _exercise_counts(name)
    if n_exercises:
        assert page.locator("div.exercise").count() == n_exercises
        student_edition = HTML.parent.name == "student"
        assert page.locator("div.solution").count() == (0 if student_edition else n_solutions)

    if (ROOT / Path(name).with_suffix(".ipynb")).exists():
        # results tables displayed by code (utils.show_table) render as tables, not as text
        assert page.locator(".cell_output table").count() >= 1, "no results table rendered"
        raw = page.locator(".cell_output").filter(has_text=re.compile(r"\|\s*(---|—)\s*\|"))
        assert raw.count() == 0, "a Markdown table in an output is shown as raw text"

    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / (re.sub(r"[/.]", "_", name) + ".png")), full_page=True)
    page.close()
    assert not foreign, f"requests leaving the site: {foreign}"
    assert not missing, f"files missing from the site: {missing}"
    assert not errors, f"JavaScript errors: {errors}"
