"""GitHub's job summary: under GitHub Actions, `validate`, `plan` and `diff` append their Markdown.

The file is named by ``GITHUB_STEP_SUMMARY``. It is opened for appending,
without blocking and without following a symlink, and written only when it is
a regular file; a problem with it is a warning on standard error and never
changes the command's exit code.
"""

from __future__ import annotations

import os
import stat

from smsspec.cli.options import echo
from smsspec.terminal import printable

ENV = "GITHUB_STEP_SUMMARY"


def append_step_summary(markdown: str) -> None:
    """Append ``markdown`` (and a blank line) to ``$GITHUB_STEP_SUMMARY`` when it is set."""
    target = os.environ.get(ENV)
    if not target:
        return
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(target, flags, 0o644)
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise OSError(f"{target} is not a regular file")
            data = (markdown.rstrip("\n") + "\n\n").encode("utf-8")
            while data:
                data = data[os.write(fd, data):]
        finally:
            os.close(fd)
    except OSError as exc:
        echo(f"smsspec: warning: could not write the job summary (${ENV}): {printable(str(exc))}", err=True)
