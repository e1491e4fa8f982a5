"""The text rules give the same diagnostics when a whole chunk is cleared at once."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smsspec.diagnostics import Location
from smsspec.model import Account, Message, Recipient
from smsspec.validate import semantic

_PIECES = st.sampled_from(["Hi ", "a" * 70, "b" * 83, "c" * 150, "x", " ", "\n", "{", "€", "’", "é", "ç", "😀", "\t", "`"])
_TEXT = st.one_of(st.none(), st.lists(_PIECES, max_size=6).map("".join))


def _where(path: tuple[str | int, ...]) -> Location:
    return Location("spec.sms.yaml", len(path), 1)


@settings(max_examples=400, deadline=None)
@given(texts=st.lists(_TEXT, min_size=2, max_size=6), most=st.sampled_from([None, 0, 1, 2, 3]))
def test_clearing_all_texts_at_once_changes_no_diagnostic(texts: list[str | None], most: int | None) -> None:
    recipients = tuple(Recipient(f"+4474001{i:05d}", {"n": i} if i % 2 else {}, ("to", i)) for i in range(len(texts)))
    message = Message("m", "acct", "Hi {{ n }}", {"max_segments": most}, {}, recipients, ("messages", 0))
    account = Account("acct", "skycore", None, {}, {})
    fast = semantic.check_texts(message, account, texts, _where)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(semantic, "_plain_gsm", lambda *args: False)
        slow = semantic.check_texts(message, account, texts, _where)
    assert fast == slow


@settings(max_examples=400, deadline=None)
@given(st.text(st.sampled_from("a {`\\~€’é😀\n\r\x00\x7f"), max_size=90))
def test_a_requests_segment_count_is_the_analysis_count(text: str) -> None:
    from smsspec.render.requests import _one_text_segments
    from smsspec.sms import encoding

    assert _one_text_segments(text) == encoding.analyze(text).segments
