"""Every rule, positive and negative: folders of spec files with their expected diagnostics.

``tests/cases/<area>/valid/*.sms.yaml`` must validate without errors;
``tests/cases/<area>/invalid/*.sms.yaml`` must produce exactly the diagnostics
in the ``.expected`` file next to it. Regenerate the expected files with
``SMSSPEC_REGEN=1 python -m pytest tests/unit/test_cases.py`` and review the diff.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from smsspec.diagnostics import Severity
from smsspec.validate.catalog import all_rules
from smsspec.validate.check import check_paths
from tests.conftest import REGENERATE, ROOT

CASES = ROOT / "tests" / "cases"
VALID = sorted(CASES.glob("*/valid/*.sms.yaml"))
INVALID = sorted([*CASES.glob("*/invalid/*.sms.yaml"), *CASES.glob("config-*/*.sms.yaml")])


def rendered(path: Path) -> str:
    result = check_paths([str(path)])
    lines = []
    for d in result.diagnostics:
        where = Path(d.location.file).resolve()
        name = where.name if where.parent == path.parent.resolve() else str(where.relative_to(CASES))
        lines.append(f"{name}:{d.location.line}:{d.location.column}: {d.severity.value}[{d.rule}] {d.message}")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("path", VALID, ids=lambda p: str(p.relative_to(CASES)))
def test_valid_case_has_no_errors(path: Path) -> None:
    result = check_paths([str(path)])
    errors = [d for d in result.diagnostics if d.severity is Severity.ERROR]
    assert errors == []
    assert result.checked, "a valid case must produce checked messages"


@pytest.mark.parametrize("path", INVALID, ids=lambda p: str(p.relative_to(CASES)))
def test_invalid_case_matches_expected(path: Path) -> None:
    expected_path = path.with_suffix("").with_suffix(".expected")
    actual = rendered(path)
    if REGENERATE or not expected_path.exists():
        expected_path.write_text(actual, encoding="utf-8")
    assert actual == expected_path.read_text(encoding="utf-8")
    assert "[" in actual, "an invalid case must produce diagnostics"


def test_every_rule_is_exercised_by_a_case() -> None:
    fired = set()
    for expected in CASES.rglob("*.expected"):
        for line in expected.read_text(encoding="utf-8").splitlines():
            fired.add(line.split("[", 1)[1].split("]", 1)[0])
    # Rules about files or resources that cannot live in a small case file are covered
    # in test_loader.py and test_hostile_inputs.py.
    elsewhere = {"FILE-UNREADABLE", "FILE-TOO-LARGE", "YAML-ENCODING", "YAML-MULTI-DOC", "YAML-ALIAS-LIMIT",
                 "YAML-NESTING", "CONFIG-NOT-FOUND", "TEXT-CHARACTER",
                 "SPEC-FILE-NAME"}  # a folder search: tests/unit/test_first_hour.py
    missing = set(all_rules()) - fired - elsewhere
    assert missing == set()
