"""Quiet hours: a daily window (say 21:00 to 08:00) in which some messages must not go out.

A window is evaluated in time zones: the recipient's (from the number, by
libphonenumber's time-zone data) or an account's (a provider's own quiet
hours). A number whose prefix spans several zones is quiet when any of them
is, so it goes out only at a moment that is allowed in every one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from functools import cache, lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UNKNOWN_ZONE = "Etc/Unknown"  # phonenumbers.timezone.UNKNOWN_TIMEZONE: the zone is not known
SEARCH_DAYS = 3  # how far ahead the opening of a window is looked for


@dataclass(frozen=True)
class QuietHours:
    """``start`` to ``end`` (local time, may cross midnight) is quiet for messages of ``types``
    (None: every message). ``origin`` says whose rule it is, for messages and reports."""

    start: time
    end: time
    types: frozenset[str] | None = None
    origin: str = "quiet_hours"

    def applies_to(self, message_type: object) -> bool:
        return self.types is None or (isinstance(message_type, str) and message_type in self.types)

    def quiet_at(self, local: time) -> bool:
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def shown(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


@dataclass(frozen=True)
class Quiet:
    """A moment found inside quiet hours: in which zone, at what local time, and when it opens."""

    zone: str
    local: datetime
    opens: datetime | None  # UTC; None: the zones share no allowed moment in the next days


def parse_clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def quiet_hours_from(raw: object, origin: str = "quiet_hours") -> QuietHours | None:
    """``{from: "21:00", to: "08:00", types: [campaign]}`` as read from YAML or a provider file;
    None when it is not that shape (the config schema reports why)."""
    if not isinstance(raw, Mapping):
        return None
    start, end, types = raw.get("from"), raw.get("to"), raw.get("types")
    try:
        window = QuietHours(parse_clock(str(start)), parse_clock(str(end)), origin=origin)
    except (ValueError, TypeError):
        return None
    if isinstance(types, list):
        window = QuietHours(window.start, window.end, frozenset(str(t) for t in types), origin)
    return window


@cache
def zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def known_zone(name: str) -> bool:
    return zone(name) is not None


def _usable(found: Iterable[str]) -> tuple[str, ...]:
    return tuple(z for z in found if z != UNKNOWN_ZONE and known_zone(z))


@lru_cache(maxsize=65536)
def zones_for_number(e164: str) -> tuple[str, ...]:
    """The IANA zones the number may be in, as ``phonenumbers.timezone.time_zones_for_number``
    answers (its country's zones when it cannot tell the number's own); empty when unknown.

    That function first works out the number's type (about 50 µs). Where the zones of the
    number's prefix and of its whole country are the same, the type cannot change the answer
    and is not worked out: a dictionary probe, for most countries."""
    from phonenumbers import timezone as number_zones
    from phonenumbers.tzdata import TIMEZONE_DATA, TIMEZONE_LONGEST_PREFIX

    from smsspec.sms.phones import calling_code, parsed

    digits = e164[1:]
    by_prefix: tuple[str, ...] = ()
    for length in range(min(len(digits), TIMEZONE_LONGEST_PREFIX), 0, -1):
        found = TIMEZONE_DATA.get(digits[:length])
        if found is not None:
            by_prefix = _usable(found)
            break
    country = _country_zones(calling_code(e164)) if digits else ()
    if by_prefix == country:
        return country
    number = parsed(e164)
    if number is None:
        return country
    return _usable(number_zones.time_zones_for_number(number)) or country


@lru_cache(maxsize=1024)
def _country_zones(code: int) -> tuple[str, ...]:
    from phonenumbers.tzdata import TIMEZONE_DATA

    return _usable(TIMEZONE_DATA.get(str(code), ()))


def inside(window: QuietHours, moment: datetime, zones: Sequence[str]) -> Quiet | None:
    """Whether ``moment`` (aware) is quiet in any of ``zones``: the first such zone, the local
    time there, and when the window opens in every zone. Recipients of one message share the
    window and the moment, and mostly their zones: the answer is computed once for them."""
    return _inside(window, moment, tuple(zones))


@lru_cache(maxsize=4096)
def _inside(window: QuietHours, moment: datetime, zones: tuple[str, ...]) -> Quiet | None:
    for name in zones:
        info = zone(name)
        if info is None:
            continue
        local = moment.astimezone(info)
        if window.quiet_at(local.time()):
            return Quiet(name, local, opens_at(window, moment, zones))
    return None


def _allowed_everywhere(window: QuietHours, moment: datetime, infos: Sequence[ZoneInfo]) -> bool:
    return not any(window.quiet_at(moment.astimezone(info).time()) for info in infos)


def opens_at(window: QuietHours, moment: datetime, zones: Sequence[str]) -> datetime | None:
    """The first moment at or after ``moment`` allowed in every zone (UTC), or None."""
    infos = [info for info in (zone(z) for z in zones) if info is not None]
    if _allowed_everywhere(window, moment, infos):
        return moment.astimezone(timezone.utc)
    candidates: set[datetime] = set()
    for info in infos:
        local_day = moment.astimezone(info).date()
        for days in range(-1, SEARCH_DAYS + 1):
            day = local_day + timedelta(days=days)
            opening = datetime.combine(day, window.end, tzinfo=info)
            # A window ending inside a DST gap or repeat: the wall time read back is what counts.
            candidates.add(opening.astimezone(timezone.utc))
    for candidate in sorted(c for c in candidates if c > moment):
        if _allowed_everywhere(window, candidate, infos):
            return candidate
    return None


def first_quiet(windows: Iterable[tuple[QuietHours, Sequence[str]]], moment: datetime) -> tuple[QuietHours, Quiet] | None:
    """The first of (window, zones) that finds ``moment`` quiet."""
    for window, zones in windows:
        found = inside(window, moment, zones)
        if found is not None:
            return window, found
    return None


def describe(found: Quiet) -> str:
    """e.g. "21:30 in Europe/Bucharest"."""
    return f"{found.local:%H:%M} in {found.zone}"


def as_json(window: QuietHours) -> dict[str, Any]:
    return {"from": f"{window.start:%H:%M}", "to": f"{window.end:%H:%M}",
            "types": sorted(window.types) if window.types is not None else None}
