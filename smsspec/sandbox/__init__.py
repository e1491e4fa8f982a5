"""A local simulator of the providers' HTTP APIs, on one port.

Paths: see :func:`smsspec.sandbox.providers.endpoint_paths`; each provider
module under ``smsspec.sandbox.providers`` documents its exact answers. The
control API lives under ``/_sandbox/`` (see :mod:`smsspec.sandbox.admin`),
the fault kinds in :mod:`smsspec.sandbox.faults`.

The names below are imported on first use, so importing one submodule
(or this package) loads nothing else.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from smsspec.sandbox.accounts import SandboxAccounts
    from smsspec.sandbox.faults import Fault, FaultKind
    from smsspec.sandbox.inbox import format_inbox
    from smsspec.sandbox.providers import endpoint_paths
    from smsspec.sandbox.server import DEFAULT_HOST, DEFAULT_PORT, Sandbox, serve_forever
    from smsspec.sandbox.store import read_jsonl

_HOMES = {
    "DEFAULT_HOST": "server",
    "DEFAULT_PORT": "server",
    "Fault": "faults",
    "FaultKind": "faults",
    "Sandbox": "server",
    "SandboxAccounts": "accounts",
    "endpoint_paths": "providers",
    "format_inbox": "inbox",
    "read_jsonl": "store",
    "serve_forever": "server",
}
__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "Fault",
    "FaultKind",
    "Sandbox",
    "SandboxAccounts",
    "endpoint_paths",
    "format_inbox",
    "read_jsonl",
    "serve_forever",
]


def __getattr__(name: str) -> object:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
