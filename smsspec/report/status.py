"""``smsspec status``: per message and recipient, what the providers said about delivery.

One status per delivery: ``accepted`` (the provider took it, nothing since),
``delivered``, ``failed`` (a receipt said so, or the send was rejected),
``pending`` (in flight, or the provider said the final word comes later) or
``unknown`` (an answer never came). Every value shown comes from the ledger,
so from spec files and provider answers: each goes through
:func:`smsspec.terminal.printable`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from smsspec.terminal import printable

STATUSES = ("delivered", "failed", "pending", "accepted", "unknown")
_ROLES = {"delivered": "ok", "accepted": "ok", "failed": "error", "unknown": "error", "pending": "warning"}
Style = Callable[[str, str], str]


def _plain(text: str, role: str) -> str:
    return text


def delivery(row: Mapping[str, Any]) -> dict[str, Any]:
    """One `ledger show` row as a status entry."""
    answered = row["answered_at"] or row["at"]
    status, code, reason, updated = "unknown", row["error_code"], row["error_text"], row["at"]
    if row["status"] == "accepted":
        if row["delivery"]:
            status, code, reason = row["delivery"], row["delivery_code"], row["delivery_reason"]
            updated = row["delivery_at"] or answered
        else:
            status, code, reason, updated = "accepted", None, None, answered
    elif row["status"] == "rejected":
        status, updated = "failed", answered
    elif row["status"] == "pending":
        status, code, reason = "pending", None, None
    return {
        "message": row["message"],
        "number": row["recipient"],
        "account": row["account"],
        "provider": row["provider"],
        "status": status,
        "provider_id": row["provider_id"],
        "code": code,
        "reason": reason,
        "sent_at": row["sent_at"],
        "updated_at": updated,
    }


def summary(deliveries: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    counts = dict.fromkeys(STATUSES, 0)
    for entry in deliveries:
        counts[entry["status"]] += 1
    return counts


def to_json(deliveries: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    return {"summary": summary(deliveries), "deliveries": list(deliveries)}


def any_failed(deliveries: Sequence[Mapping[str, Any]]) -> bool:
    return any(entry["status"] == "failed" for entry in deliveries)


def _shown(value: object) -> str:
    return printable(str(value))


def to_text(deliveries: Sequence[Mapping[str, Any]], style: Style = _plain) -> str:
    if not deliveries:
        return "The ledger holds no deliveries of these messages."
    lines: list[str] = []
    current: tuple[str, str] | None = None
    for entry in deliveries:
        group = (entry["message"], entry["account"])
        if group != current:
            current = group
            if lines:
                lines.append("")
            where = ", ".join(_shown(v) for v in (entry["account"], entry["provider"]) if v)
            lines.append(style(f"{_shown(entry['message'])}  ({where})", "bold"))
        status = entry["status"]
        text = f"  {_shown(entry['number']):<16}  {style(f'{status:<9}', _ROLES[status])}"
        text += f"  {_shown(entry['updated_at'] or '')}"
        detail = [f"id {_shown(entry['provider_id'])}"] if entry["provider_id"] else []
        said = " ".join(_shown(entry[k]) for k in ("code", "reason") if entry[k])
        if said:
            detail.append(said)
        if detail:
            text += "  " + "; ".join(detail)
        lines.append(text)
    counts = summary(deliveries)
    total = ", ".join(f"{n} {status}" for status, n in counts.items() if n)
    lines += ["", f"{len(deliveries)} deliver{'y' if len(deliveries) == 1 else 'ies'}: {total}"]
    return "\n".join(lines)
