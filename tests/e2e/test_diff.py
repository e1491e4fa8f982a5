"""`smsspec diff`: a git repository with specs, a change on a branch, and what the diff says.

Each test builds a real repository with ``git`` and runs the real command.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from tests.browser.dom import parse

GIT_ENV = {
    "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
}

CONFIG = """\
version: 1
accounts:
  sky:
    provider: skycore
    endpoint: https://api.example.net/send
    credentials: {api_key: "${SKY_KEY}"}
    settings: {price_per_segment: 0.01, currency: USD}
"""

SPEC = """\
version: 1
account: sky
defaults: {from: "60856"}
messages:
  - id: shipped
    text: "Hi {{ name }}, your order has shipped."
    to:
      - number: "+447400123456"
        vars: {name: Ann}
      - number: "+447911123456"
        vars: {name: Bob}
  - id: goodbye
    text: "We will miss you."
    to: ["+447400123456"]
  - id: steady
    text: "Nothing changes here."
    to: ["+447400123456"]
"""

LONG_NAME = "Bartholomew " * 14  # a name long enough to need a second segment


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, env={**os.environ, **GIT_ENV},
                          capture_output=True, text=True, check=True, timeout=60)
    return done.stdout.strip()


def smsspec(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "smsspec", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, check=False, env={**os.environ, "NO_COLOR": "1", **(env or {})})


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository whose main branch holds the specs, checked out on a new branch `change`."""
    root = tmp_path / "repo"
    (root / "messages").mkdir(parents=True)
    (root / "messages" / "smsspec.yaml").write_text(CONFIG, encoding="utf-8")
    (root / "messages" / "orders.sms.yaml").write_text(SPEC, encoding="utf-8")
    (root / "README.md").write_text("not a spec\n", encoding="utf-8")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "specs")
    git(root, "checkout", "-q", "-b", "change")
    return root


def change_specs(repo: Path) -> None:
    """Bob gets a long name (his text needs two segments), goodbye goes, welcome comes."""
    spec = (repo / "messages" / "orders.sms.yaml").read_text(encoding="utf-8")
    spec = spec.replace("vars: {name: Bob}", f"vars: {{name: {LONG_NAME.strip()}}}")
    spec = spec.replace("your order has shipped.", "your order has shipped today.")
    spec = spec.replace('''  - id: goodbye
    text: "We will miss you."
    to: ["+447400123456"]
''', '''  - id: welcome
    text: "Welcome aboard!"
    to: ["+447400123456", "+447911123456", "+447700900123"]
''')
    (repo / "messages" / "orders.sms.yaml").write_text(spec, encoding="utf-8")


def test_diff_lists_added_removed_and_changed_messages_with_texts_segments_and_cost(repo: Path) -> None:
    change_specs(repo)
    done = smsspec(repo, "diff", "--format", "json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["base"]["commit"] == git(repo, "rev-parse", "main")
    assert report["base"]["how"] == "merge base with main"
    status = {m["id"]: m["status"] for m in report["messages"]}
    assert status == {"shipped": "changed", "welcome": "added", "goodbye": "removed", "steady": "unchanged"}
    assert report["counts"] == {"added": 1, "removed": 1, "changed": 1, "unchanged": 1, "not compared": 0}

    shipped = next(m for m in report["messages"] if m["id"] == "shipped")
    assert shipped["changes"] == ["text"]
    before, after = shipped["before"], shipped["after"]
    assert before["sample"] == {"recipient": "+447400123456", "text": "Hi Ann, your order has shipped.", "segments": 1}
    assert after["sample"] == {"recipient": "+447400123456", "text": "Hi Ann, your order has shipped today.", "segments": 1}
    assert after["worst"] == {"recipient": "+447911123456", "segments": 2,
                              "text": f"Hi {LONG_NAME.strip()}, your order has shipped today."}
    assert (before["segments"], after["segments"]) == (2, 3)
    assert (before["cost"], after["cost"]) == (pytest.approx(0.02), pytest.approx(0.03))
    welcome = next(m for m in report["messages"] if m["id"] == "welcome")
    assert welcome["before"] is None and welcome["after"]["recipients"] == 3
    assert report["totals"]["before"] == {"recipients": 4, "segments": 4, "cost": {"USD": 0.04}, "unpriced": [], "opted_out": 0}
    assert report["totals"]["after"] == {"recipients": 6, "segments": 7, "cost": {"USD": 0.07}, "unpriced": [], "opted_out": 0}

    # The figures are plan's: the work tree's totals are what `plan` counts for the same specs.
    planned = json.loads(smsspec(repo, "plan", "messages", "--format", "json", "--ledger", str(repo.parent / "l.db")).stdout)
    assert planned["totals"]["segments"] == report["totals"]["after"]["segments"]
    assert planned["totals"]["recipients"] == report["totals"]["after"]["recipients"]
    assert planned["totals"]["cost"] == report["totals"]["after"]["cost"]

    text = smsspec(repo, "diff")
    assert text.returncode == 0
    lines = text.stdout.splitlines()
    assert lines[0].startswith("diff main (") and lines[0].endswith("1 added, 1 removed, 1 changed, 1 unchanged")
    assert "~ changed shipped sky (skycore), sender 60856: text" in lines
    assert "    recipients 2, segments 2 -> 3, cost 0.02 USD -> 0.03 USD" in lines
    assert "      -Hi Ann, your order has shipped." in lines
    assert "      +Hi Ann, your order has shipped today." in lines
    assert "    worst case +447911123456 (1 -> 2 segments):" in lines
    assert "- removed goodbye sky (skycore), sender 60856" in lines
    assert "+ added welcome sky (skycore), sender 60856" in lines
    assert lines[-1] == "total: recipients 4 -> 6, segments 4 -> 7, cost 0.04 USD -> 0.07 USD"
    assert not any("steady" in line for line in lines)  # unchanged messages are only counted


def test_diff_defaults_to_the_merge_base_and_takes_a_base_and_paths(repo: Path) -> None:
    # main moves on after the branch was made: not part of this branch's change.
    git(repo, "checkout", "-q", "main")
    (repo / "messages" / "orders.sms.yaml").write_text(SPEC.replace("Nothing changes here.", "Changed on main."), encoding="utf-8")
    git(repo, "commit", "-q", "-am", "main moves on")
    git(repo, "checkout", "-q", "change")

    by_default = json.loads(smsspec(repo, "diff", "--format", "json").stdout)
    assert by_default["counts"]["changed"] == 0
    assert by_default["base"]["commit"] == git(repo, "merge-base", "main", "HEAD")

    against_main = json.loads(smsspec(repo, "diff", "main", "messages", "--format", "json").stdout)
    assert [m["id"] for m in against_main["messages"] if m["status"] == "changed"] == ["steady"]
    assert against_main["base"] == {"name": "main", "commit": git(repo, "rev-parse", "main"), "how": "given"}
    from_inside = smsspec(repo / "messages", "diff", "--base", "main", ".", "--format", "json")
    assert json.loads(from_inside.stdout)["counts"] == against_main["counts"]

    # A project that did not exist at BASE: everything in it is added.
    (repo / "new").mkdir()
    (repo / "new" / "smsspec.yaml").write_text(CONFIG, encoding="utf-8")
    (repo / "new" / "n.sms.yaml").write_text(SPEC, encoding="utf-8")
    fresh = json.loads(smsspec(repo, "diff", "new", "--format", "json").stdout)
    assert fresh["counts"] == {"added": 3, "removed": 0, "changed": 0, "unchanged": 0, "not compared": 0}


def test_diff_outside_git_or_against_an_unknown_base_is_exit_2(repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "plain"
    outside.mkdir()
    (outside / "smsspec.yaml").write_text(CONFIG, encoding="utf-8")
    cases = [
        (outside, ("diff",), "not inside a git work tree"),
        (repo, ("diff", "no-such-branch"), "no-such-branch: neither a path nor a commit"),
        (repo, ("diff", "--base", "no-such-branch"), "no-such-branch: not a commit, branch or tag"),
        (repo, ("diff", "--base", "--upload-pack=touch /tmp/x"), "not a commit, branch or tag"),
        (repo, ("diff", "main", "missing-folder"), "missing-folder: no such file or folder"),
    ]
    for cwd, args, said in cases:
        done = smsspec(cwd, *args)
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        assert said in done.stderr and "Traceback" not in done.stderr, (args, done.stderr)
        assert done.stdout == ""


def test_a_message_with_errors_is_not_compared_and_the_diff_still_exits_0(repo: Path) -> None:
    spec = repo / "messages" / "orders.sms.yaml"
    spec.write_text(SPEC.replace("Hi {{ name }}", "Hi {{ nickname }}"), encoding="utf-8")
    done = smsspec(repo, "diff", "--format", "json")
    assert done.returncode == 0
    report = json.loads(done.stdout)
    shipped = next(m for m in report["messages"] if m["id"] == "shipped")
    assert shipped["status"] == "not compared" and "errors in the work tree" in shipped["note"]
    assert report["errors"]["after"] >= 1


HOSTILE = "```` </script><img src=x onerror=alert(1)> | *bold* [link](https://evil.example) <!-- @team"


def _render(markdown: str) -> str:
    return MarkdownIt("commonmark", {"html": True}).enable("table").render(markdown)


def test_markdown_keeps_hostile_text_literal_in_the_table_and_the_texts(repo: Path) -> None:
    hostile_spec = f"""\
version: 1
account: sky
defaults: {{from: "60856"}}
messages:
  - id: hostile
    text: {json.dumps(HOSTILE + " {{ name }}")}
    to:
      - number: "+447400123456"
        vars: {{name: "<b>x</b> | `tick`"}}
"""
    (repo / "messages" / "hostile.sms.yaml").write_text(hostile_spec, encoding="utf-8")
    summary = repo.parent / "summary.md"
    done = smsspec(repo, "diff", "--format", "markdown", env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert done.returncode == 0, done.stderr
    assert summary.read_text(encoding="utf-8") == done.stdout + "\n"  # the job summary gets the same

    html = parse(_render(done.stdout))
    assert html.all(tag="img") == [] and html.all(tag="script") == [] and html.all(tag="b") == []
    assert html.all(tag="a") == [] and html.all(tag="em") == []
    rows = html.one(tag="tbody").all(tag="tr")
    assert [len(r.all(tag="td")) for r in rows] == [6, 6]
    assert rows[0].all(tag="td")[0].text == "hostile"
    blocks = [c.text for c in html.all(tag="code") if "language-diff" in c.attrs.get("class", "")]
    assert blocks == [f"+{HOSTILE} <b>x</b> | `tick`\n"]


def test_validate_and_plan_write_markdown_and_the_job_summary(repo: Path) -> None:
    hostile = SPEC.replace('id: steady', 'id: steady\n    sender_mask: "<img src=x> | `x`"')
    hostile = hostile.replace("Nothing changes here.", "Nothing | changes <script>here</script>.")
    (repo / "messages" / "orders.sms.yaml").write_text(hostile, encoding="utf-8")
    summary = repo.parent / "summary.md"
    env = {"GITHUB_STEP_SUMMARY": str(summary), "GITHUB_ACTIONS": "true"}

    validated = smsspec(repo, "validate", "messages", env=env)
    assert validated.returncode == 1 and validated.stdout.startswith("::error ")  # annotations as before
    assert "<img" in validated.stdout  # (a workflow command is text to GitHub)
    written = summary.read_text(encoding="utf-8")
    assert written.startswith("### smsspec validate: problems found\n")
    html = parse(_render(written))
    assert html.all(tag="img") == [] and html.all(tag="script") == []
    cells = [[td.text for td in tr.all(tag="td")] for tr in html.one(tag="tbody").all(tag="tr")]
    assert all(len(row) == 4 for row in cells)
    assert [row[2] for row in cells] == ["SKYCORE-MASK-LENGTH"]
    assert "'<img src=x> | `x`'" in cells[0][3]

    # A mask of 11 characters passes; the plan's Markdown shows it nowhere as HTML either.
    hostile = hostile.replace("<img src=x> | `x`", "<b>|`x`</b>")
    (repo / "messages" / "orders.sms.yaml").write_text(hostile, encoding="utf-8")
    summary.unlink()
    planned = smsspec(repo, "plan", "messages", "--format", "markdown", "--ledger", str(repo.parent / "l.db"), env=env)
    assert planned.returncode == 0, planned.stderr
    assert summary.read_text(encoding="utf-8") == planned.stdout + "\n"
    html = parse(_render(planned.stdout))
    rows = [[td.text for td in tr.all(tag="td")] for tr in html.one(tag="tbody").all(tag="tr")]
    assert rows == [["sky", "skycore", "4", "4", "4", "0.04 USD", "-"], ["total", "", "4", "4", "4", "0.04 USD", ""]]

    # A summary path that is not a regular file is a warning, never a hang or another exit code.
    os.mkfifo(repo.parent / "fifo")
    piped = smsspec(repo, "plan", "messages", "--ledger", str(repo.parent / "l.db"),
                    env={"GITHUB_STEP_SUMMARY": str(repo.parent / "fifo")})
    assert piped.returncode == 0 and "could not write the job summary" in piped.stderr


def test_control_characters_from_specs_are_escaped_in_every_format(repo: Path) -> None:
    spec = (repo / "messages" / "orders.sms.yaml").read_text(encoding="utf-8")
    (repo / "messages" / "orders.sms.yaml").write_text(
        spec.replace('"We will miss you."', '"We will miss you.\\e[2J\\n::error file=x::fake\\r"'), encoding="utf-8")
    for fmt in ("text", "markdown"):
        done = smsspec(repo, "diff", "--format", fmt)
        assert done.returncode == 0, done.stderr
        assert "\x1b" not in done.stdout and "\r" not in done.stdout
        assert not any(line.lstrip().startswith("::") for line in done.stdout.splitlines())
        assert "\\x1b[2J" in done.stdout
    report = json.loads(smsspec(repo, "diff", "--format", "json").stdout)
    goodbye = next(m for m in report["messages"] if m["id"] == "goodbye")
    assert goodbye["after"]["sample"]["text"] == "We will miss you.\x1b[2J\n::error file=x::fake\r"  # JSON keeps the value


def test_diff_counts_what_opt_outs_remove_each_side_with_its_own_files_and_never_creates_a_ledger(repo: Path) -> None:
    # BASE names an opt-out file that lists nobody in the specs; the work tree adds Bob to it,
    # and a new message goes to a number on the ledger's own list (counted on both sides).
    messages = repo / "messages"
    (messages / "optouts.csv").write_text("number\n+447700900999\n", encoding="utf-8")
    with (messages / "smsspec.yaml").open("a", encoding="utf-8") as config:
        config.write("opt_out: {files: [optouts.csv]}\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "an opt-out file")
    git(repo, "branch", "-f", "main")
    (messages / "optouts.csv").write_text("number\n+447700900999\n+447911123456\n", encoding="utf-8")

    first = smsspec(repo, "diff", "--format", "json")
    assert first.returncode == 0, first.stderr
    assert not (messages / ".smsspec").exists()  # diff reads a ledger, never makes one
    shipped = next(m for m in json.loads(first.stdout)["messages"] if m["id"] == "shipped")
    assert shipped["status"] == "changed" and shipped["changes"] == ["opt-outs"]
    assert (shipped["before"]["opted_out"], shipped["after"]["opted_out"]) == (0, 1)
    assert (shipped["before"]["recipients"], shipped["after"]["recipients"]) == (2, 1)

    added = smsspec(repo, "opt-out", "add", "+447700900123", "--source", "STOP reply",
                    "--config", str(messages / "smsspec.yaml"))
    assert added.returncode == 0, added.stderr
    spec = (messages / "orders.sms.yaml").read_text(encoding="utf-8")
    (messages / "orders.sms.yaml").write_text(spec + '''  - id: welcome
    text: "Welcome aboard!"
    to: ["+447400123456", "+447911123456", "+447700900123"]
''', encoding="utf-8")

    report = json.loads(smsspec(repo, "diff", "--format", "json").stdout)
    welcome = next(m for m in report["messages"] if m["id"] == "welcome")
    # Bob (the work tree's file) and +447700900123 (the ledger) are out: one recipient, one segment
    assert welcome["after"]["opted_out"] == 2
    assert (welcome["after"]["recipients"], welcome["after"]["segments"]) == (1, 1)
    assert welcome["after"]["cost"] == pytest.approx(0.01)
    assert {r["recipient"] for r in (welcome["after"]["sample"], welcome["after"]["worst"]) if r} == {"+447400123456"}
    assert report["totals"]["before"]["opted_out"] == 0
    assert report["totals"]["after"]["opted_out"] == 3  # shipped's Bob, welcome's two
    assert report["totals"]["after"]["recipients"] == 1 + 1 + 1 + 1  # shipped, goodbye, steady, welcome

    lines = smsspec(repo, "diff").stdout.splitlines()
    assert "~ changed shipped sky (skycore), sender 60856: opt-outs" in lines
    assert "    recipients 2 -> 1, segments 2 -> 1, cost 0.02 USD -> 0.01 USD, opted out 0 -> 1" in lines
    assert "    recipients 1, segments 1, cost 0.01 USD, opted out 2" in lines
    assert lines[-1] == "total: recipients 4, segments 4, cost 0.04 USD, opted out 0 -> 3"

    html = parse(_render(smsspec(repo, "diff", "--format", "markdown").stdout))
    header = [c.text for c in html.one(tag="thead").all(tag="th")]
    assert header[-1] == "opted out"
    cells = {r.all(tag="td")[0].text: r.all(tag="td")[-1].text for r in html.one(tag="tbody").all(tag="tr")}
    assert cells["shipped"] == "0 → 1" and cells["welcome"] == "2" and cells["total"] == "0 → 3"
