"""Accessibility of the built book, WCAG 2.1 level AA (``make browser-check``).

For every page of the site, in headless Chromium (Debian's ``chromium``):

- **axe-core** (bundled by the ``axe-playwright-python`` package; no network) finds no
  violation of the WCAG 2.0 and 2.1 rules of levels A and AA (rule tags ``wcag2a``,
  ``wcag2aa``, ``wcag21a``, ``wcag21aa``), run after MathJax has typeset the page. A
  failure names the page, the rule and each element.
- **Formulas** are exposed to assistive technology: MathJax's visual rendering is
  ``aria-hidden`` and a MathML copy (``mjx-assistive-mml``) stands beside it.
- **The keyboard alone** reaches every control with Tab, and each shows where the focus
  is (a focus style, or else a visible change on screen). On notebook pages Enter on the
  Assignment box's link downloads the student notebook, Enter opens a solution dropdown
  and Space closes it again.

Without a browser: every ``<img>`` has an ``alt`` text that is not a file name, and each
figure of a notebook page describes what it shows (``utils.plotting.show_figure``).
By default the public book; BOOK_HTML=_build/student/html checks the student edition.
"""

from __future__ import annotations

import functools
import html.parser
import http.server
import os
import re
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HTML = Path(os.environ.get("BOOK_HTML", ROOT / "_build" / "html"))
PAGES = sorted(
    p.relative_to(HTML).as_posix() for p in HTML.rglob("*.html")
    if not p.relative_to(HTML).parts[0].startswith(("_static", "_sources", "_images"))
) if HTML.is_dir() else []
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def server():
    handler = functools.partial(_Quiet, directory=str(HTML))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def _redirect(name: str) -> bool:
    """index.html only sends the browser on (to intro.html, tested on its own)."""
    return bool(re.search(r'http-equiv="Refresh"', (HTML / name).read_text(), re.I))


def _open(browser, url: str):
    """The page as a reader meets it: loaded, its fonts in, its formulas typeset."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(url, wait_until="load")
    page.evaluate("document.fonts.ready.then(() => true)")
    if page.evaluate("document.querySelectorAll('.math').length"):
        page.wait_for_function(
            "window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=30000)
        page.evaluate("MathJax.startup.promise")
        # the theme updates the tab stops of what scrolls 300 ms after the page last
        # changed (typesetting changes it): the check reads the page after that
        page.wait_for_timeout(500)
    return page


# --- axe-core --------------------------------------------------------------------------

def axe_violations(page) -> list[str]:
    """One line per violated rule, then one per element: what a failure prints."""
    from axe_playwright_python.sync_playwright import Axe

    response = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_21_AA},
                                        "resultTypes": ["violations"]}).response
    lines = []
    for rule in response["violations"]:
        lines.append(f"rule {rule['id']} ({rule['impact']}): {rule['help']} "
                     f"[{rule['helpUrl']}], {len(rule['nodes'])} element(s):")
        lines += [f"    {' '.join(map(str, node['target']))}: {node['html'][:160]}"
                  for node in rule["nodes"][:10]]
    return lines


def test_axe_reports_what_it_must(browser):
    """The rule set is live: a page with a known WCAG violation of each kind fails."""
    page = browser.new_page()
    page.set_content('<html lang="en"><head><title>t</title></head><body><main>'
                     '<img src="a.png"><div role="list"><div role="doc-biblioentry">x</div>'
                     "</div></main></body></html>")
    found = "\n".join(axe_violations(page))
    page.close()
    for rule in ("image-alt", "aria-required-children"):
        assert f"rule {rule} " in found, found


MATH_JS = """() => [...document.querySelectorAll('mjx-container')].filter(c =>
    !c.querySelector('mjx-assistive-mml math')
    || c.querySelector(':scope > mjx-math').getAttribute('aria-hidden') !== 'true')
    .map(c => c.outerHTML.slice(0, 120))"""


@pytest.mark.parametrize("name", PAGES)
def test_page_meets_wcag_21_aa(name, server, browser):
    if _redirect(name):
        return
    page = _open(browser, f"{server}/{name}")
    try:
        violations = axe_violations(page)
        hidden_math = page.evaluate(MATH_JS)
    finally:
        page.close()
    assert not violations, (f"{name}: axe-core finds WCAG 2.1 A/AA violations:\n"
                            + "\n".join(violations))
    assert not hidden_math, (f"{name}: formulas without a MathML copy for screen readers "
                             f"(MathJax's assistive-mml extension): {hidden_math[:3]}")


# --- the keyboard ----------------------------------------------------------------------

# Computed styles that can show focus, read for every control before any has it.
FOCUS_PROPS = ["outline-style", "outline-width", "outline-color", "box-shadow",
               "border-top-color", "border-bottom-color", "border-left-color",
               "background-color", "color", "text-decoration-line"]
SNAPSHOT_JS = """(props) => {
  window.__focusProps = props;
  window.__unfocused = new Map();
  for (const e of document.querySelectorAll('*')) {
    if (e.tabIndex < 0 && !e.isContentEditable) continue;
    const s = getComputedStyle(e);
    window.__unfocused.set(e, props.map(p => s.getPropertyValue(p)));
  }
}"""
# What has the focus now, and whether its style shows it (outline, shadow or a colour that
# changed on focus). 'indicator' false: the test compares the pixels instead.
FOCUS_JS = """() => {
  const e = document.activeElement;
  if (!e || e === document.body || e === document.documentElement) return null;
  const opaque = v => (v.match(/rgba?\\([^)]*\\)/g) || []).some(c => {
    const p = c.slice(c.indexOf('(') + 1, -1).split(',').map(Number);
    return p.length < 4 || p[3] > 0; });
  const s = getComputedStyle(e);
  const now = window.__focusProps.map(p => s.getPropertyValue(p));
  const before = window.__unfocused.get(e);
  const outline = now[0] !== 'none' && parseFloat(now[1]) > 0 && opaque(now[2])
                  && (!before || before.slice(0, 3).join('|') !== now.slice(0, 3).join('|'));
  const shadow = opaque(now[3]) && (!before || before[3] !== now[3]);
  const changed = !!before && [4, 5, 6, 7, 8, 9].some(i => before[i] !== now[i]);
  const r = e.getBoundingClientRect();
  const label = (e.getAttribute('aria-label') || e.innerText || e.getAttribute('title')
                 || '').trim().replace(/\\s+/g, ' ').slice(0, 50);
  return {what: `<${e.tagName.toLowerCase()} class="${String(e.className).slice(0, 50)}">`
                + ` "${label}"`,
          indicator: outline || shadow || changed, rect: [r.x, r.y, r.width, r.height],
          toggle: e.matches('button.toggle-button'),
          download: e.matches('.assignment-links a[download]'),
          target: e.getAttribute('data-target')};
}"""


def _visible_change(page, rect) -> bool:
    """Whether the screen around the focused element changes when it loses the focus (a
    focus ring the styles above do not show, e.g. on a parent or a pseudo-element); the
    focus is then given back, so that Tab goes on from there."""
    x, y, w, h = rect
    width, height = page.viewport_size["width"], page.viewport_size["height"]
    left, top = max(0.0, x - 8), max(0.0, y - 8)
    clip = {"x": left, "y": top, "width": max(1.0, min(width, x + w + 8) - left),
            "height": max(1.0, min(height, y + h + 8) - top)}
    handle = page.evaluate_handle("document.activeElement")
    focused = page.screenshot(clip=clip, animations="disabled")
    page.evaluate("(e) => e.blur()", handle)
    unfocused = page.screenshot(clip=clip, animations="disabled")
    page.evaluate("(e) => e.focus()", handle)
    return focused != unfocused


def keyboard_walk(page, max_stops: int = 2000, on_stop=None) -> tuple[list[str], int]:
    """Press Tab from the top of the page to its end. Returns the controls that showed no
    visible focus, and the number of Tab stops. ``on_stop(page, stop)`` may act on each."""
    page.evaluate(SNAPSHOT_JS, FOCUS_PROPS)
    invisible, seen = [], []
    for _ in range(max_stops):
        page.keyboard.press("Tab")
        stop = page.evaluate(FOCUS_JS)
        if stop is None:
            break
        if page.evaluate("window.__lastStop === document.activeElement"):
            break  # the focus did not move: the last control
        page.evaluate("window.__lastStop = document.activeElement")
        if not stop["indicator"] and not _visible_change(page, stop["rect"]):
            invisible.append(stop["what"])
        seen.append(stop["what"])
        if on_stop is not None:
            on_stop(page, stop)
    return invisible, len(seen)


def test_keyboard_walk_finds_an_invisible_focus(browser):
    """The walk can fail: a button whose focus the page hides is reported, one with a
    focus ring is not."""
    page = browser.new_page()
    page.set_content('<html lang="en"><body><button id="a" style="outline: none">hidden'
                     '</button> <button id="b">shown</button></body></html>')
    invisible, stops = keyboard_walk(page)
    page.close()
    assert stops == 2 and len(invisible) == 1 and '"hidden"' in invisible[0], invisible


def _activate(page, stop, name: str, done: dict) -> None:
    """Enter and Space on the page's interactive parts, with the keyboard only."""
    if stop["download"]:
        with page.expect_download(timeout=30_000) as download:
            page.keyboard.press("Enter")
        expected = f"{Path(name).stem}.ipynb"
        assert download.value.suggested_filename == expected, (
            f"{name}: Enter on the Assignment box's link downloaded "
            f"{download.value.suggested_filename!r}, not {expected}")
        done["downloads"] += 1
    if stop["toggle"]:
        hidden = "(t) => document.getElementById(t).classList.contains('toggle-hidden')"
        button = page.evaluate_handle("document.activeElement")
        assert page.evaluate(hidden, stop["target"]), f"{name}: {stop['target']} starts open"
        page.keyboard.press("Enter")
        page.wait_for_function(f"() => !({hidden})({stop['target']!r})", timeout=10_000)
        assert page.evaluate("(b) => b.getAttribute('aria-expanded')", button) == "true", (
            f"{name}: the dropdown {stop['target']} opened, but its button does not say so")
        page.keyboard.press("Space")
        page.wait_for_function(f"() => ({hidden})({stop['target']!r})", timeout=10_000)
        done["dropdowns"] += 1


@pytest.mark.parametrize("name", PAGES)
def test_page_works_from_the_keyboard(name, server, browser):
    if _redirect(name):
        return
    page = _open(browser, f"{server}/{name}")
    done = {"downloads": 0, "dropdowns": 0}
    try:
        n_dropdowns = page.locator("button.toggle-button").count()
        n_downloads = page.locator(".assignment-links a[download]").count()
        invisible, stops = keyboard_walk(
            page, on_stop=lambda p, stop: _activate(p, stop, name, done))
    finally:
        page.close()
    assert stops > 0, f"{name}: Tab reaches no control at all"
    assert not invisible, (f"{name}: {len(invisible)} of {stops} controls show no visible "
                           "keyboard focus (WCAG 2.4.7): " + "; ".join(invisible[:10]))
    assert done == {"downloads": n_downloads, "dropdowns": n_dropdowns}, (
        f"{name}: Tab reached {done} of {n_downloads} Assignment download link(s) and "
        f"{n_dropdowns} solution dropdown(s)")
    if Path(name).parts[0] == "notebooks":
        assert n_downloads == 1, f"{name}: no Assignment box with a download link"


# --- text alternatives, read from the HTML -----------------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
        "source", "track", "wbr"}
FILE_NAME = re.compile(r"(^|/)[\w.-]+\.(png|jpe?g|gif|svg|webp)$|_images/", re.IGNORECASE)


class _Images(html.parser.HTMLParser):
    """(src, alt or None, inside a notebook cell's output) for each <img>."""

    def __init__(self):
        super().__init__()
        self.stack: list[bool] = []
        self.images: list[tuple[str, str | None, bool]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        inside = bool(self.stack and self.stack[-1])
        if tag == "img":
            self.images.append((attrs.get("src") or "", attrs.get("alt"), inside))
        elif tag not in VOID:
            self.stack.append(inside or "cell_output" in (attrs.get("class") or "").split())

    def handle_endtag(self, tag):
        if tag not in VOID and self.stack:
            self.stack.pop()


def alt_text_problems(page_html: str) -> tuple[list[str], int]:
    """What is wrong with the text alternatives of a page's images, and how many of them
    are figures (images in a notebook cell's output)."""
    parser = _Images()
    parser.feed(page_html)
    problems = []
    for src, alt, figure in parser.images:
        if alt is None:
            problems.append(f"<img src={src!r}> has no alt attribute")
        elif alt.strip() == src or FILE_NAME.search(alt.strip()):
            problems.append(f"<img src={src!r}> has a file name as its alt text: {alt!r}")
        elif figure and len(alt.split()) < 5:
            problems.append(f"figure <img src={src!r}> has alt={alt!r}, which does not say "
                            "what it shows")
    return problems, sum(figure for _, _, figure in parser.images)


def test_alt_text_check_catches_file_names_and_missing_alt():
    page = ('<div class="cell_output"><img src="../_images/ab12.png" '
            'alt="../_images/ab12.png"><img src="x.png"><img src="y.png" alt="plot">'
            '<img src="z.png" alt="Accuracy against epoch, rising to 0.99."></div>'
            '<img src="logo.svg" alt="">')
    problems, figures = alt_text_problems(page)
    assert figures == 4 and len(problems) == 3, problems
    assert "file name" in problems[0] and "no alt" in problems[1] and "plot" in problems[2]


@pytest.mark.parametrize("name", PAGES)
def test_every_image_has_a_text_alternative(name, require_built):
    require_built(HTML / "index.html", "make book")
    problems, figures = alt_text_problems((HTML / name).read_text())
    assert not problems, (f"{name}: " + "; ".join(problems) + ". Show notebook figures with "
                          "utils.plotting.show_figure(alt), which the book writes into the "
                          "page; decorative images take alt=\"\"")
    if Path(name).parts[0] == "notebooks":
        assert figures >= 1, f"{name}: no figure found in the page's cell outputs"
