"""The git repository around the specs, read with the ``git`` command (no library).

:func:`repository` finds the work tree's top folder, :func:`resolve_base`
turns ``BASE`` (or nothing: the merge base with the default branch) into a
commit, and :func:`export_tree` writes the files of some folders at that
commit into a temporary folder, within :data:`MAX_TREE_BYTES`. Every failure
(not in a repository, an unknown revision, git failing) is a
:class:`~smsspec.errors.UsageError` with one clear sentence: exit 2.
"""

from __future__ import annotations

import os
import subprocess
import tarfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from smsspec.errors import UsageError

MAX_TREE_BYTES = 512 * 1024 * 1024
"""The most a ``git archive`` of BASE's folders may hold (uncompressed); more is refused."""
MAX_TREE_FILES = 100_000
TIMEOUT = 120.0
"""Seconds any one git command may take."""


@dataclass(frozen=True)
class Base:
    name: str  # as the user wrote it, or the default branch it came from
    commit: str  # full hash
    how: str  # "given" or "merge base with <branch>"

    @property
    def short(self) -> str:
        return self.commit[:12]


def _git(top: Path | str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    try:
        done = subprocess.run(
            ["git", "-C", str(top), *args], capture_output=True, text=True,
            timeout=TIMEOUT, check=False, stdin=subprocess.DEVNULL,
            env={**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"},
        )
    except FileNotFoundError as exc:
        raise UsageError("git is not installed (smsspec diff reads the repository with it)") from exc
    except subprocess.TimeoutExpired as exc:
        raise UsageError(f"git {args[0]} took longer than {TIMEOUT:g} s") from exc
    if check and done.returncode != 0:
        message = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}"
        raise UsageError(f"git {args[0]} failed: {message}")
    return done


def repository(start: Path) -> Path:
    """The top folder of the work tree holding ``start``."""
    done = _git(start, "rev-parse", "--show-toplevel", check=False)
    if done.returncode != 0:
        said = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ""
        why = f" ({said})" if said and "not a git repository" not in said else ""
        raise UsageError(f"{start} is not inside a git work tree{why} (smsspec diff compares with a git revision)")
    return Path(done.stdout.strip()).resolve()


def _commit(top: Path, revision: str) -> str | None:
    if revision.startswith("-"):
        return None
    done = _git(top, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{revision}^{{commit}}", check=False)
    return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else None


def is_revision(top: Path, revision: str) -> bool:
    return _commit(top, revision) is not None


def default_branch(top: Path) -> str | None:
    """The branch pull requests go into: the pull request's base under GitHub Actions, the
    remote's HEAD, else main or master (local, then origin's)."""
    candidates = []
    if os.environ.get("GITHUB_BASE_REF"):
        candidates.append("origin/" + os.environ["GITHUB_BASE_REF"])
    head = _git(top, "symbolic-ref", "--quiet", "refs/remotes/origin/HEAD", check=False)
    if head.returncode == 0 and head.stdout.strip().startswith("refs/remotes/"):
        candidates.append(head.stdout.strip().removeprefix("refs/remotes/"))
    candidates += ["main", "master", "origin/main", "origin/master"]
    return next((name for name in candidates if is_revision(top, name)), None)


def resolve_base(top: Path, revision: str | None) -> Base:
    """``revision`` as a commit, or the merge base of HEAD with the default branch."""
    if revision is not None:
        commit = _commit(top, revision)
        if commit is None:
            raise UsageError(f"{revision}: not a commit, branch or tag in this repository")
        return Base(revision, commit, "given")
    branch = default_branch(top)
    if branch is None:
        raise UsageError("no default branch found (origin/HEAD, main or master): name the base, e.g. `smsspec diff origin/develop`")
    if _commit(top, "HEAD") is None:
        raise UsageError("the repository has no commit yet: nothing to compare with")
    done = _git(top, "merge-base", branch, "HEAD", check=False)
    if done.returncode != 0 or not done.stdout.strip():
        raise UsageError(f"HEAD and {branch} have no common commit (a shallow clone? fetch with fetch-depth: 0)")
    return Base(branch, done.stdout.strip(), f"merge base with {branch}")


def _safe_member(member: tarfile.TarInfo) -> PurePosixPath | None:
    """The member's relative path when it is a regular file or folder inside the tree."""
    path = PurePosixPath(member.name)
    if path.is_absolute() or ".." in path.parts or not (member.isfile() or member.isdir()):
        return None
    return path


def export_tree(top: Path, commit: str, folders: Sequence[str], target: Path) -> None:
    """Write the files under ``folders`` (relative to ``top``, POSIX) at ``commit`` into ``target``.

    Folders missing at ``commit`` are left out. Only regular files and folders
    are written (symlinks and anything else are skipped); more than
    :data:`MAX_TREE_BYTES` or :data:`MAX_TREE_FILES` is a :class:`UsageError`.
    """
    present = [f for f in dict.fromkeys(folders) if f in ("", ".") or _git(top, "cat-file", "-e", f"{commit}:{f}", check=False).returncode == 0]
    if not present:
        return
    pathspecs = [] if any(f in ("", ".") for f in present) else ["--", *present]
    process = subprocess.Popen(
        ["git", "-C", str(top), "archive", "--format=tar", commit, *pathspecs],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
    )
    assert process.stdout is not None and process.stderr is not None
    written = files = 0
    try:
        with tarfile.open(fileobj=process.stdout, mode="r|") as archive:
            for member in archive:
                path = _safe_member(member)
                if path is None:
                    continue
                destination = target.joinpath(*path.parts)
                if member.isdir():
                    destination.mkdir(parents=True, exist_ok=True)
                    continue
                files += 1
                written += member.size
                if written > MAX_TREE_BYTES or files > MAX_TREE_FILES:
                    raise UsageError(
                        f"the specs' folders at {commit[:12]} hold more than {MAX_TREE_BYTES >> 20} MiB or "
                        f"{MAX_TREE_FILES} files; name smaller PATHS"
                    )
                source = archive.extractfile(member)
                if source is None:
                    continue
                destination.parent.mkdir(parents=True, exist_ok=True)
                with source, open(destination, "wb") as out:
                    while chunk := source.read(1 << 20):
                        out.write(chunk)
        while process.stdout.read(1 << 16):  # the archive's end padding
            pass
        process.wait(TIMEOUT)
    except (tarfile.TarError, subprocess.TimeoutExpired) as exc:
        process.kill()
        process.wait()
        error = process.stderr.read(4096).decode("utf-8", "replace").strip()
        raise UsageError(f"git archive failed: {error.splitlines()[-1] if error else exc}") from exc
    except BaseException:
        process.kill()
        process.wait()
        raise
    finally:
        process.stdout.close()
    error = process.stderr.read(4096).decode("utf-8", "replace").strip()
    process.stderr.close()
    if process.returncode != 0:
        raise UsageError(f"git archive failed: {error.splitlines()[-1] if error else f'exit {process.returncode}'}")
