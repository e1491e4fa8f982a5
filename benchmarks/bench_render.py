"""Benchmark 3: render one message to 100,000 recipients, each with their own variables.

    python benchmarks/bench_render.py [--quick]

The recipients are written in flow style (``- {number: ..., vars: {...}}``)
so the spec stays under the loader's 8 MiB limit.
"""

from __future__ import annotations

import json

from common import (
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
from corpus import big_message_yaml, config_text

RECIPIENTS = 100_000
FLOOR_SECONDS = 5.0
FLOOR_MB = 300


def run(ctx: Context) -> list[Row]:
    recipients = 10_000 if ctx.quick else RECIPIENTS
    runs = 1 if ctx.quick else ctx.runs
    say(f"\n[3] Render throughput: one message, {recipients:,} recipients with per-recipient variables")
    folder = ctx.folder(f"render-{recipients}")
    (folder / "smsspec.yaml").write_text(config_text(), encoding="utf-8")
    spec = folder / "big.sms.yaml"
    spec.write_text(big_message_yaml(recipients), encoding="utf-8")
    say(f"  spec file: {spec.stat().st_size / 2**20:.1f} MiB (the loader accepts up to 8 MiB)")
    cmd = [tool("smsspec"), "render", "big.sms.yaml", "--format", "json"]
    say(f"  smsspec: {shown(cmd)} > payloads.json")
    env = bench_env(ctx.out)
    found = []
    for _ in range(runs):
        with open(folder / "payloads.json", "w", encoding="utf-8") as out:
            found.append(measure(cmd, cwd=folder, env=env, stdout=out))
    with open(folder / "payloads.json", encoding="utf-8") as handle:
        payloads = len(json.load(handle))
    wall = median_wall(found)
    peak_mb = max(m.max_rss_kb for m in found) / 1024
    rate = payloads / wall
    say(f"  {payloads:,} payloads; median {seconds(wall)} of {runs} ({spread(found)}), CPU {seconds(median_cpu(found))}")
    say(f"  {rate:,.0f} payloads/s; peak memory {peak_mb:.0f} MB (floor: {recipients:,} in < {FLOOR_SECONDS:.0f} s, < {FLOOR_MB} MB)")
    if payloads != recipients:
        raise SystemExit(f"benchmarks: expected {recipients} payloads, got {payloads}")
    return [Row(
        f"3. render {recipients:,} recipients",
        f"{seconds(wall)}, {peak_mb:.0f} MB",
        "-",
        f"{rate:,.0f} payloads/s",
        f"< {FLOOR_SECONDS:.0f} s, < {FLOOR_MB} MB",
        (wall < FLOOR_SECONDS and peak_mb < FLOOR_MB) if not ctx.quick else None,
    )]


if __name__ == "__main__":
    from run import main

    main(["--only", "render"])
