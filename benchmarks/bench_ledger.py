"""Benchmark 6: the ledger stores.

    python benchmarks/bench_ledger.py [--quick]        # needs SMSSPEC_TEST_POSTGRES (.ci/postgres.sh)

a. ``smsspec send`` of the send corpus (10,000 requests, concurrency 32) with
   the SQLite ledger and with a PostgreSQL ledger, against the bare httpx loop
   sending the same requests (as benchmark 4).
b. Cooperation: the same corpus behind a proxy that answers each request
   50 ms late; one run at concurrency 8, then 4 runs (separate copies of the
   corpus, as separate CI runners) sharing one PostgreSQL ledger, each at
   concurrency 8. Every delivery must arrive exactly once (the sandbox counts).
c. ``ledger show --message`` and ``plan`` of one message (1,000 recipients)
   on a ledger holding 1,000,000 deliveries (SQLite and PostgreSQL).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

import httpx
from bench_send import CREDENTIALS, free_port, prepare_requests, sandbox
from common import BENCHMARKS, Context, Row, bench_env, measure, say, seconds, tool
from corpus import write_corpus

REQUESTS = 10_000
CONCURRENCY = 32
FLOORS = {"sqlite": 0.7, "postgres": 0.6}
COOP_REQUESTS = 2_000
COOP_CONCURRENCY = 8
COOP_RUNNERS = 4
COOP_FLOOR = 0.35
DELAY = 0.05
BIG = 1_000_000
BIG_FLOOR = 1.0


def postgres_schema(base: str) -> str:
    """A URL whose tables land in a schema of their own."""
    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    joiner = "&" if "?" in base else "?"
    return f"{base}{joiner}options={quote(f'-csearch_path={schema}')}"


@contextmanager
def slow_proxy(target: str, delay: float) -> Iterator[str]:
    """An HTTP proxy to ``target`` that waits ``delay`` seconds before answering."""
    client = httpx.Client(base_url=target, limits=httpx.Limits(max_connections=256))

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self._forward()

        def do_GET(self) -> None:
            self._forward()

        def _forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length", "connection")}
            time.sleep(delay)
            answer = client.request(self.command, self.path, headers=headers, content=body)
            self.send_response(answer.status_code)
            for name, value in answer.headers.items():
                if name.lower() not in ("content-length", "transfer-encoding", "connection", "content-encoding"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.content)))
            self.end_headers()
            self.wfile.write(answer.content)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        client.close()


def sandbox_total(port: int) -> int:
    stats = httpx.get(f"http://127.0.0.1:{port}/_sandbox/stats", timeout=10).json()
    return int(stats["stored"])


def clear_sandbox(port: int) -> None:
    httpx.delete(f"http://127.0.0.1:{port}/_sandbox/messages", timeout=10)
    httpx.delete(f"http://127.0.0.1:{port}/_sandbox/stats", timeout=10)


def send_figures(ctx: Context, pg: str | None) -> list[Row]:
    requests = 1_000 if ctx.quick else REQUESTS
    folder = ctx.folder(f"ledger-send-{requests}")
    port = free_port()
    corpus = folder / "corpus"
    shutil.rmtree(corpus, ignore_errors=True)
    write_corpus(corpus, requests // 10, endpoint_base=f"http://127.0.0.1:{port}")
    env = bench_env(ctx.out, **CREDENTIALS)
    bodies = folder / "requests.json"
    prepare_requests(corpus, env, bodies)
    base = [tool("smsspec"), "send", ".", "--yes", "--concurrency", str(CONCURRENCY), "--format", "json"]
    bare_cmd = [sys.executable, str(BENCHMARKS / "bare_client.py"), str(bodies), "--concurrency", str(CONCURRENCY)]
    stores = {"sqlite": lambda: str(folder / "ledger.db")}
    if pg:
        stores["postgres"] = lambda: postgres_schema(pg)
    walls: dict[str, list[float]] = {name: [] for name in [*stores, "bare"]}
    with sandbox(port, env, folder / "sandbox.log"):
        for _ in range(1 if ctx.quick else ctx.runs):
            for name, where in stores.items():
                (folder / "ledger.db").unlink(missing_ok=True)
                with open(folder / "send.json", "w", encoding="utf-8") as out:
                    took = measure([*base, "--ledger", where()], cwd=corpus, env=env, stdout=out)
                summary = json.loads((folder / "send.json").read_text(encoding="utf-8"))["summary"]
                if summary["accepted"] != requests:
                    raise SystemExit(f"benchmarks: smsspec send ({name}): {summary}")
                walls[name].append(took.wall)
            done = subprocess.run(bare_cmd, env=env, capture_output=True, text=True, check=True)
            walls["bare"].append(json.loads(done.stdout)["seconds"])
    median = {name: sorted(v)[len(v) // 2] for name, v in walls.items()}
    ceiling = requests / median["bare"]
    say(f"  bare httpx: {ceiling:,.0f} requests/s")
    rows = []
    for name in stores:
        rate = requests / median[name]
        ratio = rate / ceiling
        say(f"  send, {name} ledger: median {seconds(median[name])}: {rate:,.0f} requests/s, {ratio:.2f} of bare (floor {FLOORS[name]})")
        rows.append(Row(f"6a. send {requests:,}, {name} ledger", f"{rate:,.0f} req/s", f"{ceiling:,.0f} req/s (bare httpx)",
                        f"{ratio:.2f} of it", f">= {FLOORS[name]}", ratio >= FLOORS[name] if not ctx.quick else None))
    return rows


def cooperation(ctx: Context, pg: str) -> list[Row]:
    requests = 400 if ctx.quick else COOP_REQUESTS
    folder = ctx.folder(f"ledger-coop-{requests}")
    port = free_port()
    env = bench_env(ctx.out, **CREDENTIALS)
    with sandbox(port, env, folder / "sandbox.log"), slow_proxy(f"http://127.0.0.1:{port}", DELAY) as proxy:
        copies = []
        for n in range(COOP_RUNNERS):
            copy = folder / f"runner-{n}"
            shutil.rmtree(copy, ignore_errors=True)
            write_corpus(copy, requests // 10, endpoint_base=proxy)
            copies.append(copy)
        cmd = [tool("smsspec"), "send", ".", "--yes", "--concurrency", str(COOP_CONCURRENCY), "--format", "json"]
        clear_sandbox(port)
        one = measure([*cmd, "--ledger", postgres_schema(pg)], cwd=copies[0], env=env)
        if sandbox_total(port) != requests:
            raise SystemExit("benchmarks: one run did not deliver everything once")
        clear_sandbox(port)
        shared = postgres_schema(pg)
        started = time.perf_counter()
        runs = [subprocess.Popen([*cmd, "--ledger", shared], cwd=copy, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                for copy in copies]
        codes = [run.wait() for run in runs]
        together = time.perf_counter() - started
        delivered = sandbox_total(port)
    if codes != [0] * COOP_RUNNERS or delivered != requests:
        raise SystemExit(f"benchmarks: cooperating runs: exit codes {codes}, {delivered} of {requests} delivered")
    ratio = together / one.wall
    say(f"  {requests:,} requests, each answered {DELAY * 1000:.0f} ms late: one run {seconds(one.wall)};"
        f" {COOP_RUNNERS} runs sharing PostgreSQL {seconds(together)} ({ratio:.2f} of it; each delivery once)")
    return [Row(f"6b. {COOP_RUNNERS} runners, one PostgreSQL ledger", seconds(together), f"{seconds(one.wall)} (one run)",
                f"{ratio:.2f} of it", f"<= {COOP_FLOOR}", ratio <= COOP_FLOOR if not ctx.quick else None)]


def fill(where: str, project: str, deliveries: int) -> None:
    """``deliveries`` accepted deliveries: 1,000 messages x ``deliveries // 1000`` recipients."""
    from smsspec.send.ledger import Ledger

    per = deliveries // 1000
    at = "2026-01-01T00:00:00+00:00"
    with Ledger.open(where, project) as ledger:
        rows = [(project, f"m{m:04d}", f"+4474{r:08d}", "acct", "0" * 64, "accepted", f"req-{m}", ledger.run_id, at)
                for m in range(1000) for r in range(per)]
        with ledger._guard(), ledger._transaction() as db:
            sql = ledger._sql("INSERT INTO smsspec_deliveries (project, message_id, recipient, account, content_hash,"
                              " status, request_id, run_id, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
            if hasattr(db, "executemany"):
                db.executemany(sql, rows)
            else:
                with db.cursor() as cursor:
                    cursor.executemany(sql, rows)


def big_ledger(ctx: Context, pg: str | None) -> list[Row]:
    deliveries = 100_000 if ctx.quick else BIG
    folder = ctx.folder(f"ledger-big-{deliveries}")
    spec = folder / "one.sms.yaml"
    (folder / "smsspec.yaml").write_text(
        "version: 1\naccounts:\n  acct:\n    provider: skycore\n    endpoint: https://sms.example.com/v2/sendsms\n"
        "    credentials: {api_key: '${SKYCORE_API_KEY}'}\n", encoding="utf-8")
    numbers = "\n".join(f"      - '+4474{r:08d}'" for r in range(deliveries // 1000))
    spec.write_text(f"version: 1\naccount: acct\nmessages:\n  - id: m0500\n    from: '60856'\n    campaign: c\n"
                    f"    text: Hello\n    to:\n{numbers}\n", encoding="utf-8")
    env = bench_env(ctx.out, **CREDENTIALS)
    stores = {"sqlite": str(folder / "big.db")}
    if pg:
        stores["postgres"] = postgres_schema(pg)
    rows = []
    for name, where in stores.items():
        if name == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                Path(where + suffix).unlink(missing_ok=True)
        fill(where, "default", deliveries)
        show = measure([tool("smsspec"), "ledger", "show", "--ledger", where, "--message", "m0500", "--format", "json"],
                       cwd=folder, env=env)
        plan = measure([tool("smsspec"), "plan", str(spec), "--ledger", where, "--format", "json"], cwd=folder, env=env)
        say(f"  {deliveries:,} deliveries in {name}: `ledger show --message` {seconds(show.wall)}, `plan` of one message"
            f" {seconds(plan.wall)}")  # (no peak memory: the child forked from this filled process)
        worst = max(show.wall, plan.wall)
        rows.append(Row(f"6c. show/plan one message of {deliveries:,}, {name}", seconds(worst), "-", "-",
                        f"< {BIG_FLOOR:.0f} s", worst < BIG_FLOOR if not ctx.quick else None))
    return rows


def run(ctx: Context) -> list[Row]:
    pg = os.environ.get("SMSSPEC_TEST_POSTGRES")
    say("\n[6] Ledger stores" + ("" if pg else " (no SMSSPEC_TEST_POSTGRES: SQLite only)"))
    rows = send_figures(ctx, pg)
    if pg:
        rows += cooperation(ctx, pg)
    rows += big_ledger(ctx, pg)
    return rows


if __name__ == "__main__":
    from run import main

    main(["--only", "ledger", *sys.argv[1:]])
