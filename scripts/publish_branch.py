"""Publish a folder as the content of one branch of a git repository, keeping its history.

The deploy workflow (``.github/workflows/book.yml``) publishes the student notebooks to
the branch ``assignments`` with this script. Students pull that branch into their
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

    python scripts/publish_branch.py SOURCE_DIR REMOTE BRANCH [--message TEXT]

``REMOTE`` is anything ``git push`` accepts: a URL with a token in CI, a local bare
repository in the tests. Prints what it did (``published <sha>`` or ``unchanged``); the
exit status is non-zero when git fails (a rejected push included: the branch moved under
it, run it again).
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
    parser.add_argument("source", type=Path, help="folder whose files the branch holds")
    parser.add_argument("remote", help="repository to push to (URL or path)")
    parser.add_argument("branch", help="branch to publish, e.g. assignments")
    parser.add_argument("--message", default=None,
                        help="commit message (default: 'Published from <GITHUB_SHA>')")
    args = parser.parse_args(argv)
    message = args.message or f"Published from {os.environ.get('GITHUB_SHA', 'a local build')}"
    try:
        new = publish(args.source, args.remote, args.branch, message)
    except subprocess.CalledProcessError as err:
        detail = (err.stderr or err.stdout or "").strip().splitlines()
        detail = (detail[-1] if detail else str(err)).replace(args.remote, "REMOTE")
        # (the remote is never printed: in CI its URL carries a token)
        print(f"publish_branch: git {err.cmd[1]} failed: {detail}", file=sys.stderr)
        return 1
    print(f"{args.branch}: unchanged" if new is None else f"{args.branch}: published {new}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
