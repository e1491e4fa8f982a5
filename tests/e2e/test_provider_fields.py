"""Fields a provider cannot carry: one policy (issue 15, "Silent changes").

Written on the message, such a field is a diagnostic (PROVIDER-UNSUPPORTED-FIELD); inherited from
`defaults`, it is not applied to that provider, and `render -v` says so; `null` on a message unsets a
default.
"""

from __future__ import annotations

import json
from typing import Any

from tests.e2e.send_helpers import Project, account_name, run_cli

DEFAULTS = {"from": "60856", "tags": ["spring"], "type": "campaign", "campaign": "spring-26"}
TO = {"skycore": ["+447400123456"], "sendmachine": ["+40712034567"], "inwise": ["+972502345678"],
      "whatcounts": ["+12065551212"], "skycore-xml": ["+12015550123"]}


def write(project: Project, messages: list[dict[str, Any]], defaults: dict[str, Any] | None = None) -> str:
    path = project.root / "fields.sms.yaml"
    document = {"version": 1, "defaults": DEFAULTS if defaults is None else defaults, "messages": messages}
    path.write_text(json.dumps(document, indent=1), encoding="utf-8")
    return str(path)


def message(provider: str, **fields: Any) -> dict[str, Any]:
    return {"id": provider, "account": account_name(provider), "text": "Hi", "to": TO[provider], **fields}


def bodies(out: str) -> dict[str, Any]:
    return {r["provider"]: r["body"] for r in json.loads(out)}


def test_defaults_a_provider_cannot_carry_are_not_applied_to_it_and_render_v_says_so(project: Project) -> None:
    """002_a95422e87021d54b.txt has no sender and no message type; 001_9b905a786e07397a.txt takes the sender
    from the account and has no tags; WhatCounts' command (004_3ab2735251f84056.txt) has no tags, type or
    campaign. A file's defaults serve every message, so what one provider cannot carry is left out for it
    (it used to break every Sendmachine and inwise message with `defaults: {from: "60856"}`)."""
    spec = write(project, [message("sendmachine"), message("inwise"), message("skycore"),
                           message("whatcounts", **{"from": "120162701555"})],
                 {"from": "60856", "tags": ["spring"], "type": "campaign"})

    checked = run_cli(["validate", spec, "--strict"])
    assert checked.code == 0, checked.stdout + checked.stderr
    out = run_cli(["render", spec, "--format", "json", "-v"])

    assert out.code == 0, out.stdout + out.stderr
    sent = bodies(out.stdout)
    assert json.loads(sent["sendmachine"])["message_type"] == "campaign"
    assert "from" not in json.loads(sent["sendmachine"]) and "tags" not in sent["sendmachine"]
    assert json.loads(sent["inwise"])["message"]["tags"] == ["spring"]
    assert json.loads(sent["skycore"])["from"] == "60856" and "spring" not in sent["skycore"]
    notes = out.stderr
    assert "message 'sendmachine' (sendmachine): defaults not applied: from, tags" in notes
    assert "message 'inwise' (inwise): defaults not applied: from (" in notes
    assert "message 'skycore' (skycore): defaults not applied: tags" in notes
    assert "message 'whatcounts' (whatcounts): defaults not applied: tags" in notes
    assert "not applied" not in run_cli(["render", spec, "--format", "json"]).stderr


def test_a_field_written_on_the_message_that_the_provider_cannot_carry_is_an_error(project: Project) -> None:
    """000_8c4a62cb9c375efd.txt lists Skycore's fields (no tags); written on the message, tags were dropped
    without a word. `type` is not such a field: smsspec's own quiet hours read it for every provider."""
    spec = write(project, [message("skycore", **{"from": "60856"}, tags=["x"], type="transactional"),
                           message("inwise", type="transactional")], {})

    out = run_cli(["validate", spec, "--format", "json"])

    assert out.code == 1
    found = sorted((d["message_id"], d["rule"], d["message"].split("`")[1]) for d in json.loads(out.stdout)["diagnostics"])
    assert found == [("skycore", "PROVIDER-UNSUPPORTED-FIELD", "tags")]


def test_null_on_a_message_unsets_a_default_and_is_still_an_error_without_one(project: Project) -> None:
    """Issue 15: "there is no way to unset a default". `campaign: null` on a message removes the file's
    default campaign for that message only; an empty field with no default to unset stays YAML-NULL."""
    spec = write(project, [message("skycore", id="plain", campaign=None), message("skycore", id="tagged")],
                 {"from": "60856", "campaign": "spring-26"})

    out = run_cli(["render", spec, "--format", "json"])

    assert out.code == 0, out.stdout + out.stderr
    payloads = {r["message"]: json.loads(r["body"]) for r in json.loads(out.stdout)}
    assert "campaign-ref" not in payloads["plain"]
    assert payloads["tagged"]["campaign-ref"] == "spring-26"
    bad = write(project, [message("skycore", **{"from": "60856"}, campaign=None)], {})
    found = json.loads(run_cli(["validate", bad, "--format", "json"]).stdout)["diagnostics"]
    assert [d["rule"] for d in found] == ["YAML-NULL"]


def test_inwise_async_false_with_send_at_is_refused_not_sent_as_async(project: Project) -> None:
    """002_a95422e87021d54b.txt: synchronous is the default mode; "Or asynchronously - in this case you will
    only get the "queued" response and sending will be done later with a background service", and every
    example with `send_at` sends `"async": true`. `async: false` with `send_at` was sent as true in silence."""
    spec = write(project, [message("inwise", send_at="2030-01-20T13:05:00+02:00", options={"async": False})], {})

    out = run_cli(["validate", spec, "--format", "json"])

    assert out.code == 1
    [found] = json.loads(out.stdout)["diagnostics"]
    assert found["rule"] == "INWISE-SCHEDULE-ASYNC" and "async" in found["message"]
    ok = write(project, [message("inwise", send_at="2030-01-20T13:05:00+02:00", options={"async": True})], {})
    assert run_cli(["validate", ok, "--strict"]).code == 0


def test_inwise_batch_size_is_an_account_setting_with_a_default_of_100(project: Project) -> None:
    """002_a95422e87021d54b.txt gives no per-request cap (its `to` is a list). One request for 3,000 recipients
    would leave all 3,000 unknown after one timeout; smsspec sends at most `batch_size` (default 100) per
    request, an account setting (descriptor `per_request_setting`)."""
    numbers = [f"+9725023{n:05d}" for n in range(250)]
    spec = write(project, [message("inwise", to=numbers)], {})

    out = run_cli(["render", spec, "--format", "json"])

    assert [len(r["recipients"]) for r in json.loads(out.stdout)] == [100, 100, 50]
    config = project.config.read_text(encoding="utf-8").replace(
        "  inwise-acct:\n", "  inwise-acct:\n    settings:\n      batch_size: 1000\n")
    project.config.write_text(config, encoding="utf-8")
    out = run_cli(["render", spec, "--format", "json"])
    assert [len(r["recipients"]) for r in json.loads(out.stdout)] == [250]
    shown = run_cli(["providers", "show", "inwise"]).stdout
    assert "batch_size" in shown and "at most 100 by default" in shown


def test_inwise_unsubscribe_text_is_counted_in_segments_budget_plan_and_cost(project: Project) -> None:
    """002_a95422e87021d54b.txt, Example 2: `unsubscribe_text: "Click to unsubscribe: "` with
    `add_unsubscribe_link` / `add_unsubscribe_sms_reply`: inwise adds that text to what the recipient receives,
    so a 150-character text no longer fits one segment. The page does not say what the link or the reply
    instructions look like: smsspec counts the text it knows and says, as a warning, that the rest is not
    counted."""
    options = {"unsubscribe_text": "Click to unsubscribe: ", "add_unsubscribe_link": True}
    text = "x" * 150
    spec = write(project, [message("inwise", text=text, max_segments=1, options=options)], {})

    out = run_cli(["validate", spec, "--format", "json"])

    assert out.code == 1
    found = sorted((d["rule"], d["severity"]) for d in json.loads(out.stdout)["diagnostics"])
    assert found == [("INWISE-UNSUBSCRIBE-UNCOUNTED", "warning"), ("TEXT-SEGMENTS", "error")]
    fits = write(project, [message("inwise", text=text, options=options)], {})
    plan = run_cli(["plan", fits, "--format", "json"])
    assert plan.json()["totals"]["segments"] == 2, plan.stdout
    shown = json.loads(run_cli(["render", fits, "--format", "json"]).stdout)
    assert json.loads(shown[0]["body"])["message"]["content"] == text  # inwise appends; smsspec does not
    plain = write(project, [message("inwise", text=text, max_segments=1, options={"unsubscribe_text": "Bye: "})], {})
    assert run_cli(["validate", plain, "--strict"]).code == 0  # without a link or reply, nothing is added


def test_a_literal_inwise_placeholder_in_a_text_is_a_warning(project: Project) -> None:
    """002_a95422e87021d54b.txt, Example 4: inwise personalises `#field1#` in the content from `field_vars`.
    smsspec renders texts itself and sends no field_vars, so a `#name#` left in a text would reach inwise as a
    placeholder with no value: a warning, at the text."""
    spec = write(project, [message("inwise", text="Hi #field1#, your parcel is on its way")], {})

    out = run_cli(["validate", spec, "--format", "json"])

    [found] = json.loads(out.stdout)["diagnostics"]
    assert (out.code, found["rule"], found["severity"]) == (0, "INWISE-PLACEHOLDER", "warning")
    assert "#field1#" in found["message"]
    assert run_cli(["validate", write(project, [message("inwise", text="Order #12 is # 1")], {}), "--strict"]).code == 0
