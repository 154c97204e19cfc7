"""Shared by the tests: the global random seed of a run, the rule for missing build
outputs, and the Playwright browser of the real-browser tests (tests/browser: the book;
tests/lab: JupyterLab)."""

import os
import secrets
import shutil
from pathlib import Path

import pytest

# Debian's chromium package (no browser download); CHROMIUM=/path/to/chrome overrides it;
# without either, Playwright's own Chromium (`.venv/bin/playwright install chromium`, once).
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


def pytest_configure(config):
    """One seed per run for the global random generators (tests that must not depend on
    them reseed them with it): ``DL4PHYS_TEST_SEED=n`` repeats a run, unset draws one.
    Set in the environment so that pytest-xdist's workers share it."""
    os.environ.setdefault("DL4PHYS_TEST_SEED", str(secrets.randbelow(2**31)))
    # Unit tests that train small networks use the notebooks' thread count (half the
    # cores, or DL4PHYS_THREADS): PyTorch's default, every core in every xdist worker,
    # made them six times slower on two cores.
    import torch

    from utils.session import default_threads

    torch.set_num_threads(default_threads())


def pytest_report_header(config):
    return f"DL4PHYS_TEST_SEED={os.environ['DL4PHYS_TEST_SEED']}"


@pytest.fixture(scope="session")
def require_built():
    """``require_built(path, "make book")``: the suites that read a build output skip
    with that reason when it is missing (``-rs`` lists the reasons), except in CI
    (``CI`` set, as .ci/run and GitHub set it), where a missing output is a failure: a
    suite that silently tests nothing must not pass."""

    def require(path, how: str) -> None:
        if Path(path).exists():
            return
        message = f"{path} is missing: run `{how}` first"
        if os.environ.get("CI"):
            pytest.fail(f"{message} (CI is set: a missing build output fails, it does not skip)")
        pytest.skip(message)

    return require


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium driven by Playwright, one per test module: CHROMIUM (Debian's
    chromium by default), else Playwright's own download."""
    from playwright.sync_api import Error, sync_playwright

    with sync_playwright() as p:
        args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync"]
        if Path(CHROMIUM).exists():
            browser = p.chromium.launch(executable_path=CHROMIUM, args=args)
        else:
            try:
                browser = p.chromium.launch(args=args)  # Playwright's own, if installed
            except Error:
                pytest.fail(f"No Chromium: none at {CHROMIUM} and no Playwright browser. "
                            "apt-get install chromium, or set CHROMIUM=/path/to/chrome, or "
                            "run `.venv/bin/playwright install chromium` once")
        yield browser
        browser.close()
