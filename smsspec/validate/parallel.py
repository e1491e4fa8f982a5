"""Check a large set of spec files on every CPU core, for a report.

:func:`check_for_report` gives the result :func:`~smsspec.validate.check.check_paths`
gives, minus the checked messages (a report needs only diagnostics and
counts). Above :data:`MIN_FILES` files, on a platform that can fork, the
files are cut into consecutive parts; each part is checked by the ordinary
``check_paths`` in a worker process, which sends back plain data: its
diagnostics, counts and the message ids it saw. The parts are joined in
order and sorted as ``check_paths`` sorts, so the report is the same.

Two things reach across files: a message id used in two files
(SPEC-DUPLICATE-ID names the first use), and smsspec.yaml, whose own
diagnostics every part that loads it reports (and those of files it names,
such as an opt-out list). Those are kept once (an unused suppression in
smsspec.yaml only when no part used it); an id in two parts sends the files
to one process, so the report never depends on how the files were cut.

``SMSSPEC_JOBS`` sets the number of processes (1: never spread).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from smsspec.diagnostics import Diagnostic
from smsspec.load.config import CONFIG_NAME
from smsspec.load.spec import display_path
from smsspec.validate.check import (
    CheckResult,
    SeenIds,
    check_paths,
    find_spec_files,
    misnamed_warnings,
)
from smsspec.validate.config_checks import load_config
from smsspec.validate.cores import as_worker, can_fork, jobs

__all__ = ["MIN_FILES", "check_for_report", "jobs"]

# Below this many files one process is quicker than starting others.
MIN_FILES = 200
_MAX_PART = 400  # files per part: bounds a worker's memory
_PARTS_PER_JOB = 4  # more parts than processes, so a slow part does not hold the others up


@dataclass
class _Part:
    """What a worker sends back for one part: plain data only."""

    files: int = 0
    messages: int = 0
    diagnostics: list[Diagnostic] = field(default_factory=list)
    configs: list[tuple[str, str]] = field(default_factory=list)  # (absolute path, as shown), in order of first use
    ids: list[tuple[str, str]] = field(default_factory=list)  # (project root, message id)
    unchecked: int = 0
    config_files: set[str] = field(default_factory=set)


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Checking allocates many long-lived objects; collecting them every 700 allocations
    costs a third of the time and finds nothing to free."""
    before = gc.get_threshold()
    gc.set_threshold(100_000, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _check_part(paths: Sequence[str], config_path: str | None) -> _Part:
    ids: SeenIds = {}
    with _fewer_collections():
        result = check_paths(list(paths), config_path, seen_ids=ids)
    configs = [(key, config.path) for key, config in result.configs.items()]
    return _Part(result.files, result.messages, result.diagnostics, configs, list(ids), result.unchecked, result.config_files)


def _parts(files: Sequence[str], workers: int) -> list[list[str]]:
    size = max(1, min(_MAX_PART, -(-len(files) // (workers * _PARTS_PER_JOB))))
    return [list(files[i : i + size]) for i in range(0, len(files), size)]


# Rules reported while smsspec.yaml loads, located in other files (each part would repeat them).
_FROM_CONFIG = frozenset({"OPT-OUT-FILE"})


def _config_files(config_path: str | None) -> set[str]:
    return {display_path(Path(config_path))} if config_path else set()


def _reaches_across(parts: Sequence[_Part]) -> bool:
    """True when a message id is used in two parts: SPEC-DUPLICATE-ID must name the first use."""
    seen: set[tuple[str, str]] = set()
    for part in parts:
        mine = set(part.ids)
        if mine & seen:
            return True
        seen |= mine
    return False


def _config_diagnostics(parts: Sequence[_Part], config_path: str | None) -> list[list[Diagnostic]]:
    """Each part's diagnostics located in a configuration file, as one process reports them.

    Every part that loads a configuration file finds its own diagnostics, the same ones:
    they are kept from the first part that has them. The exception is a suppression in
    it that is unused, which depends on the files a part checked: it is unused in one
    process only when it is unused in every part that loaded the file.
    """
    explicit = _config_files(config_path)
    owner: dict[str, int] = {}  # configuration file -> the first part with diagnostics in it
    for index, part in enumerate(parts):
        for d in part.diagnostics:
            if _in_config(d, explicit):
                owner.setdefault(d.location.file, index)
    loaded: dict[str, list[int]] = {}  # configuration file -> the parts that loaded it
    for index, part in enumerate(parts):
        for _, shown in part.configs:
            loaded.setdefault(shown, []).append(index)
    kept: list[list[Diagnostic]] = []
    for index, part in enumerate(parts):
        mine = []
        for d in part.diagnostics:
            if not _in_config(d, explicit) or owner[d.location.file] != index:
                continue
            if d.rule == _UNUSED and not all(d in parts[other].diagnostics for other in loaded.get(d.location.file, [])):
                continue
            mine.append(d)
        kept.append(mine)
    return kept


_UNUSED = "SUPPRESSION-UNUSED"


def _in_config(diagnostic: Diagnostic, explicit: set[str]) -> bool:
    """Located in a configuration file, or reported while one loads (every part repeats it)."""
    return Path(diagnostic.location.file).name == CONFIG_NAME or diagnostic.location.file in explicit or diagnostic.rule in _FROM_CONFIG


def _joined(parts: Sequence[_Part], config_path: str | None) -> CheckResult:
    result = CheckResult()
    explicit = _config_files(config_path)
    for part, config_diagnostics in zip(parts, _config_diagnostics(parts, config_path), strict=True):
        result.files += part.files
        result.messages += part.messages
        result.unchecked += part.unchecked
        result.config_files |= part.config_files
        result.diagnostics += [d for d in part.diagnostics if not _in_config(d, explicit)] + config_diagnostics
        for path, shown in part.configs:
            if path not in result.configs:
                config, _ = load_config(Path(path), shown)
                if config is not None:
                    result.configs[path] = config
    result.diagnostics.sort(key=Diagnostic.sort_key)  # stable: each file's own order is kept
    return result


def _prepare() -> None:
    """Load the providers and compile the schemas once, before forking, so no worker repeats it."""
    from smsspec.providers import registry
    from smsspec.validate.schema import provider_validator, schema_validator

    schema_validator("spec.schema.json")
    schema_validator("config.schema.json")
    for provider in registry.registry().values():
        provider_validator(provider)


def check_for_report(paths: Sequence[str], config_path: str | None = None) -> CheckResult:
    """Diagnostics and counts for ``paths``, as ``check_paths`` finds them; no checked messages.

    Raises :class:`~smsspec.errors.UsageError` as ``check_paths`` does.
    """
    workers = jobs()
    if workers < 2 or not can_fork() or (config_path is not None and not Path(config_path).is_file()):
        return _serial(paths, config_path)
    misnamed: list[Path] = []
    files = [str(path) for path in find_spec_files(paths or ["."], misnamed)]
    if len(files) < MIN_FILES:
        return _serial(paths, config_path)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    _prepare()
    chunks = _parts(files, workers)
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=min(workers, len(chunks)), mp_context=context, initializer=as_worker) as pool:
        parts = list(pool.map(_check_part, chunks, [config_path] * len(chunks)))
    if _reaches_across(parts):
        return _serial(paths, config_path)
    joined = _joined(parts, config_path)
    joined.diagnostics = sorted(joined.diagnostics + misnamed_warnings(misnamed), key=Diagnostic.sort_key)
    return joined


def _serial(paths: Sequence[str], config_path: str | None) -> CheckResult:
    with _fewer_collections():
        result = check_paths(list(paths), config_path)
    result.checked = []
    return result
