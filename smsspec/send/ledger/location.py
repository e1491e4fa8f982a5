"""Where a ledger lives: a SQLite file (a path) or a PostgreSQL database (a URL).

A URL may hold a password, which is a secret: :func:`Location.shown` is the
only form that goes into messages, with the password (and any ``password=``
parameter) replaced by ``***``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

POSTGRES_SCHEMES = ("postgresql://", "postgres://")
_QUERY_SECRET = re.compile(r"(?i)((?:^|[&;])(?:password|sslpassword)=)[^&;]*")


@dataclass(frozen=True)
class Location:
    """A ledger's address. ``path`` for SQLite, ``url`` for PostgreSQL."""

    path: Path | None = None
    url: str | None = None

    @property
    def is_postgres(self) -> bool:
        return self.url is not None

    def shown(self) -> str:
        """For messages: the path, or the URL without its password."""
        if self.url is not None:
            return redact_url(self.url)
        return str(self.path)

    def secrets(self) -> tuple[str, ...]:
        """Strings that must never be printed (the URL's password)."""
        if self.url is None:
            return ()
        try:
            password = urlsplit(self.url).password
        except ValueError:
            return (self.url,)
        found = [password] if password else []
        found += [m.group(0).split("=", 1)[1] for m in _QUERY_SECRET.finditer(urlsplit(self.url).query)]
        found += [unquote(s) for s in found]  # as written and as the driver may quote it
        return tuple(dict.fromkeys(s for s in found if s))


def parse_location(text: str | Path | Location) -> Location:
    if isinstance(text, Location):
        return text
    if isinstance(text, str) and text.lower().startswith(POSTGRES_SCHEMES):
        return Location(url=text)
    return Location(path=Path(text))


def redact_url(url: str) -> str:
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
        if parts.password is not None:
            userinfo, _, host = netloc.rpartition("@")
            user = userinfo.split(":", 1)[0]
            netloc = f"{user}:***@{host}"
        query = _QUERY_SECRET.sub(r"\1***", parts.query)
        return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
    except ValueError:
        return "postgresql://***"
