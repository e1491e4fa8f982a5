"""Provider rules as the providers' own documentation states them, no broader (issue 15).

Each test names the page and the sentence it follows. Files are under /work/shared/provider-docs
(their public addresses are in that folder's README).
"""

from __future__ import annotations

import json
from typing import Any

from tests.e2e.send_helpers import Project, run_cli


def diagnostics(project: Project, provider: str, *extra: str, **changes: Any) -> tuple[int, list[dict[str, Any]]]:
    spec = project.provider_spec(provider, **changes)
    out = run_cli(["validate", str(spec), "--format", "json", *extra])
    assert out.code in (0, 1), out.stdout + out.stderr
    data = json.loads(out.stdout)
    found = data["diagnostics"] if isinstance(data, dict) else data
    return out.code, found


def rules(found: list[dict[str, Any]]) -> list[str]:
    return sorted(d["rule"] for d in found)


def test_sendmachine_local_variables_named_like_its_reserved_macros_are_fine(project: Project) -> None:
    """001_9b905a786e07397a.txt: "Reserved macros: date, year, unsub_link" concerns the `macros` of a
    personalization. smsspec renders texts itself and sends no macros to Sendmachine (its page gives no
    placeholder syntax), so a template variable named `date` never reaches Sendmachine as a macro."""
    code, found = diagnostics(
        project, "sendmachine", "--strict", text="Offer ends {{ date }} ({{ year }}) {{ unsub_link }}",
        vars={"date": "Friday", "year": "2026", "unsub_link": "example.com/u"},
    )

    assert (code, found) == (0, [])


def test_whatcounts_sender_code_may_be_an_alphanumeric_id(project: Project) -> None:
    """WhatCounts "SMS at a Glance": "A Sender Code is either a standard US phone number or an alpha-numeric
    ID"; 004_3ab2735251f84056.txt: "A Sender Code is either a short code or number"."""
    assert diagnostics(project, "whatcounts", "--strict", **{"from": "AcmeShop"}) == (0, [])
    assert diagnostics(project, "whatcounts", "--strict", **{"from": "120162701555"}) == (0, [])
    code, found = diagnostics(project, "whatcounts", **{"from": "Acme Shop!"})
    assert (code, rules(found)) == (1, ["WHATCOUNTS-SENDER-FORMAT"])
    assert "letters and digits" in found[0]["message"]


def test_whatcounts_limit_is_160_characters_and_nothing_is_said_about_concatenation(project: Project) -> None:
    """004_3ab2735251f84056.txt: "The message to send, limited to 160 characters." The page never says the
    text is not concatenated, and "SMS at a Glance" says "Emojis are supported": a 100-character UCS-2 text is
    within the limit and gets no warning; 161 characters is an error that claims only the limit."""
    text = "Grüße ☺ " + "x" * 92
    assert len(text) == 100
    assert diagnostics(project, "whatcounts", "--strict", text=text) == (0, [])

    code, found = diagnostics(project, "whatcounts", text="y" * 161)
    assert (code, rules(found)) == (1, ["WHATCOUNTS-TEXT-LENGTH"])
    assert "concatenat" not in found[0]["message"]
    out = run_cli(["rules", "explain", "WHATCOUNTS-TEXT-LENGTH"])
    assert "160" in out.stdout and "concatenat" not in out.stdout


def test_skycore_mask_warning_is_for_numbers_in_the_usa_not_canada(project: Project) -> None:
    """000_8c4a62cb9c375efd.txt, from-mask: "Only carriers in certain countries allow Alphanumeric senders. Not
    supported in the USA." +1 is shared by the USA, Canada and others: the number's region decides."""
    canada = ["+14165550123", "+16042223333"]
    assert diagnostics(project, "skycore", "--strict", sender_mask="Acme", to=canada) == (0, [])

    code, found = diagnostics(project, "skycore", "--strict", sender_mask="Acme", to=[*canada, "+12015550123"])
    assert (code, rules(found)) == (1, ["SKYCORE-MASK-USA"])
    assert found[0]["severity"] == "warning"
    assert "+12015550123" in found[0]["message"] and "+1416" not in found[0]["message"]


def test_inwise_refuses_numbers_its_documentation_does_not_show_how_to_write(project: Project) -> None:
    """002_a95422e87021d54b.txt writes every number as Israel's "972-54-1111111" and says nothing of other
    countries; smsspec does not invent a form for them (it used to send "1-206-5551212"): each such recipient
    is an error that says why, located at the recipient, and nothing is rendered or sent."""
    code, found = diagnostics(project, "inwise", to=["+972502345678", "+12065551212", "+447400123456"])

    assert (code, rules(found)) == (1, ["INWISE-NUMBER-COUNTRY", "INWISE-NUMBER-COUNTRY"])
    text = " ".join(d["message"] for d in found)
    assert "+12065551212" in text and "+447400123456" in text and "972-54-1111111" in text
    assert "+972502345678" not in text
    render = run_cli(["render", str(project.root / "inwise-hello.sms.yaml")])
    assert render.code == 1


def test_providers_show_names_the_source_of_each_rule_and_setting() -> None:
    """Issue 15, "Done when": `providers show ID` names the source of each rule and setting. The descriptor
    schema requires a `source` on every provider rule and an `x-source` on every provider setting."""
    from smsspec.load.config import COMMON_SETTINGS
    from smsspec.providers import registry

    for provider in registry.registry().values():
        shown = run_cli(["providers", "show", provider.id]).stdout
        settings = [name for name in provider.settings_schema.get("properties", {}) if name not in COMMON_SETTINGS]
        for name in [*provider.rules, *settings]:
            block = shown.split(f"\n  {name} ", 1)[1].split("\n  ", 2)
            assert block[1].startswith("  source: "), (provider.id, name, block)
            assert len(block[1]) > len("  source: ") + 10
