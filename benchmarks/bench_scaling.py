"""Benchmark 5: validate corpora of 200, 2,000 and 20,000 files; the cost per file should not grow.

    python benchmarks/bench_scaling.py [--quick]
"""

from __future__ import annotations

from bench_validate import corpus_for
from common import (
    Context,
    Row,
    bench_env,
    interleaved,
    median_cpu,
    median_wall,
    say,
    seconds,
    shown,
    spread,
    tool,
)

SIZES = (200, 2_000, 20_000)
QUICK_SIZES = (50, 200, 800)
# Per-file cost at the largest size, relative to the middle size: above this it grows worse than linearly.
FLOOR = 1.25


def run(ctx: Context) -> list[Row]:
    sizes = QUICK_SIZES if ctx.quick else SIZES
    runs = 1 if ctx.quick else ctx.runs
    say(f"\n[5] Scaling: validate {', '.join(f'{n:,}' for n in sizes)} files (same generator as [1])")
    per_file: list[float] = []
    for files in sizes:
        root, _ = corpus_for(ctx, files)
        cmd = [tool("smsspec"), "validate", "."]
        found = interleaved({"smsspec": cmd}, runs, cwd=root, env=bench_env(ctx.out))["smsspec"]
        wall = median_wall(found)
        per_file.append(wall / files)
        say(f"  {files:>6,} files: {shown(cmd)} -> median {seconds(wall)} of {runs} ({spread(found)}), "
            f"CPU {seconds(median_cpu(found))}; {wall / files * 1000:.2f} ms per file")
    growth = per_file[-1] / per_file[-2]
    say(f"  per-file cost at {sizes[-1]:,} files is {growth:.2f}x that at {sizes[-2]:,} (1.00 = linear; floor: <= {FLOOR})")
    return [Row(
        "5. scaling " + "/".join(f"{n:,}" for n in sizes),
        " / ".join(f"{p * 1000:.2f}" for p in per_file) + " ms/file",
        "-",
        f"{growth:.2f}x per file at {sizes[-1]:,}",
        f"<= {FLOOR}x (linear)",
        growth <= FLOOR if not ctx.quick else None,
    )]


if __name__ == "__main__":
    from run import main

    main(["--only", "scaling"])
