"""Every rule smsspec knows: stable id, default severity, what it means and how to fix it.

Core rules live here; each provider's own rules live in its schema file under
``x-smsspec.rules`` and are merged in by :func:`all_rules`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from smsspec import providers
from smsspec.diagnostics import Severity


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
    _r("FILE-UNREADABLE", "error", "The file cannot be read (missing, a directory, a broken link or no permission).", "Check the path."),
    _r("FILE-TOO-LARGE", "error", "The file is larger than smsspec reads (8 MiB).", "Split the file, or keep large recipient lists in a recipients file."),
    _r("YAML-SYNTAX", "error", "The file is not valid YAML.", "Fix the syntax at the position shown.", "messages:\n\t- id: x   # a tab indents"),
    _r("YAML-ENCODING", "error", "The file is not UTF-8 text, or holds characters YAML forbids (such as NUL).", "Save the file as UTF-8 and remove control characters."),
    _r("YAML-EMPTY", "error", "The file has no YAML content.", "Write `version: 1` and the rest of the file."),
    _r("YAML-MULTI-DOC", "error", "The file holds more than one YAML document (`---`).", "Keep one document per file."),
    _r("YAML-DUPLICATE-KEY", "error", "A key appears twice in one mapping; YAML loaders silently keep the last one.", "Remove or rename one of the two keys.", "from: \"60856\"\nfrom: \"60857\""),
    _r("YAML-TAG", "error", "A YAML tag (`!!python/object`, `!custom`) that smsspec does not accept.", "Remove the tag; specs hold plain strings, numbers, lists and mappings."),
    _r("YAML-ALIAS-LIMIT", "error", "Too many YAML aliases; documents that expand aliases into huge data are refused.", "Write the values out instead of using many aliases."),
    _r("YAML-NESTING", "error", "The YAML is nested deeper than smsspec accepts.", "Flatten the structure; specs are a few levels deep."),
    _r("YAML-KEY-TYPE", "error", "A mapping key that is not a string.", "Quote the key.", "1: value"),
    _r("YAML-NUMBER-AS-STRING", "error", "An unquoted number where text is expected; YAML turns it into a number and may lose leading zeros, a leading + or digits read as octal.", "Quote the value: `from: \"00000\"`.", "from: 00000"),
    _r("YAML-BOOLEAN", "error", "An unquoted yes/no/on/off/true/false where text is expected; YAML reads it as a boolean.", "Quote the value: `sender_mask: \"NO\"`.", "sender_mask: NO"),
    _r("YAML-NULL", "error", "An empty or null value where a value is expected.", "Write the value, or remove the key."),
    # Spec and config shape
    _r("SPEC-UNKNOWN-FIELD", "error", "A field smsspec does not know; it would be ignored.", "Fix the spelling (see the suggestion) or remove the field.", "sender_msak: Acme"),
    _r("SPEC-TYPE", "error", "A field has the wrong type.", "Write the value with the type shown."),
    _r("SPEC-REQUIRED", "error", "A required field is missing.", "Add the field."),
    _r("SPEC-VALUE", "error", "A field's value is not one of the accepted values.", "Use one of the values shown."),
    _r("SPEC-VERSION", "error", "The file's `version` is missing or not 1.", "Write `version: 1`."),
    _r("SPEC-BAD-ID", "error", "A message id must be lowercase letters, digits, `-` and `_`, starting with a letter or digit.", "Rename the message: `id: order-shipped`.", "id: Order Shipped"),
    _r("SPEC-DUPLICATE-ID", "error", "Two messages share an id; the id is the message's identity in the send ledger.", "Give each message its own id."),
    _r("SPEC-UNKNOWN-ACCOUNT", "error", "The message names an account that smsspec.yaml does not define.", "Use an account from smsspec.yaml (see the suggestion) or add it there.", "account: skycor-prod"),
    _r("SPEC-NO-ACCOUNT", "error", "The message has no account: neither the message nor the file names one.", "Add `account:` at the top of the file or on the message."),
    _r("SPEC-SEND-AT", "error", "`send_at` must be an ISO 8601 date and time with a UTC offset; a naive time means different things on different machines.", "Write the offset: `send_at: \"2026-12-01T10:00:00+02:00\"`.", "send_at: \"2026-12-01 10:00\""),
    _r("CONFIG-NOT-FOUND", "error", "No smsspec.yaml was found in the spec's folder or any folder above it.", "Create smsspec.yaml next to your specs, or pass --config."),
    _r("CONFIG-UNKNOWN-PROVIDER", "error", "The account names a provider smsspec does not know.", "Use one of `smsspec providers`."),
    _r("CONFIG-ENDPOINT-REQUIRED", "error", "The provider has no fixed public URL, so the account needs `endpoint`.", "Add `endpoint: https://...` from your provider account."),
    _r("CONFIG-CREDENTIAL", "error", "A credential the provider needs is missing, or one it does not use is given.", "Give exactly the credentials listed by `smsspec providers show ID`."),
    _r("CONFIG-SETTING", "error", "An account setting is unknown or has the wrong type for its provider.", "Use the settings listed by `smsspec providers show ID`."),
    _r("SECRET-LITERAL", "error", "A credential is written in the file instead of referenced from the environment.", "Write `${ENV_VAR}` and set the variable where `smsspec send` runs; rotate the exposed secret.", "api_key: sk_live_abc123"),
    # Phone numbers
    _r("PHONE-FORMAT", "error", "A phone number is not in E.164 (`+` and the country code, digits only).", "Write it as \"+15551234888\"."),
    _r("PHONE-IMPOSSIBLE", "error", "The number cannot exist: wrong length or an unknown country code.", "Check the digits and the country code."),
    _r("PHONE-INVALID", "warning", "The number has a possible length, but is not in a range known to be assigned.", "Check the number; if it is right, suppress the warning."),
    _r("PHONE-DUPLICATE", "error", "A recipient is listed twice in one message.", "Remove the second entry."),
    # Text
    _r("TEXT-EMPTY", "error", "The text is empty (for some recipient, once rendered).", "Write the text, or check the variables it uses."),
    _r("TEXT-TEMPLATE", "error", "The text is not a valid template.", "Fix the Jinja syntax: `{{ name }}` for a variable."),
    _r("TEXT-UNDEFINED-VAR", "error", "The text uses a variable that some recipient does not have.", "Add the variable to the message's `vars` or to each recipient's `vars`, or give a default: `{{ name | default('there') }}`."),
    _r("TEXT-UNSAFE", "error", "The template tried something the sandbox forbids (internal attributes, unsafe calls).", "Use plain variables and filters in message texts."),
    _r("TEXT-RENDER-LIMIT", "error", "Rendering the text took too long or produced too much output.", "Simplify the template."),
    _r("TEXT-CHARACTER", "error", "The text holds a character that cannot be sent (a lone surrogate).", "Remove the character."),
    _r("TEXT-SEGMENTS", "error", "A recipient's text needs more segments than the `max_segments` budget.", "Shorten the text or raise `max_segments`."),
    _r("TEXT-GSM-LOOKALIKE", "warning", "Characters with a GSM-7 look-alike (curly quotes, en dash, no-break space) force the whole text into UCS-2, which costs more segments.", "Replace them with the suggested characters (`smsspec fix` can do it)."),
    # Providers
    _r("PROVIDER-UNSUPPORTED-FIELD", "error", "The provider has no such field; its value would be silently dropped.", "Remove the field, or send through a provider that supports it."),
    _r("PROVIDER-REQUIRED", "error", "The provider needs this field.", "Add the field."),
    _r("PROVIDER-OPTION", "error", "An unknown or wrongly typed provider option.", "Use the options listed by `smsspec providers show ID`."),
    _r("PROVIDER-VALUE", "error", "A value the provider does not accept.", "Change the value as the message says."),
)


def all_rules() -> Mapping[str, Rule]:
    rules = {rule.id: rule for rule in CORE_RULES}
    for provider in providers.registry().values():
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
