"""``smsspec ledger show`` and ``ledger export``: each delivery's state, from the ledger.

Every value in the text comes from the ledger, so from spec files and provider
answers: each is shown through :func:`smsspec.terminal.printable`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from smsspec.send.ledger import DeliveryState, LedgerView
from smsspec.send.transport import GAVE_UP
from smsspec.terminal import printable

Style = Callable[[str, str], str]
_ROLES = {"accepted": "ok", "rejected": "error", "unknown": "error", "pending": "warning"}


def _plain(text: str, role: str) -> str:
    return text


def delivery_state(state: DeliveryState) -> str:
    """The state in words: accepted, rejected, unknown (interrupted), in progress elsewhere, ..."""
    if state.in_progress:
        return "in progress elsewhere"
    if state.interrupted:
        return f"{state.status.value} (interrupted mid-request)"
    return state.status.value


def ledger_rows(view: LedgerView, message_ids: Collection[str] = ()) -> list[dict[str, Any]]:
    """One row per delivery: its latest state, with the request that set it."""
    states = list(view.states(tuple(message_ids)))
    metas = view.request_meta(s.request_id for s in states)
    rows: list[dict[str, Any]] = []
    for state in states:
        key = state.key
        meta, outcome_meta = metas.get(state.request_id, ({}, {}))
        rows.append(
            {
                "message": key.message_id,
                "account": state.account,
                "recipient": key.recipient,
                "status": state.status.value,
                "state": delivery_state(state),
                "definitive": state.definitive,
                "interrupted": state.interrupted,
                "provider_id": state.provider_id,
                "error_code": state.error_code,
                "error_text": state.error_text,
                "at": state.at,
                "sent_at": state.sent_at,
                "answered_at": state.answered_at,
                "request_id": state.request_id,
                "file": meta.get("file"),
                "provider": meta.get("provider"),
                "http_status": outcome_meta.get("http_status"),
                "attempts": outcome_meta.get("attempts"),
                "delivery": state.delivery,
                "delivery_code": state.delivery_code,
                "delivery_reason": state.delivery_reason,
                "delivery_at": state.delivery_at,
            }
        )
    return rows


def _shown(value: object) -> str:
    return printable(str(value))


def ledger_text(rows: list[dict[str, Any]], style: Style = _plain) -> str:
    if not rows:
        return "The ledger holds no deliveries yet."
    lines: list[str] = []
    current: tuple[str, str] | None = None
    for row in rows:
        group = (row["message"], row["account"])
        if group != current:
            current = group
            where = ", ".join(_shown(v) for v in (row["account"], row["provider"], row["file"]) if v)
            if lines:
                lines.append("")
            lines.append(style(f"{_shown(row['message'])}  ({where})", "bold"))
        detail = []
        if row["provider_id"]:
            detail.append(f"id {_shown(row['provider_id'])}")
        said = " ".join(_shown(row[k]) for k in ("error_code", "error_text") if row[k])
        if said:
            detail.append(said)
        if row["attempts"] and row["attempts"] > 1 and GAVE_UP not in said:  # said once
            detail.append(f"{row['attempts']} attempts")
        if row.get("delivery"):
            said = " ".join(_shown(row[k]) for k in ("delivery_code", "delivery_reason") if row[k])
            detail.append(f"delivery {_shown(row['delivery'])}" + (f" ({said})" if said else ""))
        text = f"  {_shown(row['recipient']):<16}  {style(row['state'], _ROLES.get(row['status'], 'bold'))}"
        text += f"  {_shown(row['sent_at'] or row['at'])}"
        if row["answered_at"]:
            text += f" -> {_shown(row['answered_at'])}"
        if detail:
            text += "  " + "; ".join(detail)
        lines.append(text)
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    total = ", ".join(f"{n} {_shown(status)}" for status, n in sorted(counts.items()))
    lines += ["", f"{len(rows)} deliver{'y' if len(rows) == 1 else 'ies'}: {total}"]
    return "\n".join(lines)
