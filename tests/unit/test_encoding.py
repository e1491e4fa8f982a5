from __future__ import annotations

import itertools
import string
import unicodedata

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from smsspec.sms.encoding import (
    ForcingCharacter,
    TextAnalysis,
    analyze,
    gsm_lookalike,
    split_segments,
    with_lookalikes,
)

# The default alphabet, written independently of the module: ASCII part plus
# the non-ASCII characters by their Unicode names (3GPP TS 23.038, 6.2.1).
_BASIC_NAMED = [
    "POUND SIGN",
    "YEN SIGN",
    "LATIN SMALL LETTER E WITH GRAVE",
    "LATIN SMALL LETTER E WITH ACUTE",
    "LATIN SMALL LETTER U WITH GRAVE",
    "LATIN SMALL LETTER I WITH GRAVE",
    "LATIN SMALL LETTER O WITH GRAVE",
    "LATIN CAPITAL LETTER C WITH CEDILLA",
    "LATIN CAPITAL LETTER O WITH STROKE",
    "LATIN SMALL LETTER O WITH STROKE",
    "LATIN CAPITAL LETTER A WITH RING ABOVE",
    "LATIN SMALL LETTER A WITH RING ABOVE",
    "GREEK CAPITAL LETTER DELTA",
    "GREEK CAPITAL LETTER PHI",
    "GREEK CAPITAL LETTER GAMMA",
    "GREEK CAPITAL LETTER LAMDA",
    "GREEK CAPITAL LETTER OMEGA",
    "GREEK CAPITAL LETTER PI",
    "GREEK CAPITAL LETTER PSI",
    "GREEK CAPITAL LETTER SIGMA",
    "GREEK CAPITAL LETTER THETA",
    "GREEK CAPITAL LETTER XI",
    "LATIN CAPITAL LETTER AE",
    "LATIN SMALL LETTER AE",
    "LATIN SMALL LETTER SHARP S",
    "LATIN CAPITAL LETTER E WITH ACUTE",
    "CURRENCY SIGN",
    "INVERTED EXCLAMATION MARK",
    "LATIN CAPITAL LETTER A WITH DIAERESIS",
    "LATIN CAPITAL LETTER O WITH DIAERESIS",
    "LATIN CAPITAL LETTER N WITH TILDE",
    "LATIN CAPITAL LETTER U WITH DIAERESIS",
    "SECTION SIGN",
    "INVERTED QUESTION MARK",
    "LATIN SMALL LETTER A WITH DIAERESIS",
    "LATIN SMALL LETTER O WITH DIAERESIS",
    "LATIN SMALL LETTER N WITH TILDE",
    "LATIN SMALL LETTER U WITH DIAERESIS",
    "LATIN SMALL LETTER A WITH GRAVE",
]
BASIC = (
    "@$_\n\r !\"#%&'()*+,-./:;<=>?"
    + string.digits
    + string.ascii_uppercase
    + string.ascii_lowercase
    + "".join(unicodedata.lookup(name) for name in _BASIC_NAMED)
)
EXTENSION = "\f^{}\\[~]|\u20ac"
GSM = set(BASIC) | set(EXTENSION)


def test_reference_tables_have_the_spec_sizes() -> None:
    # 128 positions minus the escape at 0x1B; 10 extension characters.
    assert len(BASIC) == len(set(BASIC)) == 127
    assert len(set(EXTENSION)) == 10
    assert not set(BASIC) & set(EXTENSION)


# --- reference model -------------------------------------------------------


def ref_units(text: str) -> tuple[str, int]:
    if all(c in GSM for c in text):
        return "GSM-7", sum(2 if c in EXTENSION else 1 for c in text)
    return "UCS-2", sum(2 if ord(c) > 0xFFFF else 1 for c in text)


def char_units(encoding: str, c: str) -> int:
    if encoding == "GSM-7":
        return 2 if c in EXTENSION else 1
    return 2 if ord(c) > 0xFFFF else 1


def seg_units(encoding: str, segment: str) -> int:
    return sum(char_units(encoding, c) for c in segment)


def ref_segments(text: str) -> int:
    encoding, units = ref_units(text)
    if units == 0:
        return 0
    single, multi = (160, 153) if encoding == "GSM-7" else (70, 67)
    if units <= single:
        return 1
    count, used = 1, 0
    for c in text:
        w = char_units(encoding, c)
        if used + w > multi:
            count, used = count + 1, 0
        used += w
    return count


# --- basics ------------------------------------------------------------------


def test_empty_text() -> None:
    a = analyze("")
    assert (a.encoding, a.units, a.segments, a.characters, a.forcing) == ("GSM-7", 0, 0, 0, ())
    assert split_segments("") == []


@pytest.mark.parametrize("char", sorted(BASIC))
def test_every_basic_char_is_one_septet(char: str) -> None:
    a = analyze(char)
    assert (a.encoding, a.units, a.segments, a.forcing) == ("GSM-7", 1, 1, ())


@pytest.mark.parametrize("char", sorted(EXTENSION))
def test_every_extension_char_is_two_septets(char: str) -> None:
    a = analyze(char)
    assert (a.encoding, a.units, a.characters) == ("GSM-7", 2, 1)
    assert analyze("a" + char * 3).units == 7


def test_whole_alphabet_is_gsm() -> None:
    a = analyze(BASIC + EXTENSION)
    assert a.encoding == "GSM-7"
    assert a.units == 127 + 20


@pytest.mark.parametrize(
    "char",
    [
        "`",  # no backtick in the default alphabet
        "\t",
        "\x00",
        "\x1b",  # ESC is a control, not text
        "\x7f",
        "\u00e7",  # only the capital C cedilla is in the table
        "\u00e1",
        "\u00ea",
        "\u00eb",
        "\u00a2",
        "\u2126",  # ohm sign, not Greek omega
        "\u0391",  # Greek capital alpha, not A
        "\u00a0",
    ],
)
def test_chars_outside_the_tables_force_ucs2(char: str) -> None:
    a = analyze("abc" + char)
    assert a.encoding == "UCS-2"
    assert [f.char for f in a.forcing] == [char]
    assert a.forcing[0].index == 3


def test_foreign_looking_gsm_letters_are_not_reported() -> None:
    a = analyze("Caf\u00e9 Espa\u00f1a M\u00fcller \u00c4rger \u00c7a \u00df \u00d8 \u00c5 \u0394")
    assert a.encoding == "GSM-7"
    assert a.forcing == ()


# --- GSM-7 boundaries ---------------------------------------------------------


@pytest.mark.parametrize(
    ("length", "segments"),
    [(1, 1), (160, 1), (161, 2), (306, 2), (307, 3), (459, 3), (460, 4)],
)
def test_gsm_segment_boundaries(length: int, segments: int) -> None:
    text = "a" * length
    a = analyze(text)
    assert (a.encoding, a.units, a.segments) == ("GSM-7", length, segments)
    parts = split_segments(text)
    assert len(parts) == segments
    if segments > 1:
        assert all(len(p) == 153 for p in parts[:-1])


def test_extension_chars_count_towards_the_single_limit() -> None:
    assert analyze("a" * 158 + "{").segments == 1  # 160 septets
    a = analyze("a" * 159 + "{")  # 161 septets
    assert (a.units, a.segments) == (161, 2)
    assert split_segments("a" * 159 + "{") == ["a" * 153, "a" * 6 + "{"]


def test_escape_pair_at_septet_153_moves_to_next_segment() -> None:
    text = "a" * 152 + "\u20ac" + "b" * 10
    assert analyze(text).units == 164
    assert split_segments(text) == ["a" * 152, "\u20ac" + "b" * 10]


def test_escape_pair_ending_at_septet_153_stays() -> None:
    text = "a" * 151 + "\u20ac" + "b" * 10
    assert split_segments(text) == ["a" * 151 + "\u20ac", "b" * 10]


def test_moved_escape_pair_can_add_a_segment() -> None:
    # 306 septets would be two full segments, but the pair cannot straddle.
    text = "a" * 152 + "[" + "a" * 152
    a = analyze(text)
    assert (a.units, a.segments) == (306, 3)
    assert split_segments(text) == ["a" * 152, "[" + "a" * 151, "a"]


def test_gsm_non_ascii_multi_segment() -> None:
    text = ("\u00e9\u20ac" * 100)[:161]
    parts = split_segments(text)
    assert "".join(parts) == text
    assert analyze(text).segments == len(parts) == ref_segments(text)


# --- UCS-2 boundaries -----------------------------------------------------------

CYR = "\u0436"


@pytest.mark.parametrize(
    ("length", "segments"),
    [(1, 1), (70, 1), (71, 2), (134, 2), (135, 3), (201, 3), (202, 4)],
)
def test_ucs2_segment_boundaries(length: int, segments: int) -> None:
    text = CYR * length
    a = analyze(text)
    assert (a.encoding, a.units, a.segments) == ("UCS-2", length, segments)
    parts = split_segments(text)
    assert len(parts) == segments
    if segments > 1:
        assert all(len(p) == 67 for p in parts[:-1])


def test_emoji_counts_two_units() -> None:
    a = analyze("\U0001f600")
    assert (a.encoding, a.units, a.characters, a.segments) == ("UCS-2", 2, 1, 1)
    assert analyze("a" * 68 + "\U0001f600").segments == 1  # 70 units
    assert analyze("a" * 69 + "\U0001f600").segments == 2  # 71 units


def test_emoji_at_segment_boundary_moves_to_next_segment() -> None:
    text = CYR * 66 + "\U0001f600" + CYR * 10
    assert analyze(text).units == 78
    assert split_segments(text) == [CYR * 66, "\U0001f600" + CYR * 10]


def test_moved_surrogate_pair_can_add_a_segment() -> None:
    text = CYR * 66 + "\U0001f600" + CYR * 66  # 134 units
    a = analyze(text)
    assert (a.units, a.segments) == (134, 3)
    assert [len(p) for p in split_segments(text)] == [66, 66, 1]


def test_lone_surrogates_round_trip() -> None:
    text = "\ud83d" * 80
    a = analyze(text)
    assert (a.encoding, a.units, a.segments) == ("UCS-2", 80, 2)
    assert "".join(split_segments(text)) == text


# --- forcing characters and look-alikes -------------------------------------


def test_forcing_characters_report() -> None:
    text = "It\u2019s \u201cdone\u201d \U0001f600 \u2019ok\u2019"
    a = analyze(text)
    assert a.encoding == "UCS-2"
    assert a.forcing == (
        ForcingCharacter("\u2019", 2, 3, "'"),
        ForcingCharacter("\u201c", 5, 1, '"'),
        ForcingCharacter("\u201d", 10, 1, '"'),
        ForcingCharacter("\U0001f600", 12, 1, None),
    )


def test_to_json() -> None:
    a = analyze("a\u00a0b\U0001f600")
    assert a.to_json() == {
        "encoding": "UCS-2",
        "units": 5,
        "segments": 1,
        "characters": 4,
        "ucs2_characters": [
            {"char": "\u00a0", "index": 1, "codepoint": "U+00A0", "count": 1, "suggestion": " "},
            {
                "char": "\U0001f600",
                "index": 3,
                "codepoint": "U+1F600",
                "count": 1,
                "suggestion": None,
            },
        ],
    }
    assert analyze("hi").to_json()["ucs2_characters"] == []
    assert isinstance(a, TextAnalysis)


@pytest.mark.parametrize(
    ("char", "expected"),
    [
        ("\u2018", "'"),
        ("\u2019", "'"),
        ("\u201c", '"'),
        ("\u201d", '"'),
        ("\u201e", '"'),
        ("\u2013", "-"),
        ("\u2014", "-"),
        ("\u2212", "-"),
        ("\u2010", "-"),
        ("\u2011", "-"),
        ("\u2032", "'"),
        ("\u2033", '"'),
        ("\u00a0", " "),
        ("\u2000", " "),
        ("\u2009", " "),
        ("\u200a", " "),
        ("\u202f", " "),
        ("\u205f", " "),
        ("\u3000", " "),
        ("\u2026", "..."),
        ("\uff01", "!"),
        ("\uff1f", "?"),
        ("\u2022", None),  # bullet: no unambiguous equivalent
        ("\u00e7", None),  # ç -> Ç would change the word
        ("\u00e1", None),
        ("`", None),
        ("\U0001f600", None),
        ("\u200b", None),  # zero-width space is not a space
        ("\uff3c", None),  # fullwidth reverse solidus reads as a yen sign in Japanese
        ("a", None),  # already GSM-7
        ("\u00e9", None),
        ("", None),
        ("\u2019\u2019", None),
    ],
)
def test_gsm_lookalike(char: str, expected: str | None) -> None:
    assert gsm_lookalike(char) == expected


@given(st.characters())
def test_lookalikes_only_for_non_gsm_and_always_gsm(char: str) -> None:
    replacement = gsm_lookalike(char)
    if replacement is not None:
        assert char not in GSM
        assert replacement and all(c in GSM for c in replacement)


def test_with_lookalikes() -> None:
    text = "It\u2019s\u00a0done \u2013 \u201cgo\u201d\u2026"
    fixed = with_lookalikes(text)
    assert fixed == 'It\'s done - "go"...'
    assert analyze(fixed).encoding == "GSM-7"
    # Characters without a look-alike stay, so the text stays UCS-2.
    assert with_lookalikes("\u2019\u00e7\U0001f600") == "'\u00e7\U0001f600"
    assert with_lookalikes("plain `text`") == "plain `text`"


def test_suggestion_matches_gsm_lookalike() -> None:
    a = analyze("\u2026\u2022\u3000")
    assert [(f.char, f.suggestion) for f in a.forcing] == [
        ("\u2026", "..."),
        ("\u2022", None),
        ("\u3000", " "),
    ]


# --- properties -------------------------------------------------------------------

_GSM_ALPHABET = sorted(GSM)
_MIXED = [*_GSM_ALPHABET, "\u2019", "\u00e7", "`", "\t", "\u0436", "\U0001f600", "\U0001f44d"]
texts = st.one_of(
    st.text(alphabet=st.sampled_from(_GSM_ALPHABET), max_size=500),
    st.text(alphabet=st.sampled_from("a{\u20ac"), max_size=500),
    st.text(alphabet=st.sampled_from("\u0436\U0001f600"), max_size=300),
    st.text(alphabet=st.sampled_from(_MIXED), max_size=400),
    st.text(max_size=300),
)


@settings(max_examples=300)
@given(texts)
@example("a" * 152 + "\u20ac" * 5)
@example("\u0436" * 66 + "\U0001f600" * 5)
def test_properties(text: str) -> None:
    a = analyze(text)
    parts = split_segments(text)
    encoding, units = ref_units(text)

    assert "".join(parts) == text
    assert a.segments == len(parts) == ref_segments(text)
    assert (a.encoding, a.units, a.characters) == (encoding, units, len(text))
    assert (a.encoding == "GSM-7") == all(c in GSM for c in text)

    single, multi = (160, 153) if encoding == "GSM-7" else (70, 67)
    if len(parts) == 1:
        assert seg_units(encoding, parts[0]) <= single
    else:
        assert all(part for part in parts)
        assert all(seg_units(encoding, part) <= multi for part in parts)
        # Greedy: a segment only ends early when the next character does not fit.
        for part, following in itertools.pairwise(parts):
            assert seg_units(encoding, part) + char_units(encoding, following[0]) > multi

    if encoding == "GSM-7":
        assert a.forcing == ()
    else:
        outside = [c for c in dict.fromkeys(text) if c not in GSM]
        assert [f.char for f in a.forcing] == outside
        for f in a.forcing:
            assert (f.index, f.count) == (text.index(f.char), text.count(f.char))
            assert f.suggestion == gsm_lookalike(f.char)


@given(texts)
def test_with_lookalikes_removes_only_replaceable_forcers(text: str) -> None:
    fixed = with_lookalikes(text)
    remaining = {f.char for f in analyze(fixed).forcing}
    expected = {f.char for f in analyze(text).forcing if f.suggestion is None}
    assert remaining == expected
