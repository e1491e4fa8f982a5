"""The Markdown pieces: whatever text goes in comes out of a CommonMark renderer as that text."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from smsspec.report.markdown import code, fenced, table, text
from smsspec.terminal import printable
from tests.browser.dom import parse

RENDERER = MarkdownIt("commonmark", {"html": True}).enable("table")
# Text as specs may hold it: Markdown and HTML syntax, backtick runs, pipes, entities, spaces.
TRICKY = st.lists(st.sampled_from([*"`|<>&*_[]()#!\\-+.:;'\" \tabc\n", "&amp;", "<img src=x>", "</td>", "```"]), max_size=20).map("".join)


def cells(markdown: str) -> list[list[str]]:
    body = parse(RENDERER.render(markdown)).one(tag="tbody")
    return [[td.text for td in tr.all(tag="td")] for tr in body.all(tag="tr")]


@settings(max_examples=300, deadline=None)
@given(TRICKY)
def test_a_code_span_in_a_table_cell_reads_back_exactly(value: str) -> None:
    rendered = cells(table(["a", "b"], [[code(value, cell=True), "x"]]))
    shown = printable(value)
    assert rendered == [[shown, "x"]]


@settings(max_examples=300, deadline=None)
@given(TRICKY)
def test_escaped_text_reads_back_exactly_and_makes_no_element(value: str) -> None:
    """(Inside a sentence, as the reports use it.)"""
    document = parse(RENDERER.render(f"Found {text(value)} here"))
    assert [e.tag for e in document.walk()] == ["p"]
    assert document.text == f"Found {printable(value)} here\n"


@settings(max_examples=300, deadline=None)
@given(st.lists(TRICKY, max_size=4))
def test_a_fenced_block_holds_its_lines_exactly(lines: list[str]) -> None:
    lines = [printable(line) for line in lines]
    document = parse(RENDERER.render(fenced(lines, "diff")))
    [block] = document.all(tag="code")
    assert block.text == "".join(line + "\n" for line in lines)
