"""The credentials and account switches the sandbox answers to.

One set serves all five providers. The dataclass is deliberately mutable:
handlers read it on every request, so a test may flip a switch on a running
sandbox (``sandbox.accounts.enforce_campaign_check = True``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

SANDBOX_SECRET = "sandbox"


@dataclass
class SandboxAccounts:
    api_key: str = SANDBOX_SECRET
    """Skycore ``x-api-key`` and ``API_KEY``, the Sendmachine Basic-auth password, inwise ``X-Api-Key``."""
    username: str = SANDBOX_SECRET
    """Sendmachine Basic-auth user name."""
    password: str = SANDBOX_SECRET
    """WhatCounts ``p`` / ``pwd``."""
    realm: str = SANDBOX_SECRET
    """WhatCounts ``r`` / ``realm``."""
    enforce_campaign_check: bool = False
    """Skycore's "Enforce Campaign Check" account setting (both the JSON and the XML API)."""
    inwise_rejections: dict[str, str] = field(default_factory=dict)
    """inwise numbers (digits only, e.g. ``"972541111111"``) mapped to the reject reason to answer.

    ``"insufficient-funds"`` answers status ``queued``; any other reason
    (``"unsubscribe"``, ``"kosher-number"``, ...) answers ``rejected``. Neither is stored.
    """
