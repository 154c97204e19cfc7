"""Publish folders as the content of branches of a git repository, keeping their history.

The deploy workflow (``.github/workflows/book.yml``) publishes with this script the
student notebooks to the branch ``assignments``, the public lecture notebooks to the
branch ``lecture`` (``scripts/release.py``) and, where the sources are private, the site
to the branch ``gh-pages`` of the public repository. Students pull that branch into their
JupyterHub home with nbgitpuller and keep working there across redeploys, so the branch
must only ever move forward:

- the new content is committed **on top of the branch's previous commit** (a first
  publication starts the branch), never as a new root commit and never force-pushed:
  nbgitpuller merges each new commit into the student's copy, and a branch whose history
  was rewritten makes it refuse ("refusing to merge unrelated histories") and offer to
  move the student's work to a backup folder;
- nothing is committed when the content is unchanged (a push to ``main`` that changed
  only prose of the lecture, or nothing students see, leaves the branch as it was);
- the branch holds exactly the folder's files: a file removed from the folder is removed
  from the branch (nbgitpuller keeps a student's edited copy of it).

Usage::

    python scripts/publish_branch.py REMOTE BRANCH=DIR [BRANCH=DIR ...] [--message TEXT]

``REMOTE`` is anything ``git push`` accepts: a URL with a token in CI, a local bare
repository in the tests. Prints what it did per branch (``published <sha>`` or
``unchanged``); the exit status is non-zero when git fails (a rejected push included: the
branch moved under it, run it again). A ``gh-pages`` branch gets a ``.nojekyll`` file
(GitHub Pages would otherwise drop the site's ``_static`` folder).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

BOT = ("github-actions[bot]", "github-actions[bot]@users.noreply.github.com")


def _git(*args: str, cwd: Path, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LANG": "C"}
    return subprocess.run(["git", *args], cwd=cwd, env=env, text=True, capture_output=True,
                          check=check)


def remote_tip(remote: str, branch: str) -> str | None:
    """The commit the branch points at on the remote, or None where it does not exist."""
    listing = _git("ls-remote", "--heads", "--", remote, f"refs/heads/{branch}",
                   cwd=Path.cwd()).stdout.split()
    return listing[0] if listing else None


def publish(source: Path, remote: str, branch: str, message: str) -> str | None:
    """Commit ``source``'s files as the next state of ``branch`` on ``remote`` and push.

    Returns the new commit, or None when the branch already held exactly these files.
    """
    source = Path(source).resolve()
    if not source.is_dir() or not any(source.iterdir()):
        raise SystemExit(f"publish_branch: {source} is not a folder with files to publish")
    with tempfile.TemporaryDirectory(prefix="dl4phys-publish-") as tmp:
        work = Path(tmp) / "branch"
        work.mkdir()
        _git("init", "-q", cwd=work)
        _git("config", "user.name", BOT[0], cwd=work)
        _git("config", "user.email", BOT[1], cwd=work)
        tip = remote_tip(remote, branch)
        if tip is not None:
            _git("fetch", "-q", "--depth", "1", "--", remote, f"refs/heads/{branch}", cwd=work)
            _git("checkout", "-q", "-b", branch, "FETCH_HEAD", cwd=work)
            for item in work.iterdir():  # the branch becomes exactly the folder's files
                if item.name != ".git":
                    shutil.rmtree(item) if item.is_dir() else item.unlink()
        else:
            _git("checkout", "-q", "--orphan", branch, cwd=work)
        shutil.copytree(source, work, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns(".git", ".ipynb_checkpoints"))
        if branch == "gh-pages":
            (work / ".nojekyll").touch()
        _git("add", "--all", ".", cwd=work)
        if tip is not None and _git("diff", "--cached", "--quiet", cwd=work,
                                    check=False).returncode == 0:
            return None
        _git("commit", "-q", "-m", message, cwd=work)
        new = _git("rev-parse", "HEAD", cwd=work).stdout.strip()
        # A plain push: refused, not forced, if the branch moved meanwhile.
        _git("push", "-q", "--", remote, f"HEAD:refs/heads/{branch}", cwd=work)
        return new


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("remote", help="repository to push to (URL or path)")
    parser.add_argument("pairs", nargs="+", metavar="BRANCH=DIR",
                        help="branch to publish and the folder whose files it holds")
    parser.add_argument("--message", default=None,
                        help="commit message (default: 'Published from <GITHUB_SHA>')")
    args = parser.parse_args(argv)
    pairs = []
    for pair in args.pairs:
        branch, sep, folder = pair.partition("=")
        if not sep or not branch or not folder:
            parser.error(f"expected BRANCH=DIR (e.g. assignments=_build/assignments/release), "
                         f"got {pair!r}")
        pairs.append((branch, Path(folder)))
    message = args.message or f"Published from {os.environ.get('GITHUB_SHA', 'a local build')}"
    for branch, folder in pairs:
        try:
            new = publish(folder, args.remote, branch, message)
        except subprocess.CalledProcessError as err:
            detail = (err.stderr or err.stdout or "").strip().splitlines()
            detail = (detail[-1] if detail else str(err)).replace(args.remote, "REMOTE")
            # (the remote is never printed: in CI its URL carries a token)
            print(f"publish_branch: {branch}: git {err.cmd[1]} failed: {detail}",
                  file=sys.stderr)
            return 1
        print(f"{branch}: unchanged" if new is None else f"{branch}: published {new}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
