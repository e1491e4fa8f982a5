"""Benchmark 4: send 10,000 requests to the sandbox with the ledger on, against a bare httpx loop.

    python benchmarks/bench_send.py [--quick]

One sandbox (``smsspec sandbox``) runs on 127.0.0.1 for the whole benchmark.
``smsspec send`` is timed as a whole process: it validates the corpus, plans,
sends at concurrency 32 and writes every request to its ledger (a fresh one
each run). The ceiling is bare_client.py sending the same requests (rendered
beforehand by smsspec, with the sandbox's credentials) to the same sandbox at
the same concurrency, timed from its first request to its last answer.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from common import (
    BENCHMARKS,
    Context,
    Row,
    bench_env,
    measure,
    median_cpu,
    median_wall,
    say,
    seconds,
    shown,
    spread,
    tool,
)
from corpus import write_corpus

REQUESTS = 10_000  # 1,000 files x 5 messages x 2 recipients, one request each
CONCURRENCY = 32
FLOOR = 0.5  # smsspec's rate at least this fraction of the bare loop's
CREDENTIALS = {
    "SKYCORE_API_KEY": "sandbox",
    "SKYCORE_XML_API_KEY": "sandbox",
    "SENDMACHINE_USERNAME": "sandbox",
    "SENDMACHINE_API_KEY": "sandbox",
    "INWISE_API_KEY": "sandbox",
    "WHATCOUNTS_PASSWORD": "sandbox",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def sandbox(port: int, env: dict[str, str], log: Path) -> Iterator[None]:
    with open(log, "w", encoding="utf-8") as out:
        process = subprocess.Popen([tool("smsspec"), "sandbox", "--port", str(port)], env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"benchmarks: the sandbox did not start (see {log})") from None
                time.sleep(0.1)
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def prepare_requests(corpus: Path, env: dict[str, str], target: Path) -> int:
    """The requests smsspec would send, with real (sandbox) credentials, for the bare loop."""
    from smsspec.load.config import resolve_credentials
    from smsspec.render.requests import render_requests
    from smsspec.validate.check import check_paths

    here = Path.cwd()
    os.chdir(corpus)
    try:
        result = check_paths(["."])
    finally:
        os.chdir(here)
    if result.errors:
        raise SystemExit("benchmarks: the send corpus does not validate")
    requests = [
        {"method": r.method, "url": r.url, "headers": dict(r.headers), "body": r.body}
        for checked in result.checked
        for r in render_requests(checked, resolve_credentials(checked.account, env))
    ]
    target.write_text(json.dumps(requests), encoding="utf-8")
    return len(requests)


def run(ctx: Context) -> list[Row]:
    requests = 1_000 if ctx.quick else REQUESTS
    runs = 1 if ctx.quick else ctx.runs
    say(f"\n[4] Send throughput: {requests:,} requests to the sandbox at concurrency {CONCURRENCY}, ledger on")
    check = subprocess.run([tool("smsspec"), "send", "--help"], capture_output=True, text=True)
    if check.returncode != 0:
        say("  skipped: this smsspec has no `send` command yet")
        return [Row("4. send", "-", "-", "-", f">= {FLOOR} of bare httpx", None, ["skipped: no send command"])]
    folder = ctx.folder(f"send-{requests}")
    port = free_port()
    corpus = folder / "corpus"
    shutil.rmtree(corpus, ignore_errors=True)
    write_corpus(corpus, requests // 10, endpoint_base=f"http://127.0.0.1:{port}")
    env = bench_env(ctx.out, **CREDENTIALS)
    bodies = folder / "requests.json"
    prepared = prepare_requests(corpus, env, bodies)
    if prepared != requests:
        raise SystemExit(f"benchmarks: the corpus makes {prepared} requests, not {requests}")
    send_cmd = [tool("smsspec"), "send", ".", "--yes", "--concurrency", str(CONCURRENCY), "--format", "json"]
    bare_cmd = [sys.executable, str(BENCHMARKS / "bare_client.py"), str(bodies), "--concurrency", str(CONCURRENCY)]
    say(f"  smsspec: {shown(send_cmd)}   (in {corpus}; sandbox: smsspec sandbox --port {port})")
    say(f"  ceiling: python benchmarks/bare_client.py requests.json --concurrency {CONCURRENCY}   (httpx, threads)")
    ours, bare_seconds = [], []
    with sandbox(port, env, folder / "sandbox.log"):
        for _ in range(runs):
            shutil.rmtree(corpus / ".smsspec", ignore_errors=True)
            with open(folder / "send.json", "w", encoding="utf-8") as out:
                measured = measure(send_cmd, cwd=corpus, env=env, stdout=out)
            summary = json.loads((folder / "send.json").read_text(encoding="utf-8"))["summary"]
            if summary["accepted"] != requests:
                raise SystemExit(f"benchmarks: smsspec send: {summary}")
            done = subprocess.run(bare_cmd, env=env, capture_output=True, text=True, check=True)
            figures = json.loads(done.stdout)
            if figures["ok"] != requests:
                raise SystemExit(f"benchmarks: bare client: {figures}")
            ours.append(measured)
            bare_seconds.append(figures["seconds"])
    wall = median_wall(ours)
    bare = sorted(bare_seconds)[len(bare_seconds) // 2]
    rate, ceiling = requests / wall, requests / bare
    ratio = rate / ceiling
    say(f"  smsspec send: median {seconds(wall)} of {runs} ({spread(ours)}), CPU {seconds(median_cpu(ours))}: {rate:,.0f} requests/s, all {requests:,} accepted and in the ledger")
    say(f"  bare httpx:   median {seconds(bare)} of {runs}: {ceiling:,.0f} requests/s")
    say(f"  smsspec reaches {ratio:.2f} of the ceiling (floor: {FLOOR})")
    return [Row(
        f"4. send {requests:,} requests",
        f"{rate:,.0f} req/s",
        f"{ceiling:,.0f} req/s (bare httpx)",
        f"{ratio:.2f} of it",
        f">= {FLOOR}",
        ratio >= FLOOR if not ctx.quick else None,
    )]


if __name__ == "__main__":
    from run import main

    main(["--only", "send"])
