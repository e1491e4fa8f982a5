"""`smsspec diff`: what a change to the specs does for recipients, message by message.

Both sides are checked as ``validate`` checks them: the work tree where it
is, and BASE after :func:`smsspec.review.git.export_tree` wrote its files
into a temporary folder. Messages are matched by project and id; each is
added, removed, changed (its rendered texts, recipients, sender, account or
payload fields differ) or unchanged. Counts and cost are ``plan``'s
(:func:`smsspec.report.plan.message_plan`), without the ledger's record of
what was sent already: a diff is about what the specs say. Recipients on an
opt-out list are counted apart and left out of texts, segments and cost, as
``plan`` leaves them out (:mod:`smsspec.review.optouts`): each side with its
own opt-out files, both with the ledger's list as it is today.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePath
from typing import Any

from smsspec.errors import UsageError
from smsspec.load.config import find_config
from smsspec.model import VIEW_FIELDS, CheckedMessage
from smsspec.report.plan import AccountPlan, message_plan
from smsspec.review.git import Base, export_tree, is_revision, repository, resolve_base
from smsspec.review.optouts import OptOutLists, opt_out_lists
from smsspec.sms.encoding import analyze
from smsspec.validate.check import CheckResult, check_paths

ADDED, REMOVED, CHANGED, UNCHANGED, NOT_COMPARED = "added", "removed", "changed", "unchanged", "not compared"
SENDER_FIELDS = ("sender_mask", "from")


@dataclass(frozen=True)
class Side:
    """One message as one revision has it."""

    message_id: str
    file: str  # as the user would name it (relative to the working folder)
    account: str
    provider: str
    sender: str | None  # what a phone shows: the mask, else `from`
    fields: Mapping[str, Any]  # the payload's message fields (VIEW_FIELDS)
    texts: Mapping[str, str]  # E.164 number -> rendered text, in the spec's order
    segments: Mapping[str, int]  # E.164 number -> segments of its text
    planned: AccountPlan  # requests, recipients, billed segments and cost, as `plan` counts them
    opted_out: frozenset[str] = frozenset()  # recipients an opt-out list removes (not in texts)

    @property
    def sample(self) -> str | None:
        """The first recipient."""
        return next(iter(self.texts), None)

    @property
    def worst(self) -> str | None:
        """The recipient whose text needs the most segments (the first of equals)."""
        return max(self.segments, key=lambda n: self.segments[n], default=None)


@dataclass(frozen=True)
class MessageChange:
    key: tuple[str, str]  # (project folder relative to the repository, message id)
    status: str  # ADDED, REMOVED, CHANGED, UNCHANGED or NOT_COMPARED
    before: Side | None = None
    after: Side | None = None
    changes: tuple[str, ...] = ()  # what differs: account, sender, recipients, text, or a field name
    note: str = ""  # NOT_COMPARED: why
    name: str = ""  # the id, with its project folder in front when the diff spans several


@dataclass(frozen=True)
class DiffResult:
    base: Base
    messages: tuple[MessageChange, ...]
    errors_before: int = 0
    errors_after: int = 0
    counts: Mapping[str, int] = field(default_factory=dict)
    notes: tuple[str, ...] = ()  # e.g. why the ledger's opt-out list is not counted

    def of(self, status: str) -> list[MessageChange]:
        return [m for m in self.messages if m.status == status]


def side_of(item: CheckedMessage, opted_out: frozenset[str] = frozenset()) -> Side:
    """``item`` as a review shows it, without the recipients in ``opted_out``."""
    if opted_out:
        kept = [i for i, n in enumerate(item.numbers) if n not in opted_out]
        item = replace(item, numbers=tuple(item.numbers[i] for i in kept), texts=tuple(item.texts[i] for i in kept))
    texts: dict[str, str] = {}
    by_text: dict[str, int] = {}
    segments: dict[str, int] = {}
    for number, text in zip(item.numbers, item.texts, strict=True):
        texts[number] = text
        if text not in by_text:
            by_text[text] = analyze(text).segments
        segments[number] = by_text[text]
    fields = {name: item.message.get(name) for name in VIEW_FIELDS}
    sender = next((str(fields[f]) for f in SENDER_FIELDS if fields.get(f) not in (None, "")), None)
    return Side(item.message.id, item.spec.path, item.account.name, item.provider.id, sender, fields, texts, segments,
                message_plan(item), opted_out)


def _project(item: CheckedMessage, top: Path) -> str:
    return PurePath(os.path.relpath(item.config.root, top)).as_posix()


def _sides(result: CheckResult, top: Path, lists: OptOutLists) -> tuple[dict[tuple[str, str], Side], set[str]]:
    """Checked messages by (project, id), and the ids of messages with errors (not comparable)."""
    sides = {(_project(item, top), item.message.id): side_of(item, lists.of(item)) for item in result.checked}
    failing = {d.message_id for d in result.diagnostics if d.is_error and d.message_id}
    return sides, failing - {message_id for _, message_id in sides}


def _changes(before: Side, after: Side) -> tuple[str, ...]:
    found = []
    if (before.account, before.provider) != (after.account, after.provider):
        found.append("account")
    if before.sender != after.sender or any(before.fields.get(f) != after.fields.get(f) for f in SENDER_FIELDS):
        found.append("sender")
    if before.texts.keys() | before.opted_out != after.texts.keys() | after.opted_out:
        found.append("recipients")
    if before.opted_out != after.opted_out:
        found.append("opt-outs")
    if any(before.texts[n] != text for n, text in after.texts.items() if n in before.texts):
        found.append("text")
    found += [f for f in VIEW_FIELDS if f not in SENDER_FIELDS and before.fields.get(f) != after.fields.get(f)]
    return tuple(found)


def compare(
    base: Base, before: CheckResult, after: CheckResult, top: Path, lists: OptOutLists | None = None
) -> DiffResult:
    """Both sides' checked messages matched by (project folder relative to ``top``, id)."""
    lists = lists or OptOutLists()
    old, old_failing = _sides(before, top, lists)
    new, new_failing = _sides(after, top, lists)
    found: list[MessageChange] = []
    for key in dict.fromkeys([*new, *old]):
        was, now = old.get(key), new.get(key)
        if was is None and now is not None and key[1] in old_failing:
            found.append(MessageChange(key, NOT_COMPARED, after=now, note=f"it has errors at {base.name}"))
        elif now is None and was is not None and key[1] in new_failing:
            found.append(MessageChange(key, NOT_COMPARED, before=was, note="it has errors in the work tree (run smsspec validate)"))
        elif was is None:
            found.append(MessageChange(key, ADDED, after=now))
        elif now is None:
            found.append(MessageChange(key, REMOVED, before=was))
        else:
            changes = _changes(was, now)
            found.append(MessageChange(key, CHANGED if changes else UNCHANGED, was, now, changes))
    seen = {message_id for _, message_id in [*old, *new]}
    found += [MessageChange(("", i), NOT_COMPARED, note="it has errors in the work tree and at the base")
              for i in sorted((old_failing & new_failing) - seen)]
    several = len({project for project, _ in [*old, *new]}) > 1
    found = [replace(m, name=f"{m.key[0]}:{m.key[1]}" if several else m.key[1]) for m in found]
    counts = {status: sum(m.status == status for m in found) for status in (ADDED, REMOVED, CHANGED, UNCHANGED, NOT_COMPARED)}
    notes = (lists.note,) if lists.note else ()
    return DiffResult(base, tuple(found), before.errors, after.errors, counts, notes)


def _project_folders(paths: Sequence[str], config_path: str | None, top: Path) -> list[str]:
    """The folders (relative to ``top``) BASE must provide: each path's project, or the path."""
    folders = []
    for raw in paths or ["."]:
        path = Path(raw).resolve()
        config = Path(config_path).resolve() if config_path else find_config(path if path.is_dir() else path.parent)
        folder = config.parent if config is not None else (path if path.is_dir() else path.parent)
        relative = os.path.relpath(folder, top)
        if relative == ".." or relative.startswith(".." + os.sep):
            raise UsageError(f"{raw}: outside the git work tree {top}")
        folders.append(PurePath(relative).as_posix())
    return folders


def _moved(path: str, top: Path, into: Path) -> str:
    """``path`` (as given, relative to the working folder) at the same place below ``into``."""
    return str(into / os.path.relpath(Path(path).resolve(), top))


def split_arguments(arguments: Sequence[str], base: str | None) -> tuple[str | None, list[str]]:
    """``[BASE] [PATHS...]``: the first argument is BASE when it is not a path but names a commit."""
    if base is not None or not arguments:
        return base, list(arguments)
    first = arguments[0]
    if os.path.lexists(first):
        return None, list(arguments)
    if is_revision(repository(Path.cwd()), first):
        return first, list(arguments[1:])
    raise UsageError(f"{first}: neither a path nor a commit, branch or tag of this repository")


def diff(paths: Sequence[str], config_path: str | None, revision: str | None) -> DiffResult:
    """Compare the specs under ``paths`` in the work tree with those at ``revision``
    (default: the merge base of HEAD with the default branch)."""
    top = repository(Path.cwd())
    base = resolve_base(top, revision)
    missing = [p for p in paths if not os.path.lexists(p)]
    if missing:
        raise UsageError(f"{missing[0]}: no such file or folder")
    folders = _project_folders(paths, config_path, top)
    after = check_paths(list(paths), config_path)
    unconfigured = next((d for d in after.diagnostics if d.rule == "CONFIG-NOT-FOUND"), None)
    if unconfigured is not None:
        raise UsageError(f"{unconfigured.location.file}: {unconfigured.message}")
    with tempfile.TemporaryDirectory(prefix="smsspec-diff-") as temporary:
        root = Path(temporary).resolve()
        export_tree(top, base.commit, folders, root)
        old_paths = [p for p in (_moved(p, top, root) for p in (paths or ["."])) if os.path.exists(p)]
        old_config = _moved(config_path, top, root) if config_path else None
        if old_config is not None and not os.path.isfile(old_config):
            old_config = None
        before = check_paths(old_paths, old_config) if old_paths else CheckResult()
        before = _renamed(before, root, top)
        with opt_out_lists(after.checked) as lists:
            return compare(base, before, after, top, lists)


def _renamed(result: CheckResult, root: Path, top: Path) -> CheckResult:
    """BASE's result with its temporary paths replaced by the work tree's (config roots, spec paths)."""
    def back(path: str) -> str:
        absolute = Path(path).resolve() if not os.path.isabs(path) else Path(path)
        try:
            return os.path.relpath(top / absolute.relative_to(root))
        except ValueError:
            return path

    checked = []
    for item in result.checked:
        spec = replace(item.spec, path=back(item.spec.path))
        config = replace(item.config, root=str(top / Path(item.config.root).relative_to(root)))
        checked.append(replace(item, spec=spec, config=config))
    return replace(result, checked=checked)


def totals(sides: Iterable[Side]) -> tuple[int, int, dict[str, float], list[str], int]:
    """Recipients, segments, cost by currency, the unpriced accounts and the recipients
    opt-outs remove, of ``sides``."""
    recipients = segments = opted_out = 0
    costs: dict[str, float] = {}
    unpriced: list[str] = []
    for side in sides:
        recipients += side.planned.recipients
        segments += side.planned.segments
        opted_out += len(side.opted_out)
        if side.planned.cost is None:
            if side.planned.segments and side.account not in unpriced:
                unpriced.append(side.account)
        else:
            key = side.planned.currency or ""
            costs[key] = round(costs.get(key, 0.0) + side.planned.cost, 6)
    return recipients, segments, costs, unpriced, opted_out
