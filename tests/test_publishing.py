"""Publishing: the workflows that deploy the book, and what launch buttons and Binder need.

Checked offline: the workflow files against GitHub's workflow schema (check-jsonschema
ships it), the facts that break a Pages deployment when wrong, and the one repository
URL that every button and the Colab set-up cells must share.
"""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
NAMES = ["01_cnn", "02_autoencoder", "03_pinn_forward", "04_pinn_inverse", "05_symmetry"]


def _workflow(name: str) -> dict:
    data = yaml.safe_load((WORKFLOWS / name).read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as True
    return data


@pytest.mark.parametrize("name", ["book.yml", "tests.yml"])
def test_workflow_validates_against_githubs_schema(name):
    result = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema",
         "vendor.github-workflows", str(WORKFLOWS / name)],
        capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_schema_check_rejects_a_misspelt_key(tmp_path):
    broken = (WORKFLOWS / "book.yml").read_text().replace("runs-on:", "run-on:", 1)
    (tmp_path / "broken.yml").write_text(broken)
    result = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema",
         "vendor.github-workflows", str(tmp_path / "broken.yml")],
        capture_output=True, text=True)
    assert result.returncode != 0


def github_condition(expression: str, context: dict) -> bool:
    """Evaluate a workflow ``if:`` of comparisons joined by ``&&`` and ``||`` (``&&``
    binds tighter, as in GitHub's expressions) for ``context`` ({"github.ref": ...}).
    Anything else in the expression is an error, not a guess."""
    expression = expression.strip()
    if expression.startswith("${{") and expression.endswith("}}"):
        expression = expression[3:-2].strip()
    comparison = re.compile(r"^((?:github|needs)\.[a-z_.]+)\s*(==|!=)\s*'([^']*)'$")

    def term(text: str) -> bool:
        match = comparison.match(text.strip())
        assert match, f"cannot read {text.strip()!r} in the condition {expression!r}"
        name, op, value = match.groups()
        return (context[name] == value) == (op == "==")

    return any(all(term(t) for t in part.split("&&")) for part in expression.split("||"))


EVENTS = {  # (event, ref) -> whether the site may be uploaded and deployed
    ("push", "refs/heads/main"): True,
    ("workflow_dispatch", "refs/heads/main"): True,
    ("schedule", "refs/heads/main"): True,  # daily: solutions appear on their date
    ("pull_request", "refs/pull/7/merge"): False,
    ("pull_request", "refs/heads/main"): False,  # a PR from a fork's main branch
    ("push", "refs/heads/feature"): False,
    ("workflow_dispatch", "refs/heads/feature"): False,
}


def _deploys(condition: str, event: str, ref: str, public_repository: str = "") -> bool:
    return github_condition(condition, {"github.event_name": event, "github.ref": ref,
                                        "needs.build.outputs.public_repository":
                                        public_repository})


def test_condition_reader_rejects_what_it_cannot_read_and_reads_or():
    broken = "github.event_name == 'pull_request' || github.ref == 'refs/heads/main'"
    assert _deploys(broken, "pull_request", "refs/pull/7/merge")  # deploys a PR: wrong
    with pytest.raises(AssertionError, match="cannot read"):
        github_condition("!contains(github.ref, 'main')", {})


def test_book_workflow_deploys_only_pushes_and_dispatches_on_main():
    wf = _workflow("book.yml")
    deploy = wf["jobs"]["deploy"]
    (upload,) = [s for s in wf["jobs"]["build"]["steps"]
                 if s.get("uses", "").startswith("actions/upload-pages-artifact")]
    for (event, ref), expected in EVENTS.items():
        assert _deploys(deploy["if"], event, ref) == expected, (event, ref, deploy["if"])
        # the build uploads the site for every run that may deploy, and never for a PR
        uploads = _deploys(upload["if"], event, ref)
        assert uploads >= expected and not (event == "pull_request" and uploads), (
            event, ref, upload["if"])


def test_book_workflow_publishes_the_assignments_to_their_branch_from_main_only():
    wf = _workflow("book.yml")
    job = wf["jobs"]["branches"]
    assert job["needs"] == "build" and job["permissions"] == {"contents": "write"}
    for (event, ref), expected in EVENTS.items():
        assert _deploys(job["if"], event, ref) == expected, (event, ref, job["if"])
    (upload,) = [s for s in wf["jobs"]["build"]["steps"]
                 if s.get("with", {}).get("name") == "assignments"]
    assert upload["with"]["path"] == "_build/assignments/release/*.ipynb"
    assert upload["with"]["if-no-files-found"] == "error"
    script = " ".join(step.get("run", "") for step in job["steps"])
    # the branches move forward only (tests/publish/test_branch_publishing.py pulls them
    # with nbgitpuller): scripts/publish_branch.py, no new root, no force-push
    assert "-m scripts.publish_branch" in script and "assignments=assignments" in script
    assert "lecture=public/lecture" in script
    assert "git init" not in script and "push -f" not in script and "--force" not in script
    from _ext.course_site import ASSIGNMENTS_BRANCH  # the branch the book's links open

    assert ASSIGNMENTS_BRANCH == "assignments"


def test_book_workflow_runs_daily_and_publishes_the_public_build():
    wf = _workflow("book.yml")
    assert [c["cron"] for c in wf["on"]["schedule"]] == ["17 4 * * *"]
    runs = [s.get("run", "") for s in wf["jobs"]["build"]["steps"]]
    assert "make book" in runs  # the public build (make book-instructor keeps solutions)
    assert any("-m scripts.release --lecture-branch _build/lecture" in r for r in runs)


def test_with_private_sources_only_the_public_repository_gets_anything():
    wf = _workflow("book.yml")
    deploy, branches = wf["jobs"]["deploy"], wf["jobs"]["branches"]
    # Pages of this repository only without a public repository
    assert _deploys(deploy["if"], "push", "refs/heads/main", "")
    assert not _deploys(deploy["if"], "push", "refs/heads/main", "org/course-public")
    same, other = [s for s in branches["steps"] if "scripts.publish_branch" in s.get("run", "")]
    for repository, expected in [("", (True, False)), ("org/course-public", (False, True))]:
        ran = tuple(github_condition(s["if"], {"needs.build.outputs.public_repository":
                                               repository}) for s in (same, other))
        assert ran == expected, (repository, ran)
    assert "${GITHUB_REPOSITORY}" in same["run"] and "GITHUB_TOKEN" in same["env"]["TOKEN"]
    assert "${PUBLIC_REPOSITORY}" in other["run"] and "gh-pages=public/html" in other["run"]
    assert other["env"]["TOKEN"] == "${{ secrets.PUBLIC_REPOSITORY_TOKEN }}"


def test_book_workflow_deploys_to_pages_from_main_only():
    wf = _workflow("book.yml")
    assert wf["on"]["push"]["branches"] == ["main"] and "pull_request" in wf["on"]
    build, deploy = wf["jobs"]["build"], wf["jobs"]["deploy"]
    assert deploy["needs"] == "build"
    assert deploy["environment"]["name"] == "github-pages"
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert wf["concurrency"]["cancel-in-progress"] is False  # one deployment at a time
    uses = {step.get("uses", "").split("@")[0]: step for step in build["steps"]}
    assert uses["actions/upload-pages-artifact"]["with"]["path"] == "_build/html"
    assert "actions/deploy-pages" in {s.get("uses", "").split("@")[0] for s in deploy["steps"]}
    runs = " ".join(step.get("run", "") for step in build["steps"])
    assert "make book" in runs  # the same -W build as locally
    cache = uses["actions/cache"]["with"]
    assert cache["path"] == "_build/.jupyter_cache"
    for part in ("notebooks/", "utils/", "requirements.txt"):
        assert part in cache["key"]
    assert "failure()" in str([s.get("if") for s in build["steps"]])  # reports on failure


def test_tests_workflow_runs_ci_on_pull_requests():
    wf = _workflow("tests.yml")
    assert "pull_request" in wf["on"]
    steps = wf["jobs"]["ci"]["steps"]
    assert any(step.get("run", "").strip() == "bash .ci/run" for step in steps)


def test_jupyter_book_is_pinned_below_2():
    requirements = (ROOT / "requirements.txt").read_text()
    assert "jupyter-book>=1.0.4,<2" in requirements


def test_config_uses_branch_main():
    """The sources' branch (Jupyter Book 1 defaults to master); the public build points
    the buttons at branch lecture instead (tests/publish/test_launch_links.py)."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["repository"]["branch"] == "main"


def test_binder_builds_from_the_root_environment_file():
    assert not (ROOT / "binder").exists() and not (ROOT / ".binder").exists()
    for competing in ("runtime.txt", "apt.txt", "Dockerfile", "postBuild"):
        assert not (ROOT / competing).exists(), competing
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "-e ." in pip_section  # the course package


def test_colab_cells_use_the_books_repository_url():
    from course.config import repository_url
    from course.markup import colab_cell_url

    url = repository_url()
    for name in NAMES:
        nb = json.loads((ROOT / "notebooks" / f"{name}.ipynb").read_text())
        assert colab_cell_url(nb) == url, f"{name}: Colab cell and _config.yml differ"


def _colab_source(name: str) -> str:
    from course.markup import colab_cell

    nb = json.loads((ROOT / "notebooks" / f"{name}.ipynb").read_text())
    return "".join(colab_cell(nb)["source"])


@pytest.mark.parametrize("name", NAMES)
def test_colab_cell_does_nothing_outside_colab(name, monkeypatch):
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: calls.append(a))
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    exec(_colab_source(name), {})
    assert calls == []


@pytest.mark.parametrize("name", NAMES)
def test_colab_cell_installs_the_course_package_on_colab(name, monkeypatch):
    import types

    calls = []
    monkeypatch.setattr(subprocess, "run", lambda cmd, **kw: calls.append((cmd, kw)))
    monkeypatch.setitem(sys.modules, "google", types.ModuleType("google"))
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    url = "https://github.com/example-org/dl4phys"
    source = re.sub(r'COURSE_REPOSITORY = "[^"]*"', f'COURSE_REPOSITORY = "{url}"',
                    _colab_source(name))
    exec(source, {})
    (command, kwargs), = calls
    assert command[1:4] == ["-m", "pip", "install"]
    assert command[-1] == f"dl4phys-utils @ git+{url}@main"
    assert kwargs == {"check": True}


def test_colab_cell_without_a_url_says_what_to_do(monkeypatch):
    import types

    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    with pytest.raises(RuntimeError, match="scripts/repository_url.py"):
        exec(re.sub(r'COURSE_REPOSITORY = "[^"]*"', 'COURSE_REPOSITORY = ""',
                    _colab_source("01_cnn")), {})


def test_colab_cell_is_first_code_cell_and_hidden_in_the_book():
    for name in NAMES:
        nb = json.loads((ROOT / "notebooks" / f"{name}.ipynb").read_text())
        first = next(c for c in nb["cells"] if c["cell_type"] == "code")
        assert {"colab-setup", "remove-cell"} <= set(first["metadata"]["tags"]), name
