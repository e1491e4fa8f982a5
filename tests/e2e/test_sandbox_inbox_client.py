"""`smsspec sandbox inbox --url` at servers that are not a sandbox: a clear error, exit 2, bounded reads."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.e2e.send_helpers import subprocess_env

Answer = Callable[[BaseHTTPRequestHandler], None]


def body(content: bytes, content_type: str = "application/json") -> Answer:
    def answer(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(content)))
        handler.end_headers()
        handler.wfile.write(content)

    return answer


def endless(handler: BaseHTTPRequestHandler) -> None:
    """A JSON list that never ends (no length given): the client must stop reading."""
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Connection", "close")
    handler.end_headers()
    handler.wfile.write(b"[")
    chunk = b'"' + b"x" * 65536 + b'",'
    try:
        while True:
            handler.wfile.write(chunk)
    except OSError:
        pass  # the client hung up, as it should


@contextmanager
def odd_server(answer: Answer) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            answer(self)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def inbox(url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "smsspec", "sandbox", "inbox", "--url", url, *extra],
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("answer", "said"),
    [
        (body(b"[1, 2, 3]"), "not a list of sandbox messages"),
        (body(b'{"messages": []}'), "not a list of sandbox messages"),
        (body(b'[{"text": "no id, no provider"}]'), "not a list of sandbox messages"),
        (body(b"[" * 100_000 + b"]" * 100_000), "did not answer JSON"),
        (body(b'[{"id": "1", "provider": "x", "text": ' + b"[" * 100_000 + b"]" * 100_000 + b"}]"), "did not answer JSON"),
        (body(b"<html>hello</html>", "text/html"), "did not answer JSON"),
        (body(b"\xff\xfe not utf-8"), "did not answer JSON"),
        (endless, "answered more than 64 MiB"),
    ],
    ids=["list-of-numbers", "object", "records-without-id", "deep-array", "deep-in-a-record", "html", "bytes", "endless"],
)
@pytest.mark.parametrize("fmt", ["text", "json"])
def test_an_answer_that_is_not_a_sandbox_inbox_is_a_clear_error(
    answer: Answer, said: str, fmt: str
) -> None:
    with odd_server(answer) as url:
        done = inbox(url, "--format", fmt)
    assert done.returncode == 2, done.stderr
    assert said in done.stderr and "is it an smsspec sandbox?" in done.stderr
    assert "internal error" not in done.stderr and "Traceback" not in done.stderr
    assert done.stdout == ""


def test_inbox_text_from_outside_reaches_the_terminal_escaped() -> None:
    record = {
        "id": "1",
        "provider": "skycore\x1b[31m",
        "recipient": "+15551234888",
        "text": "bad\x1b]0;pwned\x07\n::error::injected",
    }
    with odd_server(body(json.dumps([record]).encode())) as url:
        done = inbox(url)
    assert done.returncode == 0, done.stderr
    assert "\x1b" not in done.stdout and "\x07" not in done.stdout
    assert "\\x1b]0;pwned\\x07" in done.stdout
    assert not any(line.startswith("::error::") for line in done.stdout.splitlines())
