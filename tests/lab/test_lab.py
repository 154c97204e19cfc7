"""The live lecture: every notebook opened and run in a real JupyterLab (``make lab-check``).

A JupyterLab server from the course's environment (with jupyterlab-myst and the widget
manager) serves a copy of ``notebooks/`` on a free local port, with a token; headless
Chromium (Debian's ``chromium``, driven by Playwright) opens each notebook, runs all
cells *in the browser* and waits until every code cell has executed and the kernel is
idle. Then, for each notebook:

- opening it does not mark it modified (before anything runs), and its solution cells
  are folded;
- no cell has an error output, no code cell is left running or unexecuted;
- the rendered markdown has no raw role or glue text (``{glue``, ``{cite``,
  ``key:.3f`` leftovers) and no jupyterlab-myst error or "citation not found" marker;
- the progress bars are ipywidgets (not text), and no output shows "Error displaying
  widget"; the page logs no uncaught exception and no ``console.error`` (where a widget
  view that failed to render reports itself);
- saving the run notebook changes nothing but outputs and execution counts;
- in 01, the temperature slider works from the keyboard alone, with a visible focus:
  Tab reaches it from its cell, End moves it, and typing a temperature into its
  readout sets one; each draws a new configuration.

"Run all" is started, not awaited (its promise resolves only when the last cell ends):
the test polls the notebook until it is done or ``RUN_TIMEOUT_S`` has passed, and then
interrupts the kernel and fails with the notebook's state (cells executed, the cell
still running). A screenshot of each notebook goes to ``_build/lab-screenshots/``.
``make lab-check`` runs two notebooks at a time (pytest-xdist: two servers, two
browsers; each kernel uses ``utils.setup``'s thread count, half the cores, so that they
do not stall each other).
The copy keeps the repository's notebooks untouched; autosave is off. Needs Debian's
``chromium`` (or CHROMIUM=/path/to/chrome).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "_build" / "lab-screenshots"
LOGS = ROOT / "_build" / "logs"
NAMES = ["01_cnn", "02_autoencoder", "03_pinn_forward", "04_pinn_inverse", "05_symmetry"]
RELEASE = ROOT / "_build" / "assignments" / "release"
# A whole notebook (the slowest takes ~75 s on the reference machine). Past it the test
# interrupts the kernel and fails with the state of the notebook (LAB_RUN_TIMEOUT_S=n).
RUN_TIMEOUT_S = int(os.environ.get("LAB_RUN_TIMEOUT_S", 900))
# As make lab: CurveZMQ keys for each kernel, so that what the server and the kernel say
# to each other over local TCP is encrypted (and the kernel does not warn that it is not).
LAB_KERNELS = ["--KernelManager.transport_encryption=auto"]
UNENCRYPTED = "Kernel is running over TCP without encryption"

# JupyterLab settings for the test: every cell stays in the DOM, nothing is saved behind
# the test's back, and nothing is fetched from the network.
SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false", "checkForUpdates": False},
}

# Book-only markup that a front end without myst-nb/sphinx prints raw, and format specs
# left over from an f-string written as prose ("acc:.3f", "acc:.1%}").
RAW_MARKUP = re.compile(r"\{(glue|cite)[^}]*\}|\b[a-z_][a-z0-9_]*:\.\d+[a-z%](?!\w)")
# What ipywidgets shows (and logs with console.error) for a view that failed to render.
WIDGET_ERROR = "Error displaying widget"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A running JupyterLab on a copy of the notebooks: (base URL, token, root dir)."""
    tmp = tmp_path_factory.mktemp("lab")
    root = tmp / "root"
    shutil.copytree(ROOT / "notebooks", root / "notebooks",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    if RELEASE.is_dir():  # the student assignments (make assignments)
        shutil.copytree(RELEASE, root / "assignments")
    settings = tmp / "settings"
    for name, value in SETTINGS.items():
        path = settings / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value))
    port, token = _free_port(), secrets.token_hex(16)
    LOGS.mkdir(parents=True, exist_ok=True)
    server_log = LOGS / f"lab-check-server-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}.log"
    log = open(server_log, "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1",
         f"--port={port}", "--port-retries=0", f"--IdentityProvider.token={token}",
         f"--ServerApp.root_dir={root}", "--LabApp.expose_app_in_browser=True",
         f"--LabApp.user_settings_dir={settings}", f"--LabApp.workspaces_dir={tmp / 'ws'}",
         "--allow-root", "--LabApp.extension_manager=readonly",
         "--ServerApp.terminals_enabled=False", *LAB_KERNELS],
        stdout=log, stderr=subprocess.STDOUT, cwd=root,
        env={**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp / "runtime")})
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while True:  # polls the condition itself: the server answering its status API
        try:
            urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=10)
            break
        except OSError:
            if server.poll() is not None:
                pytest.fail(f"JupyterLab exited (status {server.returncode}) before "
                            f"answering on {base}; see {server_log}")
            if time.monotonic() > deadline:
                server.kill()
                pytest.fail(f"waited 300 s for JupyterLab to answer on {base}; "
                            f"see {server_log}")
            time.sleep(0.5)
    yield base, token, root, server_log
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
    log.close()


# The state of the open notebook, read through JupyterLab's own objects.
STATE_JS = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const cells = panel.content.widgets;
  const code = cells.filter(c => c.model.type === 'code');
  const errors = [];
  for (const [i, c] of cells.entries()) {
    if (c.model.type !== 'code') continue;
    for (const o of c.model.outputs.toJSON()) {
      if (o.output_type === 'error') errors.push(`cell ${i}: ${o.ename}: ${o.evalue}`);
    }
  }
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  return {
    kernel: kernel ? kernel.status : 'none',
    dirty: panel.context.model.dirty,
    n_code: code.length,
    executed: code.filter(c => c.model.executionCount !== null).length,
    solutions: cells.filter(c => (c.model.getMetadata('tags') || []).includes('solution')).length,
    folded_solutions: cells.filter(c => (c.model.getMetadata('tags') || []).includes('solution')
                                        && c.inputHidden).length,
    running: code.filter(c => c.model.executionState === 'running').length,
    running_cells: cells.flatMap((c, i) => c.model.type === 'code'
      && c.model.executionState === 'running'
      ? [`cell ${i}: ${c.model.sharedModel.getSource().split('\\n')[0].slice(0, 60)}`] : []),
    errors,
  };
}"""


def _state(page) -> dict:
    return page.evaluate(STATE_JS)


def _open(page, base, token, name, folder="notebooks"):
    page.goto(f"{base}/lab/tree/{folder}/{name}.ipynb?reset&token={token}")
    _wait(page, """() => window.jupyterapp && window.jupyterapp.shell.currentWidget
             && window.jupyterapp.shell.currentWidget.sessionContext
             && window.jupyterapp.shell.currentWidget.sessionContext.session
             && window.jupyterapp.shell.currentWidget.sessionContext.session.kernel
             && window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status
                === 'idle'""", f"{name}: the notebook open with an idle kernel", 300)
    # The kernel's info reply updates the notebook's metadata (language_info), which is
    # what could mark it modified: wait for the reply, and for JupyterLab's own handler
    # of it, which was registered before this one and so has run when this resolves.
    page.evaluate("""async () => {
        const panel = window.jupyterapp.shell.currentWidget;
        const info = await panel.sessionContext.session.kernel.info;
        await panel.sessionContext.ready;
        return info.language_info.name; }""")
    _wait(page, """() => { const model = window.jupyterapp.shell.currentWidget.context.model;
                           const info = model.getMetadata('language_info');
                           return info && info.name === 'python'; }""",
          f"{name}: the kernel's language_info in the notebook's metadata", 60)


def _run_all(page, name):
    # Started, and its promise recorded rather than awaited from Python: it resolves when
    # the last cell has run (or the run stopped at an error), which the test then waits
    # for with a deadline, so that a hung cell fails the test with the notebook's state.
    page.evaluate("""() => { window.__runAll = 'running';
        window.jupyterapp.commands.execute('notebook:run-all-cells').then(
            () => { window.__runAll = 'done'; },
            (e) => { window.__runAll = 'failed: ' + e; }); }""")
    finished = """() => { const panel = window.jupyterapp.shell.currentWidget;
        const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
        return window.__runAll !== 'running' && kernel && kernel.status === 'idle'
               && panel.content.widgets.every(c => c.model.type !== 'code'
                                              || c.model.executionState !== 'running'); }"""
    try:
        page.wait_for_function(finished, timeout=RUN_TIMEOUT_S * 1000, polling=1000)
        return _state(page)
    except PlaywrightTimeout:
        pass
    state = _state(page)
    page.evaluate("""() => { const s = window.jupyterapp.shell.currentWidget.sessionContext;
                             if (s.session && s.session.kernel) s.session.kernel.interrupt(); }""")
    # JupyterLab marks every queued cell 'running': the first is the one the kernel is in
    running, queued = (state["running_cells"] or ["none"])[0], len(state["running_cells"][1:])
    pytest.fail(f"{name}: not finished after {RUN_TIMEOUT_S} s (kernel {state['kernel']}, "
                f"{state['executed']} of {state['n_code']} code cells executed, running "
                f"{running}, {queued} more queued; errors: {state['errors'] or 'none'}); "
                "the kernel was interrupted")


def _wait(page, condition: str, what: str, timeout_s: float, arg=None) -> None:
    """Wait until the JavaScript ``condition`` holds; past ``timeout_s`` fail, saying what
    was awaited. Deadlines are for a hang, not for speed: each is several times what
    the slowest machine of this kind needs (``scripts/slow_machine.sh``)."""
    try:
        page.wait_for_function(condition, arg=arg, timeout=timeout_s * 1000)
    except PlaywrightTimeout:
        pytest.fail(f"waited {timeout_s:g} s for {what}; it did not happen")


def _record_errors(page) -> list[str]:
    """Uncaught exceptions and console.error messages of the page, as they happen (a
    widget view that fails to render reports itself only on the console)."""
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
    page.on("console", lambda msg: errors.append(f"console.error: {msg.text}")
            if msg.type == "error" else None)
    return errors


def _markdown_problems(page) -> list[str]:
    """Raw markup and rendering errors in the rendered markdown cells."""
    return page.evaluate("""(pattern) => {
      const re = new RegExp(pattern);
      const problems = [];
      const panel = window.jupyterapp.shell.currentWidget;
      let markdown = 0, rendered = 0;
      for (const [i, c] of panel.content.widgets.entries()) {
        if (c.model.type !== 'markdown') continue;
        markdown += 1;
        const found = c.node.querySelector('.jp-MarkdownOutput, .jp-RenderedMarkdown, .myst');
        if (found) rendered += 1;
        else problems.push(`cell ${i}: no rendered markdown found`);
        const text = found ? c.node.innerText : '';
        const m = text.match(re);
        if (m) problems.push(`cell ${i}: raw markup '${m[0]}'`);
        const bad = c.node.querySelectorAll(
          '[class*="error" i], [title*="not found" i], [title*="unknown" i]');
        for (const el of bad) problems.push(
          `cell ${i}: ${el.className || el.tagName}: ${(el.title || el.innerText).slice(0, 80)}`);
        if (!c.rendered) problems.push(`cell ${i}: markdown cell not rendered`);
      }
      if (rendered === 0) problems.push(`none of the ${markdown} markdown cells rendered`);
      return problems;
    }""", RAW_MARKUP.pattern)


def _without_outputs(nb: dict) -> dict:
    nb = json.loads(json.dumps(nb))
    nb["metadata"].pop("widgets", None)  # widget state; the pre-commit hook strips it
    for cell in nb["cells"]:
        if isinstance(cell["source"], list):  # a list of lines or one string: the same text
            cell["source"] = "".join(cell["source"])
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
        cell["metadata"].pop("execution", None)
        # Running a cell unfolds it (JupyterLab renders a markdown cell it runs and shows
        # the outputs it produces): the folding of the solutions is checked on opening.
        cell["metadata"].pop("jupyter", None)
    return nb


def _difference(original: dict, model: dict) -> str:
    """The first place where JupyterLab's model of a notebook differs from the file."""
    if original["metadata"] != model["metadata"]:
        return f"metadata {original['metadata']} became {model['metadata']}"
    for key in ("nbformat", "nbformat_minor"):
        if original[key] != model[key]:
            return f"{key} {original[key]} became {model[key]}"
    for a, b in zip(original["cells"], model["cells"]):
        if a != b:
            keys = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
            changes = ", ".join(f"{k}: {a.get(k)!r} -> {b.get(k)!r}" for k in keys)
            return f"cell {a.get('id')}: {changes}"
    return "no difference in the notebook's JSON"


def _focus_shows(page) -> bool:
    """Whether the focused element looks different on screen from when it has no focus
    (compared in pixels around it); the focus is then given back to it."""
    handle = page.evaluate_handle("document.activeElement")
    box = handle.bounding_box()
    clip = {"x": max(0.0, box["x"] - 6), "y": max(0.0, box["y"] - 6),
            "width": box["width"] + 12, "height": box["height"] + 12}
    focused = page.screenshot(clip=clip, animations="disabled")
    page.evaluate("(e) => e.blur()", handle)
    unfocused = page.screenshot(clip=clip, animations="disabled")
    page.evaluate("(e) => e.focus()", handle)
    return focused != unfocused


def _check_slider(page):
    """01: the temperature slider, from the keyboard alone. With the notebook focused (as
    a click on its tab does), the arrow keys select the slider's cell, Tab reaches the
    slider's handle, which shows its focus, and End moves it to the top of its range: a
    new configuration and its temperature appear. Tab on to the readout (focus shown
    too), type a temperature, Enter: another one. The callback draws, then prints: the
    test waits for both."""
    index = page.evaluate("""() => window.jupyterapp.shell.currentWidget.content.widgets
        .findIndex(c => c.node.querySelector('.widget-slider'))""")
    assert index >= 0, "01: no cell shows the temperature slider"
    output = page.locator(".widget-slider").first.locator(
        "xpath=ancestor::div[contains(@class,'jp-OutputArea-output')]")
    image = output.locator("img").first
    image.wait_for(timeout=120_000)
    page.evaluate("() => window.jupyterapp.shell.currentWidget.content.activate()")
    page.keyboard.press("Escape")  # command mode: the arrow keys move between cells
    active = "() => window.jupyterapp.shell.currentWidget.content.activeCellIndex"
    for _ in range(500):
        if page.evaluate(active) == index:
            break
        page.keyboard.press("ArrowUp" if page.evaluate(active) > index else "ArrowDown")
    else:
        pytest.fail(f"01: the arrow keys did not reach the slider's cell {index}; "
                    f"the active cell is {page.evaluate(active)}")
    on = "(cls) => document.activeElement.classList.contains(cls)"
    for _ in range(6):
        page.keyboard.press("Tab")
        if page.evaluate(on, "noUi-handle"):
            break
    else:
        pytest.fail("01: Tab from the slider's cell does not reach the slider's handle")
    assert _focus_shows(page), "01: the slider's handle shows no keyboard focus"

    before = image.get_attribute("src")
    page.keyboard.press("End")
    _wait(page, """([el, before]) => { const img = el.querySelector('img');
                                      return img && img.getAttribute('src') !== before
                                             && el.innerText.includes('T = 4.00'); }""",
          "01: End on the slider: a new configuration and 'T = 4.00' under it", 120,
          arg=[output.element_handle(), before])
    assert page.evaluate(active) == index, "01: End on the slider moved the notebook instead"

    page.keyboard.press("Tab")
    assert page.evaluate(on, "widget-readout"), "01: Tab from the handle misses the readout"
    assert _focus_shows(page), "01: the slider's readout shows no keyboard focus"
    before = image.get_attribute("src")
    page.keyboard.press("Control+a")
    page.keyboard.type("3.5")
    page.keyboard.press("Enter")
    _wait(page, """([el, before]) => { const img = el.querySelector('img');
                                      return img && img.getAttribute('src') !== before
                                             && el.innerText.includes('T = 3.50'); }""",
          "01: 3.5 typed into the readout: a new configuration and 'T = 3.50' under it", 120,
          arg=[output.element_handle(), before])
    text = output.inner_text()
    assert re.search(r"T = 3\.50: \|m\| = \d", text), text[-300:]


@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs_in_jupyterlab(lab, browser, name):
    base, token, root, server_log = lab
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    console_errors = _record_errors(page)
    try:
        _open(page, base, token, name)
        opened = _state(page)
        assert opened["folded_solutions"] == opened["solutions"] > 0, (
            f"{name}: solution cells not folded on opening: {opened}")
        if opened["dirty"]:
            model = page.evaluate(
                "() => window.jupyterapp.shell.currentWidget.context.model.toJSON()")
            original = json.loads((ROOT / "notebooks" / f"{name}.ipynb").read_text())
            pytest.fail(f"{name}: marked modified right after opening: "
                        f"{_difference(original, model)}")

        state = _run_all(page, name)
        assert not state["errors"], f"{name}: error outputs: {state['errors']}"
        assert state["executed"] == state["n_code"], f"{name}: unexecuted cells: {state}"

        problems = _markdown_problems(page)
        assert not problems, f"{name}: " + "\n".join(problems)

        n_bars = page.locator(".jp-OutputArea-output .widget-hprogress").count()
        assert n_bars >= 1, f"{name}: no progress bar rendered as a widget"
        text_bars = page.locator(".jp-OutputArea-output").filter(
            has_text=re.compile(r"\d+/\d+ \[\d")).count()
        assert text_bars == 0, f"{name}: {text_bars} progress bars rendered as text"
        broken = page.locator(".jp-OutputArea-output").filter(has_text=WIDGET_ERROR).count()
        assert broken == 0, f"{name}: {broken} outputs show '{WIDGET_ERROR}'"

        if name == "01_cnn":
            _check_slider(page)

        page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
        _wait(page, "() => !window.jupyterapp.shell.currentWidget.context.model.dirty",
              f"{name}: the saved notebook no longer marked modified", 120)
        saved = json.loads((root / "notebooks" / f"{name}.ipynb").read_text())
        original = json.loads((ROOT / "notebooks" / f"{name}.ipynb").read_text())
        saved, original = _without_outputs(saved), _without_outputs(original)
        assert saved == original, (
            f"{name}: saving changed more than outputs: {_difference(original, saved)}")
        assert not console_errors, f"{name}: JavaScript errors: {console_errors}"
        assert UNENCRYPTED not in server_log.read_text(), f"{name}: see {server_log}"
    finally:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.evaluate("() => { const p = window.jupyterapp && window.jupyterapp.shell"
                      ".currentWidget; if (p && p.content) p.content.node.scrollTop = 0; }")
        page.screenshot(path=str(SHOTS / f"{name}.png"))
        page.close()


def _run_cell(page, index: int) -> None:
    """Run one cell in the browser and wait until its run has ended and the kernel is
    idle (a deadline of 300 s for a hang)."""
    page.evaluate("""(i) => { const panel = window.jupyterapp.shell.currentWidget;
                             panel.content.activeCellIndex = i;
                             window.__runCell = 'running';
                             window.jupyterapp.commands.execute('notebook:run-cell').then(
                               () => { window.__runCell = 'done'; },
                               (e) => { window.__runCell = 'failed: ' + e; }); }""",
                  index)
    _wait(page, """(i) => { const panel = window.jupyterapp.shell.currentWidget;
                    const cell = panel.content.widgets[i];
                    return window.__runCell !== 'running'
                           && cell.model.executionCount !== null
                           && cell.model.executionState !== 'running'
                           && panel.sessionContext.session.kernel.status === 'idle'; }""",
          f"cell {index} to finish running", 300, arg=index)


@pytest.mark.parametrize("name", NAMES)
def test_student_assignment_opens_and_checks_in_jupyterlab(lab, browser, name, require_built):
    """The student notebook of ``make assignments``: opens unmodified with its answer cells
    unfolded; the course's set-up cell (the first code cell) runs and creates the grader,
    and checking an unanswered question prints, in words, what the public tests miss.
    That its cells up to the first question run without error is tests/assignments' job
    (they are the lecture's cells, which the test above runs in this browser)."""
    require_built(RELEASE / f"{name}.ipynb", "make assignments")
    base, token, _root, _log = lab
    nb = json.loads((RELEASE / f"{name}.ipynb").read_text())
    sources = ["".join(c["source"]) for c in nb["cells"]]
    check = next(i for i, s in enumerate(sources) if s.startswith("grader.check("))
    question = sources[check].split('"')[1]
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    console_errors = _record_errors(page)
    try:
        _open(page, base, token, name, folder="assignments")
        if _state(page)["dirty"]:
            model = page.evaluate(
                "() => window.jupyterapp.shell.currentWidget.context.model.toJSON()")
            pytest.fail(f"{name} (assignment): marked modified on opening: "
                        f"{_difference(nb, model)}")
        folded = page.evaluate("""() => window.jupyterapp.shell.currentWidget.content.widgets
            .filter(c => (c.model.getMetadata('tags') || []).includes('otter_answer_cell')
                         && c.inputHidden).length""")
        assert folded == 0, f"{name} (assignment): {folded} answer cells open folded"
        setup = next(i for i, c in enumerate(nb["cells"])
                     if "assignment-setup" in c["metadata"].get("tags", []))
        assert setup == next(i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code")
        _run_cell(page, setup)
        _run_cell(page, check)
        state = _state(page)
        assert not state["errors"], f"{name} (assignment): {state['errors']}"
        output = page.evaluate(
            "(i) => window.jupyterapp.shell.currentWidget.content.widgets[i].node.innerText",
            check)
        assert question in output and "`" in output, output[-600:]
        assert "AssertionError" in output, output[-600:]
        assert not console_errors, f"{name} (assignment): JavaScript errors: {console_errors}"
    finally:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"assignment-{name}.png"))
        page.close()
