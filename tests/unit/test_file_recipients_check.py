"""Messages whose recipients come from a CSV or JSON Lines file: checked row by row, rendered and sent in parts."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from smsspec.cli import main
from smsspec.validate import cores, file_recipients
from smsspec.validate.check import check_paths
from tests.conftest import ROOT

SPEC = """version: 1
account: skycore-demo
messages:
  - id: loyalty
    from: "60856"
    campaign: c
    text: "Hi {{{{ first_name }}}}, {{{{ points }}}} points"
    to: {{file: {name}, number: phone}}
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "examples" / "smsspec.yaml", tmp_path / "smsspec.yaml")
    return tmp_path


def write(project: Path, name: str, content: str) -> Path:
    (project / name).write_text(content, encoding="utf-8")
    spec = project / "loyalty.sms.yaml"
    spec.write_text(SPEC.format(name=name), encoding="utf-8")
    return spec


def numbered(count: int, start: int = 0) -> str:
    return "".join(f"+4474001{n:05d},P{n},{n}\n" for n in range(start, start + count))


def test_rows_are_checked_and_rendered_like_inline_recipients(project: Path) -> None:
    spec = write(project, "people.csv", "phone,first_name,points\n+447400123456,Ann,120\n+447911123456,Bob,35\n")
    result = check_paths([str(spec)])
    assert result.diagnostics == []
    [checked] = result.checked
    assert list(checked.numbers) == ["+447400123456", "+447911123456"]
    assert list(checked.texts) == ["Hi Ann, 120 points", "Hi Bob, 35 points"]
    out = CliRunner().invoke(main, ["render", str(spec), "--format", "json"]).stdout
    assert [json.loads(r["body"])["message-text"] for r in json.loads(out)] == ["Hi Ann, 120 points", "Hi Bob, 35 points"]


def test_problems_point_at_the_row_and_column_of_the_file(project: Path) -> None:
    spec = write(project, "people.csv", "first_name,phone,points\nAnn,+447400123456,1\nBob,+4474,2\nCy\nDee,+447400123456,3\n")
    found = {(d.rule, Path(d.location.file).name, d.location.line, d.location.column) for d in check_paths([str(spec)]).diagnostics}
    assert found == {
        ("PHONE-IMPOSSIBLE", "people.csv", 3, 5),
        ("RECIPIENTS-FILE", "people.csv", 4, 1),
        ("PHONE-DUPLICATE", "people.csv", 5, 5),
    }


def test_a_missing_file_is_reported_where_the_spec_names_it(project: Path) -> None:
    spec = write(project, "nothere.csv", "")
    (project / "nothere.csv").unlink()
    [diagnostic] = check_paths([str(spec)]).diagnostics
    assert diagnostic.rule == "RECIPIENTS-FILE" and diagnostic.location.file.endswith("loyalty.sms.yaml")
    assert (diagnostic.location.line, diagnostic.location.column) == (8, 16)


def test_duplicates_are_found_across_chunks(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(file_recipients, "CHUNK_ROWS", 3)
    spec = write(project, "people.csv", "phone,first_name,points\n" + numbered(7) + numbered(1, start=2))
    [duplicate] = check_paths([str(spec)]).diagnostics
    assert duplicate.rule == "PHONE-DUPLICATE" and duplicate.location.line == 9


def test_many_bad_rows_are_capped_with_a_count(project: Path) -> None:
    bad = "".join(f"44740012{n:04d},X,1\n" for n in range(30))
    spec = write(project, "people.csv", "phone,first_name,points\n" + bad)
    diagnostics = check_paths([str(spec)]).diagnostics
    assert len(diagnostics) == file_recipients.SHOWN_PER_RULE + 1
    summary = [d for d in diagnostics if "more PHONE-FORMAT problems" in d.message]
    assert len(summary) == 1 and summary[0].message.startswith("20 more")
    shown = [d.location.line for d in diagnostics if d not in summary]
    assert shown == list(range(2, 2 + file_recipients.SHOWN_PER_RULE))


def test_json_lines_recipients_keep_their_types(project: Path) -> None:
    spec = write(project, "people.jsonl", '{"phone": "+447400123456", "first_name": "Ann", "points": 7}\n')
    [checked] = check_paths([str(spec)]).checked
    assert list(checked.texts) == ["Hi Ann, 7 points"]


def test_checked_file_messages_are_streamed_in_parts(project: Path) -> None:
    spec = write(project, "people.csv", "phone,first_name,points\n" + numbered(5))
    [checked] = check_paths([str(spec)]).checked
    parts = list(checked.chunks(size=2))
    assert [len(p.numbers) for p in parts] == [2, 2, 1]
    assert checked.from_file is not None and checked.from_file._all is None  # streaming read nothing into memory
    assert [n for p in parts for n in p.numbers] == list(checked.numbers)


def test_send_delivers_every_row_once(project: Path) -> None:
    spec = write(project, "people.csv", "phone,first_name,points\n" + numbered(4))
    first = CliRunner().invoke(main, ["send", str(spec), "--sandbox", "--format", "json"])
    assert first.exit_code == 0, first.stdout
    assert json.loads(first.stdout)["summary"]["accepted"] == 4
    again = CliRunner().invoke(main, ["send", str(spec), "--sandbox", "--format", "json"])
    assert json.loads(again.stdout)["summary"]["accepted"] == 0


def _messy_rows(quoted: bool = True) -> str:
    """Rows with every kind of problem, spread so chunks of 7 rows cut through them."""
    rows = []
    for n in range(120):
        if n % 17 == 3:
            rows.append(f"+4474001{n - 1:05d},P{n},{n}")  # a duplicate of the row before (same chunk, or the one before)
        elif n % 23 == 5:
            rows.append(f"+4474001{n % 7:05d},P{n},{n}")  # a duplicate of an early row, chunks away
        elif n % 19 == 7:
            rows.append(f"+4474,P{n},{n}")  # too short
        elif n % 29 == 11:
            rows.append(f"not a number,P{n},{n}")
        elif n % 31 == 13:
            rows.append(f"+4474001{n:05d},P{n}")  # a field short
        elif n % 37 == 17:
            rows.append("")  # blank
        elif n % 41 == 19 and quoted:
            rows.append(f'"+4474001{n:05d}","P, {n}",{n}')  # quoted: the rest is read line by line
        else:
            rows.append(f"+4474001{n:05d},P{n},{n}")
    return "phone,first_name,points\n" + "\n".join(rows) + "\n"


@pytest.mark.parametrize("quoted", [True, False])
@pytest.mark.parametrize("workers", [2, 3])
def test_a_file_checked_on_several_processes_gives_the_serial_report(
    project: Path, monkeypatch: pytest.MonkeyPatch, workers: int, quoted: bool
) -> None:
    if not cores.can_fork():
        pytest.skip("needs fork: both runs would be one process's")
    monkeypatch.setattr(file_recipients, "CHUNK_ROWS", 7)
    monkeypatch.setattr(file_recipients, "SHOWN_PER_RULE", 1000)  # every problem shown, not only the first
    spec = write(project, "people.csv", _messy_rows(quoted))
    monkeypatch.setenv("SMSSPEC_JOBS", "1")
    serial = check_paths([str(spec)])
    monkeypatch.setenv("SMSSPEC_JOBS", str(workers))
    parallel = check_paths([str(spec)])
    assert parallel.diagnostics == serial.diagnostics
    assert {d.rule for d in serial.diagnostics} == {"PHONE-DUPLICATE", "PHONE-IMPOSSIBLE", "PHONE-FORMAT", "RECIPIENTS-FILE"}
    assert len(serial.diagnostics) > 20
    assert [d.message for d in serial.diagnostics if "already a recipient (line" in d.message]  # a duplicate inside a chunk
    assert [d.message for d in serial.diagnostics if "earlier in the file" in d.message]  # and across chunks


def test_a_clean_file_checked_on_several_processes_is_sendable(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(file_recipients, "CHUNK_ROWS", 7)
    monkeypatch.setenv("SMSSPEC_JOBS", "2")
    spec = write(project, "people.csv", "phone,first_name,points\n" + numbered(50))
    result = check_paths([str(spec)])
    assert result.diagnostics == []
    [checked] = result.checked
    assert len(checked.numbers) == 50


@pytest.mark.parametrize("quoted", [True, False])
@pytest.mark.parametrize("size", [1, 2, 7, 5000])
def test_chunks_hold_the_rows_the_reader_gives_cut_every_chunk_rows(
    project: Path, monkeypatch: pytest.MonkeyPatch, size: int, quoted: bool
) -> None:
    from itertools import islice

    from smsspec.load.recipients import RecipientFile, read_recipients

    monkeypatch.setattr(file_recipients, "CHUNK_ROWS", size)
    write(project, "people.csv", _messy_rows(quoted) + "\n\n" + numbered(30, start=500))
    source = RecipientFile(project / "people.csv", "people.csv", "phone", "csv", roots=(project.resolve(),))
    rows = read_recipients(source)
    expected = list(iter(lambda: list(islice(rows, size)), []))
    assert [list(file_recipients._rows(job)) for job in file_recipients._chunks(source)] == expected


@pytest.mark.parametrize("fmt", ["json", "text", "curl"])
def test_render_on_several_processes_writes_the_serial_output(project: Path, monkeypatch: pytest.MonkeyPatch, fmt: str) -> None:
    from smsspec.render import spread
    from smsspec.render.output import FORMATTERS
    from smsspec.render.requests import render_requests

    if not cores.can_fork():
        pytest.skip("needs fork: both outputs would be one process's")
    monkeypatch.setattr(spread, "PART", 7)
    spec = write(project, "people.csv", "phone,first_name,points\n" + numbered(40) + "\n\n" + numbered(9, start=100))
    spec.write_text(spec.read_text(encoding="utf-8") + """  - id: inline
    from: "60856"
    campaign: c
    text: "Hello {{ name }}"
    to:
      - {number: "+447400123456", vars: {name: Ann}}
""", encoding="utf-8")
    checked = check_paths([str(spec)]).checked
    one_process = "".join(FORMATTERS[fmt](r for c in checked for part in c.chunks(7) for r in render_requests(part)))
    assert "".join(spread.formatted(checked, fmt, workers=2)) == one_process
    assert "".join(spread.formatted(checked, fmt, workers=1)) == one_process
    monkeypatch.setenv("SMSSPEC_JOBS", "2")
    out = CliRunner().invoke(main, ["render", str(spec), "--format", fmt])
    assert out.exit_code == 0 and out.stdout == one_process
    if fmt == "json":
        assert len(json.loads(one_process)) == 50


def test_curl_with_env_refs_on_several_processes_writes_the_serial_output(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from smsspec.render import spread
    from smsspec.render.output import FORMATTERS, env_markers
    from smsspec.render.requests import render_requests

    if not cores.can_fork():
        pytest.skip("needs fork: both outputs would be one process's")
    monkeypatch.setattr(spread, "PART", 7)
    spec = write(project, "people.csv", "phone,first_name,points\n" + numbered(30))
    checked = check_paths([str(spec)]).checked
    one_process = "".join(FORMATTERS["curl-env"](
        r for c in checked for part in c.chunks(7) for r in render_requests(part, env_markers(c.account))))
    monkeypatch.setenv("SMSSPEC_JOBS", "2")
    out = CliRunner().invoke(main, ["render", str(spec), "--format", "curl", "--env-refs"])
    assert out.exit_code == 0 and out.stdout == one_process
    assert one_process.count("curl ") == 30 and '"$' in one_process
