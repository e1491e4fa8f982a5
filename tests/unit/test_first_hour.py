"""What a new user trips over in the first hour (issue 16): a spec in, the output and exit code out.

Each test reproduces what a user saw and asserts what they should see instead.
"""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from smsspec.cli import main
from tests.conftest import ROOT

CONFIG = (ROOT / "examples" / "smsspec.yaml").read_text(encoding="utf-8")


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def project(folder: Path, specs: dict[str, str]) -> Path:
    """A folder with the examples' smsspec.yaml and the given files."""
    (folder / "smsspec.yaml").write_text(CONFIG, encoding="utf-8")
    for name, text in specs.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def spec(message: str, account: str = "sendmachine-demo") -> str:
    return f"version: 1\naccount: {account}\nmessages:\n{message}"


# Values that change without a word -------------------------------------------

CHANGED_VARS = spec(
    "  - id: login-code\n"
    '    text: "Your login code is {{ code }}."\n'
    "    vars: {code: 012345}\n"
    '    to: ["+447400123456"]\n'
    "  - id: misc\n"
    '    text: "Code {{ c }} {{ price }} {{ ok }} {{ t }} {{ n }} {{ flag }}"\n'
    "    vars: {c: 0042, price: 1.50, ok: yes, t: 12:30, n: 3, flag: true}\n"
    "    to:\n"
    '      - number: "+447911123456"\n'
    "        vars: {c: 0x1F}\n"
)


def test_vars_that_yaml_changes_are_named_with_what_was_written_and_what_yaml_made_of_it(in_tmp: Path) -> None:
    project(in_tmp, {"a.sms.yaml": CHANGED_VARS})
    code, out, _ = run("validate", "a.sms.yaml")
    assert code == 1
    lines = out.splitlines()
    assert (
        "a.sms.yaml:6:18: error[YAML-NUMBER-AS-STRING] message 'login-code' `vars.code` is written 012345 without quotes, "
        "which YAML reads as the number 5349 (a leading 0 makes it octal); the text would show 5349; write \"012345\""
    ) in lines
    assert any("`vars.c` is written 0042" in line and "the number 34" in line for line in lines)
    assert any("`vars.price` is written 1.50" in line and "the number 1.5" in line for line in lines)
    assert any("[YAML-BOOLEAN]" in line and "`vars.ok` is written yes" in line and "the text would show True" in line for line in lines)
    assert any("`vars.t` is written 12:30" in line and "the number 750" in line and "base 60" in line for line in lines)
    assert any("`to[0].vars.c` is written 0x1F" in line and "the number 31" in line for line in lines)
    # A number or boolean that reads back as written is what the user meant.
    assert not any("`vars.n`" in line or "`vars.flag`" in line for line in lines)
    assert lines[-1].startswith("problems found: checked 1 file and smsspec.yaml, 2 messages: 6 errors")


def test_render_of_changed_vars_is_refused(in_tmp: Path) -> None:
    project(in_tmp, {"a.sms.yaml": CHANGED_VARS})
    code, out, _ = run("render", "a.sms.yaml", "--message", "login-code", "--format", "json")
    assert code == 1
    assert "5349" not in out.split("error[", 1)[0]


def test_fix_quotes_changed_vars_and_then_the_text_is_what_was_written(in_tmp: Path) -> None:
    project(in_tmp, {"a.sms.yaml": CHANGED_VARS})
    code, out, _ = run("fix", "a.sms.yaml")
    assert code == 0, out + _
    text = (in_tmp / "a.sms.yaml").read_text(encoding="utf-8")
    assert 'vars: {code: "012345"}' in text
    assert 'vars: {c: "0042", price: "1.50", ok: "yes", t: "12:30", n: 3, flag: true}' in text
    assert 'vars: {c: "0x1F"}' in text
    code, out, _ = run("render", "a.sms.yaml", "--format", "json")
    assert code == 0, out + _
    bodies = " ".join(request["body"] for request in json.loads(out))
    assert "Your login code is 012345." in bodies
    assert "Code 0x1F 1.50 yes 12:30 3 True" in bodies


# Things that pass CI but should not ------------------------------------------

SHOP = spec('  - id: sale\n    text: "Sale today"\n    to: ["+447400123456"]\n')


def test_a_folder_without_spec_files_is_exit_2_with_a_hint_for_a_yaml_that_has_messages(in_tmp: Path) -> None:
    project(in_tmp, {"shop.yaml": SHOP, "docker-compose.yml": "services: {}\n"})
    for command in (["validate", "."], ["validate"], ["send", ".", "--dry-run"]):
        code, out, err = run(*command)
        assert code == 2, (command, out, err)
        assert "smsspec: .: no spec files (*.sms.yaml, *.sms.yml) in this folder or below it; " in err
        assert "shop.yaml has `messages:` but is not named *.sms.yaml: rename it to shop.sms.yaml, or name it on the command line" in err
        assert "docker-compose" not in err
        assert "ok: checked 0 files" not in out


def test_a_folder_without_anything_like_a_spec_is_exit_2_without_a_hint(in_tmp: Path) -> None:
    (in_tmp / "empty").mkdir()
    code, _, err = run("validate", "empty")
    assert code == 2
    assert err.strip() == "smsspec: empty: no spec files (*.sms.yaml, *.sms.yml) in this folder or below it"


def test_a_spec_named_on_the_command_line_is_checked_whatever_its_name(in_tmp: Path) -> None:
    project(in_tmp, {"shop.yaml": SHOP})
    code, out, _ = run("validate", "shop.yaml")
    assert code == 0, out
    assert out.startswith("ok: checked 1 file and smsspec.yaml, 1 message")


def test_json_names_the_message_of_every_shape_problem(in_tmp: Path) -> None:
    body = spec(
        "  - id: welcome\n"
        "    type: marketing\n"
        '    text: "Hi"\n'
        "    campaign: 0123\n"
        "    sender_msak: Acme\n"
        '    to: ["+447400123456"]\n'
    )
    project(in_tmp, {"a.sms.yaml": body})
    code, out, _ = run("validate", "a.sms.yaml", "--format", "json")
    assert code == 1
    found = {d["rule"]: d["message_id"] for d in json.loads(out)["diagnostics"]}
    assert found == {"SPEC-VALUE": "welcome", "YAML-NUMBER-AS-STRING": "welcome", "SPEC-UNKNOWN-FIELD": "welcome"}


def test_the_summary_counts_smsspec_yaml_and_the_messages_shape_errors_stopped(in_tmp: Path) -> None:
    good = '  - id: fine\n    text: "Hi"\n    to: ["+447400123456"]\n'
    broken = '  - id: broken\n    to: ["+447400123456"]\n  - "not a message"\n'
    project(in_tmp, {"a.sms.yaml": spec(good), "b.sms.yaml": spec(broken)})
    code, out, _ = run("validate", ".")
    assert code == 1
    assert out.splitlines()[-1].startswith(
        "problems found: checked 2 files and smsspec.yaml, 3 messages (2 not checked further: shape errors):")
    _, out, _ = run("validate", ".", "--format", "json")
    counted = json.loads(out)
    assert (counted["files"], counted["config_files"], counted["messages"], counted["messages_not_checked"]) == (2, 1, 3, 2)


def test_curly_quotes_used_as_yaml_quotes_are_an_error_and_fix_makes_them_straight(in_tmp: Path) -> None:
    body = spec('  - id: login\n    text: “Your login code is ready.”\n    to: ["+447400123456"]\n')
    project(in_tmp, {"a.sms.yaml": body})
    code, out, _ = run("validate", "a.sms.yaml")
    assert code == 1
    assert out.splitlines()[0] == (
        "a.sms.yaml:5:11: error[YAML-CURLY-QUOTES] message 'login' `text` starts with “ and ends with ”, "
        "which YAML does not read as quotes: both would be sent as part of the text; "
        'write straight quotes: "Your login code is ready."'
    )
    code, out, _ = run("fix", "a.sms.yaml")
    assert code == 0, out
    assert '    text: "Your login code is ready."\n' in (in_tmp / "a.sms.yaml").read_text(encoding="utf-8")
    code, out, _ = run("validate", "a.sms.yaml")
    assert code == 0, out


def test_curly_quotes_inside_a_quoted_text_are_the_users_choice(in_tmp: Path) -> None:
    body = spec('  - id: login\n    text: "“Best deal” today"\n    to: ["+447400123456"]\n')
    project(in_tmp, {"a.sms.yaml": body})
    _, out, _ = run("validate", "a.sms.yaml")
    assert "YAML-CURLY-QUOTES" not in out


def test_an_empty_csv_value_in_the_text_is_a_warning_naming_the_row(in_tmp: Path) -> None:
    body = spec(
        "  - id: points\n"
        '    text: "Hi {{ first_name }}, you have {{ points }} points."\n'
        "    to: {file: customers.csv, number: phone}\n"
    )
    csv = "phone,first_name,points\n+447400123456,Ann,120\n+447911123456,,35\n+447911123457, ,36\n"
    project(in_tmp, {"a.sms.yaml": body, "customers.csv": csv})
    code, out, _ = run("validate", "a.sms.yaml")
    assert code == 0, out
    assert (
        "customers.csv:3:1: warning[TEXT-EMPTY-VAR] message 'points': `first_name` is empty for recipient +447911123456 "
        "and 1 other, so the text reads 'Hi , you have …'; fill it in, or write `{{ first_name | default('there', true) }}`"
    ) in out.splitlines()


def test_single_braces_and_foreign_placeholders_are_a_warning(in_tmp: Path) -> None:
    body = spec(
        "  - id: promo\n"
        '    text: "Hi {name}, your code is #field1#. {{ code }} {% if x %}{x}{% endif %}"\n'
        "    vars: {code: A1, x: ''}\n"
        '    to: ["+447400123456"]\n'
    )
    project(in_tmp, {"a.sms.yaml": body})
    code, out, _ = run("validate", "a.sms.yaml")
    assert code == 0, out
    lines = [line for line in out.splitlines() if "TEXT-PLACEHOLDER" in line]
    assert lines == [
        "a.sms.yaml:5:11: warning[TEXT-PLACEHOLDER] message 'promo': `{name}` is sent as written; "
        "a variable takes two braces: `{{ name }}`",
        "a.sms.yaml:5:11: warning[TEXT-PLACEHOLDER] message 'promo': `{x}` is sent as written; "
        "a variable takes two braces: `{{ x }}`",
        "a.sms.yaml:5:11: warning[TEXT-PLACEHOLDER] message 'promo': `#field1#` is another system's placeholder "
        "and is sent as written; write `{{ field1 }}`",
    ]


def test_a_send_at_in_the_past_is_a_warning_saying_send_would_send_it_at_once(in_tmp: Path) -> None:
    body = spec(
        "  - id: old\n"
        '    text: "Sale today"\n'
        '    send_at: "2001-05-01T10:00:00+02:00"\n'
        '    to: ["+447400123456"]\n'
        "  - id: ahead\n"
        '    text: "Sale soon"\n'
        '    send_at: "2099-05-01T10:00:00+02:00"\n'
        '    to: ["+447400123456"]\n'
    )
    project(in_tmp, {"a.sms.yaml": body})
    code, out, _ = run("validate", "a.sms.yaml")
    assert code == 0
    assert out.splitlines() == [
        "a.sms.yaml:6:14: warning[SPEC-SEND-AT-PAST] message 'old': send_at 2001-05-01T10:00:00+02:00 is in the past, "
        "so `send` would send it at once; change the time, or remove `send_at` to send it now",
        "ok: checked 1 file and smsspec.yaml, 2 messages: 0 errors, 1 warning",
    ]
    code, _, _ = run("validate", "a.sms.yaml", "--strict")
    assert code == 1


# Messages that mislead -------------------------------------------------------

HEAD = "version: 1\naccount: sendmachine-demo\nmessages:\n"


def first_line(folder: Path, body: str) -> str:
    project(folder, {"a.sms.yaml": HEAD + body})
    code, out, _ = run("validate", "a.sms.yaml")
    assert code == 1
    return out.splitlines()[0]


def test_a_key_at_the_list_items_indentation_says_how_to_put_it_under_the_item(in_tmp: Path) -> None:
    body = '  - id: a\n    text: "Hi"\n    to:\n      - number: "+447400123456"\n      vars: {x: 1}\n'
    assert first_line(in_tmp, body) == (
        "a.sms.yaml:8:7: error[YAML-SYNTAX] this line is indented 6 spaces, like the `- ` items of the list on line 7, "
        "but is not an item; to belong to the item above, indent it 8 spaces, like `number` on line 7"
    )


def test_a_list_item_indented_one_space_too_far_names_both_indentations(in_tmp: Path) -> None:
    body = '  - id: a\n    text: "Hi"\n    to: ["+447400123456"]\n   - id: b\n    text: "Hi"\n    to: ["+447400123456"]\n'
    assert first_line(in_tmp, body) == (
        "a.sms.yaml:7:4: error[YAML-SYNTAX] this line is indented 3 spaces, but the `- ` items of its list are "
        "indented 2 (line 4); align it with line 4"
    )


def test_a_key_indented_between_two_levels_names_both(in_tmp: Path) -> None:
    body = '  - id: a\n    text: "Hi"\n    to:\n      - number: "+447400123456"\n     vars: {x: 1}\n'
    assert first_line(in_tmp, body) == (
        "a.sms.yaml:8:6: error[YAML-SYNTAX] this line is indented 5 spaces, which matches no mapping around it: "
        "the keys of the mapping on line 4 are indented 4, `number` on line 7 is indented 8; align its indentation with one of them"
    )


def test_an_unclosed_quote_is_reported_where_it_opens(in_tmp: Path) -> None:
    body = '  - id: a\n    text: "Hi there\n    to: ["+447400123456"]\n  - id: b\n    text: "Hi"\n    to: ["+447400123456"]\n'
    assert first_line(in_tmp, body) == (
        'a.sms.yaml:5:11: error[YAML-SYNTAX] the " that opens this value is not closed on its line: YAML reads on '
        'to the next " (line 6, column 10), and the text after that makes no sense; close the quote on line 5'
    )


def test_a_quote_inside_a_quoted_text_says_how_to_write_it(in_tmp: Path) -> None:
    body = "  - id: a\n    text: 'You're invited'\n    to: [\"+447400123456\"]\n"
    assert first_line(in_tmp, body) == (
        "a.sms.yaml:5:15: error[YAML-SYNTAX] the ' here ends the '-quoted value that starts at column 11, so the text "
        "after it makes no sense; inside '...' write a ' as '' (You''re), or quote the whole value with \" instead"
    )
    body = '  - id: a\n    text: "Hi {{ name | default("there") }}"\n    to: ["+447400123456"]\n'
    assert first_line(in_tmp, body) == (
        'a.sms.yaml:5:33: error[YAML-SYNTAX] the " here ends the "-quoted value that starts at column 11, so the text '
        "after it makes no sense; inside \"...\" write a \" as \\\", or use the other quote: 'there'"
    )


def test_field_suggestions_know_the_words_people_use(in_tmp: Path) -> None:
    body = (
        "  - id: a\n"
        '    message: "Hi"\n'
        '    sender: "60856"\n'
        "    mask: Acme\n"
        '    schedule: "2099-05-01T10:00:00+02:00"\n'
        '    recipients: ["+447400123456"]\n'
    )
    project(in_tmp, {"a.sms.yaml": HEAD + body})
    _, out, _ = run("validate", "a.sms.yaml")
    unknown = [line.split("] ", 1)[1] for line in out.splitlines() if "SPEC-UNKNOWN-FIELD" in line]
    assert unknown == [
        "message 'a': unknown field `message`; did you mean `text`?",
        "message 'a': unknown field `sender`; did you mean `from` or `sender_mask`?",
        "message 'a': unknown field `mask`; did you mean `sender_mask`?",
        "message 'a': unknown field `schedule`; did you mean `send_at`?",
        "message 'a': unknown field `recipients`; did you mean `to`?",
    ]


def test_an_unknown_provider_is_one_problem_not_one_per_message(in_tmp: Path) -> None:
    config = CONFIG.replace("provider: skycore-xml", "provider: skycore_xml")
    (in_tmp / "smsspec.yaml").write_text(config, encoding="utf-8")
    body = "".join(f'  - id: m{i}\n    from: "60856"\n    text: "Hi"\n    to: ["+447400123456"]\n' for i in range(3))
    (in_tmp / "a.sms.yaml").write_text(spec(body, account="skycore-xml-demo"), encoding="utf-8")
    code, out, _ = run("validate", ".")
    assert code == 1
    lines = out.splitlines()
    assert lines[:-1] == [
        "smsspec.yaml:18:15: error[CONFIG-UNKNOWN-PROVIDER] account 'skycore-xml-demo': unknown provider 'skycore_xml'; did you mean 'skycore-xml'?"
    ]
    assert lines[-1] == "problems found: checked 1 file and smsspec.yaml, 3 messages: 1 error, 0 warnings"


def test_every_missing_credential_is_reported_in_one_run(in_tmp: Path) -> None:
    body = (
        '  - id: a\n    text: "Hi"\n    to: ["+447400123456"]\n'
        '  - id: b\n    account: whatcounts-demo\n    from: "60856"\n    text: "Hi"\n    to: ["+447400123456"]\n'
    )
    project(in_tmp, {"a.sms.yaml": spec(body)})
    env = {"SENDMACHINE_USERNAME": "", "SENDMACHINE_API_KEY": "", "WHATCOUNTS_PASSWORD": ""}
    for extra in ([], ["--dry-run"]):
        code, _, err = run("send", "a.sms.yaml", "--yes", *extra, env=env)
        assert code == 2, err
        assert "account 'sendmachine-demo': set the environment variable(s) for username (${SENDMACHINE_USERNAME}), api_key (${SENDMACHINE_API_KEY})" in err
        assert "account 'whatcounts-demo': set the environment variable(s) for password (${WHATCOUNTS_PASSWORD})" in err


LONG = "x" * 170


def test_a_text_too_long_for_every_recipient_is_one_error_at_the_text(in_tmp: Path) -> None:
    body = f'  - id: long\n    from: "60856"\n    text: "{LONG}"\n    to:\n      - "+447400123456"\n      - "+447400123457"\n'
    project(in_tmp, {"a.sms.yaml": spec(body, account="whatcounts-demo")})
    code, out, _ = run("validate", "a.sms.yaml")
    assert code == 1
    assert out.splitlines() == [
        "a.sms.yaml:6:11: error[WHATCOUNTS-TEXT-LENGTH] message 'long': the text for every recipient has 170 characters; "
        "WhatCounts accepts at most 160",
        "problems found: checked 1 file and smsspec.yaml, 1 message: 1 error, 0 warnings",
    ]


def test_a_text_too_long_for_one_recipient_names_the_recipient_and_points_at_both(in_tmp: Path) -> None:
    body = (
        '  - id: per\n    from: "60856"\n'
        f'    text: "Hi {{{{ name }}}} {"y" * 150}"\n'
        '    to:\n      - number: "+447400123456"\n        vars: {name: Al}\n'
        '      - number: "+447400123457"\n        vars: {name: Alexandrina Bartholomew}\n'
    )
    project(in_tmp, {"a.sms.yaml": spec(body, account="whatcounts-demo")})
    code, out, _ = run("validate", "a.sms.yaml")
    assert code == 1
    assert out.splitlines()[:-1] == [
        "a.sms.yaml:10:9: error[WHATCOUNTS-TEXT-LENGTH] message 'per': the text for +447400123457 has 177 characters; "
        "WhatCounts accepts at most 160 (the text is on line 6)",
    ]


def test_segments_over_budget_for_every_recipient_are_reported_at_the_text(in_tmp: Path) -> None:
    body = f'  - id: long\n    max_segments: 1\n    text: "{LONG} {{{{ x }}}}"\n    to:\n      - number: "+447400123456"\n        vars: {{x: a}}\n'
    project(in_tmp, {"a.sms.yaml": spec(body)})
    code, out, _ = run("validate", "a.sms.yaml")
    assert code == 1
    assert out.splitlines()[0].startswith("a.sms.yaml:6:11: error[TEXT-SEGMENTS] message 'long': the text for +447400123456 needs 2 segments")


def test_rules_explain_has_an_example_for_every_rule() -> None:
    from smsspec.validate.catalog import all_rules

    for rule_id in all_rules():
        code, out, _ = run("rules", "explain", rule_id)
        assert code == 0
        assert "\nExample that triggers it:\n    " in out, rule_id


def test_each_provider_rule_example_triggers_its_rule(in_tmp: Path) -> None:
    """A provider rule's example is a message's fields: run as a spec, it fires the rule."""
    from smsspec.validate.catalog import all_rules

    (in_tmp / "smsspec.yaml").write_text((ROOT / "tests" / "cases" / "smsspec.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    for rule in all_rules().values():
        if rule.provider is None:
            continue
        fields = "\n".join("    " + line for line in rule.example.splitlines())
        (in_tmp / "example.sms.yaml").write_text(f"version: 1\nmessages:\n  - id: example\n{fields}\n", encoding="utf-8")
        _, out, _ = run("validate", "example.sms.yaml")
        assert f"[{rule.id}]" in out, (rule.id, out)


def test_config_given_as_a_folder_says_so_and_names_the_file(in_tmp: Path) -> None:
    project(in_tmp, {"a.sms.yaml": SHOP})
    code, _, err = run("validate", "a.sms.yaml", "--config", ".")
    assert code == 2
    assert err.strip() == "smsspec: --config .: is a folder, not a file; did you mean --config smsspec.yaml?"


def test_an_unknown_message_id_suggests_the_one_meant(in_tmp: Path) -> None:
    body = '  - id: login-code\n    text: "Hi"\n    to: ["+447400123456"]\n'
    project(in_tmp, {"a.sms.yaml": spec(body)})
    for command in ("render", "plan"):
        code, _, err = run(command, "a.sms.yaml", "--message", "login_code")
        assert code == 2
        assert "did you mean 'login-code'?" in err, (command, err)


def test_render_of_one_message_shows_only_its_warnings(in_tmp: Path) -> None:
    body = (
        '  - id: one\n    text: "Hi"\n    to: ["+447400123456"]\n'
        '  - id: other\n    text: "It’s {name}"\n    to: ["+447400123456"]\n'
    )
    project(in_tmp, {"a.sms.yaml": spec(body)})
    code, _, err = run("render", "a.sms.yaml", "--message", "one", "--format", "json")
    assert code == 0
    assert "other" not in err and "warning" not in err


def test_segments_says_one_septet(in_tmp: Path) -> None:
    code, out, _ = run("segments", "a")
    assert code == 0
    assert "units:      1 septet\n" in out


POINTS = (
    "  - id: points\n"
    '    text: "Hi {{ first_name }}, you have {{ points }} points."\n'
    "    to: {file: data/customers.csv, number: phone}\n"
)


def test_a_semicolon_separated_csv_is_read_by_its_separator(in_tmp: Path) -> None:
    csv = "phone;first_name;points;city\n+447400123456;Ann;120;Leeds\n+447911123456;Bob;35;York\n"
    project(in_tmp, {"messages/a.sms.yaml": spec(POINTS), "messages/data/customers.csv": csv})
    code, out, _ = run("render", "messages/a.sms.yaml", "--format", "json")
    assert code == 0, out
    bodies = " ".join(request["body"] for request in json.loads(out))
    assert "Hi Ann, you have 120 points." in bodies and "Hi Bob, you have 35 points." in bodies


def test_a_missing_column_in_a_semicolon_csv_names_the_separator(in_tmp: Path) -> None:
    csv = "mobile;first_name;points\n+447400123456;Ann;120\n"
    project(in_tmp, {"messages/a.sms.yaml": spec(POINTS), "messages/data/customers.csv": csv})
    _, out, _ = run("validate", "messages/a.sms.yaml")
    assert "no column `phone` in the header; the columns (separated by `;`) are mobile, first_name, points" in out


def test_a_recipients_path_that_does_not_exist_says_where_it_was_looked_for(in_tmp: Path) -> None:
    project(in_tmp, {"messages/a.sms.yaml": spec(POINTS), "data/customers.csv": "phone\n"})
    code, out, _ = run("validate", "messages/a.sms.yaml")
    assert code == 1
    assert (
        "no such file: a recipients path is relative to the spec's folder (messages), "
        "so `data/customers.csv` is messages/data/customers.csv"
    ) in out


def test_providers_show_says_a_limit_once() -> None:
    code, out, _ = run("providers", "show", "skycore")
    assert code == 0
    line = next(line for line in out.splitlines() if line.strip().startswith("sender_mask"))
    assert line.count("at most 11 characters") == 1


def test_a_yaml_with_messages_beside_real_specs_is_named_as_not_checked(in_tmp: Path) -> None:
    project(in_tmp, {"a.sms.yaml": SHOP, "shop.yaml": SHOP, ".github/workflows/ci.yml": "messages: x\n"})
    code, out, _ = run("validate", ".")
    assert code == 0
    assert out.splitlines() == [
        "shop.yaml:1:1: warning[SPEC-FILE-NAME] shop.yaml has a top-level `messages:` but is not named *.sms.yaml, "
        "so it was not checked; rename it to shop.sms.yaml",
        "ok: checked 1 file and smsspec.yaml, 1 message: 0 errors, 1 warning",
    ]
