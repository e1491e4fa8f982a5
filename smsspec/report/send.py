"""The outcome of a send (or dry run) as one value: counts, rows, exit code, text and JSON.

Nothing here prints; the command line does. Strings that come from the
provider or the network were scrubbed of secrets before they got here; the
requests' URLs and bodies (a message text may quote a secret) are scrubbed
here. Nothing else is: file names and ids carry no credentials. The text shows
every value from outside (file names, recipients, provider answers) through
:func:`smsspec.terminal.printable`; the JSON holds them as they are.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from smsspec.send.ledger import DeliveryKey, DeliveryStatus
from smsspec.send.ledger.records import NOT_SENT_CODE
from smsspec.send.plan import (
    IN_PROGRESS,
    LATE,
    OPTED_OUT,
    QUIET_HOURS,
    SCHEDULED,
    LateMessage,
    Outgoing,
    Plan,
    SkippedDelivery,
    skipped_elsewhere,
)
from smsspec.send.redact import Redactor
from smsspec.send.runner import RequestResult, RunResult
from smsspec.terminal import printable, printable_path

Style = Callable[[str, str], str]
EXIT_OK, EXIT_FAILED = 0, 1

_SKIP_WORDS = {
    "already-accepted": "already accepted",
    "unknown-earlier": "unknown from an earlier run",
    "rejected-earlier": "rejected in an earlier run",
    "changed-after-accept": "changed after it was accepted",
    SCHEDULED: "scheduled for later",
    "duplicate": "listed twice in the message",
    IN_PROGRESS: "in progress in another run",
    "accepted-through-another-account": "already accepted through another account",
    OPTED_OUT: "opted out",
    QUIET_HOURS: "held for quiet hours",
    LATE: "late",
}


def _plain(text: str, role: str) -> str:
    return text


def _per_recipient_segments(outgoing: Outgoing) -> int:
    shown = outgoing.shown
    return shown.segments // max(1, len(shown.recipients))


def _request_row(outgoing: Outgoing, redactor: Redactor) -> dict[str, Any]:
    shown = outgoing.shown
    return {
        "file": shown.file,
        "message": shown.message_id,
        "account": shown.account,
        "provider": shown.provider,
        "recipients": list(shown.recipients),
        "segments": shown.segments,
        "url": redactor.scrub(shown.url),
    }


def _first(values: list[str | None]) -> str | None:
    return next((v for v in values if v), None)


def result_row(result: RequestResult, redactor: Redactor) -> dict[str, Any]:
    row = _request_row(result.outgoing, redactor)
    items = result.results
    row.update(
        status=result.status,
        provider_id=_first([r.provider_id for r in items]),
        error_code=_first([r.error_code for r in items]),
        error_text=_first([r.error_text for r in items]) or result.note,
        http_status=result.http_status,
        attempts=result.attempts,
        deliveries=[
            {
                "recipient": r.recipient,
                "status": r.status.value,
                "definitive": r.definitive,
                "provider_id": r.provider_id,
                "error_code": r.error_code,
                "error_text": r.error_text,
            }
            for r in items
        ],
    )
    return row


def late_row(item: LateMessage) -> dict[str, Any]:
    return {"file": item.file, "message": item.message_id, "account": item.account,
            "send_at": item.send_at, "sent": item.sent, "note": item.words}


def late_lines(late: tuple[LateMessage, ...]) -> list[str]:
    """One line per late message: its send_at had passed, and what the run did."""
    return [
        f"  {printable_path(m.file)}  {printable(m.message_id)}  ({printable(m.account)}): {printable(m.words)}"
        for m in late
    ]


def skipped_row(item: SkippedDelivery) -> dict[str, Any]:
    previous = item.previous
    return {
        "file": item.file,
        "message": item.key.message_id,
        "account": item.key.account,
        "provider": item.provider,
        "recipient": item.key.recipient,
        "reason": item.reason,
        "due": item.due,
        "note": item.note,
        "status": previous.status.value if previous else None,
        "interrupted": previous.interrupted if previous else False,
        "provider_id": previous.provider_id if previous else None,
        "error_code": previous.error_code if previous else None,
        "error_text": previous.error_text if previous else None,
        "at": previous.at if previous else None,
    }


@dataclass(frozen=True)
class SendReport:
    plan: Plan
    run: RunResult | None  # None: a dry run
    notes: tuple[str, ...] = ()
    redactor: Redactor = field(default_factory=Redactor)

    @property
    def dry_run(self) -> bool:
        return self.run is None

    @property
    def skipped(self) -> tuple[SkippedDelivery, ...]:
        """What the plan skipped, and what this run found held or settled by another run."""
        if self.run is None:
            return self.plan.skipped
        elsewhere = tuple(
            skipped_elsewhere(result.outgoing, state)
            for result in self.run.results
            for state in result.elsewhere
        ) + tuple(
            SkippedDelivery(
                result.outgoing.shown.file,
                DeliveryKey(result.outgoing.shown.account, result.outgoing.shown.message_id, number),
                result.outgoing.shown.provider,
                OPTED_OUT,
            )
            for result in self.run.results
            for number in result.opted_out
        )
        return self.plan.skipped + elsewhere

    def counts(self) -> dict[str, Any]:
        statuses: Counter[str] = Counter()
        segments = 0
        requests = 0
        not_started = 0
        if self.run is not None:
            for result in self.run.results:
                if not result.started:
                    not_started += len(result.outgoing.shown.recipients)
                    continue
                requests += 1 if result.left_the_machine else 0
                each = _per_recipient_segments(result.outgoing)
                for item in result.results:
                    if item.status is DeliveryStatus.ACCEPTED:
                        segments += each
                    # what the ledger will say: unknown, when it could not take the outcome
                    statuses[item.status.value if result.recorded else "unknown"] += 1
        skipped = Counter(s.reason for s in self.skipped)
        summary: dict[str, Any] = {
            "dry_run": self.dry_run,
            "requests": requests if self.run is not None else len(self.plan.outgoing),
            "accepted": statuses["accepted"],
            "rejected": statuses["rejected"],
            "unknown": statuses["unknown"],
            "not_started": not_started,
            "skipped": sum(skipped.values()),
            "skipped_by_reason": dict(sorted(skipped.items())),
            "scheduled": skipped[SCHEDULED],
            "segments_billed": segments,
        }
        if self.run is None:
            summary["would_send"] = self.plan.recipients
            summary["segments_to_bill"] = sum(o.shown.segments for o in self.plan.outgoing)
        if self.run is not None and self.run.interrupted:
            summary["interrupted"] = True
        if self.run is not None and self.run.ledger_problem:
            summary["ledger_problem"] = self.run.ledger_problem
        summary["exit_code"] = self.exit_code()
        return summary

    def exit_code(self) -> int:
        if any(s.counts_as_failure for s in self.skipped):
            return EXIT_FAILED
        if self.run is None:
            return EXIT_OK
        if self.run.ledger_problem:
            return EXIT_FAILED
        for result in self.run.results:
            if not result.started:
                return EXIT_FAILED
            if any(r.status is not DeliveryStatus.ACCEPTED for r in result.results):
                return EXIT_FAILED
        return EXIT_OK

    def to_json(self) -> dict[str, Any]:
        if self.run is None:
            requests = [
                {
                    **_request_row(o, self.redactor),
                    "status": "would-send",
                    "body": self.redactor.scrub_opt(o.shown.body),
                }
                for o in self.plan.outgoing
            ]
        else:
            requests = [result_row(r, self.redactor) for r in self.run.results]
        return {
            "summary": self.counts(),
            "requests": requests,
            "skipped": [skipped_row(s) for s in self.skipped],
            "late": [late_row(m) for m in self.plan.late],
        }

    # ------------------------------------------------------------------ text

    def text(self, style: Style = _plain, command: str = "smsspec send") -> str:
        lines: list[str] = []
        command = printable(command)
        if self.run is None:
            lines += self._dry_run_lines(style)
        else:
            lines += self._summary_lines(style)
            lines += self._failure_lines(style, command)
        if self.plan.late:
            lines += ["", style("late (send_at already past):", "warning"), *late_lines(self.plan.late)]
        lines += self._skipped_lines(style, command)
        lines += list(self.notes)
        return "\n".join(lines)

    def _dry_run_lines(self, style: Style) -> list[str]:
        plan = self.plan
        if not plan.outgoing:
            return [style("dry run: nothing to send", "bold")]
        accounts = printable(", ".join(plan.accounts))
        lines = [
            style(
                f"dry run: would send {len(plan.outgoing)} request{_s(len(plan.outgoing))} to"
                f" {plan.recipients} recipient{_s(plan.recipients)} through {accounts}",
                "bold",
            )
        ]
        for outgoing in plan.outgoing:
            shown = outgoing.shown
            to = printable(", ".join(shown.recipients))
            lines.append(f"  {printable_path(shown.file)}  {printable(shown.message_id)}  -> {to}")
            url = self.redactor.scrub(shown.url)
            lines.append(
                f"      {printable(shown.method)} {printable(url)}"
                f"  ({shown.segments} segment{_s(shown.segments)})"
            )
        return lines

    def _summary_lines(self, style: Style) -> list[str]:
        counts = self.counts()
        lines = []
        if counts.get("interrupted"):
            lines.append(style("interrupted: requests not yet started were not sent", "warning"))
        accepted, rejected, unknown = counts["accepted"], counts["rejected"], counts["unknown"]
        lines.append(
            style(f"accepted  {accepted}", "ok" if accepted else "bold")
            + f"  ({counts['requests']} request{_s(counts['requests'])} sent,"
            f" {counts['segments_billed']} segment{_s(counts['segments_billed'])} billed)"
        )
        lines.append(style(f"rejected  {rejected}", "error" if rejected else "bold"))
        lines.append(style(f"unknown   {unknown}", "error" if unknown else "bold"))
        if counts["not_started"]:
            lines.append(style(f"not sent  {counts['not_started']}", "warning"))
        skipped = counts["skipped_by_reason"]
        detail = ", ".join(f"{n} {_SKIP_WORDS.get(k, k)}" for k, n in skipped.items())
        lines.append(f"skipped   {counts['skipped']}" + (f"  ({detail})" if detail else ""))
        if counts.get("ledger_problem"):
            lines.append(style(f"ledger: {printable(counts['ledger_problem'])}", "error"))
        return lines

    def _failure_lines(self, style: Style, command: str) -> list[str]:
        assert self.run is not None
        rejected: list[str] = []
        not_sent: list[str] = []
        unknown: list[str] = []
        for result in self.run.results:
            shown = result.outgoing.shown
            where = f"{printable_path(shown.file)}  {printable(shown.message_id)}"
            account = printable(shown.account)
            for item in result.results:
                said = " ".join(p for p in (item.error_code, item.error_text) if p) or "no reason given"
                line = f"  {where}  {printable(item.recipient)}  ({account}): {printable(said)}"
                if not result.recorded:
                    unknown.append(
                        f"  {where}  {printable(item.recipient)}  ({account}): the provider said"
                        f" {item.status.value}, but the ledger could not record it"
                    )
                elif item.status is DeliveryStatus.UNKNOWN:
                    unknown.append(line)
                elif item.status is DeliveryStatus.REJECTED:
                    (not_sent if item.error_code == NOT_SENT_CODE else rejected).append(line)
            if not result.started and result.note:
                to = printable(", ".join(shown.recipients))
                not_sent.append(f"  {where}  {to}  ({account}): {printable(result.note)}")
        lines: list[str] = []
        if rejected:
            lines += ["", style("rejected by the provider:", "error"), *rejected]
        if not_sent:
            lines += ["", style("not sent (the provider did not take them):", "warning"), *not_sent]
            lines.append(f"  The next run sends these again: {command}")
        if unknown:
            lines += ["", style("unknown (the provider may have accepted them):", "error"), *unknown]
            lines.append(
                "  Check with the provider whether these were delivered before sending again;"
                f" to resend them anyway: {command} --retry-unknown"
            )
        return lines

    def _skipped_lines(self, style: Style, command: str) -> list[str]:
        groups: dict[str, list[str]] = {}
        for item in self.skipped:
            if item.reason in ("already-accepted", "accepted-through-another-account"):
                continue
            key = item.key
            shown = (printable_path(item.file), printable(key.message_id), printable(key.recipient))
            line = "  " + "  ".join(shown) + f"  ({printable(key.account)})"
            previous = item.previous
            if item.reason == SCHEDULED:
                line += f": due {printable(str(item.due))}"
            elif item.reason == QUIET_HOURS:
                until = f"until {item.due}" if item.due else "with no time allowed in all its zones in the next days"
                line += f": held {printable(until)} ({printable(str(item.note))})"
            elif item.reason == LATE:
                line += f": {printable(str(item.note))}"
            elif item.reason == IN_PROGRESS and previous is not None:
                line += f": claimed by another run at {printable(previous.at)}"
            elif previous is not None and item.reason != "changed-after-accept":
                said = " ".join(p for p in (previous.error_code, previous.error_text) if p)
                if previous.interrupted:
                    said = "interrupted mid-request" + (f"; {said}" if said else "")
                line += f": {printable(said or previous.status.value)} (at {printable(str(previous.at))})"
            groups.setdefault(item.reason, []).append(line)
        hints = {
            "unknown-earlier": "Check with the provider; to resend them anyway: "
            f"{command} --retry-unknown",
            "rejected-earlier": "A definitive rejection is sent again once its content changes;"
            f" to send these again as they are: {command} --retry-rejected",
            "changed-after-accept": "Already delivered with the earlier content; to send the"
            f" new content as well: {command} --resend-changed",
            QUIET_HOURS: f"Not sent, not an error: run {command} again once the window opens.",
            LATE: "Not sent, not an error (--late skip): change send_at, or send with --late send.",
        }
        roles = {"unknown-earlier": "error", "rejected-earlier": "error"}
        lines: list[str] = []
        for reason, entries in groups.items():
            title = f"skipped, {_SKIP_WORDS.get(reason, reason)}:"
            lines += ["", style(title, roles.get(reason, "warning")), *entries]
            if reason in hints:
                lines.append(f"  {hints[reason]}")
        return lines


def _s(count: int) -> str:
    return "" if count == 1 else "s"
