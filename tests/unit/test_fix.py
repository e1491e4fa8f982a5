"""`smsspec fix`: a spec file in, the same file out with only the fixed spans changed."""

from __future__ import annotations

import difflib
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smsspec.cli.commands.fix import fix
from smsspec.errors import FileChanged
from smsspec.fix.rewrite import plan_fixes, write_fixes
from smsspec.sms import encoding
from smsspec.validate.check import check_paths
from tests.conftest import ROOT

CONFIG = """\
version: 1
accounts:
  skycore:
    provider: skycore
    endpoint: https://api.example.net/skycore/send
    credentials:
      api_key: ${FIX_SKYCORE_KEY}
"""

# 95 characters: one GSM-7 segment, but two UCS-2 segments while the curly
# apostrophes and the en dash are there.
LONG = "We’re open – come by today, and tomorrow; bring friends and family, it’s fun and free for all!"
LONG_FIXED = encoding.with_lookalikes(LONG)
SHORT = "We’re open – come by"
BREAK = LONG.index(" bring")  # where a folded scalar may break the line


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(fix, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def rules_in(path: Path) -> list[str]:
    return [d.rule for d in check_paths([str(path)]).diagnostics]


def changed_spans(before: str, after: str) -> list[tuple[str, str]]:
    """(old, new) for each place the texts differ, found character by character."""
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    return [(before[a:b], after[c:d]) for op, a, b, c, d in matcher.get_opcodes() if op != "equal"]


def spec(tmp: Path, body: str, name: str = "messages.sms.yaml", newline: str = "\n") -> Path:
    (tmp / "smsspec.yaml").write_text(CONFIG, encoding="utf-8")
    path = tmp / name
    path.write_bytes(body.replace("\n", newline).encode("utf-8"))
    return path


TRAPS = """\
# Senders and numbers as YAML reads them when unquoted.
version: 1
account: skycore
messages:
  - id: traps            # every value below is a YAML 1.1 trap
    from: 00000          # loads as 0
    sender_mask: NO      # loads as false
    campaign: 0123       # loads as 83
    text: Hello
    to:
      - +447400123456
      - number: +447911123456
        vars: {count: 3}
      - "+447911123457"
"""

TRAPS_FIXED = """\
# Senders and numbers as YAML reads them when unquoted.
version: 1
account: skycore
messages:
  - id: traps            # every value below is a YAML 1.1 trap
    from: "00000"          # loads as 0
    sender_mask: "NO"      # loads as false
    campaign: "0123"       # loads as 83
    text: Hello
    to:
      - "+447400123456"
      - number: "+447911123456"
        vars: {count: 3}
      - "+447911123457"
"""


# quoting ----------------------------------------------------------------------


def test_fix_quotes_numbers_and_booleans_and_nothing_else(in_tmp: Path) -> None:
    path = spec(in_tmp, TRAPS)
    before = rules_in(path)
    assert before.count("YAML-NUMBER-AS-STRING") == 4 and "YAML-BOOLEAN" in before

    code, out, err = run(str(path))

    assert code == 0, err
    assert path.read_text(encoding="utf-8") == TRAPS_FIXED
    assert changed_spans(TRAPS, TRAPS_FIXED) == [("", '"')] * 10
    after = rules_in(path)
    assert not {"YAML-NUMBER-AS-STRING", "YAML-BOOLEAN"} & set(after)
    assert len(after) < len(before)
    assert 'messages.sms.yaml:6:11: fixed YAML-NUMBER-AS-STRING: 00000 -> "00000"' in out
    assert 'messages.sms.yaml:7:18: fixed YAML-BOOLEAN: NO -> "NO"' in out
    assert out.endswith("Fixed 5 problems in 1 file.\n")


def test_vars_that_read_as_written_are_not_touched(in_tmp: Path) -> None:
    # A variable YAML changes (`code: 0123` reads as 83) is quoted: tests/unit/test_first_hour.py.
    path = spec(in_tmp, TRAPS)
    run(str(path))
    assert "vars: {count: 3}" in path.read_text(encoding="utf-8")


def test_a_second_run_finds_nothing_to_fix(in_tmp: Path) -> None:
    path = spec(in_tmp, TRAPS)
    run(str(path))
    code, out, _ = run(str(path))
    assert (code, out) == (0, "Nothing to fix.\n")
    assert path.read_text(encoding="utf-8") == TRAPS_FIXED


def test_anchors_tags_and_flow_lists_keep_their_place(in_tmp: Path) -> None:
    body = """\
version: 1
account: skycore
defaults:
  from: &sender 00000
messages:
  - id: flow
    campaign: *sender
    text: Hi
    to: [+447400123456, "+447400123457",+447400123458]
"""
    path = spec(in_tmp, body)
    code, _, err = run(str(path))
    assert code == 0, err
    fixed = path.read_text(encoding="utf-8")
    assert fixed == body.replace("&sender 00000", '&sender "00000"').replace(
        "[+447400123456", '["+447400123456"').replace(',+447400123458]', ',"+447400123458"]')
    assert yaml.safe_load(fixed)["messages"][0]["campaign"] == "00000"


def test_crlf_line_endings_and_a_missing_final_newline_are_kept(in_tmp: Path) -> None:
    path = spec(in_tmp, TRAPS.rstrip("\n"), newline="\r\n")
    run(str(path))
    assert path.read_bytes() == TRAPS_FIXED.rstrip("\n").replace("\n", "\r\n").encode("utf-8")


def test_a_byte_order_mark_is_kept(in_tmp: Path) -> None:
    path = spec(in_tmp, "\ufeff" + TRAPS)
    run(str(path))
    assert path.read_bytes() == ("\ufeff" + TRAPS_FIXED).encode("utf-8")


def test_a_file_changed_since_planning_is_not_overwritten(in_tmp: Path) -> None:
    path = spec(in_tmp, TRAPS)
    plan = plan_fixes([str(path)])
    path.write_text(TRAPS + "# edited meanwhile\n", encoding="utf-8")
    with pytest.raises(FileChanged):
        write_fixes(plan.files[0])
    assert path.read_text(encoding="utf-8").endswith("# edited meanwhile\n")


def test_file_permissions_are_kept(in_tmp: Path) -> None:
    path = spec(in_tmp, TRAPS)
    path.chmod(0o640)
    run(str(path))
    assert path.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in in_tmp.iterdir() if p.name.startswith(".smsspec-fix-")] == []


# look-alikes ------------------------------------------------------------------


STYLES = {
    "plain": f"text: {LONG}",
    "single-quoted": "text: '" + LONG + "'",
    "double-quoted": f'text: "{LONG}"',
    "double-quoted escapes": 'text: "We\\u2019re open \\u2013 come by today, and tomorrow; bring friends and family, it\\u2019s fun and free for all!"',
    "literal block": f"text: |-  # it’s a block – keep this comment\n      {LONG}",
    "folded block": f"text: >-\n      {LONG[:BREAK]}\n      {LONG[BREAK + 1:]}",
    "double-quoted over two lines": f'text: "{LONG[:BREAK]}\n      {LONG[BREAK + 1:]}"',
}


@pytest.mark.parametrize("text_line", STYLES.values(), ids=list(STYLES))
def test_lookalikes_are_swapped_inside_the_scalar_as_written(in_tmp: Path, text_line: str) -> None:
    body = f"""\
version: 1
account: skycore
# The comment says ’ – and keeps it.
messages:
  - id: hours
    from: "60856"
    {text_line}
    to: ["+447400123456"]   # ’
"""
    path = spec(in_tmp, body)
    assert "TEXT-GSM-LOOKALIKE" in rules_in(path)

    code, out, err = run(str(path))

    assert code == 0, err
    fixed = path.read_text(encoding="utf-8")
    assert yaml.safe_load(fixed)["messages"][0]["text"] == LONG_FIXED
    assert "TEXT-GSM-LOOKALIKE" not in rules_in(path)
    # Only the text's own line(s) changed; every other line is byte for byte the same.
    old_lines, new_lines = body.splitlines(), fixed.splitlines()
    assert len(old_lines) == len(new_lines)
    differing = [i for i, (a, b) in enumerate(zip(old_lines, new_lines, strict=True)) if a != b]
    assert differing and all(old_lines[i].startswith("      ") or "text:" in old_lines[i] for i in differing)
    assert "# it’s a block – keep this comment" in fixed or "keep this comment" not in body
    assert "2 -> 1 segments for +447400123456; 1 segment saved over 1 recipient" in out


def test_single_quoted_apostrophes_are_doubled(in_tmp: Path) -> None:
    path = spec(in_tmp, f"version: 1\naccount: skycore\nmessages:\n  - id: a\n    from: \"60856\"\n    text: '{LONG}'\n    to: [\"+447400123456\"]\n")
    run(str(path))
    assert "text: 'We''re open - come by" in path.read_text(encoding="utf-8")


def test_lookalikes_that_save_nothing_are_left_alone(in_tmp: Path) -> None:
    body = f'version: 1\naccount: skycore\nmessages:\n  - id: short\n    from: "60856"\n    text: "{SHORT}"\n    to: ["+447400123456"]\n'
    path = spec(in_tmp, body)
    assert "TEXT-GSM-LOOKALIKE" in rules_in(path)  # validate still suggests it
    code, out, _ = run(str(path))
    assert code == 0
    assert path.read_text(encoding="utf-8") == body
    assert "skipped TEXT-GSM-LOOKALIKE: left as is: no recipient would need fewer segments" in out
    assert out.endswith("Nothing to fix.\n")


def test_a_suppressed_rule_is_not_fixed(in_tmp: Path) -> None:
    body = (
        'version: 1\naccount: skycore\nmessages:\n  - id: brand\n    from: "60856"\n'
        f'    text: "{LONG}"  # smsspec: disable=TEXT-GSM-LOOKALIKE -- the brand is spelt with a curly quote\n'
        '    to: ["+447400123456"]\n'
    )
    path = spec(in_tmp, body)
    assert run(str(path)) == (0, "Nothing to fix.\n", "")
    assert path.read_text(encoding="utf-8") == body


def test_no_swap_when_any_recipient_would_need_more_segments(in_tmp: Path) -> None:
    # The emoji in B's name keeps B in UCS-2 whatever the template holds, and
    # "…" -> "..." adds two units: B would go from 70 units (1 segment) to 72 (2).
    filler = "x" * (70 - len("Hi ") - 2 - 1)
    body = f"""\
version: 1
account: skycore
messages:
  - id: mixed
    from: "60856"
    text: "Hi {{{{ name }}}}…{filler}"
    to:
      - number: "+447400123456"
        vars: {{name: Ann}}
      - number: "+447400123457"
        vars: {{name: "😀"}}
"""
    path = spec(in_tmp, body)
    ann = encoding.analyze(f"Hi Ann…{filler}")
    emoji = encoding.analyze(f"Hi 😀…{filler}")
    assert (ann.segments, emoji.segments, emoji.units) == (2, 1, 70)
    assert encoding.analyze(f"Hi 😀...{filler}").segments == 2
    code, out, _ = run(str(path))
    assert code == 0
    assert path.read_text(encoding="utf-8") == body
    assert "skipped TEXT-GSM-LOOKALIKE: left as is: +447400123457 would need more segments" in out


def test_a_swap_that_would_change_the_yaml_is_skipped(in_tmp: Path) -> None:
    # A no-break space before "#" is text; a plain space there would start a comment.
    text = LONG.replace(" come", "\u00a0#come")
    body = f'version: 1\naccount: skycore\nmessages:\n  - id: hash\n    from: "60856"\n    text: {text}\n    to: ["+447400123456"]\n'
    path = spec(in_tmp, body)
    code, out, _ = run(str(path))
    assert code == 0
    assert path.read_text(encoding="utf-8") == body
    assert "skipped TEXT-GSM-LOOKALIKE: rewriting it in place would change how YAML reads the file" in out


def test_a_text_shared_through_an_alias_is_fixed_once_for_all_its_messages(in_tmp: Path) -> None:
    body = f"""\
version: 1
account: skycore
defaults:
  from: "60856"
messages:
  - id: one
    text: &hours "{LONG}"
    to: ["+447400123456"]
  - id: two
    text: *hours
    to: ["+447400123457", "+447400123458"]
"""
    path = spec(in_tmp, body)
    code, out, _ = run(str(path))
    assert code == 0
    assert path.read_text(encoding="utf-8") == body.replace(LONG, LONG_FIXED)
    assert out.count("fixed TEXT-GSM-LOOKALIKE") == 1
    assert "3 segments saved over 3 recipients" in out


def test_the_saving_is_worked_out_per_rendered_recipient(in_tmp: Path) -> None:
    body = f"""\
version: 1
account: skycore
messages:
  - id: vars
    from: "60856"
    text: "{{{{ greeting }}}} – {LONG[:50]}"
    to:
      - number: "+447400123456"
        vars: {{greeting: Hi}}
      - number: "+447400123457"
        vars: {{greeting: "{'Hello there, ' * 3}"}}
"""
    path = spec(in_tmp, body)
    code, out, _ = run(str(path))
    assert code == 0
    assert "–" not in path.read_text(encoding="utf-8")
    assert "2 -> 1 segments for +447400123457; 1 segment saved over 2 recipients" in out


# the command ------------------------------------------------------------------


def test_the_command_offers_exactly_the_rules_fix_knows() -> None:
    from smsspec.cli.commands import fix as cli_fix
    from smsspec.fix import rewrite as fixer
    assert cli_fix.FIXABLE_RULES == fixer.FIXABLE_RULES


def test_diff_prints_a_patch_writes_nothing_and_exits_1(in_tmp: Path) -> None:
    path = spec(in_tmp, TRAPS)
    code, out, err = run("--diff", "messages.sms.yaml")
    assert code == 1
    assert path.read_text(encoding="utf-8") == TRAPS
    assert out.startswith("--- a/messages.sms.yaml\n+++ b/messages.sms.yaml\n@@ ")
    assert "\n-    from: 00000          # loads as 0\n" in out
    assert '\n+    from: "00000"          # loads as 0\n' in out
    assert "would fix YAML-BOOLEAN" in err and "Would fix 5 problems in 1 file (nothing written)." in err
    if shutil.which("patch"):
        subprocess.run(["patch", "-p1", "--quiet"], input=out.encode(), cwd=in_tmp, check=True)
        assert path.read_text(encoding="utf-8") == TRAPS_FIXED


def test_diff_with_nothing_to_fix_exits_0(in_tmp: Path) -> None:
    spec(in_tmp, TRAPS_FIXED)
    assert run("--diff", ".") == (0, "", "Nothing to fix.\n")


def test_rule_selects_what_is_fixed(in_tmp: Path) -> None:
    path = spec(in_tmp, TRAPS)
    code, out, _ = run("--rule", "yaml-boolean", str(path))
    assert code == 0
    assert path.read_text(encoding="utf-8") == TRAPS.replace("sender_mask: NO", 'sender_mask: "NO"')
    assert "Fixed 1 problem in 1 file." in out


@pytest.mark.parametrize("args", [["no-such-file.sms.yaml"], ["--rule", "SPEC-TYPE", "."], ["--config", "missing.yaml", "."]])
def test_usage_errors_exit_2(in_tmp: Path, args: list[str]) -> None:
    spec(in_tmp, TRAPS)
    code, _, _ = run(*args)
    assert code == 2
    assert (in_tmp / "messages.sms.yaml").read_text(encoding="utf-8") == TRAPS


def test_folders_are_searched_and_other_files_left_alone(in_tmp: Path) -> None:
    spec(in_tmp, TRAPS, name="a.sms.yaml")
    spec(in_tmp, TRAPS_FIXED, name="b.sms.yaml")
    (in_tmp / "notes.yaml").write_text("from: 00000\n", encoding="utf-8")
    code, out, _ = run(".")
    assert code == 0 and "Fixed 5 problems in 1 file." in out
    assert (in_tmp / "a.sms.yaml").read_text(encoding="utf-8") == TRAPS_FIXED
    assert (in_tmp / "notes.yaml").read_text(encoding="utf-8") == "from: 00000\n"


def test_a_file_that_does_not_parse_is_left_alone(in_tmp: Path) -> None:
    body = "version: 1\naccount: skycore\nmessages:\n  - id: x\n    from: 00000\n    text: [unclosed\n"
    path = spec(in_tmp, body)
    code, _, _ = run(str(path))
    assert code == 0
    assert path.read_text(encoding="utf-8") == body


def test_the_invalid_example_gets_cleaner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copy(ROOT / "examples" / "smsspec.yaml", tmp_path / "smsspec.yaml")
    original = (ROOT / "examples" / "invalid" / "skycore-traps.sms.yaml").read_text(encoding="utf-8")
    path = tmp_path / "traps.sms.yaml"
    path.write_text(original, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    before = rules_in(path)
    plan = plan_fixes([str(path)])
    assert [f.rule for f in plan.files[0].fixes] == ["YAML-NUMBER-AS-STRING", "YAML-NUMBER-AS-STRING"]
    run(str(path))
    after = rules_in(path)
    assert "YAML-NUMBER-AS-STRING" not in after
    assert len(after) < len(before)
    assert changed_spans(original, path.read_text(encoding="utf-8")) == [("", '"')] * 4


# property: whatever surrounds the fixed values is kept ---------------------------

_COMMENT_TEXT = st.text(
    st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="\ufeff\x85\ufffe\uffff"),
    max_size=30,
)
_comment = _COMMENT_TEXT.map(lambda t: "# " + t)
_gap = st.lists(st.one_of(_comment, st.just(""), _comment.map(lambda c: "  " + c)), max_size=3)
_trailing = st.one_of(st.just(""), _comment.map(lambda c: "   " + c))
_label = st.text("abcdefghij-", min_size=1, max_size=12)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    gaps=st.lists(_gap, min_size=6, max_size=6),
    trailing=st.lists(_trailing, min_size=4, max_size=4),
    tags=st.lists(_label, max_size=3),
    crlf=st.booleans(),
)
def test_surrounding_content_is_kept_byte_for_byte(
    in_tmp: Path, gaps: list[list[str]], trailing: list[str], tags: list[str], crlf: bool
) -> None:
    def lines(i: int) -> str:
        return "".join(g + "\n" for g in gaps[i])

    body = (
        f"{lines(0)}version: 1\naccount: skycore{trailing[0]}\n{lines(1)}messages:\n"
        f"  - id: generated{trailing[1]}\n{lines(2)}"
        f"    vars: {{labels: {tags!r}}}\n"
        f"    from: 00000{trailing[2]}\n{lines(3)}"
        f'    text: "{LONG}"{trailing[3]}\n{lines(4)}'
        f"    to:\n      - +447400123456\n{lines(5)}"
    )
    expected = (
        body.replace("from: 00000", 'from: "00000"', 1)
        .replace(f'text: "{LONG}"', f'text: "{LONG_FIXED}"', 1)
        .replace("- +447400123456\n", '- "+447400123456"\n', 1)
    )
    newline = "\r\n" if crlf else "\n"
    path = spec(in_tmp, body, newline=newline)
    code, _, err = run(str(path))
    assert code == 0, err
    assert path.read_bytes() == expected.replace("\n", newline).encode("utf-8")
