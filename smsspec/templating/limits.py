"""The limits every message-text template runs under, and the error they raise.

Shared by :mod:`smsspec.templating.text` (plain texts and substitution) and
:mod:`smsspec.templating.sandbox` (real Jinja), so neither imports the other's
private parts.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from smsspec.errors import TextError

MAX_OUTPUT_CHARS = 20_000  # far above any SMS (255 segments of 67 units is ~17k)
MAX_RENDER_CHARS = 5 * MAX_OUTPUT_CHARS  # everything one render writes, blocks and macros included
MAX_TEMPLATE_CHARS = 10_000  # longest text compiled as a Jinja template (real ones are a few hundred)
MAX_SECONDS = 1.0
_T = TypeVar("_T")




class _Timeout(BaseException):
    """Raised by the alarm; a BaseException so template code cannot swallow it."""


_timing = False  # a limit is running (limits do not nest: the inner one would disarm the outer)
_chained: Any = None  # the SIGPROF handler found when ours was installed


def _on_timer(signum: int, frame: Any) -> None:
    if _timing:
        raise _Timeout()
    if callable(_chained):
        _chained(signum, frame)


def timed(work: Callable[[], _T], what: str) -> _T:
    """Run ``work`` with a limit on the CPU time the process spends
    (ITIMER_PROF, so a busy machine does not make a template fail).

    Only possible on the main thread of a POSIX process. The SIGPROF handler
    is installed on first use and stays (installing it costs more than most
    renders); outside a timed call it passes the signal to the handler it
    replaced. The timer is disarmed before the call returns, and a timer that
    fires while disarming still ends as a TextError, never as a stray exception.
    """
    global _timing, _chained
    if _timing or not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        return work()
    if signal.getsignal(signal.SIGPROF) is not _on_timer:
        _chained = signal.signal(signal.SIGPROF, _on_timer)
    _timing = True
    try:
        signal.setitimer(signal.ITIMER_PROF, MAX_SECONDS)
        try:
            return work()
        finally:
            signal.setitimer(signal.ITIMER_PROF, 0)
    except _Timeout:
        raise TextError("TEXT-RENDER-LIMIT", f"the template took more than {MAX_SECONDS:g}s of CPU time to {what}") from None
    finally:
        _timing = False
