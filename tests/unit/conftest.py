from __future__ import annotations

from tests.ledger_stores import location, postgres_url

__all__ = ["location", "postgres_url"]
