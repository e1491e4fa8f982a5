"""Quiet-hours windows across time zones, and opt-out files read into E.164 numbers."""

from __future__ import annotations

from datetime import datetime, time, timezone
from pathlib import Path

import pytest

from smsspec.compliance.optout import normalise
from smsspec.compliance.quiet import QuietHours, inside, opens_at, zones_for_number
from smsspec.load.optouts import read_opt_out_file

NIGHT = QuietHours(time(21, 0), time(8, 0))


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def test_a_window_across_midnight_is_quiet_on_both_sides_of_it() -> None:
    assert NIGHT.quiet_at(time(21, 0)) and NIGHT.quiet_at(time(3, 0)) and NIGHT.quiet_at(time(7, 59))
    assert not NIGHT.quiet_at(time(8, 0)) and not NIGHT.quiet_at(time(20, 59))
    lunch = QuietHours(time(12, 0), time(13, 0))
    assert lunch.quiet_at(time(12, 30)) and not lunch.quiet_at(time(13, 0)) and not lunch.quiet_at(time(3, 0))


def test_a_recipient_is_quiet_in_local_time_and_the_window_opens_at_local_morning() -> None:
    found = inside(NIGHT, utc("2026-12-01T20:30:00"), zones_for_number("+40722123456"))
    assert found is not None and found.zone == "Europe/Bucharest" and f"{found.local:%H:%M}" == "22:30"
    assert found.opens == utc("2026-12-02T06:00:00")
    assert inside(NIGHT, utc("2026-12-01T20:30:00"), zones_for_number("+447400123456")) is None  # 20:30 in London


def test_a_number_spanning_several_zones_goes_only_when_every_zone_allows_it() -> None:
    zones = zones_for_number("+61412345678")  # an Australian mobile: Perth to Sydney, and islands
    assert {"Australia/Perth", "Australia/Sydney"} <= set(zones)
    # 22:00 UTC: 09:00 in Sydney, but 06:00 in Perth: still quiet
    assert inside(NIGHT, utc("2026-12-01T22:00:00"), zones) is not None
    opening = opens_at(NIGHT, utc("2026-12-01T22:00:00"), zones)
    assert opening == utc("2026-12-02T01:30:00")  # 08:00 on the Cocos Islands, the last to wake
    assert inside(NIGHT, opening, zones) is None


def test_summer_time_moves_the_opening_in_utc() -> None:
    summer = opens_at(NIGHT, utc("2026-07-01T20:00:00"), ("Europe/Bucharest",))  # UTC+3 in July
    assert summer == utc("2026-07-02T05:00:00")


def test_zones_that_never_share_an_allowed_moment_have_no_opening() -> None:
    narrow = QuietHours(time(12, 0), time(11, 0))  # allowed one hour a day
    assert opens_at(narrow, utc("2026-12-01T12:00:00"), ("Europe/London", "Asia/Tokyo")) is None


def test_types_limit_a_window() -> None:
    campaigns = QuietHours(time(21, 0), time(8, 0), frozenset({"campaign"}))
    assert campaigns.applies_to("campaign") and not campaigns.applies_to("transactional") and not campaigns.applies_to(None)
    assert NIGHT.applies_to(None)


@pytest.mark.parametrize(("written", "e164"), [
    ("+447400123456", "+447400123456"),
    ("+44 7400 123456", "+447400123456"),
    ("0044-7400-123456", "+447400123456"),
    ("(+1) 206.555.1212", "+12065551212"),
])
def test_opt_out_numbers_are_normalised_to_e164(written: str, e164: str) -> None:
    assert normalise(written) == (e164, None)


@pytest.mark.parametrize("written", ["07400 123456", "+4474", "+44 74OO 123456", ""])
def test_what_is_no_full_number_is_refused(written: str) -> None:
    number, why = normalise(written)
    assert number is None and why


def read(tmp_path: Path, name: str, content: bytes) -> tuple[frozenset[str], list[str]]:
    path = tmp_path / name
    path.write_bytes(content)
    found = read_opt_out_file(path, name, (tmp_path.resolve(),))
    return found.numbers, [f"{p.row}:{p.column}: {p.message}" for p in found.problems]


def test_an_opt_out_file_is_one_number_a_line_or_csv_with_a_number_column(tmp_path: Path) -> None:
    assert read(tmp_path, "a.txt", b"+447400123456\n\n  0040722123456\n") == (
        frozenset({"+447400123456", "+40722123456"}), [])
    assert read(tmp_path, "b.csv", b"when,number\n2026-11-30,+447400123456\n") == (frozenset({"+447400123456"}), [])


def test_opt_out_file_problems_carry_line_and_column(tmp_path: Path) -> None:
    assert read(tmp_path, "a.txt", b"+447400123456\nSTOP\n")[1] == [
        "2:1: line 2: the entry is not a number with its country code (write it as +447400123456 or 00447400123456)"]
    assert read(tmp_path, "b.csv", b"phone\n+447400123456\n")[1] == [
        "1:1: no column `number` in the header; the columns are phone"]
    assert read(tmp_path, "c.txt", b"+447400123456\n\xff\n")[1] == ["2:1: the file is not UTF-8 text here"]


def test_an_opt_out_file_outside_the_project_is_not_read(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.txt"
    outside.write_text("+447400123456\n", encoding="utf-8")
    project = tmp_path / "project"
    project.mkdir()
    found = read_opt_out_file(outside, "elsewhere.txt", (project.resolve(),))
    assert found.numbers == frozenset() and "lies outside" in found.problems[0].message


@pytest.mark.parametrize("number", ["+447400123456", "+442079460000", "+12065551212", "+40722123456",
                                    "+61412345678", "+79161234567", "+4915112345678", "+18005550199"])
def test_zones_are_libphonenumbers_answer_for_the_number(number: str) -> None:
    """The shortcut (no type check where prefix and country agree) changes no answer."""
    import phonenumbers
    from phonenumbers import timezone

    expected = {z for z in timezone.time_zones_for_number(phonenumbers.parse(number)) if z != "Etc/Unknown"}
    assert set(zones_for_number(number)) == expected


def test_every_zone_libphonenumber_names_is_one_zoneinfo_knows() -> None:
    """A zone zoneinfo did not know would be left out of a number's zones, so quiet hours
    there would silently not apply (tzdata is a dependency for systems without zone data)."""
    from phonenumbers.tzdata import TIMEZONE_DATA

    from smsspec.compliance.quiet import UNKNOWN_ZONE, known_zone

    names = {zone for zones in TIMEZONE_DATA.values() for zone in zones} - {UNKNOWN_ZONE}
    assert len(names) > 200
    assert sorted(name for name in names if not known_zone(name)) == []
