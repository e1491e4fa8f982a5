"""What a run will send and what it will skip, decided per delivery from the ledger.

A delivery is one message to one recipient of the project
(:class:`DeliveryKey`; the account that carries it is not part of it). Its content hash covers everything that shapes what
the provider receives for it, and nothing secret: the provider, the rendered
text for that recipient, the message fields that go into the payload and the
account's configured endpoint. The ledger's :func:`decide` compares it with
the last recorded state. Deliveries to send are then grouped into requests
exactly as the provider's descriptor allows (:func:`render_requests` on the
message restricted to them); deliveries to skip are listed with the reason.

A message whose ``send_at`` is still ahead goes out now only when its
provider schedules natively; otherwise it is held and reported as scheduled.
A message whose ``send_at`` is already past is late: ``Policy.late`` sends it
now (without ``send_at``, so no provider is handed a past time) or skips it;
either way the plan lists it (:class:`LateMessage`).

Numbers on an opt-out list (the files named in smsspec.yaml, the ledger's own
table) are skipped as opted out; recipients inside quiet hours at the moment
they would go out are held until the window opens (see :mod:`smsspec.compliance`).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from smsspec.compliance.hours import QuietCheck
from smsspec.compliance.quiet import describe
from smsspec.model import VIEW_FIELDS, Account, CheckedMessage, RenderedRequest
from smsspec.render.requests import render_requests
from smsspec.send.ledger import (
    Decision,
    DeliveryKey,
    DeliveryState,
    Intent,
    LedgerView,
    decide,
)
from smsspec.sms.send_at import parse_send_at

SCHEDULED = "scheduled"
DUPLICATE = "duplicate"
IN_PROGRESS = "in-progress-elsewhere"
OTHER_ACCOUNT = "accepted-through-another-account"
OPTED_OUT = "opted-out"
QUIET_HOURS = "quiet-hours"
LATE = "late"
LATE_CHOICES = ("send", "skip")
SKIP_REASONS = {
    Decision.SKIP_ACCEPTED: "already-accepted",
    Decision.SKIP_UNKNOWN: "unknown-earlier",
    Decision.SKIP_REJECTED: "rejected-earlier",
    Decision.SKIP_CHANGED_AFTER_ACCEPT: "changed-after-accept",
    Decision.SKIP_IN_PROGRESS: IN_PROGRESS,
}
FAILED_BEFORE = frozenset({"unknown-earlier", "rejected-earlier"})


@dataclass(frozen=True)
class Policy:
    retry_rejected: bool = False
    retry_unknown: bool = False
    resend_changed: bool = False
    late: str = "send"  # a send_at already past: "send" it now, or "skip" it (see LATE_CHOICES)


@dataclass(frozen=True)
class SkippedDelivery:
    """A delivery this run does not send, and why (see ``SKIP_REASONS``, ``SCHEDULED``)."""

    file: str
    key: DeliveryKey
    provider: str
    reason: str
    previous: DeliveryState | None = None
    due: str | None = None
    note: str | None = None  # quiet hours: whose, and the local time that holds it

    @property
    def counts_as_failure(self) -> bool:
        """Left rejected or unknown by an earlier run: the run cannot end with exit 0."""
        return self.reason in FAILED_BEFORE


@dataclass(frozen=True)
class LateMessage:
    """A message whose ``send_at`` had passed when the run planned it, and what the run did."""

    file: str
    message_id: str
    account: str
    send_at: str
    sent: bool  # sent now (without send_at); False: skipped as late

    @property
    def words(self) -> str:
        return f"send_at {self.send_at} is past: " + ("sent now" if self.sent else "skipped, late")


@dataclass(frozen=True)
class Outgoing:
    """One request to send: the redacted rendering (shown, recorded) and what it delivers.

    ``checked`` is the message restricted to the request's recipients, with
    the endpoint the run sends to; rendering it with credentials gives the
    real request.
    """

    request_id: str
    shown: RenderedRequest
    checked: CheckedMessage
    hashes: tuple[str, ...]  # content hash per recipient of ``shown``
    expected: Mapping[str, str] = field(default_factory=dict)  # recipient -> state's request id

    def intent(self, meta: Mapping[str, Any]) -> Intent:
        """The claim on this request's deliveries (see :class:`Intent`)."""
        shown = self.shown
        return Intent(self.request_id, shown.account, shown.message_id, self.deliveries, meta, self.expected)

    @property
    def deliveries(self) -> tuple[tuple[str, str], ...]:
        return tuple(zip(self.shown.recipients, self.hashes, strict=True))


@dataclass(frozen=True)
class Plan:
    outgoing: tuple[Outgoing, ...]
    skipped: tuple[SkippedDelivery, ...]
    late: tuple[LateMessage, ...] = ()

    @property
    def recipients(self) -> int:
        return sum(len(o.shown.recipients) for o in self.outgoing)

    @property
    def accounts(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(o.shown.account for o in self.outgoing))


def skipped_elsewhere(outgoing: Outgoing, state: DeliveryState) -> SkippedDelivery:
    """A delivery this run planned to send but found held, or settled, by another run."""
    if state.in_progress:
        reason = IN_PROGRESS
    else:
        decision = decide(
            state, state.content_hash, retry_rejected=False, retry_unknown=False, resend_changed=False
        )
        reason = SKIP_REASONS.get(decision, IN_PROGRESS)
    key = DeliveryKey(outgoing.shown.account, state.key.message_id, state.key.recipient)
    return SkippedDelivery(outgoing.shown.file, key, outgoing.shown.provider, reason, state)


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def content_hash(checked: CheckedMessage, index: int) -> str:
    """sha256 over what shapes recipient ``index``'s payload; never a credential."""
    return _hasher(checked)(checked.texts[index])


def _hasher(checked: CheckedMessage) -> Callable[[str], str]:
    """The hash of ``{"endpoint","fields","provider","text"}`` as canonical JSON, per text.

    Keys sort with ``text`` last, so the JSON up to it is the same for every
    recipient of the message and is built once.
    """
    message = checked.message
    shaped = {
        "endpoint": checked.account.endpoint,
        "fields": {name: message.fields.get(name) for name in VIEW_FIELDS},
        "provider": checked.provider.id,
        "text": "",
    }
    head = _canonical(shaped).removesuffix('""}')  # ends with "text":

    def digest(text: str) -> str:
        body = f"{head}{_canonical(text)}}}"
        return hashlib.sha256(body.encode("utf-8")).hexdigest()

    return digest


def held_until(checked: CheckedMessage, now: datetime) -> datetime | None:
    """The time a message is held for, when its provider cannot schedule it itself."""
    if checked.provider.batching.scheduling == "native":
        return None
    value = checked.message.get("send_at")
    moment = parse_send_at(value) if isinstance(value, str) else None
    return moment if moment is not None and moment > now else None


def late_send_at(checked: CheckedMessage, now: datetime) -> str | None:
    """The message's ``send_at`` as written, when it is already past at ``now``."""
    value = checked.message.get("send_at")
    moment = parse_send_at(value) if isinstance(value, str) else None
    return value if moment is not None and moment < now else None


def _without_send_at(item: CheckedMessage) -> CheckedMessage:
    """``item`` as sent now: a provider that schedules natively must not get a past time."""
    fields = {name: value for name, value in item.message.fields.items() if name != "send_at"}
    return replace(item, message=replace(item.message, fields=fields))


def make_plan(
    checked: Iterable[CheckedMessage],
    ledger: LedgerView,
    policy: Policy,
    now: datetime,
    endpoint_for: Callable[[Account], str | None] | None = None,
) -> Plan:
    """Decide every delivery; group the ones to send into requests.

    ``endpoint_for`` redirects an account (the sandbox); hashes keep the
    configured endpoint, so a delivery's identity does not depend on where a
    run sent it.
    """
    outgoing: list[Outgoing] = []
    skipped: list[SkippedDelivery] = []
    items = list(checked)
    # The ledger is asked about all deliveries at once: a few round trips, not two per message.
    states = ledger.states_of((item.message.id, number) for item in items for number in item.numbers)
    on_list = ledger.opted_out(number for item in items for number in item.numbers)
    late: list[LateMessage] = []
    for item in items:
        account, message = item.account, item.message
        due = held_until(item, now)
        late_at = late_send_at(item, now)
        held_late = 0
        hashed = _hasher(item)
        chosen: list[int] = []
        hashes: list[str] = []
        expected: dict[str, str] = {}
        seen: set[str] = set()
        known = {n: states[(message.id, n)] for n in item.numbers if (message.id, n) in states}
        opted_out = _opted_out(item, on_list)
        quiet = _quiet_check(item, now)
        for index, number in enumerate(item.numbers):
            key = DeliveryKey(account.name, message.id, number)
            if number in seen:
                skipped.append(SkippedDelivery(item.spec.path, key, item.provider.id, DUPLICATE))
                continue
            seen.add(number)
            if number in opted_out:
                skipped.append(SkippedDelivery(item.spec.path, key, item.provider.id, OPTED_OUT, known.get(number)))
                continue
            digest = hashed(item.texts[index])
            previous = known.get(number)
            decision = decide(
                previous,
                digest,
                retry_rejected=policy.retry_rejected,
                retry_unknown=policy.retry_unknown,
                resend_changed=policy.resend_changed,
            )
            if decision is not Decision.SEND:
                reason = SKIP_REASONS[decision]
                if decision is Decision.SKIP_CHANGED_AFTER_ACCEPT and previous and previous.account != account.name:
                    reason = OTHER_ACCOUNT  # a fallback account now: the recipient has it already
                skipped.append(SkippedDelivery(item.spec.path, key, item.provider.id, reason, previous))
            elif due is not None:
                when = due.isoformat()
                skipped.append(
                    SkippedDelivery(item.spec.path, key, item.provider.id, SCHEDULED, previous, when)
                )
            elif late_at is not None and policy.late == "skip":
                held_late += 1
                note = f"send_at {late_at} is past"
                skipped.append(SkippedDelivery(item.spec.path, key, item.provider.id, LATE, previous, None, note))
            elif quiet is not None and (hold := _held(quiet, number, item, key, previous)) is not None:
                skipped.append(hold)
            else:
                chosen.append(index)
                hashes.append(digest)
                if previous is not None:
                    expected[number] = previous.request_id
        if late_at is not None and (chosen or held_late):
            late.append(LateMessage(item.spec.path, message.id, account.name, late_at, bool(chosen)))
        if chosen:
            sent = _without_send_at(item) if late_at is not None else item
            outgoing += _requests(sent, chosen, hashes, expected, endpoint_for)
    return Plan(tuple(outgoing), tuple(skipped), tuple(late))


def _opted_out(item: CheckedMessage, on_list: set[str]) -> frozenset[str] | set[str]:
    """The message's numbers on an opt-out list: the config's files, the ledger's table (``on_list``)."""
    found = {n for n in item.numbers if n in on_list}
    listed = item.config.opt_outs
    if listed:
        found |= {n for n in item.numbers if n in listed}
    return found


def _quiet_check(item: CheckedMessage, now: datetime) -> tuple[QuietCheck, datetime] | None:
    """The quiet hours that apply to the message, and the moment it would go out (now, or
    a natively scheduled send_at still ahead)."""
    check = QuietCheck(item.config, item.account, item.provider, item.message.get("type"))
    if not check.active:
        return None
    value = item.message.get("send_at")
    moment = parse_send_at(value) if isinstance(value, str) else None
    return check, max(now, moment) if moment is not None else now


def _held(
    quiet: tuple[QuietCheck, datetime], number: str, item: CheckedMessage, key: DeliveryKey,
    previous: DeliveryState | None,
) -> SkippedDelivery | None:
    check, moment = quiet
    held = check.held(number, moment)
    if held is None:
        return None
    opens = held.quiet.opens.isoformat() if held.quiet.opens is not None else None
    whose = held.rule if held.provider_pause else f"quiet hours {held.window.shown()}"
    note = f"{whose}: {describe(held.quiet)}"
    return SkippedDelivery(item.spec.path, key, item.provider.id, QUIET_HOURS, previous, opens, note)


def _requests(
    item: CheckedMessage,
    chosen: Sequence[int],
    hashes: Sequence[str],
    expected: Mapping[str, str],
    endpoint_for: Callable[[Account], str | None] | None,
) -> list[Outgoing]:
    account = item.account
    if endpoint_for is not None:
        account = replace(account, endpoint=endpoint_for(account))
    restricted = replace(
        item,
        account=account,
        numbers=tuple(item.numbers[i] for i in chosen),
        texts=tuple(item.texts[i] for i in chosen),
    )
    by_number = dict(zip(restricted.numbers, hashes, strict=True))
    return [
        Outgoing(
            request_id=uuid.uuid4().hex,
            shown=shown,
            checked=restricted,
            hashes=tuple(by_number[n] for n in shown.recipients),
            expected={n: expected[n] for n in shown.recipients if n in expected},
        )
        for shown in render_requests(restricted)
    ]


def narrowed(
    outgoing: Outgoing, recipients: Sequence[str], credentials: Mapping[str, str]
) -> tuple[Outgoing, RenderedRequest]:
    """``outgoing`` rendered again for the recipients its claim got (others are held elsewhere).

    A subset of one request's recipients fits one request; it keeps the request id.
    """
    checked = outgoing.checked
    keep = set(recipients)
    chosen = [i for i, n in enumerate(checked.numbers) if n in keep]
    restricted = replace(
        checked,
        numbers=tuple(checked.numbers[i] for i in chosen),
        texts=tuple(checked.texts[i] for i in chosen),
    )
    [shown] = render_requests(restricted)
    [real] = render_requests(restricted, credentials)
    by_number = dict(outgoing.deliveries)
    smaller = replace(
        outgoing,
        shown=shown,
        checked=restricted,
        hashes=tuple(by_number[n] for n in shown.recipients),
        expected={n: outgoing.expected[n] for n in shown.recipients if n in outgoing.expected},
    )
    return smaller, real


def with_credentials(
    outgoing: Sequence[Outgoing], credentials: Mapping[str, Mapping[str, str]]
) -> list[tuple[Outgoing, RenderedRequest]]:
    """Each request with its exact rendering, secrets included (never print the latter).

    ``credentials`` maps account name to credential values. Each message is
    rendered once; rendering is deterministic, so its requests come in the
    same order as the redacted ones.
    """
    groups: dict[int, list[Outgoing]] = {}
    for item in outgoing:
        groups.setdefault(id(item.checked), []).append(item)
    paired: list[tuple[Outgoing, RenderedRequest]] = []
    for members in groups.values():
        checked = members[0].checked
        real = list(render_requests(checked, credentials[checked.account.name]))
        if len(real) != len(members):
            raise RuntimeError(f"message {checked.message.id} renders differently with credentials")
        for item, request in zip(members, real, strict=True):
            if request.recipients != item.shown.recipients:
                raise RuntimeError(f"request {item.request_id} renders differently with credentials")
            paired.append((item, request))
    return paired
