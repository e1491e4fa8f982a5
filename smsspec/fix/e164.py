"""Phone numbers written with spaces, dashes or brackets, in E.164 when that is unambiguous.

``"+40 712 034 567"`` becomes ``"+40712034567"`` only when the text starts with
``+`` (so the country is written, not guessed), holds nothing but digits and
the usual separators, libphonenumber finds it a valid number of one region,
and the E.164 form keeps exactly the digits that were written (a trunk
``(0)`` or an extension is left for a person to decide).
"""

from __future__ import annotations

import re

import phonenumbers

from smsspec.sms import phones

_WRITTEN = re.compile(r"\+[0-9 ()./-]{2,30}")


def e164_of(text: str) -> str | None:
    """The E.164 form of ``text`` if it is unambiguous and differs from ``text``; else None."""
    written = text.strip()
    if not _WRITTEN.fullmatch(written) or phones.check_number(written).e164 is not None:
        return None
    try:
        number = phonenumbers.parse(written, None)
    except phonenumbers.NumberParseException:
        return None
    if number.extension or not phonenumbers.is_valid_number(number) or phonenumbers.region_code_for_number(number) is None:
        return None
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if re.sub(r"\D", "", written) != e164[1:]:
        return None
    checked = phones.check_number(e164)
    return e164 if checked.e164 == e164 and checked.possible else None
