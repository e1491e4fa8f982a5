"""Reading recipients from CSV and JSON Lines files."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smsspec.load import recipients
from smsspec.load.recipients import (
    FileRecipient,
    RecipientFile,
    RowProblem,
    format_for,
    read_recipients,
)


def source(path: Path, column: str = "phone") -> RecipientFile:
    fmt = format_for(str(path), None)
    assert fmt is not None
    return RecipientFile(path, path.name, column, fmt, roots=(path.parent.resolve(),))


def test_csv_rows_become_recipients_with_the_other_columns_as_vars(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text("name,phone,city\nAnn,+447400123456,Leeds\n\"Bob, Jr\",+447911123456,\"York\"\n", encoding="utf-8")
    rows = list(read_recipients(source(path)))
    assert rows == [
        FileRecipient("+447400123456", {"name": "Ann", "city": "Leeds"}, 2, 5),
        FileRecipient("+447911123456", {"name": "Bob, Jr", "city": "York"}, 3, 11),
    ]


def test_csv_problems_name_the_row(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("name,phone\nAnn\nBob,+447911123456\n", encoding="utf-8")
    rows = list(read_recipients(source(path)))
    assert rows[0] == RowProblem(2, 1, "row has 1 fields, the header has 2")
    assert isinstance(rows[1], FileRecipient) and rows[1].row == 3


def test_missing_column_and_empty_file_are_fatal(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("name,mobile\nAnn,+447400123456\n", encoding="utf-8")
    [problem] = list(read_recipients(source(path)))
    assert isinstance(problem, RowProblem) and problem.fatal and "mobile" in problem.message
    path.write_text("", encoding="utf-8")
    [problem] = list(read_recipients(source(path)))
    assert isinstance(problem, RowProblem) and problem.fatal


def test_bom_is_accepted_and_bad_bytes_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbfphone,name\n+447400123456,Ann\n+447911123456,\xff\xfe\n")
    rows = list(read_recipients(source(path)))
    assert isinstance(rows[0], FileRecipient) and rows[0].number == "+447400123456"
    assert isinstance(rows[1], RowProblem) and rows[1].row == 3 and rows[1].fatal


def test_jsonl_rows_keep_json_types_and_report_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "people.jsonl"
    path.write_text(
        '{"phone": "+447400123456", "name": "Ann", "points": 3}\n'
        "\n"
        '{"phone": 447911123456}\n'
        "{broken\n"
        "[1, 2]\n",
        encoding="utf-8",
    )
    rows = list(read_recipients(source(path)))
    assert rows[0] == FileRecipient("+447400123456", {"name": "Ann", "points": 3}, 1, 11)
    assert isinstance(rows[1], RowProblem) and rows[1].row == 3 and "quote it" in rows[1].message
    assert isinstance(rows[2], RowProblem) and rows[2].row == 4 and "not valid JSON" in rows[2].message
    assert isinstance(rows[3], RowProblem) and rows[3].row == 5


def test_missing_file_is_a_problem_not_an_exception(tmp_path: Path) -> None:
    [problem] = list(read_recipients(source(tmp_path / "nope.csv")))
    assert isinstance(problem, RowProblem) and problem.fatal and "cannot read" in problem.message and problem.row == 0


@settings(max_examples=50, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_raise(tmp_path_factory: object, data: bytes) -> None:
    import tempfile

    for suffix in (".csv", ".jsonl"):
        with tempfile.NamedTemporaryFile(suffix=suffix) as handle:
            handle.write(data)
            handle.flush()
            for row in read_recipients(source(Path(handle.name))):
                assert isinstance(row, (FileRecipient, RowProblem))


def test_a_folder_swapped_for_a_symlink_after_the_check_is_not_followed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The race cannot be run on demand: the path is resolved as it was before the swap (realpath
    # gives it unchanged), then `data/` is a symlink leading out of the project when it is opened.
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "people.csv").write_text("phone\n+447400123456\n", encoding="utf-8")
    project = tmp_path / "project"
    project.mkdir()
    (project / "data").symlink_to(outside)
    monkeypatch.setattr(recipients.os.path, "realpath", lambda path: str(path))
    declared = RecipientFile(project / "data" / "people.csv", "data/people.csv", "phone", "csv", roots=(project,))
    [problem] = list(read_recipients(declared))
    assert isinstance(problem, RowProblem) and problem.fatal and problem.message.startswith("cannot read data/people.csv")


# The block reader (runs of plain lines) must give exactly what the line-by-line reader gives.
_CSV_PIECES = st.sampled_from(["a", "b c", ",", "\n", "\r\n", "\r", '"', '""', " ", "+447400123456", "é", "\ufeff", "\0", "\xff", "\t"])


def _both_readers(tmp_path: Path, content: bytes, monkeypatch: pytest.MonkeyPatch, block: int) -> tuple[list[object], list[object]]:
    path = tmp_path / "people.csv"
    path.write_bytes(content)
    monkeypatch.setattr(recipients, "BLOCK_BYTES", block)
    fast = list(read_recipients(source(path)))
    monkeypatch.setattr(recipients, "_plain", lambda *args: None)
    slow = list(read_recipients(source(path)))
    monkeypatch.undo()
    return fast, slow


@settings(max_examples=300, deadline=None)
@given(
    header=st.sampled_from(["name,phone\n", "phone,name,city\n", "\ufeffphone\r\n", "x,y,phone\n", "phone"]),
    body=st.lists(_CSV_PIECES, max_size=40).map("".join),
    raw_tail=st.sampled_from([b"", b"\xff\n", b"\xc3", b"a,b\n"]),
    block=st.sampled_from([1, 3, 8, 64, 1 << 20]),
)
def test_block_reader_gives_the_line_by_line_readers_rows(
    tmp_path_factory: pytest.TempPathFactory, header: str, body: str, raw_tail: bytes, block: int
) -> None:
    tmp_path = tmp_path_factory.mktemp("csv")
    with pytest.MonkeyPatch.context() as monkeypatch:
        fast, slow = _both_readers(tmp_path, (header + body).encode("utf-8", "surrogatepass") + raw_tail, monkeypatch, block)
    assert fast == slow


def test_block_reader_takes_over_at_a_long_line_with_the_same_line_numbers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = "".join(f"Ann,+4474001{i:05d}\n" for i in range(50))
    content = ("name,phone\n" + rows + "x" * recipients.MAX_ROW_BYTES + "\n" + rows).encode()
    fast, slow = _both_readers(tmp_path, content, monkeypatch, 256)
    assert fast == slow
    assert isinstance(fast[-1], RowProblem) and fast[-1].row == 52
