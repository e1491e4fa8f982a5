"""Phone numbers: parsing with libphonenumber's metadata and the forms providers want.

Users write numbers in E.164 (``+15551234888``). Each provider descriptor names
the form its payload needs (``phone_format``); :func:`format_number` produces it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import phonenumbers

# The forms a provider descriptor may ask for, with an example for +972541111111.
PHONE_FORMATS = {
    "e164": "+972541111111",
    "digits": "972541111111",
    "cc-ndc-sn": "972-54-1111111",
}


@dataclass(frozen=True)
class PhoneCheck:
    e164: str | None  # normalised number, when it could be parsed
    possible: bool  # right length for its country
    valid: bool  # inside a range libphonenumber knows to be assigned
    region: str | None
    problem: str | None  # why it could not be parsed, if it could not


@lru_cache(maxsize=65536)
def check_number(text: str) -> PhoneCheck:
    if not text.startswith("+"):
        return PhoneCheck(None, False, False, None, "not in E.164: it must start with + and the country code")
    digits = text[1:]
    if not digits.isdigit() or not digits.isascii():
        return PhoneCheck(None, False, False, None, "E.164 numbers hold only digits after the +")
    parsed = _from_e164(digits)
    if isinstance(parsed, str):
        return PhoneCheck(None, False, False, None, parsed)
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    # is_valid_number(parsed) is is_valid_number_for_region(parsed, region_code_for_number(parsed));
    # the region is looked up once (for +1 numbers that means matching every NANPA region's patterns).
    region = phonenumbers.region_code_for_number(parsed)
    return PhoneCheck(
        e164=e164,
        possible=phonenumbers.is_possible_number(parsed),
        valid=phonenumbers.is_valid_number_for_region(parsed, region),  # type: ignore[arg-type]  # None, as is_valid_number passes it
        region=region,
        problem=None,
    )


def _from_e164(digits: str) -> phonenumbers.PhoneNumber | str:
    """The number, or why it cannot be one, straight from E.164 digits.

    ``phonenumbers.parse`` does the same for text in E.164 form, plus a general
    normalisation (punctuation, letters, national prefixes) that such text never
    needs; skipping it makes checking a large recipients file several times faster.
    """
    code = calling_code("+" + digits)
    if not code:
        return "the country code does not exist"
    national = digits[len(str(code)) :]
    if len(national) < 2:
        return "it is too short"
    if len(national) > 17:
        return "it is too long"
    number = phonenumbers.PhoneNumber(country_code=code, national_number=int(national))
    zeros = len(national) - len(national.lstrip("0"))
    if zeros == len(national):
        zeros -= 1  # an all-zero number keeps one zero as its value, as libphonenumber counts it
    if zeros:
        number.italian_leading_zero = True
        if zeros > 1:
            number.number_of_leading_zeros = zeros
    return number


def calling_code(e164: str) -> int:
    """The country calling code of an E.164 number as check_number writes it, without parsing it
    again: the code is the first 1 to 3 digits that name one (no code is a prefix of another)."""
    digits = e164[1:]
    if not digits or digits[0] == "0":
        return 0
    for length in range(1, min(len(digits), 3) + 1):
        code = int(digits[:length])
        if code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            return code
    return 0


@lru_cache(maxsize=65536)
def format_number(e164: str, form: str) -> str:
    """Render an E.164 number in a provider's form (see PHONE_FORMATS)."""
    if form == "e164":
        return e164
    if form == "digits":
        return e164.lstrip("+")
    if form == "cc-ndc-sn":
        parsed = phonenumbers.parse(e164, None)
        national = phonenumbers.national_significant_number(parsed)
        ndc = phonenumbers.length_of_national_destination_code(parsed)
        parts = [str(parsed.country_code)]
        parts += [national[:ndc], national[ndc:]] if ndc else [national]
        return "-".join(parts)
    raise ValueError(f"unknown phone format {form!r}")
