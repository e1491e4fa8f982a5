"""`smsspec plan`: what `send` would do, per account, with segments and cost.

Takes the send plan (what goes out, what the ledger skips) and the checked
messages, and sums them up. No I/O; the CLI prints the result.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from smsspec.model import CheckedMessage
from smsspec.render.requests import render_requests
from smsspec.report.markdown import code, table, text
from smsspec.send.plan import QUIET_HOURS, LateMessage, Plan
from smsspec.sms.encoding import analyze

NEVER = "never"


@dataclass
class AccountPlan:
    name: str
    provider: str
    requests: int = 0
    recipients: int = 0
    segments: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    held: Counter[str] = field(default_factory=Counter)  # quiet hours: when they go (UTC) -> recipients
    price_per_segment: float | None = None
    currency: str | None = None

    @property
    def cost(self) -> float | None:
        return None if self.price_per_segment is None else round(self.segments * self.price_per_segment, 6)


@dataclass(frozen=True)
class SegmentSpread:
    """How much a message's length varies with its recipients' variables."""

    message_id: str
    account: str
    best: int
    worst: int
    worst_recipient: str
    best_recipient: str


@dataclass(frozen=True)
class PlanSummary:
    accounts: tuple[AccountPlan, ...]
    spreads: tuple[SegmentSpread, ...]
    late: tuple[LateMessage, ...] = ()

    @property
    def segments(self) -> int:
        return sum(a.segments for a in self.accounts)

    @property
    def requests(self) -> int:
        return sum(a.requests for a in self.accounts)

    @property
    def recipients(self) -> int:
        return sum(a.recipients for a in self.accounts)

    def cost_by_currency(self) -> dict[str, float]:
        totals: dict[str, float] = {}
        for account in self.accounts:
            if account.cost is not None:
                key = account.currency or ""
                totals[key] = round(totals.get(key, 0.0) + account.cost, 6)
        return totals

    def unpriced(self) -> list[str]:
        return [a.name for a in self.accounts if a.price_per_segment is None and a.segments]


def account_plan(item: CheckedMessage) -> AccountPlan:
    """An empty plan for ``item``'s account, priced from its settings."""
    settings = item.account.settings
    price = settings.get("price_per_segment")
    return AccountPlan(
        item.account.name, item.provider.id,
        price_per_segment=float(price) if isinstance(price, (int, float)) else None,
        currency=str(settings["currency"]) if "currency" in settings else None,
    )


def message_plan(item: CheckedMessage) -> AccountPlan:
    """What sending all of ``item`` makes, as ``plan`` counts it, without a ledger: its
    requests, recipients, billed segments and (through its account's price) cost."""
    planned = account_plan(item)
    for request in render_requests(item):
        planned.requests += 1
        planned.recipients += len(request.recipients)
        planned.segments += request.segments
    return planned


def summarise(checked: Sequence[CheckedMessage], plan: Plan) -> PlanSummary:
    accounts: dict[str, AccountPlan] = {}
    for item in checked:
        if item.account.name not in accounts:
            accounts[item.account.name] = account_plan(item)
    for outgoing in plan.outgoing:
        account = accounts[outgoing.shown.account]
        account.requests += 1
        account.recipients += len(outgoing.shown.recipients)
        account.segments += outgoing.shown.segments
    for skipped in plan.skipped:
        if skipped.reason == QUIET_HOURS:
            accounts[skipped.key.account].held[skipped.due or NEVER] += 1
        else:
            accounts[skipped.key.account].skipped[skipped.reason] += 1
    return PlanSummary(tuple(accounts.values()), tuple(spreads(checked)), plan.late)


def spreads(checked: Iterable[CheckedMessage]) -> Iterable[SegmentSpread]:
    """Messages whose worst-case recipient needs more segments than the best case."""
    for item in checked:
        counted = [(analyze(text).segments, number) for number, text in zip(item.numbers, item.texts, strict=True)]
        if not counted:
            continue
        best = min(counted)
        worst = max(counted)
        if worst[0] > best[0]:
            yield SegmentSpread(item.message.id, item.account.name, best[0], worst[0], worst[1], best[1])


def gate_failures(summary: PlanSummary, max_cost: float | None, max_segments: int | None) -> list[str]:
    failures = []
    if max_segments is not None and summary.segments > max_segments:
        failures.append(f"the plan bills {summary.segments} segments, over --max-segments {max_segments}")
    if max_cost is not None:
        for currency, cost in summary.cost_by_currency().items():
            if cost > max_cost:
                failures.append(f"the plan costs {cost:g}{' ' + currency if currency else ''}, over --max-cost {max_cost:g}")
        if summary.unpriced():
            failures.append(
                "--max-cost cannot be checked for " + ", ".join(summary.unpriced())
                + ": set settings.price_per_segment (and currency) on the account"
            )
    return failures


def to_json(summary: PlanSummary, failures: Sequence[str]) -> dict[str, Any]:
    return {
        "accounts": [
            {
                "account": a.name, "provider": a.provider, "requests": a.requests, "recipients": a.recipients,
                "segments": a.segments, "skipped": dict(a.skipped), "held_for_quiet_hours": dict(sorted(a.held.items())),
                "price_per_segment": a.price_per_segment,
                "currency": a.currency, "cost": a.cost,
            }
            for a in summary.accounts
        ],
        "segment_spread": [
            {"message": s.message_id, "account": s.account, "best": s.best, "worst": s.worst,
             "worst_recipient": s.worst_recipient, "best_recipient": s.best_recipient}
            for s in summary.spreads
        ],
        "totals": {"requests": summary.requests, "recipients": summary.recipients, "segments": summary.segments,
                   "cost": summary.cost_by_currency()},
        "gates": {"passed": not failures, "failures": list(failures)},
        "late": [{"message": m.message_id, "account": m.account, "send_at": m.send_at, "sent": m.sent, "note": m.words}
                 for m in summary.late],
    }


def to_text(summary: PlanSummary, failures: Sequence[str]) -> str:
    lines = []
    for a in summary.accounts:
        cost = f", {a.cost:g} {a.currency or ''}".rstrip() if a.cost is not None else ""
        lines.append(f"{a.name} ({a.provider}): {a.requests} request{'s' if a.requests != 1 else ''}, "
                     f"{a.recipients} recipient{'s' if a.recipients != 1 else ''}, {a.segments} segment{'s' if a.segments != 1 else ''}{cost}")
        for reason, count in sorted(a.skipped.items()):
            lines.append(f"  skip {count:>5}  {reason}")
        for due, count in sorted(a.held.items()):
            lines.append(f"  hold {count:>5}  quiet hours, " + (f"go at {due}" if due != NEVER else "no time allowed in all their zones"))
    for s in summary.spreads:
        lines.append(f"note: message {s.message_id!r} ({s.account}) needs {s.best} to {s.worst} segments per recipient; "
                     f"the worst case is {s.worst_recipient}, whose variables make the text longer")
    lines += [f"note: message {m.message_id!r} ({m.account}): {m.words}" for m in summary.late]
    costs = ", ".join(f"{v:g} {k}".strip() for k, v in summary.cost_by_currency().items())
    lines.append(f"total: {summary.requests} requests, {summary.recipients} recipients, {summary.segments} segments"
                 + (f", cost {costs}" if costs else ""))
    lines += [f"gate failed: {f}" for f in failures]
    return "\n".join(lines)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count != 1 else ''}"


def cost_text(cost: float | None, currency: str | None) -> str:
    """A cost as the reports write it (``0.0237 USD``), or ``-`` when unpriced."""
    return "-" if cost is None else f"{cost:g} {currency or ''}".rstrip()


def to_markdown(summary: PlanSummary, failures: Sequence[str]) -> str:
    """The plan as Markdown, for a pull request or GitHub's job summary."""
    rows = []
    for a in summary.accounts:
        skipped = ", ".join(f"{count} {reason}" for reason, count in sorted(a.skipped.items())) or "-"
        rows.append([code(a.name, cell=True), code(a.provider, cell=True), str(a.requests), str(a.recipients),
                     str(a.segments), text(cost_text(a.cost, a.currency)), text(skipped)])
    costs = ", ".join(f"{v:g} {k}".strip() for k, v in summary.cost_by_currency().items()) or "-"
    rows.append(["**total**", "", str(summary.requests), str(summary.recipients), str(summary.segments), text(costs), ""])
    lines = [
        f"### smsspec plan: {'gate failed' if failures else 'ok'}",
        "",
        f"{_plural(summary.requests, 'request')}, {_plural(summary.recipients, 'recipient')}, "
        f"{_plural(summary.segments, 'segment')}.",
        "",
        table(["account", "provider", "requests", "recipients", "segments", "cost", "skipped"], rows),
    ]
    if summary.spreads:
        lines.append("")
        lines += [f"- {code(s.message_id)} ({code(s.account)}) needs {s.best} to {s.worst} segments per recipient; "
                  f"the worst case is {code(s.worst_recipient)}" for s in summary.spreads]
    if summary.late:
        lines.append("")
        lines += [f"- {code(m.message_id)} ({code(m.account)}): {text(m.words)}" for m in summary.late]
    if failures:
        lines.append("")
        lines += [f"- **gate failed:** {text(f)}" for f in failures]
    return "\n".join(lines) + "\n"
