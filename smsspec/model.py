"""The records every stage passes along. No I/O here."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import islice
from typing import TYPE_CHECKING, Any, Protocol

from smsspec.compliance.quiet import QuietHours
from smsspec.load.recipients import RecipientFile

if TYPE_CHECKING:
    from smsspec.providers.registry import Provider
from smsspec.load.yaml.source_map import PathKey, SourceMap


@dataclass(frozen=True)
class Account:
    name: str
    provider: str
    endpoint: str | None
    credentials: Mapping[str, str]  # credential name -> "${VAR}" reference, never a value
    settings: Mapping[str, Any]
    max_segments: int | None = None
    path: PathKey = ()  # where it is declared in the config file
    receipts_token: str | None = None  # "${VAR}" reference to the receiver's secret, never a value
    quiet_hours: QuietHours | None = None  # the account's own; replaces the project's


@dataclass(frozen=True)
class Config:
    path: str  # display path of smsspec.yaml
    root: str  # absolute folder holding it (the ledger lives below it)
    accounts: Mapping[str, Account]
    rules: Mapping[str, str] = field(default_factory=dict)  # rule id -> "off" | "warning" | "error"
    source: SourceMap | None = None
    ledger: str | None = None  # as written: a path, a URL or a ${VAR} reference
    project: str | None = None  # the project's name in the ledger
    allow_outside: tuple[str, ...] = ()  # absolute folders outside root that recipients files may be in
    opt_out_files: tuple[str, ...] = ()  # `opt_out: files:` as written (relative to root)
    opt_outs: frozenset[str] = frozenset()  # E.164 numbers read from them (by validation)
    quiet_hours: QuietHours | None = None  # the project's

    def quiet_hours_for(self, account: Account) -> QuietHours | None:
        return account.quiet_hours or self.quiet_hours


@dataclass(frozen=True)
class Recipient:
    number: str  # as written; E.164 when valid
    vars: Mapping[str, Any]
    path: PathKey  # where it is declared in the spec file (see ROW_PATH for file rows)
    row: int | None = None  # 1-based line, for recipients read from a file
    column: int | None = None


ROW_PATH = "@row"  # Recipient.path of a file row: (ROW_PATH, row, column)


@dataclass(frozen=True)
class Message:
    id: str
    account: str
    text: str  # the Jinja template source
    fields: Mapping[str, Any]  # every other message field, defaults merged in
    vars: Mapping[str, Any]
    recipients: tuple[Recipient, ...]
    path: PathKey  # where the message is in its spec file
    origins: Mapping[str, PathKey] = field(default_factory=dict)  # field -> where it was written
    recipient_file: RecipientFile | None = None  # `to: {file: ...}`: recipients are read from it

    def get(self, name: str, default: Any = None) -> Any:
        return self.fields.get(name, default)

    def inherited(self, name: str) -> bool:
        """Whether the field's value comes from the file's ``defaults``, not the message itself."""
        return self.origins.get(name, ())[:1] == ("defaults",)


@dataclass(frozen=True)
class Spec:
    path: str  # display path
    messages: tuple[Message, ...]
    source: SourceMap
    unchecked: int = 0  # messages left out: their shape errors stop further checks


@dataclass(frozen=True)
class RenderedRequest:
    """One HTTP request as a provider would receive it.

    ``body``/``url``/``headers`` hold secrets only when rendered for sending;
    the copies used for display, keys and the ledger are rendered redacted.
    """

    file: str
    message_id: str
    account: str
    provider: str
    method: str
    url: str
    headers: Mapping[str, str]
    body: str  # exact text sent ("" for GET)
    recipients: tuple[str, ...]  # E.164 numbers this request delivers to
    texts: tuple[str, ...]  # rendered text per recipient, in order
    segments: int  # segments billed for the whole request

    @classmethod
    def make(
        cls, *, file: str, message_id: str, account: str, provider: str, method: str, url: str,
        headers: Mapping[str, str], body: str, recipients: tuple[str, ...], texts: tuple[str, ...], segments: int,
    ) -> RenderedRequest:
        """The same as ``RenderedRequest(...)``, a third of the work: there is one request per
        recipient, and a frozen dataclass's ``__init__`` sets each field through ``object.__setattr__``."""
        request = object.__new__(cls)
        object.__setattr__(request, "__dict__", {
            "file": file, "message_id": message_id, "account": account, "provider": provider, "method": method,
            "url": url, "headers": headers, "body": body, "recipients": recipients, "texts": texts, "segments": segments,
        })
        return request

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "message": self.message_id,
            "account": self.account,
            "provider": self.provider,
            "method": self.method,
            "url": self.url,
            "headers": dict(self.headers),
            "body": self.body,
            "recipients": list(self.recipients),
        }


# The message fields a provider's payload template sees as ``message.<name>``.
VIEW_FIELDS = ("from", "sender_mask", "campaign", "click_tracking", "type", "send_at", "tags", "options")


class Deliveries(Protocol):
    """Recipients read from a file, produced again on demand: (E.164 number, rendered text)."""

    def stream(self) -> Iterator[tuple[str, str]]: ...


@dataclass(frozen=True)
class CheckedMessage:
    spec: Spec
    message: Message
    account: Account
    provider: Provider
    numbers: Sequence[str]  # E.164, one per recipient
    texts: Sequence[str]  # rendered text, one per recipient
    config: Config
    from_file: Deliveries | None = None  # recipients read from a file, produced on demand

    def chunks(self, size: int = 10_000) -> Iterator[CheckedMessage]:
        """The message in parts of at most ``size`` recipients; a file is streamed, not held."""
        if self.from_file is None:
            for start in range(0, len(self.numbers), size):
                yield replace(self, numbers=tuple(self.numbers[start : start + size]), texts=tuple(self.texts[start : start + size]))
            return
        pairs = self.from_file.stream()
        while True:
            part = list(islice(pairs, size))
            if not part:
                return
            yield replace(self, numbers=tuple(p[0] for p in part), texts=tuple(p[1] for p in part), from_file=None)
