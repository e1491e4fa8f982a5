"""Every provider file is checked against the descriptor schema when the registry loads.

A broken descriptor on SMSSPEC_PROVIDER_PATH ends every command with exit 2
and one line per problem at file:line:col, naming the field; never an
internal error or a traceback. Every shipped descriptor passes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from smsspec.providers import registry as providers
from tests.conftest import ROOT

SHIPPED = sorted((ROOT / "schemas" / "providers").glob("*.schema.json"))


def smsspec(*args: str, provider_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, providers.PROVIDER_PATH_ENV: str(provider_path)}
    env.pop("SMSSPEC_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "smsspec", *args], capture_output=True, text=True, env=env, cwd=ROOT)


def custom_provider(root: Path, change: Callable[[dict[str, Any]], None], name: str = "custom") -> Path:
    """A copy of the skycore provider as ``name``, its descriptor changed by ``change``."""
    descriptor = json.loads((ROOT / "schemas" / "providers" / "skycore.schema.json").read_text(encoding="utf-8"))
    change(descriptor["x-smsspec"])
    (root / "schemas" / "providers").mkdir(parents=True, exist_ok=True)
    (root / "templates").mkdir(exist_ok=True)
    path = root / "schemas" / "providers" / f"{name}.schema.json"
    path.write_text(json.dumps(descriptor, indent=2), encoding="utf-8")
    (root / "templates" / "skycore.json.j2").write_text((ROOT / "templates" / "skycore.json.j2").read_text(encoding="utf-8"), encoding="utf-8")
    return path


def line_of(path: Path, needle: str) -> int:
    return next(n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line)


BROKEN: dict[str, tuple[Callable[[dict[str, Any]], None], str, str, str]] = {
    # name: (change, line holding, JSON path named, words of the message)
    "missing-request": (lambda m: m.pop("request"), '"x-smsspec"', "at x-smsspec)", "missing required field `request`"),
    "method-not-a-method": (lambda m: m["request"].update(method="FETCH"), '"method"', "at x-smsspec.request.method", 'must be one of "GET"'),
    "per-request-a-string": (lambda m: m["recipients"].update(per_request="one"), '"per_request"', "at x-smsspec.recipients.per_request",
                             'must be a whole number or null, not "one"'),
    "credentials-not-a-list": (lambda m: m.update(credentials="api_key"), '"credentials": "api_key"', "at x-smsspec.credentials", "must be a list"),
    "unknown-descriptor-key": (lambda m: m.update(retry_on=[429]), '"retry_on"', "at x-smsspec.retry_on", "unknown field `retry_on`"),
    "unknown-request-key": (lambda m: m["request"].update(verb="POST"), '"verb"', "at x-smsspec.request.verb", "unknown field `verb`"),
    "header-auth-without-header": (lambda m: m["request"]["auth"].pop("header"), '"auth"', "at x-smsspec.request.auth)",
                                   "missing required field `header`"),
    "auth-credential-not-listed": (lambda m: m["request"]["auth"].update(credential="token"), '"credential": "token"',
                                   "at x-smsspec.request.auth.credential", "credential 'token' is not listed in x-smsspec.credentials"),
    "template-path-outside": (lambda m: m["request"].update(template="../../etc/passwd.json.j2"), '"template"', "at x-smsspec.request.template",
                              "does not match"),
    "template-missing": (lambda m: m["request"].update(template="nowhere.json.j2"), '"template"', "at x-smsspec.request.template",
                         "no template 'nowhere.json.j2'"),
}


@pytest.mark.parametrize("case", BROKEN, ids=list(BROKEN))
@pytest.mark.parametrize("command", [("providers",), ("validate", "examples/skycore.sms.yaml"), ("render", "examples/skycore.sms.yaml")])
def test_a_broken_descriptor_is_refused_at_its_line_with_exit_2(case: str, command: tuple[str, ...], tmp_path: Path) -> None:
    change, needle, json_path, words = BROKEN[case]
    path = custom_provider(tmp_path, change)
    done = smsspec(*command, provider_path=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
    lines = done.stderr.removeprefix("smsspec: ").splitlines()
    assert len(lines) == 1, done.stderr
    where, _, rest = lines[0].partition(": ")
    assert where.startswith(f"{path}:{line_of(path, needle)}:")
    assert words in rest and json_path in rest and rest.endswith("[PROVIDER-DESCRIPTOR]")


def test_every_problem_of_a_descriptor_is_named_in_line_order(tmp_path: Path) -> None:
    def change(meta: dict[str, Any]) -> None:
        meta["recipients"]["per_request"] = 0
        meta["scheduling"] = "later"
        meta["response"]["rules"][0]["outcome"] = "fine"

    path = custom_provider(tmp_path, change)
    done = smsspec("providers", provider_path=tmp_path)
    assert done.returncode == 2
    lines = done.stderr.removeprefix("smsspec: ").splitlines()
    assert [line.split(": ", 1)[0] for line in lines] == [
        f"{path}:{line_of(path, needle)}:{col}" for needle, col in (('"per_request"', 22), ('"scheduling"', 19), ('"outcome": "fine"', 22))]


@pytest.mark.parametrize(("text", "words"), [
    ('{"title": "x",\n  "x-smsspec": {,}}', ":2:17: not valid JSON"),
    ("[1, 2]", ":1:1: must be a mapping"),
    ("", ":1:1: not valid JSON"),
])
def test_a_provider_file_that_is_not_a_descriptor_at_all_is_refused(text: str, words: str, tmp_path: Path) -> None:
    (tmp_path / "schemas" / "providers").mkdir(parents=True)
    path = tmp_path / "schemas" / "providers" / "odd.schema.json"
    path.write_text(text, encoding="utf-8")
    done = smsspec("providers", provider_path=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith(f"smsspec: {path}{words}"), done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_every_shipped_descriptor_passes(path: Path) -> None:
    schema = json.loads(path.read_text(encoding="utf-8"))
    assert providers._descriptor_problems(schema, ROOT / "templates") == []


def test_a_valid_custom_provider_loads_next_to_the_shipped_ones(tmp_path: Path) -> None:
    custom_provider(tmp_path, lambda meta: None)
    done = smsspec("providers", provider_path=tmp_path)
    assert done.returncode == 0, done.stderr
    assert sorted(line.split()[0] for line in done.stdout.splitlines()) == sorted([p.name.removesuffix(".schema.json") for p in SHIPPED] + ["custom"])
