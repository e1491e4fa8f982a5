"""``smsspec status --refresh``: ask a provider's status call about deliveries still open.

Only providers whose descriptor declares ``receipts.status_api`` are asked,
only for deliveries accepted with a provider id and no final word yet
(accepted, or pending), each provider id once. Politely: at most the
descriptor's ``per_second`` calls a second per account, at most ``limit``
calls a run, an answer read up to :data:`MAX_ANSWER_BYTES`, and an account
that answers 429 is asked nothing more this run. A readable answer is
recorded like a pushed receipt (so a repeated answer is one record).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

import httpx

from smsspec.errors import CredentialError
from smsspec.load.config import resolve_credentials
from smsspec.model import Account, Config
from smsspec.providers import registry
from smsspec.receipts.reading import read_status_answer
from smsspec.render.requests import request_headers
from smsspec.send.ledger import DeliveryStatus, Ledger
from smsspec.send.ledger.records import Receipt

MAX_ANSWER_BYTES = 64 * 1024
MAX_CALLS = 500
TIMEOUT_SECONDS = 10.0


@dataclass
class Refreshed:
    """What a refresh did: calls made, answers recorded, calls that failed, accounts left out."""

    asked: int = 0
    recorded: int = 0
    failed: int = 0
    unreadable: int = 0
    left_for_later: int = 0
    skipped: list[str] = field(default_factory=list)


def _open_ids(ledger: Ledger, message_ids: Sequence[str]) -> dict[str, list[str]]:
    """Per account, the provider ids of deliveries with no final word yet (each once)."""
    found: dict[str, list[str]] = {}
    for state in ledger.states(tuple(message_ids)):
        if state.status is DeliveryStatus.ACCEPTED and state.provider_id and state.delivery in (None, "pending"):
            ids = found.setdefault(state.account, [])
            if state.provider_id not in ids:
                ids.append(state.provider_id)
    return found


def _api(account: Account) -> Mapping[str, Any] | None:
    provider = registry.get(account.provider)
    receipts = provider.receipts if provider is not None else None
    api = (receipts or {}).get("status_api")
    return api if isinstance(api, Mapping) else None


def refresh(
    ledger: Ledger,
    config: Config,
    message_ids: Sequence[str] = (),
    *,
    environ: Mapping[str, str] | None = None,
    limit: int = MAX_CALLS,
    client: httpx.Client | None = None,
) -> Refreshed:
    done = Refreshed()
    own = client is None
    http = client or httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=False)
    try:
        for account_name, provider_ids in sorted(_open_ids(ledger, message_ids).items()):
            account = config.accounts.get(account_name)
            api = _api(account) if account is not None else None
            if account is None or api is None:
                continue
            provider = registry.get(account.provider)
            assert provider is not None
            if provider.request.auth.get("type") not in ("header", "basic"):
                done.skipped.append(f"{account_name}: its credentials do not travel in a header")
                continue
            try:
                secrets = resolve_credentials(account, environ)
            except CredentialError as exc:
                done.skipped.append(str(exc))
                continue
            headers = {k: v for k, v in request_headers(provider, secrets).items() if k != "Content-Type"}
            url = urljoin(account.endpoint or "", str(api["url"]))
            interval = 1.0 / float(api["per_second"])
            next_at = time.monotonic()
            for provider_id in provider_ids:
                if done.asked >= limit:
                    done.left_for_later += 1
                    continue
                time.sleep(max(0.0, next_at - time.monotonic()))
                next_at = max(time.monotonic(), next_at) + interval
                done.asked += 1
                answer = _ask(http, url, api, provider_id, headers)
                if answer is None:
                    done.failed += 1
                    continue
                status, body, content_type = answer
                if status == 429:
                    done.failed += 1
                    break
                if status == 404:
                    continue
                if status != 200:
                    done.failed += 1
                    continue
                notice = read_status_answer(api["reading"], body, content_type, provider_id)
                if notice.state is None:
                    done.unreadable += 1
                    continue
                ledger.record_receipt(Receipt(
                    account_name, hashlib.sha256(body).hexdigest(), provider_id, notice.state,
                    notice.code, notice.reason, source="poll",
                ))
                done.recorded += 1
    finally:
        if own:
            http.close()
    return done


def _ask(
    http: httpx.Client, url: str, api: Mapping[str, Any], provider_id: str, headers: Mapping[str, str]
) -> tuple[int, bytes, str | None] | None:
    """(status, body, content type) of one status call; None when it failed or said too much."""
    params = {str(k): str(v).replace("{provider_id}", provider_id) for k, v in api["query"].items()}
    try:
        with http.stream(str(api["method"]), url, params=params, headers=dict(headers)) as response:
            body = b""
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > MAX_ANSWER_BYTES:
                    return None
            return response.status_code, body, response.headers.get("content-type")
    except httpx.HTTPError:
        return None
