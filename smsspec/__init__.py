"""smsspec: declarative SMS message specs, validated, rendered and sent safely.

The public names load lazily, so ``import smsspec`` costs nothing until used.
"""

from __future__ import annotations

from typing import Any

from smsspec._version import __version__

_EXPORTS = {
    "Diagnostic": "smsspec.diagnostics",
    "Location": "smsspec.diagnostics",
    "Severity": "smsspec.diagnostics",
    "Account": "smsspec.model",
    "Config": "smsspec.model",
    "Message": "smsspec.model",
    "Recipient": "smsspec.model",
    "RenderedRequest": "smsspec.model",
    "Spec": "smsspec.model",
    "check_paths": "smsspec.validate.check",
    "CheckResult": "smsspec.validate.check",
    "CheckedMessage": "smsspec.model",
    "render_requests": "smsspec.render.requests",
    "analyze": "smsspec.sms.encoding",
}

__all__ = [
    "Account",
    "CheckResult",
    "CheckedMessage",
    "Config",
    "Diagnostic",
    "Location",
    "Message",
    "Recipient",
    "RenderedRequest",
    "Severity",
    "Spec",
    "__version__",
    "analyze",
    "check_paths",
    "render_requests",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'smsspec' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
