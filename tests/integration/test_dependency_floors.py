"""CI installs the declared minimum of every dependency (.ci/minimums.txt) and
runs the suite on it; this keeps that file equal to pyproject.toml's floors."""

from __future__ import annotations

import re
import sys

import pytest
from packaging.version import Version

from tests.conftest import ROOT

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    tomllib = pytest.importorskip("tomli")

_REQUIREMENT = re.compile(r"^([A-Za-z0-9_.\[\]-]+?)(\[[^\]]*\])?\s*>=\s*([0-9][0-9A-Za-z.]*)")


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared_floors() -> dict[str, Version]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    floors: dict[str, Version] = {}
    for requirement in project["dependencies"]:
        match = _REQUIREMENT.match(requirement)
        assert match, f"{requirement!r} declares no floor (>=): CI could not test the oldest release"
        floors[_normalise(match.group(1))] = Version(match.group(3))
    return floors


def pinned_minimums() -> dict[str, Version]:
    pins: dict[str, Version] = {}
    for line in (ROOT / ".ci" / "minimums.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins[_normalise(name)] = Version(version.strip())
    return pins


def test_every_dependency_floor_is_what_ci_installs_as_the_minimum() -> None:
    assert pinned_minimums() == declared_floors()
