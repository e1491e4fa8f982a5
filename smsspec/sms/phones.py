"""Phone numbers: parsing with libphonenumber's metadata and the forms providers want.

Users write numbers in E.164 (``+15551234888``). Each provider descriptor names
the form its payload needs (``phone_format``); :func:`format_number` produces it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import NamedTuple

import phonenumbers
from phonenumbers import PhoneMetadata, PhoneNumberDesc

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


def check_number(text: str) -> PhoneCheck:
    """What libphonenumber says about ``text`` as strict E.164."""
    return _known_shape(text) or _check_cached(text)


def check_number_uncached(text: str) -> PhoneCheck:
    """check_number's answer, worked out again (for tests)."""
    return _known_shape(text) or _check(text)


# Numbers whose first three digits and length were seen with joined rules: where the
# national number starts, and the rules. The first digits name the calling code (no code
# is a prefix of another), and with the length, the national number's length.
_KNOWN: dict[tuple[str, int], tuple[int, _LengthRules]] = {}


def _known_shape(text: str) -> PhoneCheck | None:
    """The answer without splitting ``text``, for a shape seen before; None for any other."""
    known = _KNOWN.get((text[:4], len(text)))
    if known is None:
        return None
    start, rules = known
    national = text[start:]
    if not (national.isdigit() and national.isascii()):
        return None
    region, valid = rules.verdict(national)
    return PhoneCheck(e164=text, possible=rules.possible, valid=valid, region=region, problem=None)


def known_valid(text: str) -> bool:
    """True when check_number would find ``text`` possible and valid, told from a shape
    seen before; False says nothing (ask check_number)."""
    known = _KNOWN.get((text[:4], len(text)))
    if known is None or not known[1].possible:
        return False
    national = text[known[0]:]
    return national.isdigit() and national.isascii() and known[1].verdict(national)[1]


def _check(text: str) -> PhoneCheck:
    if not text.startswith("+"):
        return PhoneCheck(None, False, False, None, "not in E.164: it must start with + and the country code")
    digits = text[1:]
    if not digits.isdigit() or not digits.isascii():
        return PhoneCheck(None, False, False, None, "E.164 numbers hold only digits after the +")
    split = _split(digits)
    if isinstance(split, str):
        return PhoneCheck(None, False, False, None, split)
    code, national = split
    rules = _joined_rules(code, len(national))
    if rules is None:
        return _library_check(digits)
    _KNOWN[(text[:4], len(text))] = (len(text) - len(national), rules)
    region, valid = rules.verdict(national)
    # E.164 is "+", the code and the national significant number, which is `national`
    # itself (leading zeros included): exactly the text that was given.
    return PhoneCheck(e164=text, possible=rules.possible, valid=valid, region=region, problem=None)


_check_cached = lru_cache(maxsize=65536)(_check)

# Numbers of one calling code and length checked by libphonenumber before their rules are
# joined: joining costs about 0.3 ms (and for +1, loading 25 regions' metadata), which a
# long list repays and a spec with a few numbers does not.
BUILD_AFTER = 32
_checked: dict[tuple[int, int], int] = {}


def _joined_rules(code: int, length: int) -> _LengthRules | None:
    key = (code, length)
    done = _checked.get(key, 0)
    if done < BUILD_AFTER:
        _checked[key] = done + 1
        return None
    return _rules_for_length(code, length)


def _library_check(digits: str) -> PhoneCheck:
    """check_number's answer computed by libphonenumber alone."""
    parsed = _from_e164(digits)
    if isinstance(parsed, str):
        return PhoneCheck(None, False, False, None, parsed)
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    # is_valid_number(parsed) is is_valid_number_for_region(parsed, region_code_for_number(parsed));
    # the region is looked up once.
    region = phonenumbers.region_code_for_number(parsed)
    return PhoneCheck(
        e164=e164,
        possible=phonenumbers.is_possible_number(parsed),
        valid=phonenumbers.is_valid_number_for_region(parsed, region),  # type: ignore[arg-type]  # None, as is_valid_number passes it
        region=region,
        problem=None,
    )


def _split(digits: str) -> tuple[int, str] | str:
    """The calling code and national significant number of E.164 digits, or why they are no number."""
    code = _code_of(digits)
    if not code:
        return "the country code does not exist"
    national = digits[len(str(code)) :]
    if len(national) < 2:
        return "it is too short"
    if len(national) > 17:
        return "it is too long"
    return code, national


def _from_e164(digits: str) -> phonenumbers.PhoneNumber | str:
    """The number, or why it cannot be one, straight from E.164 digits.

    ``phonenumbers.parse`` does the same for text in E.164 form, plus a general
    normalisation (punctuation, letters, national prefixes) that such text never
    needs; skipping it makes checking a large recipients file several times faster.
    """
    split = _split(digits)
    if isinstance(split, str):
        return split
    code, national = split
    number = phonenumbers.PhoneNumber(country_code=code, national_number=int(national))
    zeros = len(national) - len(national.lstrip("0"))
    if zeros == len(national):
        zeros -= 1  # an all-zero number keeps one zero as its value, as libphonenumber counts it
    if zeros:
        number.italian_leading_zero = True
        if zeros > 1:
            number.number_of_leading_zeros = zeros
    return number


def parsed(e164: str) -> phonenumbers.PhoneNumber | None:
    """libphonenumber's record of an E.164 number as check_number accepts it (None if it is none),
    built without ``phonenumbers.parse``'s general normalisation, which E.164 text never needs."""
    found = _from_e164(e164[1:]) if e164.startswith("+") and e164[1:].isdigit() else None
    return found if isinstance(found, phonenumbers.PhoneNumber) else None


def calling_code(e164: str) -> int:
    """The country calling code of an E.164 number as check_number writes it, without parsing it
    again: the code is the first 1 to 3 digits that name one (no code is a prefix of another)."""
    return _code_of(e164[1:])


_CODES = {str(code): code for code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE}


def _code_of(digits: str) -> int:
    return _CODES.get(digits[:1]) or _CODES.get(digits[:2]) or _CODES.get(digits[:3]) or 0


# What libphonenumber decides about a number of a given calling code depends only on
# the national significant number: whether it is possible only on its length, its region
# and validity on regular expressions from the metadata. libphonenumber matches those one
# at a time from Python (about ten per region, and +1 is shared by 25 regions); below they
# are joined, per calling code and length, into one expression giving the same answers.

# The number types _number_type_helper tries after the general description, besides mobile.
# Whether a number has one does not depend on their order: fixed line, the usual
# alternative to mobile (which comes first, SMS being sent to mobiles), then the rest.
_TYPES = (
    "fixed_line",
    "premium_rate",
    "toll_free",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
)
# Constructs that could change meaning once a pattern is joined with others
# (back-references, named groups, flags, lookarounds, anchors).
_UNJOINABLE = re.compile(r"\\[1-9]|\(\?[^:]|[$^]|\\[AbBZ]")
_NON_GEO = phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY
_Verdict = tuple[str | None, bool]  # region, valid
# A region, a pattern for the numbers placed there, and whether they are valid (a pattern
# for the valid ones, or the same answer for all).
_Choice = tuple[str, str, str | bool]


class _Unjoinable(Exception):
    """A metadata pattern that cannot be joined with others without changing its meaning."""


class _LengthRules(NamedTuple):
    """libphonenumber's answers for national numbers of one calling code and length."""

    possible: bool
    finder: re.Pattern[str]  # its alternatives, tried in order, end in a group named in verdicts
    verdicts: dict[str, _Verdict]

    def verdict(self, national: str) -> _Verdict:
        match = self.finder.fullmatch(national)
        if match is None or match.lastgroup is None:
            return None, False
        return self.verdicts[match.lastgroup]


@cache
def _rules_for_length(code: int, length: int) -> _LengthRules | None:
    """The rules for this calling code and length, or None where only libphonenumber can tell."""
    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE[code]
    try:
        if len(regions) == 1:
            # region_code_for_number names the only region, whatever the number.
            choices: list[_Choice] = [(regions[0], "[0-9]*", _validity(code, regions[0], length))]
        else:
            choices = _region_choices(code, regions, length)
    except _Unjoinable:
        return None
    alternatives: list[str] = []
    verdicts: dict[str, _Verdict] = {}
    for region, selector, valid in choices:
        if isinstance(valid, str):  # valid where both the selector and validity match
            both = f"(?=(?:{selector})\\Z)(?:{valid})"
            alternatives.append(_marked(both, (region, True), verdicts))
        alternatives.append(_marked(selector, (region, valid is True), verdicts))
    # An alternative that can never match keeps the expression well formed without choices.
    finder = re.compile("|".join(alternatives) or "(?!)")
    return _LengthRules(_possible(code, length), finder, verdicts)


def _marked(pattern: str, verdict: _Verdict, verdicts: dict[str, _Verdict]) -> str:
    """The pattern as an alternative ending in an empty group, which a match names as lastgroup."""
    name = f"_{len(verdicts)}"
    verdicts[name] = verdict
    return f"(?:{pattern})(?P<{name}>)"


def _possible(code: int, length: int) -> bool:
    """is_possible_number for this calling code and national length.

    It looks at nothing but the calling code and the length of the national significant
    number, so any number of that length gives the answer for all of them.
    """
    probe = phonenumbers.PhoneNumber(country_code=code, national_number=int("1" * length))
    return phonenumbers.is_possible_number(probe)


def _region_choices(code: int, regions: tuple[str, ...], length: int) -> list[_Choice]:
    """region_code_for_number among several regions, as choices in libphonenumber's order.

    libphonenumber takes the first region whose leading digits start the number or, for a
    region without them, the first whose number types the number matches.
    """
    choices: list[_Choice] = []
    for region in regions:
        metadata = PhoneMetadata.metadata_for_region(region.upper(), None)
        if metadata is None:
            continue
        if metadata.leading_digits is not None:
            # A prefix match of the leading digits: the rest are any digits.
            selector = f"(?:{_joinable(metadata.leading_digits)})[0-9]*"
            choices.append((region, selector, _validity(code, region, length)))
            continue
        pattern = _valid_pattern(metadata, length)
        if pattern is None:
            continue
        # is_valid_number_for_region repeats the same match, against the same metadata
        # unless the region is the non-geographic one.
        if region == _NON_GEO:
            choices.append((region, pattern, _validity(code, region, length)))
        else:
            choices.append((region, pattern, metadata.country_code == code))
    return choices


def _validity(code: int, region: str, length: int) -> str | bool:
    """is_valid_number_for_region at this length: a pattern for the valid numbers, or False."""
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(code, region.upper())
    if metadata is None:
        return False
    if region != _NON_GEO and code != phonenumbers.country_code_for_valid_region(region):
        return False
    pattern = _valid_pattern(metadata, length)
    return False if pattern is None else pattern


def _valid_pattern(metadata: PhoneMetadata, length: int) -> str | None:
    """A pattern whose full match means `_number_type_helper(...) != UNKNOWN` at this length.

    A number has a type when it matches the general description and at least one type's
    (mobile only counts when its pattern differs from fixed line's); a description matches
    when it allows the number's length and its pattern matches the whole number.
    """
    general = _desc_pattern(metadata.general_desc, length)
    if general is None:
        return None
    descs = [getattr(metadata, name) for name in _TYPES]
    if not metadata.same_mobile_and_fixed_line_pattern:
        descs.insert(0, metadata.mobile)
    types = [p for p in (_desc_pattern(desc, length) for desc in descs) if p is not None]
    if not types:
        return None
    return f"(?=(?:{general})\\Z)(?:{'|'.join(f'(?:{p})' for p in types)})"


def _desc_pattern(desc: PhoneNumberDesc | None, length: int) -> str | None:
    """The description's pattern if it may match numbers of this length (_is_number_matching_desc)."""
    if desc is None or not desc.national_number_pattern:
        return None
    if desc.possible_length and length not in desc.possible_length:
        return None
    return _joinable(desc.national_number_pattern)


def _joinable(pattern: str) -> str:
    if _UNJOINABLE.search(pattern):
        raise _Unjoinable(pattern)
    return pattern


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
