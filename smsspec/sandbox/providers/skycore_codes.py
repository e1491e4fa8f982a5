"""Error codes shared by the two Skycore APIs.

The Skycore documentation lists E712, E201, E713, E110, E628 and E111 for
sendSMS but explains only two of them: E111 (the sender is invalid) and E713
(a billing problem). The sandbox gives the others a meaning of its own so a
client meets realistic codes; only E111's meaning comes from the provider.
"""

from __future__ import annotations

import re

BAD_KEY = ("E712", "Invalid API key.")
"""Sandbox's choice: the docs list E712 without its meaning."""
BAD_REQUEST = "E201"
"""Sandbox's choice for a missing mandatory parameter, a wrong action or an unreadable body."""
BAD_RECIPIENT = ("E110", "Invalid destination number.")
"""Sandbox's choice: the docs list E110 without its meaning."""
BAD_SENDER = ("E111", "Invalid Sender.")
"""Documented: the sender is not a short code or a number."""
NO_CAMPAIGN = ("E628", "Campaign reference is required for this account.")
"""Sandbox's choice for a missing campaign reference under "Enforce Campaign Check"."""

MASK_LIMIT = 11
"""A sender mask is cut to this many characters, silently."""

RECIPIENT = re.compile(r"\+?[0-9]{7,15}")
"""A destination number with its country code: digits, an optional leading +."""
SENDER = re.compile(r"\+?[0-9]{3,15}")
"""A short code (a few digits) or a number with its country code."""

CAMPAIGN_CHECK = "enforce_campaign_check"
"""The account setting ("Enforce Campaign Check") that makes both APIs refuse a message without a
campaign reference, with :data:`NO_CAMPAIGN`."""
SETTINGS: dict[str, object] = {CAMPAIGN_CHECK: False}
