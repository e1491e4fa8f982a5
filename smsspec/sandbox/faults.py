"""Queued faults: the next matching requests misbehave in a chosen way.

Faults are consumed first in, first out. A fault without a path matches any
provider endpoint (never the ``/_sandbox/`` control paths); ``times`` says
how many requests it spoils before it is used up.

Kinds, and whether the message the request carried is stored:

==========================  ======  ==============================================================
kind                        stored  what the client sees
==========================  ======  ==============================================================
``status_429``              no      429, ``Retry-After`` when given
``status_503``              no      503, ``Retry-After`` when given
``status_529``              no      529, ``Retry-After`` when given
``status_500_after_store``  yes     500
``hang``                    no      no answer; held open until the client or the sandbox ends it
``hang_after_store``        yes     the same, after storing
``close_mid_response``      yes     head and half the body, then the end of the stream
``malformed_body``          yes     the provider's success status with a body cut short
``refuse``                  no      the connection is reset without a byte of answer
``echo_request``            no      400, plain text quoting the request back: request line,
                                    headers and body, credentials included (as some servers'
                                    error pages do)
``drip``                    yes     the whole answer, one byte every ``DRIP_SECONDS``, then the end
==========================  ======  ==============================================================

The request is read in full before any fault applies (a path-bound fault
needs the path), so ``refuse`` is a reset after the request, not a refused
connect. Status faults answer JSON ``{"status": "error"}`` (``"sendingspeed_exceeded"``
for 529) on the JSON endpoints and a short plain text on the XML and text ones.
``malformed_body`` cuts JSON and XML bodies in half and replaces a plain-text
body with bytes that are not UTF-8 and start with neither ``SUCCESS:`` nor
``FAILURE:``.
"""

from __future__ import annotations

import enum
import math
import threading
from dataclasses import dataclass

DRIP_SECONDS = 0.5
"""The pause between two bytes of a ``drip`` answer: each read gets a byte well within any
read timeout, so only an overall deadline ends the request."""


class FaultKind(str, enum.Enum):
    STATUS_429 = "status_429"
    STATUS_503 = "status_503"
    STATUS_529 = "status_529"
    STATUS_500_AFTER_STORE = "status_500_after_store"
    HANG = "hang"
    HANG_AFTER_STORE = "hang_after_store"
    CLOSE_MID_RESPONSE = "close_mid_response"
    MALFORMED_BODY = "malformed_body"
    REFUSE = "refuse"
    ECHO_REQUEST = "echo_request"
    DRIP = "drip"

    @property
    def stores(self) -> bool:
        """Whether the request is processed (and an accepted message kept) before the fault."""
        return self in _STORING

    @property
    def status(self) -> int | None:
        """The HTTP status a status fault answers with."""
        return _STATUS.get(self)


_STORING = frozenset(
    {
        FaultKind.STATUS_500_AFTER_STORE,
        FaultKind.HANG_AFTER_STORE,
        FaultKind.CLOSE_MID_RESPONSE,
        FaultKind.MALFORMED_BODY,
        FaultKind.DRIP,
    }
)
_STATUS = {
    FaultKind.STATUS_429: 429,
    FaultKind.STATUS_503: 503,
    FaultKind.STATUS_529: 529,
    FaultKind.STATUS_500_AFTER_STORE: 500,
}


ECHO_PREFIX = "400 sandbox fault: the request was "
"""How an ``echo_request`` answer starts; the request line follows at once."""


@dataclass(frozen=True)
class Fault:
    kind: FaultKind
    path: str | None
    retry_after: float | None

    def retry_after_header(self) -> str | None:
        """``Retry-After`` in whole seconds when possible, else with a decimal fraction."""
        if self.retry_after is None:
            return None
        if float(self.retry_after).is_integer():
            return str(int(self.retry_after))
        return f"{self.retry_after:.3f}".rstrip("0")

    def to_json(self) -> dict[str, object]:
        return {"fault": self.kind.value, "path": self.path, "retry_after": self.retry_after}


@dataclass
class _Pending:
    fault: Fault
    remaining: int


class FaultQueue:
    """Thread-safe: tests add faults from their own thread while the server consumes them."""

    def __init__(self) -> None:
        self._pending: list[_Pending] = []
        self._lock = threading.Lock()

    def add(
        self,
        fault: str | FaultKind,
        path: str | None = None,
        times: int = 1,
        retry_after: float | None = None,
    ) -> Fault:
        try:
            kind = FaultKind(fault)
        except ValueError:
            known = ", ".join(k.value for k in FaultKind)
            raise ValueError(f"unknown fault {fault!r}; known: {known}") from None
        if isinstance(times, bool) or not isinstance(times, int) or times < 1:
            raise ValueError("times must be a whole number of at least 1")
        if path is not None and (not isinstance(path, str) or not path.startswith("/")):
            raise ValueError("path must start with '/'")
        if retry_after is not None:
            if isinstance(retry_after, bool) or not isinstance(retry_after, (int, float)):
                raise ValueError("retry_after must be a number of seconds")
            if not math.isfinite(retry_after) or retry_after < 0:
                raise ValueError("retry_after must be a number of seconds, 0 or more")
        item = Fault(kind, path, None if retry_after is None else float(retry_after))
        with self._lock:
            self._pending.append(_Pending(item, times))
        return item

    def take(self, path: str) -> Fault | None:
        """Use up one occurrence of the first fault that matches ``path``."""
        with self._lock:
            for position, pending in enumerate(self._pending):
                if pending.fault.path is None or pending.fault.path == path:
                    pending.remaining -= 1
                    if pending.remaining == 0:
                        del self._pending[position]
                    return pending.fault
        return None

    def pending(self) -> list[dict[str, object]]:
        with self._lock:
            return [{**p.fault.to_json(), "times": p.remaining} for p in self._pending]

    def clear(self) -> int:
        with self._lock:
            count = len(self._pending)
            self._pending.clear()
        return count
