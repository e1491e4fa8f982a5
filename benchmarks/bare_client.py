"""The ceiling for benchmark 4: a bare httpx loop that sends prepared requests, nothing else.

    python benchmarks/bare_client.py requests.json --concurrency 32 [--mode threads|async]

Prints one JSON line: how many requests, how many got a 2xx answer, and the
seconds the sending took (from the first request to the last answer).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx


def send_threads(requests: list[dict[str, Any]], concurrency: int) -> int:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    with httpx.Client(limits=limits, timeout=30.0) as client:

        def one(request: dict[str, Any]) -> int:
            body = request["body"].encode("utf-8") if request["body"] else None
            return client.request(request["method"], request["url"], headers=request["headers"], content=body).status_code

        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            return sum(1 for status in pool.map(one, requests) if 200 <= status < 300)


async def send_async(requests: list[dict[str, Any]], concurrency: int) -> int:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    for request in requests:
        queue.put_nowait(request)
    ok = 0
    async with httpx.AsyncClient(limits=limits, timeout=30.0) as client:

        async def worker() -> None:
            nonlocal ok
            while not queue.empty():
                request = queue.get_nowait()
                body = request["body"].encode("utf-8") if request["body"] else None
                response = await client.request(request["method"], request["url"], headers=request["headers"], content=body)
                ok += 200 <= response.status_code < 300

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return ok


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("requests")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--mode", choices=["threads", "async"], default="threads")
    args = parser.parse_args(argv)
    with open(args.requests, encoding="utf-8") as handle:
        requests = json.load(handle)
    started = time.perf_counter()
    if args.mode == "threads":
        ok = send_threads(requests, args.concurrency)
    else:
        ok = asyncio.run(send_async(requests, args.concurrency))
    elapsed = time.perf_counter() - started
    json.dump({"requests": len(requests), "ok": ok, "seconds": elapsed, "mode": args.mode}, sys.stdout)
    print()


if __name__ == "__main__":
    main()
