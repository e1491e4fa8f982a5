"""The credentials and account settings the sandbox answers to.

One set serves every simulated provider. Credentials are the generic ones
an account names (``api_key``, ``username``, ``password``); account settings
are kept by name as ``smsspec.yaml`` writes them, and each provider module
under :mod:`smsspec.sandbox.providers` says which settings it reads and
their defaults (its ``SETTINGS``). The dataclass is deliberately mutable:
handlers read it on every request, so a test may change a setting on a
running sandbox (``sandbox.accounts.settings[name] = value``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

SANDBOX_SECRET = "sandbox"


@dataclass
class SandboxAccounts:
    api_key: str = SANDBOX_SECRET
    """Every API key a simulation checks."""
    username: str = SANDBOX_SECRET
    """Every user name a simulation checks."""
    password: str = SANDBOX_SECRET
    """Every password a simulation checks."""
    settings: dict[str, object] = field(default_factory=dict)
    """Account settings by name; one not given has the default its provider module sets."""
    rejections: dict[str, str] = field(default_factory=dict)
    """Numbers (digits only, e.g. ``"972541111111"``) mapped to the reason to refuse them with,
    for the simulations that answer per recipient (their modules say how)."""
