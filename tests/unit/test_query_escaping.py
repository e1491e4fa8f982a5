"""The query-string escape (`q`) payload templates use: WhatCounts' examples, byte for byte, and any text
read back exactly by a real query parser."""

from __future__ import annotations

import string
from urllib.parse import parse_qsl

from hypothesis import given
from hypothesis import strategies as st

from smsspec.render.escapes import QUERY_SAFE, query_value


def test_whatcounts_doc_examples_byte_for_byte() -> None:
    """004_3ab2735251f84056.txt shows `message_text=Your%20message%20is%20delivered` and `message_text=Thanks!`."""
    assert query_value("Your message is delivered") == "Your%20message%20is%20delivered"
    assert query_value("Thanks!") == "Thanks!"


@given(st.text(st.characters(codec="utf-8")), st.text(st.characters(codec="utf-8")))
def test_any_text_round_trips_through_a_query_parser(first: str, second: str) -> None:
    query = f"a={query_value(first)}&message_text={query_value(second)}&z=1"
    assert parse_qsl(query, keep_blank_values=True, strict_parsing=True, errors="strict") == [
        ("a", first), ("message_text", second), ("z", "1")]
    raw = set(query_value(first + second)) - set(string.ascii_letters + string.digits + "-._~%" + QUERY_SAFE)
    assert raw == set()  # nothing but unreserved, percent escapes and the kept sub-delimiters
