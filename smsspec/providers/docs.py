"""`smsspec providers show ID`: a provider described from its schema file alone."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from typing import Any

from smsspec.load.config import settings_schema
from smsspec.providers.registry import Provider
from smsspec.sms.phones import PHONE_FORMATS


def _field_line(name: str, schema: Mapping[str, Any]) -> str | None:
    if "not" in schema and schema.get("x-rule") == "PROVIDER-UNSUPPORTED-FIELD":
        return f"  {name:<22} not supported"
    description = schema.get("description", "")
    limits = []
    if "maxLength" in schema and f"at most {schema['maxLength']} characters" not in description:
        limits.append(f"at most {schema['maxLength']} characters")
    if "enum" in schema:
        limits.append("one of " + ", ".join(map(str, schema["enum"])))
    suffix = f" ({'; '.join(limits)})" if limits else ""
    return f"  {name:<22} {description}{suffix}"


def receipts_lines(provider: Provider) -> list[str]:
    """What the provider reports after accepting, and how smsspec gets it."""
    receipts = provider.receipts or {}
    lines = ["Delivery receipts"]
    lines += [f"  {line}" for line in textwrap.wrap(receipts.get("summary", "not described"), 90)]
    how = []
    if "postback" in receipts:
        how.append("`smsspec receipts serve` reads its notifications")
    if "status_api" in receipts:
        api = receipts["status_api"]
        how.append(f"`smsspec status --refresh` polls {api['method']} {api['url']} (beside the send URL)")
    lines.append("  smsspec: " + ("; ".join(how) if how else "nothing to receive; `smsspec status` shows accepted"))
    lines += [f"  source: {source}" for source in receipts.get("docs", ())]
    return lines


def describe_provider(provider: Provider) -> str:
    schema = provider.schema
    properties = schema.get("properties", {})
    lines = [f"{provider.id}: {provider.title}", "", provider.description, ""]
    req = provider.request
    lines.append("Request")
    carried = f" in the form variable `{req.form_field}`" if req.form_field else ""
    lines.append(f"  {req.method} {req.endpoint or '<the account endpoint>'}  ({req.body_format}{carried}{', ' + req.content_type if req.content_type else ''})")
    auth = req.auth
    how = {"header": f"header {auth.get('header')}", "basic": "HTTP Basic auth", "body": "inside the request body", "query": "in the query string"}
    lines.append(f"  credentials: {', '.join(provider.credentials)} ({how.get(str(auth.get('type')), auth.get('type'))})")
    per = provider.batching.per_request
    batching = "one recipient per request" if per == 1 else (
        f"recipients with the same text share a request (at most {per})" if per else "recipients with the same text share a request")
    if provider.batching.per_request_setting:
        batching = batching.replace(f"(at most {per})", f"(at most {per} by default, the account setting {provider.batching.per_request_setting} chooses)")
    lines.append(f"  {batching}; numbers sent as {provider.batching.phone_format} (e.g. {PHONE_FORMATS[provider.batching.phone_format]})"
                 + (f", unless the account setting {provider.batching.phone_format_setting} chooses another" if provider.batching.phone_format_setting else ""))
    codes = f", error codes {', '.join(sorted(provider.retry_error_codes))}" if provider.retry_error_codes else ""
    lines.append(f"  retried on HTTP {', '.join(map(str, sorted(provider.retry_statuses)))}{codes} and refused connections")
    lines.append("")
    lines.append("Fields")
    for name in ("from", "sender_mask", "campaign", "click_tracking", "type", "tags"):
        line = _field_line(name, properties.get(name, {}))
        if line:
            lines.append(line)
    required = set(schema.get("required", []))
    for block in schema.get("allOf", []):
        required.update(block.get("required", []))
    if required:
        lines.append(f"  required: {', '.join(sorted(required))}")
    options = properties.get("options", {}).get("properties", {})
    lines.append("")
    lines.append("Options (under `options:`)")
    lines += [f"  {name:<22} {spec.get('description', '')}" for name, spec in options.items()] or ["  none"]
    settings = settings_schema(provider)["properties"]
    lines.append("")
    lines.append("Account settings (under `settings:` in smsspec.yaml)")
    for name, spec in settings.items():
        lines.append(f"  {name:<22} {spec.get('description', '')}")
        lines += [f"    source: {spec['x-source']}"] if spec.get("x-source") else []
    lines.append("")
    lines.append("Rules")
    for rule_id, info in provider.rules.items():
        lines.append(f"  {rule_id:<28} {info.get('severity', 'error'):<8} {info.get('summary', '')}")
        lines.append(f"    source: {info['source']}")
    lines += [] if provider.rules else ["  only the common rules"]
    pause = provider.quiet_hours
    if pause:
        kinds = " and ".join(pause.get("types", ())) or "all"
        lines.append("")
        lines.append("Quiet hours (held by `send`, reported by " + str(pause.get("rule")) + ")")
        lines.append(f"  {kinds} messages, {pause.get('from')} to {pause.get('to')} in the account's `time_zone`"
                     f" (default {pause.get('time_zone')})")
        lines += [f"  {label}: {pause[key]}" for key, label in (("source", "from"), ("time_zone_why", "why that default")) if pause.get(key)]
    lines.append("")
    lines += receipts_lines(provider)
    lines.append("")
    lines.append("Sources: the provider's documentation")
    lines += [f"  {source}" for source in provider.docs]
    return "\n".join(lines)
