"""Opt-out numbers: how a number on an opt-out list is written and normalised.

Lists are files named in smsspec.yaml (read by :mod:`smsspec.load.optouts`)
and the ledger's own table (``smsspec opt-out``). Either way a number is kept
in E.164, checked as every number in smsspec is (:mod:`smsspec.sms.phones`).
"""

from __future__ import annotations

from smsspec.sms.phones import check_number

_SEPARATORS = str.maketrans("", "", " ()./-")


def normalise(text: str) -> tuple[str | None, str | None]:
    """(E.164, None) for a number written with or without spaces, dashes, dots or
    brackets, with + or 00 before the country code; (None, why) otherwise."""
    compact = text.strip().translate(_SEPARATORS)
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if not compact.startswith("+"):
        return None, "is not a number with its country code (write it as +447400123456 or 00447400123456)"
    checked = check_number(compact)
    if checked.e164 is None:
        return None, f"is not a phone number: {checked.problem}"
    if not checked.possible:
        return None, "cannot be a phone number (wrong length for its country)"
    return checked.e164, None
