"""Payload templates run in the message texts' sandbox, wherever they come from.

A custom provider on SMSSPEC_PROVIDER_PATH whose payload template tries each
known escape runs nothing (the file the payload would create is not there)
and ends with a clear error at the template's file and line, with a
PROVIDER-TEMPLATE rule and exit 2; never a traceback.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from smsspec.errors import ProviderError
from smsspec.providers import registry as providers
from smsspec.render import requests as render
from smsspec.validate.check import check_paths
from tests.conftest import ROOT
from tests.unit.test_template_escapes import ESCAPES

# The escapes as a payload template writes them: `text` is a string it is given, as `x` is for message texts.
# Calling range and dict is no escape: payload templates may (range stops at 100,000 numbers).
PAYLOADS = {re.sub(r"\bx\b", "text", payload): rule for payload, rule in ESCAPES.items() if payload not in ("{{ range(10) }}", "{{ dict(a=1) }}")}
CONFIG = """version: 1
accounts:
  custom:
    provider: custom
    endpoint: https://sms.example.com/send
    credentials:
      api_key: ${CUSTOM_API_KEY}
"""
SPEC = 'version: 1\naccount: custom\nmessages:\n  - id: hello\n    from: "60856"\n    text: Hello\n    to: ["+12015550123"]\n'


def project(root: Path, template: str) -> Path:
    """A provider `custom` (skycore's descriptor) with ``template`` on line 2 of its payload, and a spec using it."""
    descriptor = json.loads((ROOT / "schemas" / "providers" / "skycore.schema.json").read_text(encoding="utf-8"))
    descriptor["x-smsspec"]["request"]["template"] = "custom.json.j2"
    (root / "schemas" / "providers").mkdir(parents=True)
    (root / "schemas" / "providers" / "custom.schema.json").write_text(json.dumps(descriptor), encoding="utf-8")
    (root / "templates").mkdir()
    (root / "templates" / "custom.json.j2").write_text('{"to": {{ to|json }},\n"x": "' + template + '"}\n', encoding="utf-8")
    (root / "smsspec.yaml").write_text(CONFIG, encoding="utf-8")
    spec = root / "hello.sms.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    return spec


@pytest.fixture
def fresh_registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    def clear() -> None:
        providers.registry.cache_clear()
        render._templates.pop("custom", None)

    clear()
    yield monkeypatch
    monkeypatch.undo()
    clear()


@pytest.mark.parametrize(("payload", "text_rule"), PAYLOADS.items(), ids=list(PAYLOADS))
def test_escape_in_a_custom_payload_template_runs_nothing_and_names_the_template(
        payload: str, text_rule: str, tmp_path: Path, fresh_registry: pytest.MonkeyPatch) -> None:
    marker = tmp_path / "escaped"
    spec = project(tmp_path, payload.replace("touch M", f"touch {marker}"))
    fresh_registry.setenv(providers.PROVIDER_PATH_ENV, str(tmp_path))
    result = check_paths([str(spec)])
    assert result.errors == 0, result.diagnostics
    with pytest.raises(ProviderError) as refused:
        list(render.render_requests(result.checked[0]))
    message = str(refused.value)
    template = tmp_path / "templates" / "custom.json.j2"
    assert re.match(rf"{re.escape(str(template))}(:[12])?: the payload template ", message), message  # Jinja maps some to line 1
    expected = "[PROVIDER-TEMPLATE-UNSAFE]" if text_rule == "TEXT-UNSAFE" else "[PROVIDER-TEMPLATE]"
    assert message.endswith(expected), message
    assert not marker.exists()


def smsspec(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, providers.PROVIDER_PATH_ENV: str(cwd), "CUSTOM_API_KEY": "k3y-for-the-test"}
    env.pop("SMSSPEC_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "smsspec", *args], capture_output=True, text=True, env=env, cwd=cwd)


@pytest.mark.parametrize("command", [("render", "hello.sms.yaml"), ("plan", "hello.sms.yaml"), ("send", "hello.sms.yaml", "--dry-run")])
@pytest.mark.parametrize("payload", [
    "{{ cycler.__init__.__globals__.os.system('touch M') }}",
    "{{ self.__init__.__globals__.__builtins__.__import__('os').system('touch M') }}",
    "{{ text.__class__.__mro__[1].__subclasses__() }}",
])
def test_the_commands_refuse_an_unsafe_payload_template_with_exit_2(command: tuple[str, ...], payload: str, tmp_path: Path) -> None:
    marker = tmp_path / "escaped"
    project(tmp_path, payload.replace("touch M", f"touch {marker}"))
    done = smsspec(*command, cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.startswith(f"smsspec: {tmp_path / 'templates' / 'custom.json.j2'}:2: the payload template does something the sandbox forbids")
    assert done.stderr.rstrip().endswith("[PROVIDER-TEMPLATE-UNSAFE]")
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
    assert not marker.exists()


@pytest.mark.parametrize(("template", "line", "words"), [
    ("{{ to|json }", 2, "unexpected '}'"),
    ("{{ to|attr('x') }}", 2, "No filter named 'attr'"),
    ("{{ nothing_here }}", 2, "'nothing_here' is undefined"),
])
def test_a_broken_payload_template_is_an_error_at_its_line(template: str, line: int, words: str, tmp_path: Path) -> None:
    project(tmp_path, template)
    done = smsspec("render", "hello.sms.yaml", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith(f"smsspec: {tmp_path / 'templates' / 'custom.json.j2'}:{line}: the payload template cannot be rendered")
    assert words in done.stderr and done.stderr.rstrip().endswith("[PROVIDER-TEMPLATE]")
    assert "Traceback" not in done.stderr


def test_a_safe_custom_payload_template_renders(tmp_path: Path) -> None:
    project(tmp_path, "{{ text|json|q }}")
    done = smsspec("render", "hello.sms.yaml", "--format", "json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(json.loads(done.stdout)[0]["body"]) == {"to": "+12015550123", "x": "%22Hello%22"}
