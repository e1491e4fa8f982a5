"""Error codes shared by the two Skycore APIs, with the meanings Skycore gives them.

Meanings from Skycore's v1.3 error-code appendix (github.com/ryan-allan/API,
1.3/CONTENTS/APPENDIX/APPENDIX_B.md) and its v2 intro page (authentication
codes E100-E109: https://www.skycore.com/help/messaging-api-v2-intro/). The
seed doc (003_d519ebe123f2734c.txt) lists E712, E201, E713, E110, E628 and
E111 for sendSMS without explaining most of them.
"""

from __future__ import annotations

import re

NOT_A_REQUEST = "E100"
"""Invalid request: no valid XML in the ``xml`` POST variable (v1.3), no valid JSON POST (v2)."""
BAD_ACTION = "E101"
"""'action' required / invalid action."""
NO_KEY = ("E102", "'user' or 'api_key' required")
BAD_KEY = ("E104", "User Authentication FAILED")
XML_PARSE = "E108"
"""XML parse error."""
NO_RECIPIENT = ("E201", "The receiver number is required")
BAD_RECIPIENT = ("E110", "Invalid receiver number")
BAD_SENDER = ("E111", "Invalid Sender.")
"""E111 "Invalid shortcode" in the v1.3 appendix; the wording is the sendSMS docs' example (000_8c4a62cb9c375efd.txt)."""
NO_TEXT = ("E712", "The 'text' is required")
NO_CAMPAIGN = ("E714", "Missing/Invalid CampaignID")
"""A missing campaign reference under "Enforce Campaign Check"."""
REQUEST_LIMIT = ("E120", "Account has reached the API request limit.")
"""Not processed: the account's request limit; the client retries later."""
CALL_INTERVAL = ("E106", "You can call API every X seconds")
"""Not processed: calls too close together; the client retries later."""

OPERATOR_NOT_SUPPORTED = ("E628", "Operator Not supported")

MEANINGS = dict([NO_KEY, BAD_KEY, NO_RECIPIENT, BAD_RECIPIENT, BAD_SENDER, NO_TEXT, NO_CAMPAIGN, REQUEST_LIMIT,
                 CALL_INTERVAL, OPERATOR_NOT_SUPPORTED, ("E713", "There is billing problem on your account")])
"""Code -> Skycore's text, for the codes a test may ask the sandbox to answer a number with."""


def refusal(rejections: dict[str, str], to: str) -> tuple[str, str] | None:
    """The code (and its text) to answer ``to`` with, when ``SandboxAccounts.rejections`` lists its digits."""
    code = rejections.get("".join(c for c in to if c.isdigit()))
    return None if code is None else (code, MEANINGS.get(code, "Refused."))


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
