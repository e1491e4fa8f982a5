"""What a recipients file may be, and what smsspec says about one it refuses.

A recipients path must lead (after `..` and symlinks) into the project folder
or a folder smsspec.yaml lists under `recipients: allow_outside:`; it must be a
regular file; every read is bounded; and no diagnostic repeats file content
that is not a recipient's own phone number.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

SECRET = "zqfilesecret9x"
GUARD = 120  # seconds: only so that a hang fails the test instead of stalling the suite

SPEC = """version: 1
account: skycore-demo
messages:
  - id: loyalty
    from: "60856"
    campaign: c
    text: "Hi {{{{ first_name }}}}"
    to: {{file: {name}, number: {column}{extra}}}
"""
FILE_AT = (8, 16)  # line and column of the `file:` value in SPEC

# Every command that reads a spec, in every report format.
COMMANDS: dict[str, list[str]] = {
    "validate-text": ["validate", "."],
    "validate-json": ["validate", ".", "--format", "json"],
    "validate-sarif": ["validate", ".", "--format", "sarif"],
    "validate-github": ["validate", ".", "--format", "github"],
    "render": ["render", "."],
    "render-json": ["render", ".", "--format", "json"],
    "plan": ["plan", "."],
    "send-dry-run": ["send", ".", "--dry-run"],
}


def project(folder: Path, name: str, column: str = "phone", extra: str = "", config: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "smsspec.yaml").write_text((ROOT / "examples" / "smsspec.yaml").read_text(encoding="utf-8") + config, encoding="utf-8")
    spec = folder / "loyalty.sms.yaml"
    spec.write_text(SPEC.format(name=json.dumps(name), column=json.dumps(column), extra=extra), encoding="utf-8")
    return spec


def smsspec(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ZQ_FILE_SECRET": SECRET, "SKYCORE_API_KEY": SECRET}
    return subprocess.run([sys.executable, "-m", "smsspec", *args], cwd=folder, env=env, capture_output=True, text=True,
                          encoding="utf-8", errors="replace", timeout=GUARD, check=False)


def validate(folder: Path) -> tuple[int, list[dict[str, object]]]:
    result = smsspec(folder, "validate", ".", "--format", "json")
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, json.loads(result.stdout)["diagnostics"]


def shows_nothing_of(folder: Path, forbidden: list[str]) -> None:
    for name, args in COMMANDS.items():
        result = smsspec(folder, *args)
        output = result.stdout + result.stderr
        assert result.returncode == 1, f"{name}: {output[-2000:]}"
        assert "Traceback" not in output, name
        assert [f for f in forbidden if f in output] == [], f"{name}: {output[-2000:]}"


def test_the_process_environment_is_not_a_recipients_file(tmp_path: Path) -> None:
    project(tmp_path, "/proc/self/environ", column="number", extra=", format: csv")
    code, diagnostics = validate(tmp_path)
    assert code == 1
    [diagnostic] = diagnostics
    assert diagnostic["rule"] == "RECIPIENTS-FILE"
    assert (diagnostic["file"], diagnostic["line"], diagnostic["column"]) == ("loyalty.sms.yaml", *FILE_AT)
    assert "outside the project folder" in str(diagnostic["message"]) and "allow_outside" in str(diagnostic["message"])
    shows_nothing_of(tmp_path, [SECRET, "ZQ_FILE_SECRET", "PATH="])


def test_environment_like_content_inside_the_project_is_not_echoed(tmp_path: Path) -> None:
    project(tmp_path, "environ.csv", column="number")
    (tmp_path / "environ.csv").write_bytes(f"ZQ_FILE_SECRET={SECRET}\0HOME=/root\0".encode())
    code, [diagnostic] = validate(tmp_path)
    assert code == 1 and diagnostic["rule"] == "RECIPIENTS-FILE" and diagnostic["line"] == 1
    assert "holds a NUL byte" in str(diagnostic["message"])
    shows_nothing_of(tmp_path, [SECRET, "ZQ_FILE_SECRET", "HOME="])


def test_environment_like_lines_without_nul_are_not_echoed(tmp_path: Path) -> None:
    project(tmp_path, "environ.csv", column="number")
    (tmp_path / "environ.csv").write_text(f"ZQ_FILE_SECRET={SECRET} HOME=/root\n", encoding="utf-8")
    code, [diagnostic] = validate(tmp_path)
    assert code == 1 and diagnostic["rule"] == "RECIPIENTS-FILE" and diagnostic["line"] == 1
    assert "not a header row of column names" in str(diagnostic["message"])
    shows_nothing_of(tmp_path, [SECRET, "ZQ_FILE_SECRET", "HOME="])


def test_a_real_header_is_listed_when_the_number_column_is_missing(tmp_path: Path) -> None:
    project(tmp_path, "people.csv", column="phone")
    columns = [f"col{i}" for i in range(30)]
    (tmp_path / "people.csv").write_text(",".join(["first_name", "mobile", *columns]) + "\n", encoding="utf-8")
    code, [diagnostic] = validate(tmp_path)
    message = str(diagnostic["message"])
    assert code == 1 and "the columns are first_name, mobile, col0" in message
    assert "col17" in message and "col18" not in message and "and 12 more" in message


PASSWD = "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\nbin:x:2:2:bin:/bin:/usr/sbin/nologin\n"


@pytest.mark.parametrize("how", ["absolute", "dot-dot", "symlink", "symlinked-folder"])
def test_a_file_outside_the_project_is_refused_where_the_spec_names_it(how: str, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "passwd.csv").write_text(PASSWD, encoding="utf-8")
    folder = tmp_path / "project"
    folder.mkdir()
    name = {"absolute": str(outside / "passwd.csv"), "dot-dot": "../elsewhere/passwd.csv",
            "symlink": "people.csv", "symlinked-folder": "data/passwd.csv"}[how]
    if how == "symlink":
        (folder / "people.csv").symlink_to(outside / "passwd.csv")
    if how == "symlinked-folder":
        (folder / "data").symlink_to(outside)
    project(folder, name, column="root:x:0:0:root:/root:/bin/bash")
    code, [diagnostic] = validate(folder)
    assert code == 1 and diagnostic["rule"] == "RECIPIENTS-FILE"
    assert (diagnostic["file"], diagnostic["line"], diagnostic["column"]) == ("loyalty.sms.yaml", *FILE_AT)
    assert "outside the project folder" in str(diagnostic["message"])
    shows_nothing_of(folder, ["daemon", "nologin"])


def test_allow_outside_in_smsspec_yaml_opens_a_folder(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "people.csv").write_text("phone,first_name\n+447400123456,Ann\n", encoding="utf-8")
    folder = tmp_path / "project"
    project(folder, "../shared/people.csv", config="recipients:\n  allow_outside: [../shared]\n")
    assert validate(folder) == (0, [])
    (folder / "smsspec.yaml").write_text((folder / "smsspec.yaml").read_text(encoding="utf-8").replace("../shared", "../other"), encoding="utf-8")
    code, [diagnostic] = validate(folder)
    assert code == 1 and "outside the project folder" in str(diagnostic["message"])


def test_a_symlink_that_stays_inside_the_project_is_followed(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "people.csv").write_text("phone,first_name\n+447400123456,Ann\n", encoding="utf-8")
    (tmp_path / "people.csv").symlink_to(tmp_path / "data" / "people.csv")
    project(tmp_path, "people.csv")
    assert validate(tmp_path) == (0, [])


def test_lines_that_are_not_numbers_are_not_quoted(tmp_path: Path) -> None:
    # /etc/passwd copied into the project, its first line named as the number column.
    project(tmp_path, "passwd.csv", column="root:x:0:0:root:/root:/bin/bash")
    (tmp_path / "passwd.csv").write_text(PASSWD + "447400123456\n", encoding="utf-8")
    code, diagnostics = validate(tmp_path)
    assert code == 1
    phones = [d for d in diagnostics if d["rule"] == "PHONE-FORMAT"]
    assert [(d["line"], d["column"]) for d in phones] == [(2, 1), (3, 1), (4, 1)]
    assert "the value is not shown" in str(phones[0]["message"])
    assert "'447400123456'" in str(phones[2]["message"])  # a number-like value is the user's own: shown
    shows_nothing_of(tmp_path, ["daemon", "nologin"])


def not_regular(kind: str, folder: Path) -> tuple[str, str]:
    """The spec's name for a file of this kind, and the config that lets the spec reach it."""
    if kind == "fifo":
        os.mkfifo(folder / "people.csv")
        return "people.csv", ""
    if kind == "folder":
        (folder / "people.csv").mkdir()
        return "people.csv", ""
    if kind == "socket":
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(folder / "people.csv"))  # stays bound while the test runs (closed with the process)
        not_regular.sockets.append(server)  # type: ignore[attr-defined]
        return "people.csv", ""
    return "/dev/zero", "recipients:\n  allow_outside: [/dev]\n"


not_regular.sockets = []  # type: ignore[attr-defined]


@pytest.mark.parametrize(("kind", "word"), [("fifo", "a FIFO"), ("folder", "a folder"), ("socket", "a socket"), ("device", "a device")])
def test_what_is_not_a_regular_file_is_refused_without_reading(kind: str, word: str, tmp_path: Path) -> None:
    folder = tmp_path / "p"
    folder.mkdir()
    name, config = not_regular(kind, folder)
    project(folder, name, extra=", format: csv", config=config)
    code, [diagnostic] = validate(folder)
    assert code == 1 and diagnostic["rule"] == "RECIPIENTS-FILE"
    assert (diagnostic["file"], diagnostic["line"], diagnostic["column"]) == ("loyalty.sms.yaml", *FILE_AT)
    assert f"is {word}, not a regular file" in str(diagnostic["message"])
    for args in COMMANDS.values():
        assert smsspec(folder, *args).returncode == 1


def test_a_file_without_line_ends_is_cut_off_at_the_line_cap(tmp_path: Path) -> None:
    project(tmp_path, "people.csv")
    with open(tmp_path / "people.csv", "wb") as handle:
        handle.truncate(200 * 1024 * 1024)  # 200 MiB of NUL bytes, no line end (sparse: costs no disk)
    code, [diagnostic] = validate(tmp_path)
    assert code == 1 and diagnostic["rule"] == "RECIPIENTS-FILE"
    assert (diagnostic["file"], diagnostic["line"], diagnostic["column"]) == ("people.csv", 1, 1)
    assert "longer than 65536 bytes" in str(diagnostic["message"])


def test_a_record_spread_over_many_lines_is_cut_off_too(tmp_path: Path) -> None:
    project(tmp_path, "people.csv")
    fields = ",".join('"' + "a\n" * 20_000 + '"' for _ in range(4))  # each field under the field cap, the row not
    (tmp_path / "people.csv").write_text("phone,first_name,a,b,c,d\n+447400123456,Ann," + fields + "\n", encoding="utf-8")
    code, [diagnostic] = validate(tmp_path)
    assert code == 1 and diagnostic["line"] == 2 and "longer than 65536 bytes" in str(diagnostic["message"])


def test_a_file_over_the_size_cap_is_refused_from_its_size(tmp_path: Path) -> None:
    project(tmp_path, "people.csv")
    with open(tmp_path / "people.csv", "wb") as handle:
        handle.truncate(2 * 1024**3)  # sparse
    code, [diagnostic] = validate(tmp_path)
    assert code == 1 and (diagnostic["file"], diagnostic["line"], diagnostic["column"]) == ("loyalty.sms.yaml", *FILE_AT)
    assert "larger than 1 GiB" in str(diagnostic["message"])


def test_the_examples_still_validate(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    result = smsspec(tmp_path / "examples", "validate", "loyalty.sms.yaml")
    assert result.returncode == 0, result.stdout + result.stderr
