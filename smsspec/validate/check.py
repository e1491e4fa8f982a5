"""Check spec files: load, validate every rule, and keep what rendering needs.

One function, :func:`check_paths`, builds the whole result; the CLI only
reports it. Messages that pass are kept as :class:`CheckedMessage`, with each
recipient's E.164 number and rendered text, so render and send never redo work.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from smsspec.diagnostics import (
    Diagnostic,
    Location,
    Severity,
    apply_rule_settings,
    count,
    error,
    warning,
)
from smsspec.errors import TextError, UsageError
from smsspec.load.config import CONFIG_NAME, find_config
from smsspec.load.spec import SPEC_SUFFIXES, display_path, is_spec_file, spec_from
from smsspec.load.yaml.files import load_yaml_file
from smsspec.load.yaml.source_map import PathKey, SourceMap
from smsspec.model import CheckedMessage, Config, Message, Spec
from smsspec.providers import registry
from smsspec.providers.registry import Provider
from smsspec.templating.text import compile_text
from smsspec.validate import semantic
from smsspec.validate.compliance import check_compliance
from smsspec.validate.config_checks import load_config
from smsspec.validate.cores import jobs
from smsspec.validate.file_recipients import (
    FileColumn,
    FileDeliveries,
    check_file_message,
    confined,
    row_locator,
)
from smsspec.validate.provider_rules import check_provider
from smsspec.validate.schema import did_you_mean, schema_validator
from smsspec.validate.shape import (
    changed_text_values,
    curly_quoted_values,
    shape_diagnostics,
    unsets_default,
)
from smsspec.validate.suppressions import Suppressions

# (project root, message id) -> (file, its source map, path): where the id is first used.
SeenIds = dict[tuple[str, str], tuple[str, SourceMap, PathKey]]


@dataclass
class CheckResult:
    files: int = 0
    messages: int = 0  # including those not checked further (``unchecked``)
    unchecked: int = 0  # messages whose shape errors stop further checks
    config_files: set[str] = field(default_factory=set)  # every smsspec.yaml read (absolute paths)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    checked: list[CheckedMessage] = field(default_factory=list)
    configs: dict[str, Config] = field(default_factory=dict)

    @property
    def errors(self) -> int:
        return count(self.diagnostics, Severity.ERROR)

    @property
    def warnings(self) -> int:
        return count(self.diagnostics, Severity.WARNING)




def load_spec(path: str, display: str) -> tuple[Spec | None, list[Diagnostic]]:
    """Load a spec file and check its shape: the spec (past its shape problems) and the
    loader's and the shape check's diagnostics, in that order."""
    document, diagnostics = load_yaml_file(path, display)
    if document is None or document.data is None:
        return None, diagnostics
    shape = shape_diagnostics(schema_validator("spec.schema.json"), document.data, document.source, display)
    shape = [d for d in shape if not unsets_default(d.extra.get("path", ()), document.data)]
    shape += changed_text_values(document.data, document.source) + curly_quoted_values(document.data, document.source)
    return spec_from(document, path, display, shape), diagnostics + shape


def find_spec_files(paths: Sequence[str], misnamed: list[Path] | None = None) -> Iterator[Path]:
    """Spec files named on the command line, and those found below named folders.

    ``misnamed`` receives the YAML files below named folders that hold a spec's
    top-level `messages:` under another name (`shop.yaml`), which are not checked."""
    seen: set[Path] = set()
    for raw in paths:
        path = Path(raw)
        if path.is_dir() and not is_spec_file(path.name):
            # A folder named like a spec is listed too: the loader says it is not a file.
            found: list[Path] = []
            others: list[Path] = []
            for item in path.rglob("*"):
                if _hidden(item, path):
                    continue
                if is_spec_file(item.name):
                    found.append(item)
                elif item.suffix in (".yaml", ".yml") and item.name != CONFIG_NAME and _looks_like_a_spec(item):
                    others.append(item)
            found.sort()
            others.sort()
            if not found:
                raise UsageError(f"{raw}: no spec files ({', '.join('*' + s for s in SPEC_SUFFIXES)}) in this folder or below it{_misnamed_hint(others)}")
            if misnamed is not None:
                misnamed += others
        elif path.exists() or path.is_symlink():
            found = [path]
        else:
            raise UsageError(f"{raw}: no such file or folder")
        for item in found:
            key = Path(os.path.abspath(item))
            if key not in seen:
                seen.add(key)
                yield item


_SPEC_LIKE = re.compile(rb"^messages[ \t]*:", re.MULTILINE)
_PEEK_BYTES = 64 * 1024


def _looks_like_a_spec(candidate: Path) -> bool:
    """A YAML file with a top-level `messages:` in its first 64 KiB."""
    try:
        if not candidate.is_file():  # a FIFO is never opened: that could wait forever
            return False
        with candidate.open("rb") as handle:
            return _SPEC_LIKE.search(handle.read(_PEEK_BYTES)) is not None
    except OSError:
        return False


def _renamed(path: Path) -> str:
    return f"{path.name[: -len(path.suffix)]}.sms{path.suffix}"


def _misnamed_hint(misnamed: Sequence[Path]) -> str:
    """What to do about YAML files that hold a spec's `messages:` under another name."""
    hints = [
        f"; {display_path(p)} has `messages:` but is not named *.sms.yaml: rename it to "
        f"{_renamed(p)}, or name it on the command line"
        for p in misnamed[:3]
    ]
    if len(misnamed) > 3:
        hints.append(f" (and {len(misnamed) - 3} more)")
    return "".join(hints)


def misnamed_warnings(misnamed: Sequence[Path]) -> list[Diagnostic]:
    """SPEC-FILE-NAME for each YAML file a folder search passed over although it looks like a spec."""
    return [
        warning("SPEC-FILE-NAME", f"{path.name} has a top-level `messages:` but is not named *.sms.yaml, so it was "
                f"not checked; rename it to {_renamed(path)}", Location(display_path(path), 1, 1), fix=_renamed(path))
        for path in misnamed
    ]


def require_config_file(config_path: str | None) -> None:
    """UsageError unless ``--config`` names a file; a folder is told which file to name."""
    if config_path is None or Path(config_path).is_file():
        return
    if Path(config_path).is_dir():
        inside = Path(config_path) / CONFIG_NAME
        hint = f"did you mean --config {display_path(inside)}?" if inside.is_file() else f"--config takes the path of a {CONFIG_NAME} file"
        raise UsageError(f"--config {config_path}: is a folder, not a file; {hint}")
    raise UsageError(f"--config {config_path}: no such file")


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") and part not in (".", "..") for part in path.relative_to(root).parts[:-1])


class ConfigCache:
    """Finds and loads each smsspec.yaml once; reports its diagnostics once."""

    def __init__(self, explicit: str | None) -> None:
        self.explicit = Path(explicit) if explicit else None
        self.loaded: dict[Path, Config | None] = {}
        self.found: dict[Path, Path | None] = {}  # folder -> its smsspec.yaml, looked up once per folder

    def for_spec(self, spec_path: Path, result: CheckResult) -> tuple[Config | None, Path | None]:
        path = self.explicit or self._find(spec_path)
        if path is None:
            return None, None
        key = Path(os.path.abspath(path))
        result.config_files.add(str(key))
        if key not in self.loaded:
            config, diagnostics = load_config(path, display_path(path))
            self.loaded[key] = config
            result.diagnostics += apply_rule_settings(diagnostics, config.rules) if config is not None else diagnostics
            if config is not None:
                result.configs[str(key)] = config
        return self.loaded[key], path

    def _find(self, spec_path: Path) -> Path | None:
        folder = spec_path if spec_path.is_dir() else spec_path.parent
        if folder not in self.found:
            self.found[folder] = find_config(folder)
        return self.found[folder]


def check_paths(
    paths: Sequence[str],
    config_path: str | None = None,
    *,
    seen_ids: SeenIds | None = None,
) -> CheckResult:
    """``seen_ids`` receives each (project root, message id) and where it is first used."""
    require_config_file(config_path)
    result = CheckResult()
    configs = ConfigCache(config_path)
    suppressions = Suppressions()
    ids: SeenIds = {} if seen_ids is None else seen_ids
    misnamed: list[Path] = []
    for spec_path in find_spec_files(paths or ["."], misnamed):
        result.files += 1
        display = display_path(spec_path)
        spec, diagnostics = load_spec(str(spec_path), display)
        config, found_at = configs.for_spec(spec_path, result)
        settings = config.rules if config is not None else {}
        if spec is not None:  # only files that loaded are read again for suppressions
            suppressions.add(display, spec_path, settings)
        if config is not None and found_at is not None:
            suppressions.add(display_path(found_at), found_at, settings)
        result.diagnostics += apply_rule_settings(diagnostics, settings)
        if spec is None:
            continue
        result.messages += len(spec.messages) + spec.unchecked
        result.unchecked += spec.unchecked
        if found_at is None:
            result.diagnostics.append(error("CONFIG-NOT-FOUND", f"no {CONFIG_NAME} in {spec_path.parent} or any folder above it; create one, or pass --config", Location(display, 1, 1)))
            continue
        if config is None:
            continue  # its own diagnostics say why
        for message in spec.messages:
            result.diagnostics += _check_message(spec, message, config, ids, result, suppressions)
    result.diagnostics = suppressions.apply(result.diagnostics) + misnamed_warnings(misnamed)
    result.diagnostics.sort(key=Diagnostic.sort_key)
    return result


def _check_message(
    spec: Spec,
    message: Message,
    config: Config,
    ids: SeenIds,
    result: CheckResult,
    suppressions: Suppressions,
) -> list[Diagnostic]:
    locate = spec.source.locate
    found: list[Diagnostic] = []
    key = (config.root, message.id)
    id_path = (*message.path, "id")
    if key in ids:
        first_file, first_source, first_path = ids[key]
        first = first_source.locate(first_path)
        where = f"line {first.line}" if first_file == spec.path else f"{first_file}:{first.line}"
        found.append(error("SPEC-DUPLICATE-ID", f"message id {message.id!r} is already used ({where}); ids identify messages in the send ledger, so each must be unique in the project", locate(id_path), message_id=message.id))
    else:
        ids[key] = (spec.path, spec.source, id_path)
    account = config.accounts.get(message.account)
    if not message.account:
        found.append(error("SPEC-NO-ACCOUNT", f"message {message.id!r} has no account; add `account:` to the file or the message", locate(message.path), message_id=message.id))
        return found
    if account is None and _written_but_unusable(config, message.account):
        return found  # the account's own problem in smsspec.yaml is the one to report
    if account is None:
        hint = did_you_mean(message.account, list(config.accounts))
        text = f"message {message.id!r}: account {message.account!r} is not defined in {config.path}"
        text += f"; did you mean {hint!r}?" if hint else f"; defined accounts: {', '.join(config.accounts) or 'none'}"
        found.append(error("SPEC-UNKNOWN-ACCOUNT", text, locate(message.origins.get("account", message.path)), message_id=message.id, fix=hint))
        return found
    provider = registry.get(account.provider)
    assert provider is not None  # accounts with unknown providers are not loaded
    found += semantic.check_send_at(message, locate)
    try:
        template = compile_text(message.text)
    except TextError as exc:
        found.append(error(exc.rule, f"message {message.id!r}: {exc}", locate(message.origins.get("text", message.path)), message_id=message.id))
        return found
    found += semantic.check_placeholders(message, locate)
    source = confined(message.recipient_file, config) if message.recipient_file is not None else None
    place = row_locator(locate, source) if source is not None else locate

    def check_recipients(part: Message) -> tuple[list[Diagnostic], list[str | None], list[str | None]]:
        """Every rule that looks at recipients, their numbers and their rendered texts."""
        phone_problems, numbers = semantic.check_phones(part, place)
        render_problems, texts = semantic.render_texts(part, template, place)
        render_problems += semantic.check_empty_vars(part, template, place)
        problems = phone_problems + render_problems + semantic.check_texts(part, account, texts, place, provider.appended(part.get("options")))
        problems += check_provider(part, account, provider, numbers, texts, place)
        problems += _check_fallbacks(part, config, numbers, texts, place)
        problems += check_compliance(part, config, account, provider, numbers, place)
        return problems, numbers, texts

    if source is not None:
        declared_at = locate((*message.origins.get("to", message.path), "file"))
        problems, sendable = check_file_message(message, source, declared_at, check_recipients, jobs())
        numbers: Sequence[str | None] = ()
        texts: Sequence[str | None] = ()
    else:
        problems, numbers, texts = check_recipients(message)
        sendable = None not in numbers and None not in texts
    found = suppressions.filter(apply_rule_settings(_without_superseded(found + problems, provider), config.rules))
    if sendable and not any(d.severity is Severity.ERROR for d in found):
        if source is not None:
            deliveries = FileDeliveries(message, source, template)
            checked = CheckedMessage(spec, message, account, provider, FileColumn(deliveries, 0), FileColumn(deliveries, 1), config, deliveries)
        else:
            checked = CheckedMessage(spec, message, account, provider, tuple(n for n in numbers if n), tuple(t for t in texts if t is not None), config)
        result.checked.append(checked)
    return found


def _without_superseded(found: list[Diagnostic], provider: Provider) -> list[Diagnostic]:
    """Drops a common rule's finding that a provider rule found for the message says better
    (the provider rule's `supersedes`: `#field1#` in an inwise text is its placeholder)."""
    superseded = {rule for d in found for rule in provider.rules.get(d.rule, {}).get("supersedes", ())}
    return [d for d in found if d.rule not in superseded] if superseded else found


def _written_but_unusable(config: Config, name: str) -> bool:
    """An account smsspec.yaml defines but could not load (an unknown provider, say)."""
    return config.source is not None and config.source.node_at(("accounts", name)) is not None


def _check_fallbacks(
    message: Message,
    config: Config,
    numbers: Sequence[str | None],
    texts: Sequence[str | None],
    locate: semantic.Locate,
) -> list[Diagnostic]:
    """`also_valid_for`: the message must also pass every listed account's provider rules."""
    found: list[Diagnostic] = []
    fallbacks = message.get("also_valid_for") or []
    origin = message.origins.get("also_valid_for", message.path)
    for index, name in enumerate(fallbacks):
        account = config.accounts.get(name)
        if account is None and _written_but_unusable(config, name):
            continue
        if account is None:
            hint = did_you_mean(name, list(config.accounts))
            text = f"message {message.id!r}: fallback account {name!r} is not defined in {config.path}"
            text += f"; did you mean {hint!r}?" if hint else ""
            found.append(error("SPEC-UNKNOWN-ACCOUNT", text, locate((*origin, index)), message_id=message.id, fix=hint))
            continue
        provider = registry.get(account.provider)
        assert provider is not None
        prefix = f"(fallback account {name!r}, {provider.id}) "
        appended = provider.appended(message.get("options"))
        for diagnostic in semantic.check_texts(message, account, texts, locate, appended) + check_provider(
            message, account, provider, numbers, texts, locate
        ):
            if diagnostic.rule == "TEXT-GSM-LOOKALIKE":
                continue  # the same for every account; reported once for the main one
            text = diagnostic.message.replace(f"message {message.id!r}: ", f"message {message.id!r}: {prefix}", 1)
            found.append(replace(diagnostic, message=text))
    return found
