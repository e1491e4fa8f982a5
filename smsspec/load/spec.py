"""Spec files (``*.sms.yaml``): YAML in, :class:`~smsspec.model.Spec` and diagnostics out."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from smsspec.diagnostics import Diagnostic
from smsspec.load.recipients import RecipientFile, format_for
from smsspec.load.yaml.source_map import PathKey, YamlDocument
from smsspec.model import Message, Recipient, Spec

SPEC_SUFFIXES = (".sms.yaml", ".sms.yml")
MERGED_MAPPINGS = ("vars", "options")
# Problems that leave a message usable for the deeper checks: the field is simply ignored.
_HARMLESS = frozenset({"SPEC-UNKNOWN-FIELD"})


def is_spec_file(name: str) -> bool:
    return name.endswith(SPEC_SUFFIXES)


def spec_from(document: YamlDocument, path: str, display: str, shape: list[Diagnostic]) -> Spec | None:
    """The spec in a loaded file, kept usable past its shape problems (``shape``, which
    validation found and reports): see :class:`_Repair`. None if it has no message list."""
    data = document.data
    if not isinstance(data, Mapping) or not isinstance(data.get("messages"), list):
        return None
    repair = _Repair()
    for diagnostic in shape:
        if diagnostic.rule not in _HARMLESS:
            repair.note(diagnostic.extra.get("path", ()), diagnostic.extra.get("intended"))
    if repair.whole_file:
        return Spec(display, (), document.source, len(data["messages"]))
    defaults = repair.mapping(data.get("defaults"), ("defaults",))
    file_account = data.get("account") if isinstance(data.get("account"), str) else None
    spec_dir = Path(path).resolve().parent
    messages = []
    for index, raw in enumerate(data["messages"]):
        where: PathKey = ("messages", index)
        if isinstance(raw, Mapping) and where not in repair.skipped:
            messages.append(_message(repair.mapping(raw, where), where, defaults, file_account, spec_dir))
    return Spec(display, tuple(messages), document.source, len(data["messages"]) - len(messages))


class _Repair:
    """Keeps checking a file past its shape problems.

    A value YAML mangled (``from: 00000``) is replaced by the text the user
    wrote; any other broken field or recipient is left out; a message whose
    id, text or recipient list is unusable is skipped. Each problem has
    already been reported, so later checks see only what makes sense.
    """

    _CORE = ("id", "text", "to")

    def __init__(self) -> None:
        self.whole_file = False
        self.skipped: set[PathKey] = set()
        self.dropped: set[PathKey] = set()
        self.replaced: dict[PathKey, str] = {}

    def note(self, path: Any, intended: Any) -> None:
        if not isinstance(path, tuple) or not path:
            self.whole_file = True
            return
        if path[0] == "messages":
            if len(path) < 3 or not isinstance(path[1], int):
                if len(path) == 2:
                    self.skipped.add(path)
                else:
                    self.whole_file = True
                return
            owner, rest = path[:2], path[2:]
        elif path[0] == "defaults":
            if len(path) == 1:
                self.whole_file = True
                return
            owner, rest = path[:1], path[1:]
        else:
            return  # version, account: reported, nothing to repair
        if isinstance(intended, str) and (rest[0] != "id"):
            self.replaced[path] = intended
        elif rest[0] == "to" and len(rest) >= 2:
            self.dropped.add((*owner, "to", rest[1]))
        elif rest[0] in self._CORE and owner[0] == "messages":
            self.skipped.add(owner)
        else:
            self.dropped.add((*owner, rest[0]))

    def mapping(self, raw: Any, path: PathKey) -> Mapping[str, Any]:
        if not isinstance(raw, Mapping):
            return {}
        out: dict[str, Any] = {}
        for name, value in raw.items():
            here = (*path, name)
            if here in self.dropped:
                continue
            out[name] = self._value(value, here)
        return out

    def _value(self, value: Any, path: PathKey) -> Any:
        if not self.replaced and not self.dropped:
            return _copy_lists(value)  # nothing to repair: skip the path bookkeeping
        if path in self.replaced:
            return self.replaced[path]
        if isinstance(value, list):
            # Dropped items become None so the others keep their index (and their position in the file).
            return [None if (*path, i) in self.dropped else self._value(v, (*path, i)) for i, v in enumerate(value)]
        if isinstance(value, Mapping) and any(p[: len(path)] == path for p in self.replaced):
            return {k: self._value(v, (*path, k)) for k, v in value.items()}
        return value


def _copy_lists(value: Any) -> Any:
    """What _Repair._value returns when there is nothing to repair: lists copied, the rest as is."""
    if isinstance(value, list):
        return [_copy_lists(v) if isinstance(v, list) else v for v in value]
    return value


def _message(raw: Mapping[str, Any], path: PathKey, defaults: Mapping[str, Any], file_account: str | None, spec_dir: Path) -> Message:
    fields: dict[str, Any] = {}
    origins: dict[str, PathKey] = {}
    for name, value in defaults.items():
        fields[name] = value
        origins[name] = ("defaults", name)
    for name, value in raw.items():
        if name in MERGED_MAPPINGS and isinstance(fields.get(name), Mapping) and isinstance(value, Mapping):
            value = {**fields[name], **value}
        fields[name] = value
        origins[name] = (*path, name)
    account = fields.pop("account", None) or file_account or ""
    if "account" not in origins and file_account:
        origins["account"] = ("account",)
    to = fields.pop("to")
    recipient_file = _recipient_file(to, spec_dir) if isinstance(to, Mapping) else None
    recipients = () if recipient_file else tuple(
        _recipient(item, (*path, "to", i)) for i, item in enumerate(to) if item is not None
    )
    message_vars = fields.pop("vars", None) or {}
    return Message(
        id=fields.pop("id"),
        account=account,
        text=fields.pop("text"),
        fields=fields,
        vars=message_vars,
        recipients=recipients,
        path=path,
        origins=origins,
        recipient_file=recipient_file,
    )


def _recipient_file(to: Mapping[str, Any], spec_dir: Path) -> RecipientFile:
    """`to: {file, number, format}`; the file is relative to the spec, and must lie in the project."""
    name = str(to["file"])
    path = (spec_dir / name).resolve()
    return RecipientFile(
        path=path,
        display=display_path(path),
        number_column=str(to.get("number", "number")),
        format=format_for(name, to.get("format")) or "",
        declared=name,
        roots=(spec_dir,),  # until the project's smsspec.yaml is known (see validate.file_recipients.confined)
        base=display_path(spec_dir),
    )


def display_path(path: Path) -> str:
    """How a file is named in diagnostics: relative to the working folder, unless it lies outside it."""
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if relative.startswith("..") and path.is_absolute() else relative


def _recipient(item: Any, path: PathKey) -> Recipient:
    if isinstance(item, Mapping):
        return Recipient(number=item["number"], vars=item.get("vars") or {}, path=path)
    return Recipient(number=item, vars={}, path=path)
