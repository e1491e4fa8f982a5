"""Provider-side personalisation (issue 15): inwise fills `#field#` placeholders from `field_vars`
(002_a95422e87021d54b.txt, Example 4), so a text of plain `{{ name }}` substitutions goes to many recipients
in one request instead of one request per distinct text. Every recipient receives the same text either way."""

from __future__ import annotations

import json

from smsspec.sandbox import Sandbox
from tests.e2e.send_helpers import Project, account_name, received, run_cli

PEOPLE = {"+972502345678": "Ann", "+972502345679": "Bob", "+972502345680": "Chava #1", "+972502345681": "Dan"}


def spec_for(project: Project, text: str) -> str:
    to = [{"number": n, "vars": {"name": name}} for n, name in PEOPLE.items()]
    message = {"id": "greet", "account": account_name("inwise"), "text": text, "vars": {"shop": "Acme"}, "to": to}
    return str(project.spec("greet", [message]))


def test_plain_substitutions_go_as_inwise_placeholders_in_one_request(project: Project, sandbox: Sandbox) -> None:
    """Example 4: content "Hi #field1#, ..." with field_vars [{"rcpt": ..., "fields": [{"name": "field1",
    "content": "Hi", "type": "string"}]}]. A value holding `#` is not sent as a field (inwise's page does not
    say whether it would be filled again), so that recipient's text is rendered by smsspec as before."""
    spec = spec_for(project, "Hi {{ name }}, {{ shop }} has a gift for {{ name }}.")

    shown = json.loads(run_cli(["render", spec, "--format", "json"]).stdout)
    out = run_cli(["send", spec, "--format", "json"])

    assert out.code == 0, out.stdout + out.stderr
    personal = [json.loads(r["body"])["message"] for r in shown if "field_vars" in r["body"]]
    assert len(personal) == 1 and personal[0]["content"] == "Hi #name#, #shop# has a gift for #name#."
    assert len(personal[0]["field_vars"]) == 3
    assert len(shown) == 2  # Ann, Bob and Dan share one request; "Chava #1" gets her own text
    texts = {m["recipient"].replace("-", ""): m["text"] for m in sandbox.messages()}
    assert texts == {n.lstrip("+"): f"Hi {name}, Acme has a gift for {name}." for n, name in PEOPLE.items()}
    assert received(sandbox, "inwise") == 2


def test_texts_beyond_plain_substitution_are_rendered_by_smsspec_and_received_the_same(
    project: Project, sandbox: Sandbox
) -> None:
    """Only `{{ name }}` substitutions map onto inwise's placeholders; a filter is rendered locally, one
    request per distinct text, as before."""
    spec = spec_for(project, "Hi {{ name|upper }}!")

    out = run_cli(["send", spec, "--format", "json"])

    assert out.code == 0, out.stdout + out.stderr
    texts = {m["recipient"].replace("-", ""): m["text"] for m in sandbox.messages()}
    assert texts == {n.lstrip("+"): f"Hi {name.upper()}!" for n, name in PEOPLE.items()}
    assert received(sandbox, "inwise") == 4


def test_per_recipient_checks_are_unchanged_for_personalised_texts(project: Project) -> None:
    """Issue 15: "keep every per-recipient check (segments, budgets, undefined variables) exactly as now"."""
    to = [{"number": "+972502345678", "vars": {"name": "Ann"}}, {"number": "+972502345679", "vars": {"name": "B" * 200}},
          {"number": "+972502345680"}]
    message = {"id": "greet", "account": account_name("inwise"), "text": "Hi {{ name }}", "max_segments": 1, "to": to}
    spec = str(project.spec("greet", [message]))

    out = run_cli(["validate", spec, "--format", "json"])

    found = sorted((d["rule"], d["message"].split(" for ")[-1][:13] if d["rule"] == "TEXT-SEGMENTS" else "")
                   for d in json.loads(out.stdout)["diagnostics"])
    assert out.code == 1
    assert [rule for rule, _ in found] == ["TEXT-SEGMENTS", "TEXT-UNDEFINED-VAR"]
    assert "+972502345679" in json.dumps(json.loads(out.stdout))
    plan = run_cli(["plan", str(project.spec("ok", [{**message, "id": "ok", "max_segments": 2, "to": to[:2]}])), "--format", "json"])
    assert plan.json()["totals"] == {**plan.json()["totals"], "requests": 1, "recipients": 2, "segments": 3}
