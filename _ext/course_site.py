"""Local Sphinx extension for the course book.

1. Offline MathJax: serve MathJax 3 from the site itself instead of a CDN. The files come
   from the ``django-static-mathjax`` wheel (a plain data package: it installs MathJax's
   ``es5`` build under ``mathjax/static/mathjax``); its ``es5`` folder (24 MB, not the
   package's sources) is copied into ``_static/mathjax/es5`` at build time. A page then
   typesets its formulas with no network at all.
2. One repository URL: the repository and issues buttons and the launch buttons are
   switched on only when ``repository.url`` in ``_config.yml`` is set, so the book never
   shows a link to an invented address.
3. Two browser-console errors of the theme stack are avoided (``_clean_page_context``).
4. Assignments handed out: every notebook page opens with a box that links to its
   otter-grader assignment: a download of the student notebook from this site
   (``assignments/NAME.ipynb``, copied from ``_build/assignments/release`` when the build
   finishes), "Open in Colab" from the ``assignments`` branch that the deploy workflow
   publishes (with a repository URL), and all five assignments on a JupyterHub through
   nbgitpuller (with ``launch_buttons.jupyterhub_url``).
5. Encrypted kernels: the notebooks the build executes talk to their kernels over local
   TCP with CurveZMQ keys (``KernelManager.transport_encryption = "auto"``, as ``make
   lab`` sets it), not in plain text; the kernels no longer warn that they are not. The
   book's executor (myst-nb through jupyter-cache, in this process) takes no
   kernel-manager setting, so the extension makes "auto" the default of this process's
   kernel managers (``_encrypt_kernels``).
6. Accessibility (WCAG 2.1 AA, ``tests/browser/test_accessibility.py``): each figure's
   text alternative, which ``utils.show_figure`` stores in the PNG, becomes its ``alt``
   (``_figure_alt_text``); bibliography entries get a role that ARIA still has
   (``_listitem_citations``); every control gets a visible keyboard focus and the theme's
   scrollable code blocks are made focusable once the fonts have loaded
   (``_accessibility_assets``).
"""

from __future__ import annotations

import html
import importlib.util
import shutil
from pathlib import Path
from urllib.parse import quote, urlencode

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.errors import ExtensionError

from course import config as course_config
from course.branches import ASSIGNMENTS_BRANCH, HUB_FOLDER
from course.config import ConfigError
from course.paths import RELEASE
from course.schedule import due_text, schedule

MATHJAX_ENTRY = "mathjax/es5/tex-mml-chtml.js"


def mathjax_static_dir() -> Path:
    """The folder that contains ``mathjax/es5/tex-mml-chtml.js``."""
    spec = importlib.util.find_spec("mathjax")
    if spec is None or not spec.submodule_search_locations:
        raise ExtensionError(
            "MathJax files not found: install django-static-mathjax (requirements.txt)"
        )
    static = Path(next(iter(spec.submodule_search_locations))) / "static"
    if not (static / MATHJAX_ENTRY).is_file():
        raise ExtensionError(
            f"{static / MATHJAX_ENTRY} is missing: reinstall django-static-mathjax")
    return static


def _configure(app: Sphinx, config: Config) -> None:
    staging = Path(app.outdir).parent / "mathjax_static"
    es5 = staging / "mathjax" / "es5"
    if not (es5 / "tex-mml-chtml.js").is_file():
        shutil.copytree(mathjax_static_dir() / "mathjax" / "es5", es5, dirs_exist_ok=True)
    config.html_static_path = [*config.html_static_path, str(staging)]
    config.mathjax_path = MATHJAX_ENTRY  # relative paths are relative to _static

    options = dict(config.html_theme_options or {})
    has_url = bool(str(options.get("repository_url", "")).strip())
    options["use_repository_button"] = has_url
    options["use_issues_button"] = has_url
    if not has_url:
        options["launch_buttons"] = {}
    config.html_theme_options = options


def _clean_page_context(app, pagename, templatename, context, doctree) -> None:
    """Two fixes for browser-console errors of the Jupyter Book 1 stack.

    - sphinx-thebe can register its inline configuration script twice, and the second
      copy fails ("Identifier 'THEBE_JS_URL' has already been declared"): drop duplicates.
    - pydata-sphinx-theme logs "Got invalid theme mode" when no default mode is set.
    """
    seen, unique = set(), []
    for script in context.get("script_files", []):
        filename = getattr(script, "filename", script) or ""  # None and "" both mean inline
        key = (str(filename), repr(sorted(getattr(script, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique
    if not context.get("default_mode"):
        context["default_mode"] = "light"


def assignment_links(name: str, repository_url: str, hub_url: str) -> dict[str, str]:
    """The links of a notebook page to its assignment: {"download", "colab", "hub"}, and
    "laptop": what ``pip install`` takes on a laptop (the course package and the student's
    tools from the public branch ``lecture``)."""
    from utils.assignment import course_requirement

    links = {"download": f"../assignments/{name}.ipynb"}
    repository_url = repository_url.rstrip("/")
    if repository_url.startswith("https://github.com/"):
        repo = repository_url.removeprefix("https://github.com/")
        links["laptop"] = course_requirement(repository_url)
        links["colab"] = (f"https://colab.research.google.com/github/{repo}/blob/"
                          f"{ASSIGNMENTS_BRANCH}/{name}.ipynb")
        if hub_url:
            query = urlencode({"repo": repository_url, "branch": ASSIGNMENTS_BRANCH,
                               "targetpath": HUB_FOLDER,
                               "urlpath": f"lab/tree/{HUB_FOLDER}/{name}.ipynb"})
            links["hub"] = f"{hub_url.rstrip('/')}/hub/user-redirect/git-pull?{query}"
    return links


def _assignment_box(app, pagename, templatename, context, doctree) -> None:
    if not pagename.startswith("notebooks/") or "body" not in context:
        return
    name = pagename.split("/", 1)[1]
    options = app.config.html_theme_options or {}
    hub = str((options.get("launch_buttons") or {}).get("jupyterhub_url", "") or "")
    links = assignment_links(name, str(options.get("repository_url", "") or ""), hub)
    parts = [f'<a class="reference external" href="{html.escape(links["download"])}" '
             f'download="{quote(name)}.ipynb">download {html.escape(name)}.ipynb</a>']
    if "colab" in links:
        parts.append(f'<a class="reference external" href="{html.escape(links["colab"])}">'
                     "open it in Colab</a>")
    if "hub" in links:
        parts.append(f'<a class="reference external" href="{html.escape(links["hub"])}">'
                     "all five on the JupyterHub</a>")
    laptop = ""
    if "laptop" in links:
        laptop = (" On a laptop, once: <code>python -m pip install "
                  f"&quot;{html.escape(links['laptop'])}&quot;</code>; then, in the folder of "
                  f"the download: <code>jupyter lab {html.escape(name)}.ipynb</code>.")
    due = due_date(Path(app.srcdir), name)
    context["body"] = (
        '<div class="admonition tip assignment-links"><p class="admonition-title">'
        "Assignment</p><p>"
        + (f"<strong>Due {html.escape(due)}</strong>. " if due else "")
        + "This notebook with its graded exercises and no solutions: "
        + " · ".join(parts) + ". Run its first cell first: on Colab it installs what "
        "Colab lacks; a check cell after each question says what is still wrong, and the "
        "last cell writes the file to hand in." + laptop + "</p></div>" + context["body"])


def due_date(book: Path, name: str) -> str:
    """"25 January 2027, 23:59 UTC" from the schedule in the book's ``_config.yml`` ("" if
    none)."""
    try:
        config = course_config.load(book / "_config.yml")
        entry = schedule(config).get(name)
        return due_text(entry.due, config) if entry and entry.due else ""
    except ConfigError:
        return ""  # the build's own check of the schedule (make book) says what is wrong


def release_dir() -> Path | None:
    """``_build/assignments/release`` of the course checkout (``make assignments``), also
    when the book is built from a copy inside ``_build`` (the student edition, publish-check)."""
    return RELEASE if RELEASE.is_dir() else None


def _copy_assignments(app, exception) -> None:
    release = release_dir()
    if exception is None and release is not None:
        target = Path(app.outdir) / "assignments"
        target.mkdir(exist_ok=True)
        for notebook in release.glob("*.ipynb"):
            shutil.copy(notebook, target / notebook.name)


def _encrypt_kernels() -> None:
    """Kernels started in this process get CurveZMQ keys where their kernelspec declares
    support (ipykernel's does): jupyter_client's own setting, as a default."""
    from jupyter_client.manager import KernelManager

    KernelManager.class_traits()["transport_encryption"].default_value = "auto"


# Accessibility (WCAG 2.1 AA, checked by tests/browser/test_accessibility.py): figures get
# their text alternative, citations a role that ARIA still has, and every control a
# visible keyboard focus.


def png_description(path: Path) -> str | None:
    """The ``Description`` text of a PNG file, or None (no such file, not a PNG, no such
    text). ``utils.plotting.show_figure`` writes a figure's text alternative there."""
    if path.suffix.lower() != ".png" or not path.is_file():
        return None
    from PIL import Image

    with Image.open(path) as image:
        return getattr(image, "text", {}).get("Description")


def _figure_alt_text(app, doctree) -> None:
    """Each notebook figure's ``<img alt>`` is the text alternative its PNG carries.

    Without it, Sphinx writes the image's own file name as ``alt`` (a hash, to a screen
    reader). Images that carry no description keep that, and the browser check names
    them."""
    from docutils import nodes

    srcdir = Path(app.srcdir)
    docdir = (srcdir / app.env.docname).parent
    for node in doctree.findall(nodes.image):
        uri = str(node.get("uri", ""))
        if "alt" in node or "://" in uri:
            continue
        for path in ([srcdir / uri.lstrip("/")] if uri.startswith("/")
                     else [srcdir / uri, docdir / uri]):
            description = png_description(path)
            if description is not None:
                node["alt"] = description
                break


def _listitem_citations(app, pagename, templatename, context, doctree) -> None:
    """The bibliography's entries become list items of the list docutils puts them in.

    docutils marks each citation ``role="doc-biblioentry"``, a role that ARIA 1.3
    deprecates (axe: aria-deprecated-role), inside a ``role="list"`` that then has no
    list items (axe: aria-required-children). A screen reader now reads "list, N items"."""
    if "body" in context:
        context["body"] = context["body"].replace('role="doc-biblioentry"', 'role="listitem"')


A11Y_CSS = "course-a11y.css"
A11Y_JS = "course-a11y.js"


def _accessibility_assets(app: Sphinx, config: Config) -> None:
    """A stylesheet and a script for two gaps of the theme, written into a static folder
    of the build (like MathJax, ``_configure``).

    - Every control shows where the keyboard focus is (WCAG 2.4.7): the theme draws no
      focus ring on some header buttons (the sidebar toggle, the download menu); the
      solutions' toggle buttons get the same ring.
    - Code blocks and outputs that scroll sideways stay reachable by keyboard (WCAG
      2.1.1; axe: scrollable-region-focusable). The theme makes them tab stops when the
      page is ready, before the web fonts have loaded and changed their widths; the
      script does it again once the fonts are in.
    """
    staging = Path(app.outdir).parent / "course_a11y_static"
    staging.mkdir(parents=True, exist_ok=True)
    (staging / A11Y_CSS).write_text(
        "/* _ext/course_site.py: keyboard focus always visible (WCAG 2.4.7) */\n"
        "button.toggle-button:focus-visible,\n"
        ".bd-header-article .btn:focus-visible,\n"
        ".sidebar-toggle:focus-visible {\n"
        "  outline: 3px solid var(--pst-color-accent);\n"
        "  outline-offset: 2px;\n"
        "}\n")
    (staging / A11Y_JS).write_text(
        "/* _ext/course_site.py: what scrolls is a tab stop, with the page's own fonts */\n"
        "window.addEventListener(\"load\", () => document.fonts.ready.then(() => {\n"
        "  const scrolling = [\"pre\", \".nboutput > .output_area\", "
        "\".cell_output > .output\",\n"
        "    \".jp-RenderedHTMLCommon\", \".pst-scrollable-table-container\"];\n"
        "  for (const el of document.querySelectorAll(scrolling.join(\", \"))) {\n"
        "    el.tabIndex = el.scrollWidth > el.clientWidth\n"
        "      || el.scrollHeight > el.clientHeight ? 0 : -1;\n"
        "  }\n"
        "}));\n")
    config.html_static_path = [*config.html_static_path, str(staging)]


def setup(app: Sphinx) -> dict:
    _encrypt_kernels()
    app.connect("config-inited", _configure, priority=900)
    app.connect("html-page-context", _clean_page_context)
    app.connect("html-page-context", _assignment_box)
    app.connect("build-finished", _copy_assignments)
    app.connect("config-inited", _accessibility_assets, priority=900)
    app.connect("doctree-read", _figure_alt_text)
    app.connect("html-page-context", _listitem_citations)
    app.add_css_file(A11Y_CSS)
    app.add_js_file(A11Y_JS)
    # env_version: bump it when what the pages show changes, so that Sphinx rewrites them
    return {"parallel_read_safe": True, "parallel_write_safe": True, "env_version": 3}
