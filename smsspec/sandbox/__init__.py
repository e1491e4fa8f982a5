"""A local simulator of the providers' HTTP APIs, on one port.

Paths: see :func:`endpoint_paths`; each provider module under
``smsspec.sandbox.providers`` documents its exact answers. The control API
lives under ``/_sandbox/`` (see :mod:`smsspec.sandbox.admin`), the fault
kinds in :mod:`smsspec.sandbox.faults`.
"""

from __future__ import annotations

from smsspec.sandbox.accounts import SandboxAccounts
from smsspec.sandbox.faults import Fault, FaultKind
from smsspec.sandbox.inbox import format_inbox
from smsspec.sandbox.providers import endpoint_paths
from smsspec.sandbox.server import DEFAULT_HOST, DEFAULT_PORT, Sandbox, serve_forever
from smsspec.sandbox.store import read_jsonl

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
