"""Ledger locations for tests: a SQLite file, and a PostgreSQL schema of its own per test.

PostgreSQL comes from ``SMSSPEC_TEST_POSTGRES`` (a URL; ``.ci/postgres.sh``
starts a server and prints it). Without it the PostgreSQL cases skip, except
under ``CI=true``, where they fail: CI must test the shared store for real.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

POSTGRES_ENV = "SMSSPEC_TEST_POSTGRES"
STORES = ["sqlite", "postgres"]


def postgres_server() -> str:
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{POSTGRES_ENV} is not set: run `eval \"$(bash .ci/postgres.sh)\"` first")
        pytest.skip(f"{POSTGRES_ENV} is not set (start a server with .ci/postgres.sh)")
    return url


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL whose tables land in a fresh schema, dropped afterwards."""
    import psycopg

    base = postgres_server()
    schema = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(base, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    joiner = "&" if "?" in base else "?"
    try:
        yield f"{base}{joiner}options={quote(f'-csearch_path={schema}')}"
    finally:
        with psycopg.connect(base, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(params=STORES)
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a ledger lives, once per store."""
    if request.param == "sqlite":
        return str(tmp_path / "state" / "ledger.db")
    url: str = request.getfixturevalue("postgres_url")
    return url
