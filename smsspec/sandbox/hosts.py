"""Which ``Host`` headers the sandbox answers: only names of the address it listens on.

A web page on another site can make a browser send requests to
127.0.0.1 under its own name (DNS rebinding); such requests carry that
site's name in ``Host``, so refusing every other name keeps the inbox and
the control API to local clients that mean this sandbox.
"""

from __future__ import annotations

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
MISDIRECTED = 421


def _authority(host: str, port: int) -> str:
    name = host.strip().lower()
    if ":" in name and not name.startswith("["):
        name = f"[{name}]"
    return f"{name}:{port}"


def allowed_hosts(host: str, port: int) -> frozenset[str]:
    """The ``Host`` values naming a sandbox bound to ``host``:``port`` (lower case)."""
    found = {_authority(name, port) for name in (*LOOPBACK_NAMES, host)}
    if port == 80:  # a client leaves the default port out
        found |= {value.rsplit(":", 1)[0] for value in found}
    return frozenset(found)


def host_problem(value: str | None, allowed: frozenset[str], http_1_0: bool) -> str | None:
    """Why a request with this ``Host`` is refused, or None when it is served."""
    if value is None and http_1_0:
        return None  # HTTP/1.0 clients may leave it out; browsers never do
    shown = sorted(allowed)[0] if allowed else "this sandbox"
    if value is None or value.strip().lower() not in allowed:
        return f"the Host header must name this sandbox, e.g. {shown}"
    return None
