"""Inline suppressions (`# smsspec: disable=RULE -- reason`) and the project-wide `rules:` settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from smsspec.cli import main
from smsspec.diagnostics import Severity
from smsspec.validate.check import CheckResult, check_paths
from smsspec.validate.suppressions import parse_file

CONFIG = """\
version: 1
accounts:
  sky:
    provider: skycore
    endpoint: https://api.example.net/skycore/send
    credentials:
      api_key: ${SKY_KEY}
  inwise:
    provider: inwise
    endpoint: https://api.example.net/inwise
    credentials:
      api_key: ${INWISE_KEY}
"""
LOOKALIKE = "It’s here"  # the curly quote forces UCS-2: TEXT-GSM-LOOKALIKE (warning)
UNASSIGNED = "+447700900123"  # a possible but unassigned number: PHONE-INVALID (warning)


def project(folder: Path, spec: str, config: str = CONFIG) -> Path:
    (folder / "smsspec.yaml").write_text(config, encoding="utf-8")
    path = folder / "s.sms.yaml"
    path.write_text(spec, encoding="utf-8")
    return path


def found(result: CheckResult) -> list[tuple[int, str]]:
    return [(d.location.line, d.rule) for d in result.diagnostics]


def spec_with(message_lines: str, account: str = "sky") -> str:
    return f'version: 1\naccount: {account}\ndefaults:\n  from: "60856"\nmessages:\n{message_lines}'


def test_without_suppressions_the_warnings_are_reported(tmp_path: Path) -> None:
    path = project(tmp_path, spec_with(f'  - id: a\n    text: "{LOOKALIKE}"\n    to: ["{UNASSIGNED}"]\n'))
    assert found(check_paths([str(path)])) == [(7, "TEXT-GSM-LOOKALIKE"), (8, "PHONE-INVALID")]


def test_a_trailing_comment_suppresses_its_rules_on_its_line_only(tmp_path: Path) -> None:
    path = project(tmp_path, spec_with(
        f'  - id: a\n'
        f'    text: "{LOOKALIKE}"  # smsspec: disable=TEXT-GSM-LOOKALIKE -- the brand is spelled this way\n'
        f'    to: ["{UNASSIGNED}"]  # smsspec: disable=TEXT-GSM-LOOKALIKE -- wrong rule for this line\n'
    ))
    assert found(check_paths([str(path)])) == [(8, "PHONE-INVALID"), (8, "SUPPRESSION-UNUSED")]


def test_on_the_first_line_of_a_message_it_covers_the_whole_message(tmp_path: Path) -> None:
    path = project(tmp_path, spec_with(
        f'  - id: a  # smsspec: disable=TEXT-GSM-LOOKALIKE,PHONE-INVALID -- test numbers, brand spelling\n'
        f'    text: "{LOOKALIKE}"\n'
        f'    to:\n'
        f'      - "{UNASSIGNED}"\n'
        f'  - id: b\n'
        f'    text: "{LOOKALIKE}"\n'
        f'    to: ["{UNASSIGNED}"]\n'
    ))
    assert found(check_paths([str(path)])) == [(11, "TEXT-GSM-LOOKALIKE"), (12, "PHONE-INVALID")]


def test_a_whole_message_suppression_covers_what_the_message_inherits(tmp_path: Path) -> None:
    # Skycore cuts masks after 11 characters: the mask in defaults is reported once per message, at the defaults line.
    path = project(tmp_path, spec_with(
        '  - id: a  # smsspec: disable=SKYCORE-MASK-LENGTH -- the mask is cut on purpose\n'
        '    text: Hi\n    to: ["+447400123456"]\n'
        '  - id: b\n    text: Hi\n    to: ["+447400123456"]\n',
    ).replace('  from: "60856"\n', '  from: "60856"\n  sender_mask: Dunder Mifflin\n'))
    result = check_paths([str(path)])
    assert [(d.location.line, d.rule, d.message_id) for d in result.diagnostics] == [(5, "SKYCORE-MASK-LENGTH", "b")]


def test_a_suppression_needs_a_reason(tmp_path: Path) -> None:
    path = project(tmp_path, spec_with(
        f'  - id: a\n    text: "{LOOKALIKE}"  # smsspec: disable=TEXT-GSM-LOOKALIKE\n    to: ["+447400123456"]\n'
        f'  - id: b\n    text: "{LOOKALIKE}"  # smsspec: disable=TEXT-GSM-LOOKALIKE --   \n    to: ["+447400123456"]\n'
    ))
    result = check_paths([str(path)])
    assert found(result) == [
        (7, "TEXT-GSM-LOOKALIKE"), (7, "SUPPRESSION-REASON"), (10, "TEXT-GSM-LOOKALIKE"), (10, "SUPPRESSION-REASON"),
    ]
    reason = result.diagnostics[1]
    assert reason.severity is Severity.ERROR and reason.location.column == 24
    assert "add one after `--`" in reason.message


def test_unknown_rules_get_a_suggestion_and_valid_ones_in_the_same_comment_still_work(tmp_path: Path) -> None:
    path = project(tmp_path, spec_with(
        f'  - id: a\n    text: "{LOOKALIKE}"  # smsspec: disable=text-gsm-lookalike, PHONE-INVALDI -- brand spelling\n'
        '    to: ["+447400123456"]\n'
    ))
    result = check_paths([str(path)])
    assert found(result) == [(7, "SUPPRESSION-UNKNOWN-RULE")]
    unknown = result.diagnostics[0]
    assert unknown.severity is Severity.WARNING and "did you mean PHONE-INVALID?" in unknown.message


def test_unreadable_and_misplaced_suppressions_are_errors(tmp_path: Path) -> None:
    path = project(tmp_path, spec_with(
        f'  - id: a\n    text: "{LOOKALIKE}"  # smsspec: ignore TEXT-GSM-LOOKALIKE\n'
        '    # smsspec: disable=TEXT-GSM-LOOKALIKE -- above the line, not on it\n'
        '    to: ["+447400123456"]  # smsspec: disable=A,,B -- empty entry\n'
    ))
    assert found(check_paths([str(path)])) == [
        (7, "TEXT-GSM-LOOKALIKE"), (7, "SUPPRESSION-SYNTAX"), (8, "SUPPRESSION-SYNTAX"), (9, "SUPPRESSION-SYNTAX"),
    ]


def test_text_that_looks_like_a_suppression_is_not_one(tmp_path: Path) -> None:
    path = project(tmp_path, spec_with(
        f'  - id: a\n'
        f'    text: "{LOOKALIKE} # smsspec: disable=TEXT-GSM-LOOKALIKE -- in quotes"\n'
        f'    campaign: |\n'
        f'      # smsspec: disable=PHONE-INVALID -- in a block\n'
        f'    to: ["+447400123456"]\n'
    ))
    assert found(check_paths([str(path)])) == [(7, "TEXT-GSM-LOOKALIKE")]


def test_suppressing_an_error_lets_the_message_be_rendered(tmp_path: Path) -> None:
    path = project(tmp_path, spec_with(
        '  - id: a\n    text: Hi\n    max_segments: 1\n'
        '    campaign: spring  # smsspec: disable=PROVIDER-UNSUPPORTED-FIELD -- kept for the fallback provider\n'
        '    to: ["+972502345678"]\n',
        account="inwise",
    ).replace('defaults:\n  from: "60856"\n', ""))
    result = check_paths([str(path)])
    assert result.diagnostics == []
    assert [c.message.id for c in result.checked] == ["a"]


def test_suppressions_in_smsspec_yaml_cover_config_diagnostics(tmp_path: Path) -> None:
    config = CONFIG.replace(
        "      api_key: ${SKY_KEY}\n",
        "      api_key: ${SKY_KEY}\n    settings:\n      colour: blue  # smsspec: disable=CONFIG-SETTING -- read by our own tooling\n",
    )
    path = project(tmp_path, spec_with('  - id: a\n    text: Hi\n    to: ["+447400123456"]\n'), config)
    assert found(check_paths([str(path)])) == []


def test_missing_config_cannot_be_suppressed(tmp_path: Path) -> None:
    path = tmp_path / "s.sms.yaml"
    path.write_text('version: 1  # smsspec: disable=CONFIG-NOT-FOUND -- no config yet\nmessages: []\n', encoding="utf-8")
    result = check_paths([str(path)])
    assert {d.rule for d in result.diagnostics} >= {"CONFIG-NOT-FOUND", "SUPPRESSION-UNKNOWN-RULE"}


def test_files_that_do_not_parse_honour_no_suppressions(tmp_path: Path) -> None:
    path = project(tmp_path, 'version: 1\nmessages: [  # smsspec: disable=YAML-SYNTAX -- broken on purpose\n')
    assert [d.rule for d in check_paths([str(path)]).diagnostics] == ["YAML-SYNTAX"]


def test_parse_file_reports_positions() -> None:
    text = 'messages:\n  - id: a  # smsspec: disable=PHONE-INVALID -- test range\n    text: x\n    to: ["+1"]\n'
    parsed = parse_file(text, "f.sms.yaml", {"PHONE-INVALID"})
    (suppression,) = parsed.suppressions
    assert (suppression.first_line, suppression.last_line, suppression.message_id) == (2, 4, "a")
    assert (suppression.location.line, suppression.location.column) == (2, 12)
    assert suppression.reason == "test range" and parsed.problems == []


def test_each_file_alone_gives_the_same_diagnostics_as_all_together(tmp_path: Path) -> None:
    for name, line in [("a", f'    text: "{LOOKALIKE}"  # smsspec: disable=TEXT-GSM-LOOKALIKE -- brand\n'),
                       ("b", f'    text: "{LOOKALIKE}"  # smsspec: disable=PHONE-INVALID -- unused\n'),
                       ("c", f'    text: "{LOOKALIKE}"\n')]:
        (tmp_path / f"{name}.sms.yaml").write_text(spec_with(f"  - id: {name}\n{line}    to: [\"{UNASSIGNED}\"]\n"), encoding="utf-8")
    (tmp_path / "smsspec.yaml").write_text(CONFIG, encoding="utf-8")
    together = check_paths([str(tmp_path)]).diagnostics
    alone = [d for name in "abc" for d in check_paths([str(tmp_path / f"{name}.sms.yaml")]).diagnostics]
    assert together == alone and len(together) == 6


# --------------------------------------------------------------------------
# rules: in smsspec.yaml


@pytest.mark.parametrize(
    ("setting", "expected", "exit_code"),
    [
        ("warning", [(7, "TEXT-GSM-LOOKALIKE", "warning"), (8, "PHONE-INVALID", "warning")], 0),
        ("error", [(7, "TEXT-GSM-LOOKALIKE", "error"), (8, "PHONE-INVALID", "warning")], 1),
        ("off", [(8, "PHONE-INVALID", "warning")], 0),
        ("'off'", [(8, "PHONE-INVALID", "warning")], 0),
    ],
)
def test_rules_section_sets_a_rules_severity_or_turns_it_off(
    tmp_path: Path, setting: str, expected: list[tuple[int, str, str]], exit_code: int
) -> None:
    path = project(
        tmp_path,
        spec_with(f'  - id: a\n    text: "{LOOKALIKE}"\n    to: ["{UNASSIGNED}"]\n'),
        CONFIG + f"rules:\n  TEXT-GSM-LOOKALIKE: {setting}\n",
    )
    result = check_paths([str(path)])
    assert [(d.location.line, d.rule, d.severity.value) for d in result.diagnostics] == expected
    assert CliRunner().invoke(main, ["validate", str(path)]).exit_code == exit_code


def test_rules_section_can_make_an_error_a_warning_and_render_the_message(tmp_path: Path) -> None:
    path = project(
        tmp_path,
        spec_with('  - id: a\n    text: Hi\n    campaign: c\n    to: ["+972502345678"]\n', account="inwise"),
        CONFIG + "rules:\n  PROVIDER-UNSUPPORTED-FIELD: warning\n",
    )
    result = check_paths([str(path)])
    assert [(d.rule, d.severity.value) for d in result.diagnostics] == [("PROVIDER-UNSUPPORTED-FIELD", "warning")]
    assert len(result.checked) == 1


def test_rules_section_applies_to_the_suppression_rules_too(tmp_path: Path) -> None:
    spec = spec_with('  - id: a\n    text: Hi  # smsspec: disable=TEXT-GSM-LOOKALIKE -- nothing to hide\n    to: ["+447400123456"]\n')
    path = project(tmp_path, spec, CONFIG + "rules:\n  SUPPRESSION-UNUSED: off\n")
    assert found(check_paths([str(path)])) == []
    path = project(tmp_path, spec, CONFIG + "rules:\n  SUPPRESSION-UNUSED: error\n")
    assert [(d.rule, d.severity) for d in check_paths([str(path)]).diagnostics] == [("SUPPRESSION-UNUSED", Severity.ERROR)]


def test_rules_section_rejects_unknown_levels(tmp_path: Path) -> None:
    path = project(
        tmp_path,
        spec_with('  - id: a\n    text: Hi\n    to: ["+447400123456"]\n'),
        CONFIG + "rules:\n  TEXT-GSM-LOOKALIKE: loud\n",
    )
    problems = check_paths([str(path)]).diagnostics
    assert [(d.location.file.endswith("smsspec.yaml"), d.rule) for d in problems] == [(True, "SPEC-VALUE")]


def test_files_refused_by_the_loader_are_not_read_for_suppressions(tmp_path: Path) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    path = project(tmp_path, f"# smsspec: disable=YAML-NESTING -- deep on purpose\nversion: 1\nmessages: {deep}\n")
    assert [d.rule for d in check_paths([str(path)]).diagnostics] == ["YAML-NESTING"]
