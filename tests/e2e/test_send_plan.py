"""The identity of a delivery's content: what changes it and what does not."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path

from smsspec.model import VIEW_FIELDS, CheckedMessage
from smsspec.send.plan import content_hash
from smsspec.validate.check import check_paths
from tests.e2e.send_helpers import MESSAGES, Project


def checked(tmp_path: Path, provider: str, **changes: object) -> CheckedMessage:
    project = Project(tmp_path, "http://127.0.0.1:9")
    project.write_config()
    spec = project.provider_spec(provider, **changes)
    [item] = check_paths([str(spec)]).checked
    return item


def test_the_hash_is_sha256_of_the_canonical_json_of_what_shapes_the_payload(tmp_path: Path) -> None:
    for provider in MESSAGES:
        item = checked(tmp_path, provider)
        shaped = {
            "provider": item.provider.id,
            "text": item.texts[0],
            "fields": {name: item.message.fields.get(name) for name in VIEW_FIELDS},
            "endpoint": item.account.endpoint,
        }
        canonical = json.dumps(shaped, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        assert content_hash(item, 0) == hashlib.sha256(canonical.encode()).hexdigest()


def test_text_fields_and_endpoint_change_the_hash_credentials_do_not(tmp_path: Path) -> None:
    base = checked(tmp_path, "skycore")
    other_text = checked(tmp_path, "skycore", text="Another text")
    other_campaign = checked(tmp_path, "skycore", campaign="spring")
    moved = replace(base, account=replace(base.account, endpoint="http://elsewhere/skycore"))
    rekeyed = replace(base, account=replace(base.account, credentials={"api_key": "${OTHER}"}))

    first = content_hash(base, 0)
    assert content_hash(other_text, 0) != first
    assert content_hash(other_campaign, 0) != first
    assert content_hash(moved, 0) != first
    assert content_hash(rekeyed, 0) == first
