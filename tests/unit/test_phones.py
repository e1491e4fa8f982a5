"""Phone numbers: strict E.164 read straight from its digits, agreeing with libphonenumber's parser."""

from __future__ import annotations

import phonenumbers
from hypothesis import given, settings
from hypothesis import strategies as st

from smsspec.phones import _from_e164, check_number, format_number

CODES = sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE)


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(CODES), st.text("0123456789", min_size=2, max_size=14))
def test_e164_digits_give_the_same_number_as_the_parser(code: int, national: str) -> None:
    text = f"+{code}{national}"
    try:
        parsed = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        return
    if phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) != text:
        return  # the parser rewrote it (a national prefix, say); strict E.164 keeps what was written
    assert _from_e164(text[1:]) == parsed
    checked = check_number(text)
    assert checked.e164 == text
    assert checked.valid == phonenumbers.is_valid_number(parsed)
    assert checked.possible == phonenumbers.is_possible_number(parsed)


def test_problems_are_named() -> None:
    assert check_number("15551234888").problem == "not in E.164: it must start with + and the country code"
    assert check_number("+1 555").problem == "E.164 numbers hold only digits after the +"
    assert check_number("+999123456").problem == "the country code does not exist"
    assert check_number("+441").problem == "it is too short"
    assert check_number("+447400123456").valid is True


def test_provider_forms() -> None:
    assert format_number("+972541111111", "cc-ndc-sn") == "972-54-1111111"
    assert format_number("+12065551212", "digits") == "12065551212"
    assert format_number("+40712345678", "e164") == "+40712345678"
