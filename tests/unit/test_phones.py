"""Phone numbers: strict E.164 read straight from its digits, agreeing with libphonenumber's parser."""

from __future__ import annotations

import itertools
import re

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from phonenumbers.phonenumberutil import _number_type_helper

from smsspec.sms import phones
from smsspec.sms.phones import PhoneCheck, _from_e164, calling_code, check_number, format_number

CODES = sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE)


@pytest.fixture(autouse=True)
def joined_from_the_first_number(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test checks the joined rules (a run builds them after BUILD_AFTER numbers)."""
    monkeypatch.setattr(phones, "BUILD_AFTER", 0)
    monkeypatch.setattr(phones, "_KNOWN", {})  # shapes another test's rules left


def test_the_first_numbers_of_a_code_and_length_are_checked_by_libphonenumber(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(phones, "BUILD_AFTER", 3)
    monkeypatch.setattr(phones, "_checked", {})
    monkeypatch.setattr(phones, "_KNOWN", {})
    phones._rules_for_length.cache_clear()
    texts = [f"+1206555{n:04d}" for n in range(6)]
    answers = [phones.check_number_uncached(t) for t in texts[:3]]
    assert phones._rules_for_length.cache_info().currsize == 0  # no +1 rules joined yet
    answers += [phones.check_number_uncached(t) for t in texts[3:]]
    assert phones._rules_for_length.cache_info().currsize == 1
    assert answers == [_reference(t) for t in texts]


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


# check_number answers from tables joined out of libphonenumber's metadata; the reference
# below asks libphonenumber itself, one call per answer.


def _reference(text: str) -> PhoneCheck:
    parsed = _from_e164(text[1:])
    if isinstance(parsed, str):
        return PhoneCheck(None, False, False, None, parsed)
    return PhoneCheck(
        e164=phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164),
        possible=phonenumbers.is_possible_number(parsed),
        valid=phonenumbers.is_valid_number(parsed),
        region=phonenumbers.region_code_for_number(parsed),
        problem=None,
    )


NUMBER_TYPES = [
    value for name, value in vars(phonenumbers.PhoneNumberType).items()
    if name.isupper() and isinstance(value, int)
]


def _example_numbers() -> list[str]:
    """Every example number libphonenumber has, for every region and number type, in E.164."""
    found: list[phonenumbers.PhoneNumber | None] = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        found += [phonenumbers.example_number_for_type(region, kind) for kind in NUMBER_TYPES]
    for code in sorted(phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS):
        metadata = phonenumbers.PhoneMetadata.metadata_for_nongeo_region(code)
        assert metadata is not None
        for desc in _descs(metadata):
            if desc.example_number:
                found.append(phonenumbers.parse(f"+{code}{desc.example_number}", None))
    return sorted({phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.E164) for n in found if n})


def _descs(metadata: phonenumbers.PhoneMetadata) -> list[phonenumbers.PhoneNumberDesc]:
    names = ("general_desc", "fixed_line", "mobile", "toll_free", "premium_rate", "shared_cost",
             "personal_number", "voip", "pager", "uan", "voicemail")
    return [d for d in (getattr(metadata, name) for name in names) if d is not None]


EXAMPLES = _example_numbers()


def _mutations(e164: str) -> list[str]:
    """The number, one digit shorter or longer, with its last digit changed, and with a
    leading zero after the country code."""
    code = str(calling_code(e164))
    national = e164[1 + len(code) :]
    last = str((int(e164[-1]) + 5) % 10)
    return [e164, e164[:-1], e164 + "0", e164 + "7", e164[:-1] + last, f"+{code}0{national}",
            f"+{code}{national[1:]}"]


def test_example_numbers_and_their_neighbours_get_libphonenumbers_answers() -> None:
    texts = sorted({m for e164 in EXAMPLES for m in _mutations(e164)})
    answers = [check_number(text) for text in texts]
    assert answers == [_reference(text) for text in texts]
    # The comparison covers every kind of answer, not only the easy ones.
    assert len(EXAMPLES) > 950  # 997 in phonenumbers 8.13.0, over 1,000 since
    assert sum(a.valid for a in answers) > 2000
    assert sum(a.possible and not a.valid for a in answers) > 1000
    assert sum(not a.possible for a in answers) > 2000
    assert sum(a.region is None and a.e164 is not None for a in answers) > 300
    assert len({a.region for a in answers}) > 240


def test_shared_calling_codes_are_placed_in_the_right_region() -> None:
    regions = {
        "+12125550123": "US", "+14165550123": "CA", "+18765550123": "JM",
        "+79123456789": "RU", "+77012345678": "KZ",
        "+390612345678": "IT", "+390669812345": "VA",
        "+447400123456": "GB", "+447624123456": "IM",
        "+80012345678": "001",
    }
    for text, region in regions.items():
        checked = check_number(text)
        assert (checked.region, checked.valid, checked.possible) == (region, True, True), text
    assert check_number("+15555550123") == PhoneCheck("+15555550123", True, False, None, None)
    assert check_number("+3361234567") == PhoneCheck("+3361234567", False, False, "FR", None)


# National numbers that look like real ones: a real number's first digits, then anything.
_REALISH = st.tuples(st.sampled_from(EXAMPLES), st.integers(1, 8), st.text("0123456789", max_size=9)).map(
    lambda t: t[0][: 1 + len(str(calling_code(t[0]))) + t[1]] + t[2]
)
_DIGITS = st.text("0123456789", max_size=18)
_LEADING_ZEROS = st.tuples(st.integers(1, 17), st.text("0123456789", max_size=12)).map(
    lambda t: "0" * t[0] + t[1]
)
_CODE = st.one_of(st.sampled_from(CODES), st.integers(0, 999)).map(str)


@settings(max_examples=1500, deadline=None)
@given(st.one_of(_REALISH, st.tuples(_CODE, st.one_of(_DIGITS, _LEADING_ZEROS)).map(lambda t: f"+{t[0]}{t[1]}")))
def test_any_e164_digits_get_libphonenumbers_answers(text: str) -> None:
    assert phones.check_number_uncached(text) == _reference(text)


def test_patterns_that_cannot_be_joined_are_left_to_libphonenumber(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(phones, "_UNJOINABLE", re.compile(""))
    phones._rules_for_length.cache_clear()
    try:
        texts = [m for e164 in EXAMPLES[::20] for m in _mutations(e164)]
        assert phones._rules_for_length(44, 10) is None
        assert [phones.check_number_uncached(t) for t in texts] == [_reference(t) for t in texts]
    finally:
        phones._rules_for_length.cache_clear()


def _metadata(mobile_pattern: str) -> phonenumbers.PhoneMetadata:
    """Made-up metadata in which possible lengths and the general description decide answers,
    as they may in other versions of the real metadata (in this one they barely do)."""
    desc = phonenumbers.PhoneNumberDesc
    return phonenumbers.PhoneMetadata(
        "ZZ",
        general_desc=desc(r"[1-9]\d{1,5}", possible_length=(3, 4, 5, 6)),
        fixed_line=desc(r"1\d{2,5}", possible_length=(4, 6)),
        mobile=desc(mobile_pattern, possible_length=(5,)),
        toll_free=desc(r"[09]\d{1,4}", possible_length=(3,)),  # 0... is outside the general pattern
        voip=desc(r"5\d"),  # no lengths of its own: any the general description allows
        register=False,
    )


@pytest.mark.parametrize("mobile_pattern", [r"[15]\d{3,5}", r"1\d{2,5}"])
def test_number_types_are_matched_as_libphonenumber_matches_them(mobile_pattern: str) -> None:
    metadata = _metadata(mobile_pattern)
    answers = []
    for length in range(2, 8):
        pattern = phones._valid_pattern(metadata, length)
        for digits in itertools.product("0159", repeat=length):
            national = "".join(digits)
            has_type = _number_type_helper(national, metadata) != phonenumbers.PhoneNumberType.UNKNOWN
            assert (pattern is not None and re.fullmatch(pattern, national) is not None) == has_type, national
            answers.append(has_type)
    assert 0 < sum(answers) < len(answers)


@settings(max_examples=1500, deadline=None)
@given(st.one_of(_REALISH, st.tuples(_CODE, st.one_of(_DIGITS, _LEADING_ZEROS)).map(lambda t: f"+{t[0]}{t[1]}")))
def test_numbers_of_a_known_shape_get_libphonenumbers_answers(text: str) -> None:
    """The second number of a calling code and length is answered from the shape the first left."""
    assert not phones.known_valid(text) or phones.check_number_uncached(text).valid
    phones.check_number_uncached(text)
    if phones._known_shape(text) is None:
        return  # not E.164 digits, or rules that cannot be joined: libphonenumber answers
    # Numbers of the same shape: the same first three digits and length.
    neighbours = [text] if len(text) <= 4 else [text, text[:-1] + str((int(text[-1]) + 3) % 10), text[:4] + "0" * (len(text) - 4)]
    for neighbour in neighbours:
        reference = _reference(neighbour)
        assert phones._known_shape(neighbour) == reference, neighbour
        assert phones.known_valid(neighbour) == (reference.possible and reference.valid), neighbour
