"""`smsspec fix` in CSV recipients files (look-alikes in the values a text uses) and numbers
written with separators, in specs and recipients files, made E.164 when unambiguous."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from smsspec.cli.commands.fix import fix
from smsspec.fix.csvtext import parsed
from smsspec.fix.e164 import e164_of
from smsspec.validate.check import check_paths

CONFIG = """\
version: 1
accounts:
  main:
    provider: sendmachine
    credentials:
      username: ${FIX_USER}
      api_key: ${FIX_KEY}
"""
# With a curly apostrophe or an en dash in `note`, this text needs 2 UCS-2 segments; with
# their look-alikes, 1 GSM-7 segment.
TEXT = "Hi {{ first_name }}, {{ note }}. This message is long enough to need two segments in UCS-2."
SPEC = f"""\
version: 1
account: main
messages:
  - id: points
    text: "{TEXT}"
    to: {{file: customers.csv, number: phone}}
"""
CSV = (
    "\ufeffphone,first_name,note,unused\r\n"
    '+447400123456,Ann,"It’s your day – enjoy, Ann",“left”\r\n'
    "+447911123456,Bob,plain words here,x\r\n"
    '"+40 712 034 567",Cé,"say ""hi""",’\r\n'
)
CSV_FIXED = (
    "\ufeffphone,first_name,note,unused\r\n"
    '+447400123456,Ann,"It\'s your day - enjoy, Ann",“left”\r\n'
    "+447911123456,Bob,plain words here,x\r\n"
    '"+40712034567",Cé,"say ""hi""",’\r\n'
)


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(fix, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def project(tmp: Path, spec: str = SPEC, csv: str = CSV) -> tuple[Path, Path]:
    (tmp / "smsspec.yaml").write_text(CONFIG, encoding="utf-8")
    (tmp / "messages.sms.yaml").write_text(spec, encoding="utf-8")
    (tmp / "customers.csv").write_bytes(csv.encode("utf-8"))
    return tmp / "messages.sms.yaml", tmp / "customers.csv"


def rules_in(path: Path) -> list[str]:
    return [d.rule for d in check_paths([str(path)]).diagnostics]


def test_validate_says_look_alikes_in_a_csv_cost_a_segment_and_fix_diff_shows_the_change(tmp_path: Path) -> None:
    spec, csv = project(tmp_path)
    assert set(rules_in(spec)) == {"TEXT-GSM-LOOKALIKE", "PHONE-FORMAT"}

    code, out, err = run("--diff", str(spec))

    assert code == 1
    assert f"--- {csv}" in out or "customers.csv" in out
    assert "-+447400123456,Ann,\"It’s your day – enjoy, Ann\",“left”\n" in out  # (the runner shows \r\n as \n)
    assert "++447400123456,Ann,\"It's your day - enjoy, Ann\",“left”\n" in out
    assert "customers.csv:2:" in err and "would fix TEXT-GSM-LOOKALIKE" in err
    assert "2 -> 1 segments for +447400123456" in err
    assert "would fix PHONE-FORMAT: 1 number written in E.164 (+40 712 034 567 -> +40712034567)" in err
    assert csv.read_bytes() == CSV.encode("utf-8"), "--diff writes nothing"


def test_fix_writes_the_csv_keeping_bom_quoting_line_endings_and_unused_columns(tmp_path: Path) -> None:
    spec, csv = project(tmp_path)

    code, _, _ = run(str(spec))

    assert code == 0
    assert csv.read_bytes() == CSV_FIXED.encode("utf-8")  # only the used `note` and the number changed
    assert rules_in(spec) == []
    assert not list(tmp_path.glob(".smsspec-fix-*")), "the atomic write leaves no temporary file"
    again = run("--diff", str(spec))
    assert again[0] == 0 and "Nothing to fix." in again[2]


def test_a_change_that_saves_no_segment_is_left_alone(tmp_path: Path) -> None:
    short = SPEC.replace(TEXT, "Hi {{ first_name }}, {{ note }}")
    spec, csv = project(tmp_path, spec=short, csv="phone,first_name,note\n+447400123456,Ann,It’s here\n")

    code, out, _ = run(str(spec))

    assert code == 0
    assert csv.read_text(encoding="utf-8") == "phone,first_name,note\n+447400123456,Ann,It’s here\n"
    assert "skipped TEXT-GSM-LOOKALIKE: left as is: no recipient would need fewer segments" in out


def test_a_value_that_becomes_a_quote_is_quoted_so_it_reads_back_the_same(tmp_path: Path) -> None:
    body = "phone,first_name,note\n+447400123456,Ann,“quoted” note\n"
    spec, csv = project(tmp_path, csv=body)

    code, _, _ = run(str(spec))

    assert code == 0
    assert csv.read_text(encoding="utf-8") == 'phone,first_name,note\n+447400123456,Ann,"""quoted"" note"\n'
    assert parsed(csv.read_text(encoding="utf-8"))[1][2] == '"quoted" note'


def test_numbers_in_a_spec_are_written_in_e164_keeping_their_quotes(tmp_path: Path) -> None:
    body = """\
version: 1
account: main
messages:
  - id: hello
    text: Hello
    to:
      - "+40 712 034 567"      # a comment stays
      - number: '+44 7400-123-457'
      - "+44 (0)7911 123456"   # a trunk 0: not unambiguous, left for a person
"""
    spec, _ = project(tmp_path, spec=body, csv="phone\n")

    code, out, _ = run(str(spec))

    assert code == 0
    text = spec.read_text(encoding="utf-8")
    assert '- "+40712034567"      # a comment stays' in text
    assert "- number: '+447400123457'" in text
    assert '"+44 (0)7911 123456"' in text
    assert "skipped PHONE-FORMAT: not unambiguous" in out
    assert rules_in(spec) == ["PHONE-FORMAT"]


@pytest.mark.parametrize(
    ("written", "e164"),
    [
        ("+40 712 034 567", "+40712034567"),
        ("+1 (201) 555-0123", "+12015550123"),
        (" +49 30 1234567 ", "+49301234567"),
        ("+447400123456", None),  # already E.164
        ("0712 034 567", None),  # no country: ambiguous
        ("+44 (0)7400 123456", None),  # a trunk 0 would be dropped
        ("+44 7400 123457 ext 3", None),  # an extension
        ("+40 712", None),  # not a valid number
        ("+44 20 7946 00000 1", None),  # too long for the UK: no valid number (whatever the metadata's release)
    ],
)
def test_e164_only_when_unambiguous(written: str, e164: str | None) -> None:
    assert e164_of(written) == e164


def test_fix_rule_selects_recipient_fixes_too(tmp_path: Path) -> None:
    spec, csv = project(tmp_path)

    code, _, _ = run("--rule", "PHONE-FORMAT", str(spec))

    assert code == 0
    assert csv.read_bytes().decode() == CSV.replace('"+40 712 034 567"', '"+40712034567"')


def test_a_look_alike_in_the_text_is_fixed_for_recipients_from_a_file(tmp_path: Path) -> None:
    text = "Hi {{ first_name }}, it’s {{ note }}. This message is long enough to need two segments in UCS-2."
    spec, _ = project(tmp_path, spec=SPEC.replace(TEXT, text), csv="phone,first_name,note\n+447400123456,Ann,plain\n")

    code, out, _ = run(str(spec))

    assert code == 0, out
    assert "it's {{ note }}" in spec.read_text(encoding="utf-8")
    assert "2 -> 1 segments for +447400123456; 1 segment saved over 1 recipient" in out
    assert "customers.csv" not in out  # nothing to do in the file, so nothing said about it
    assert rules_in(spec) == []
