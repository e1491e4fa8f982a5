"""Every rule smsspec knows: stable id, default severity, what it means and how to fix it.

Core rules live here; each provider's own rules live in its schema file under
``x-smsspec.rules`` and are merged in by :func:`all_rules`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from smsspec.diagnostics import Severity
from smsspec.providers import registry


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    summary: str
    fix: str
    example: str = ""  # a snippet that triggers the rule
    provider: str | None = None


def _r(id: str, severity: str, summary: str, fix: str, example: str = "") -> Rule:
    return Rule(id, Severity(severity), summary, fix, example)


CORE_RULES: tuple[Rule, ...] = (
    # Files and YAML
    _r("FILE-UNREADABLE", "error", "The file cannot be read (missing, a directory, a broken link or no permission).", "Check the path.", "# welcome.sms.yaml is a symbolic link whose target was deleted,\n# or a file without read permission"),
    _r("FILE-TOO-LARGE", "error", "The file is larger than smsspec reads (8 MiB).", "Split the file, or keep large recipient lists in a recipients file.", "# a 9 MiB spec file, e.g. 100,000 recipients written inline"),
    _r("SPEC-FILE-NAME", "warning", "A YAML file in a searched folder has a spec's top-level `messages:` but is not named *.sms.yaml, so it was not checked.", "Rename it to NAME.sms.yaml, or name it on the command line.", "# messages/shop.yaml (not shop.sms.yaml), holding:\nversion: 1\nmessages: []"),
    _r("YAML-SYNTAX", "error", "The file is not valid YAML.", "Fix the syntax at the position shown.", "messages:\n\t- id: x   # a tab indents"),
    _r("YAML-ENCODING", "error", "The file is not UTF-8 text, or holds characters YAML forbids (such as NUL).", "Save the file as UTF-8 and remove control characters.", "# the file saved as UTF-16 or Windows-1252, or holding a NUL byte"),
    _r("YAML-EMPTY", "error", "The file has no YAML content.", "Write `version: 1` and the rest of the file.", "# nothing but comments"),
    _r("YAML-MULTI-DOC", "error", "The file holds more than one YAML document (`---`).", "Keep one document per file.", "version: 1\nmessages: []\n---\nversion: 1\nmessages: []"),
    _r("YAML-DUPLICATE-KEY", "error", "A key appears twice in one mapping; YAML loaders silently keep the last one.", "Remove or rename one of the two keys.", "from: \"60856\"\nfrom: \"60857\""),
    _r("YAML-TAG", "error", "A YAML tag (`!!python/object`, `!custom`) that smsspec does not accept.", "Remove the tag; specs hold plain strings, numbers, lists and mappings.", "text: !!python/object/apply:os.system [\"echo hi\"]"),
    _r("YAML-ALIAS-LIMIT", "error", "Too many YAML aliases; documents that expand aliases into huge data are refused.", "Write the values out instead of using many aliases.", "vars:\n  a: &a [x, x, x, x, x, x, x, x, x, x]\n  b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n  c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n  # ... and so on, more than 100 aliases"),
    _r("YAML-NESTING", "error", "The YAML is nested deeper than smsspec accepts.", "Flatten the structure; specs are a few levels deep.", "vars:\n  deep: [[[[[[[[[[[[ ... ]]]]]]]]]]]]  # more than 64 levels"),
    _r("YAML-KEY-TYPE", "error", "A mapping key that is not a string.", "Quote the key.", "1: value"),
    _r("YAML-NUMBER-AS-STRING", "error", "An unquoted number where text is expected, or a variable (`vars`) that YAML reads as a number that shows differently in the text: leading zeros, a leading +, trailing zeros after the point, octal (`012345` is 5349), hexadecimal and base 60 (`12:30` is 750).", "Quote the value: `from: \"00000\"`, `code: \"012345\"` (`smsspec fix` does it).", "from: 00000"),
    _r("YAML-BOOLEAN", "error", "An unquoted yes/no/on/off/true/false where text is expected, or a yes/no/on/off variable (`vars`), which the text would show as True or False; YAML reads it as a boolean.", "Quote the value: `sender_mask: \"NO\"` (`smsspec fix` does it).", "sender_mask: NO"),
    _r("YAML-CURLY-QUOTES", "error", "A value written between typographic quotes (“…”, ‘…’, „…“); YAML quotes only with ' and \", so the curly quotes are part of the value and would be sent.", "Write straight quotes: `text: \"Your code is ready.\"` (`smsspec fix` does it).", "text: “Your code is ready.”"),
    _r("YAML-NULL", "error", "An empty or null value where a value is expected.", "Write the value, or remove the key.", "from:"),
    # Spec and config shape
    _r("SPEC-UNKNOWN-FIELD", "error", "A field smsspec does not know; it would be ignored.", "Fix the spelling (see the suggestion) or remove the field.", "sender_msak: Acme"),
    _r("SPEC-TYPE", "error", "A field has the wrong type.", "Write the value with the type shown.", "tags: shipping"),
    _r("SPEC-REQUIRED", "error", "A required field is missing.", "Add the field.", "version: 1\naccount: sendmachine\nmessages:\n  - id: welcome\n    text: Welcome!\n    # no `to:` list"),
    _r("SPEC-VALUE", "error", "A field's value is not one of the accepted values.", "Use one of the values shown.", "type: marketing"),
    _r("SPEC-VERSION", "error", "The file's `version` is missing or not 1.", "Write `version: 1`.", "version: 2\naccount: sendmachine\nmessages:\n  - id: welcome\n    text: Welcome!\n    to: [\"+447400123456\"]"),
    _r("SPEC-BAD-ID", "error", "A message id must be lowercase letters, digits, `-` and `_`, starting with a letter or digit.", "Rename the message: `id: order-shipped`.", "id: Order Shipped"),
    _r("SPEC-DUPLICATE-ID", "error", "Two messages share an id; the id is the message's identity in the send ledger.", "Give each message its own id.", "version: 1\naccount: sendmachine\nmessages:\n  - id: welcome\n    text: Hi\n    to: [\"+447400123456\"]\n  - id: welcome\n    text: Hello\n    to: [\"+447911123456\"]"),
    _r("SPEC-UNKNOWN-ACCOUNT", "error", "The message names an account that smsspec.yaml does not define.", "Use an account from smsspec.yaml (see the suggestion) or add it there.", "account: skycor-prod"),
    _r("SPEC-NO-ACCOUNT", "error", "The message has no account: neither the message nor the file names one.", "Add `account:` at the top of the file or on the message.", "version: 1\nmessages:  # no `account:` on the file or on the message\n  - id: welcome\n    text: Welcome!\n    to: [\"+447400123456\"]"),
    _r("SPEC-SEND-AT", "error", "`send_at` must be an ISO 8601 date and time with a UTC offset; a naive time means different things on different machines.", "Write the offset: `send_at: \"2026-12-01T10:00:00+02:00\"`.", "send_at: \"2026-12-01 10:00\""),
    _r("SPEC-SEND-AT-PAST", "warning", "`send_at` is in the past: `send` does not wait, it sends the message at once, without `send_at` (`--late skip` holds it back instead).", "Change the time, or remove `send_at`; for messages kept only as a record of what was sent, turn the rule off in smsspec.yaml (`SPEC-SEND-AT-PAST: off`).", "send_at: \"2001-05-01T10:00:00+02:00\""),
    _r("CONFIG-NOT-FOUND", "error", "No smsspec.yaml was found in the spec's folder or any folder above it.", "Create smsspec.yaml next to your specs, or pass --config.", "# messages/welcome.sms.yaml, with no smsspec.yaml in messages/\n# or in any folder above it"),
    _r("CONFIG-UNKNOWN-PROVIDER", "error", "The account names a provider smsspec does not know.", "Use one of `smsspec providers`.", "accounts:\n  prod:\n    provider: skycorp"),
    _r("CONFIG-ENDPOINT-REQUIRED", "error", "The provider has no fixed public URL, so the account needs `endpoint`.", "Add `endpoint: https://...` from your provider account.", "accounts:\n  prod:  # no endpoint: Skycore has no fixed public URL\n    provider: skycore\n    credentials:\n      api_key: ${SKYCORE_API_KEY}"),
    _r("CONFIG-ENDPOINT", "error", "The endpoint cannot be the URL meant: it holds an unexpanded ${VAR}, has no host, or has a bad port.", "Write the endpoint out in full, e.g. `https://api.example.net/sms/send`.", "accounts:\n  prod:\n    provider: inwise\n    endpoint: https://api.example.net:${PORT}/sms/send"),
    _r("CONFIG-INSECURE-HTTP", "error", "An http:// endpoint sends credentials and messages unencrypted (a warning for a server on this machine).", "Use https://, or set `allow_insecure_http: true` on the account for a test server you control.", "accounts:\n  prod:\n    provider: inwise\n    endpoint: http://api.example.net/sms/send"),
    _r("CONFIG-CREDENTIAL", "error", "A credential the provider needs is missing, or one it does not use is given.", "Give exactly the credentials listed by `smsspec providers show ID`.", "accounts:\n  prod:\n    provider: sendmachine\n    credentials:  # Sendmachine also needs `username`\n      api_key: ${SENDMACHINE_API_KEY}"),
    _r("CONFIG-SETTING", "error", "An account setting is unknown or has the wrong type for its provider.", "Use the settings listed by `smsspec providers show ID`.", "accounts:\n  prod:\n    provider: skycore\n    endpoint: https://api.example.net/skycore/send\n    credentials:\n      api_key: ${SKYCORE_API_KEY}\n    settings:\n      enforce_campaign_chek: true"),
    _r("SECRET-LITERAL", "error", "A credential is written in the file instead of referenced from the environment.", "Write `${ENV_VAR}` and set the variable where `smsspec send` runs; rotate the exposed secret.", "accounts:\n  prod:\n    provider: skycore\n    endpoint: https://api.example.net/skycore/send\n    credentials:\n      api_key: sk_live_abc123"),
    # Phone numbers
    _r("PHONE-FORMAT", "error", "A phone number is not in E.164 (`+` and the country code, digits only).", "Write it as \"+15551234888\".", "to: [\"+44 7400 123456\"]"),
    _r("PHONE-IMPOSSIBLE", "error", "The number cannot exist: wrong length or an unknown country code.", "Check the digits and the country code.", "to: [\"+4474\"]"),
    _r("PHONE-INVALID", "warning", "The number has a possible length, but is not in a range known to be assigned.", "Check the number; if it is right, suppress the warning.", "to: [\"+447700900123\"]"),
    _r("PHONE-DUPLICATE", "error", "A recipient is listed twice in one message.", "Remove the second entry.", "to: [\"+447400123456\", \"+447400123456\"]"),
    _r("RECIPIENTS-FILE", "error", "A recipients file cannot be read, or a row of it is broken (missing column, wrong field count, bad JSON).", "Fix the file at the row and column shown; CSV needs a header row naming the number column.", "to: {file: missing.csv, number: phone}"),
    # Who must not get it
    _r("RECIPIENT-OPTED-OUT", "warning", "A recipient is on an opt-out file named in smsspec.yaml (`opt_out: files:`). `send` skips opted-out numbers whatever this rule's level; make it an error in `rules:` to block sending until the spec is cleaned up.", "Remove the recipient from the message, or set `RECIPIENT-OPTED-OUT: error` under `rules:` to make such specs fail.", "# smsspec.yaml: opt_out: {files: [optouts.csv]}, and optouts.csv holds +447400123456\nto: [\"+447400123456\"]"),
    _r("OPT-OUT-FILE", "error", "An opt-out file named in smsspec.yaml cannot be read, or a line of it is not a phone number with its country code; nothing is sent until it can be read, since it could hold anyone.", "Fix the file at the line shown: one number a line (+447400123456 or 00447400123456), or CSV with a `number` column.", "# smsspec.yaml: opt_out: {files: [optouts.csv]}, and optouts.csv holds\n+447400123456\n07400 123456   # no country code"),
    _r("QUIET-HOURS", "warning", "A scheduled message falls inside a recipient's quiet hours (`quiet_hours:` in smsspec.yaml), in the recipient's local time; a number whose prefix spans several zones counts in each. `send` holds such recipients until the window opens.", "Move `send_at` to a time allowed in every recipient's zone, or split the message by region.", "# smsspec.yaml: quiet_hours: {from: \"21:00\", to: \"08:00\", types: [campaign]}\ntype: campaign\nsend_at: \"2026-12-01T20:30:00Z\"   # 22:30 in Bucharest\nto: [\"+40722123456\"]"),
    # Text
    _r("TEXT-EMPTY", "error", "The text is empty (for some recipient, once rendered).", "Write the text, or check the variables it uses.", "text: \"\""),
    _r("TEXT-TEMPLATE", "error", "The text is not a valid template.", "Fix the Jinja syntax: `{{ name }}` for a variable.", "text: \"Hi {{ name\""),
    _r("TEXT-UNDEFINED-VAR", "error", "The text uses a variable that some recipient does not have.", "Add the variable to the message's `vars` or to each recipient's `vars`, or give a default: `{{ name | default('there') }}`.", "text: \"Hi {{ name }}\"  # and no `name` in vars"),
    _r("TEXT-EMPTY-VAR", "warning", "A variable the text shows is empty for some recipient (an empty CSV cell), so the text reads `Hi , you have ...`.", "Fill in the value, or give a default for empty values: `{{ first_name | default('there', true) }}`.", "text: \"Hi {{ first_name }}, you have {{ points }} points.\"\nto:\n  - number: \"+447400123456\"\n    vars: {first_name: \"\", points: \"35\"}"),
    _r("TEXT-PLACEHOLDER", "warning", "The text holds `{name}` (one pair of braces) or `#name#`, which look like variables but are sent as written.", "Write the variable as `{{ name }}`.", "text: \"Hi {name}, your code is #field1#\""),
    _r("TEXT-UNSAFE", "error", "The template tried something the sandbox forbids (internal attributes, unsafe calls).", "Use plain variables and filters in message texts.", "text: \"{{ ''.__class__.__mro__ }}\""),
    _r("TEXT-RENDER-LIMIT", "error", "Rendering the text took too long or produced too much output.", "Simplify the template.", "text: \"{{ 'Ha' * 20000 }}\""),
    _r("TEXT-CHARACTER", "error", "The text holds a character that cannot be sent (a lone surrogate).", "Remove the character.", "# a recipients file (JSON Lines) whose text variable holds a lone surrogate:\n# {\"number\": \"+447400123456\", \"name\": \"\\ud800\"}"),
    _r("TEXT-SEGMENTS", "error", "A recipient's text needs more segments than the `max_segments` budget.", "Shorten the text or raise `max_segments`.", "max_segments: 1\ntext: \"Your code is 123456. It expires in 10 minutes. Never share it: our staff will never ask for it — ignore such calls.\""),
    _r("TEXT-GSM-LOOKALIKE", "warning", "Characters with a GSM-7 look-alike (curly quotes, en dash, no-break space) force the whole text into UCS-2, which costs more segments.", "Replace them with the suggested characters (`smsspec fix` can do it).", "text: \"It’s here\""),
    # Suppressions (`# smsspec: disable=RULE-ID -- reason`)
    _r("SUPPRESSION-SYNTAX", "error", "A `# smsspec:` comment that is not a suppression smsspec can read, or one on a line of its own; it suppresses nothing.", "Write `# smsspec: disable=RULE-ID -- reason` at the end of the line it is for, or of the message's first line for the whole message.", "text: \"It’s here\"  # smsspec: ignore TEXT-GSM-LOOKALIKE"),
    _r("SUPPRESSION-REASON", "error", "A suppression without a reason after `--`; it suppresses nothing.", "Say why the finding is acceptable: `# smsspec: disable=TEXT-GSM-LOOKALIKE -- the brand name has a curly quote`.", "text: \"It’s here\"  # smsspec: disable=TEXT-GSM-LOOKALIKE"),
    _r("SUPPRESSION-UNKNOWN-RULE", "warning", "A suppression names a rule that does not exist, or one that cannot be suppressed in a file.", "Fix the rule id (see the suggestion and `smsspec rules`); change project-wide rules in the `rules:` section of smsspec.yaml.", "text: \"It’s here\"  # smsspec: disable=TEXT-GSM-LOOKALIKES -- the brand name has a curly quote"),
    _r("SUPPRESSION-UNUSED", "warning", "A suppression names a rule that is not reported where it applies, so it hides nothing and may hide a future problem.", "Remove the rule from the suppression, or the whole comment.", "text: \"Its here\"  # smsspec: disable=TEXT-GSM-LOOKALIKE -- the brand name has a curly quote"),
    # Providers
    _r("PROVIDER-UNSUPPORTED-FIELD", "error", "The provider has no such field; its value would be silently dropped.", "Remove the field, or send through a provider that supports it.", "account: inwise\ncampaign: spring-sale"),
    _r("PROVIDER-REQUIRED", "error", "The provider needs this field.", "Add the field.", "account: skycore-xml  # and no `from:`"),
    _r("PROVIDER-OPTION", "error", "An unknown or wrongly typed provider option.", "Use the options listed by `smsspec providers show ID`.", "account: inwise\noptions:\n  charest: unicode"),
    _r("PROVIDER-VALUE", "error", "A value the provider does not accept.", "Change the value as the message says.", "account: inwise\noptions:\n  async: \"yes\""),
)


def all_rules() -> Mapping[str, Rule]:
    rules = {rule.id: rule for rule in CORE_RULES}
    for provider in registry.registry().values():
        for rule_id, info in provider.rules.items():
            rules.setdefault(
                rule_id,
                Rule(
                    rule_id,
                    Severity(info.get("severity", "error")),
                    info.get("summary", ""),
                    info.get("fix", ""),
                    info.get("example", ""),
                    provider.id,
                ),
            )
    return rules
