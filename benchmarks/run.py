"""Run every benchmark and print a table.

    python benchmarks/run.py            # the full set (under ten minutes on 2 cores)
    python benchmarks/run.py --quick    # small sizes, one run each: a smoke test
    python benchmarks/run.py --only validate --only start

Benchmarks: validate (1), start (2), render (3), send (4), scaling (5), ledger (6),
recipients (7).
Scratch files go to benchmarks/out/ (ignored by git); the table and the
figures are also written to benchmarks/out/results.md and results.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_ledger
import bench_recipients
import bench_render
import bench_scaling
import bench_send
import bench_start
import bench_validate
from common import (
    BENCHMARKS,
    SPEC_SCHEMA,
    Context,
    Row,
    bench_env,
    ensure_check_jsonschema,
    machine,
    measure,
    say,
    table,
    tool,
)
from corpus import config_text, spec_yaml

BENCHMARKS_BY_NAME = {
    "validate": bench_validate.run,
    "start": bench_start.run,
    "render": bench_render.run,
    "send": bench_send.run,
    "scaling": bench_scaling.run,
    "ledger": bench_ledger.run,
    "recipients": bench_recipients.run,
}


def warm_up(ctx: Context) -> None:
    """Run both tools once on one file, so every timed run finds its bytecode cached."""
    folder = ctx.folder("one-file")
    (folder / "smsspec.yaml").write_text(config_text(), encoding="utf-8")
    (folder / "one.sms.yaml").write_text(spec_yaml(0), encoding="utf-8")
    env = bench_env(ctx.out)
    measure([tool("smsspec"), "validate", "one.sms.yaml"], cwd=folder, env=env)
    measure([ensure_check_jsonschema(), "--schemafile", str(SPEC_SCHEMA), "one.sms.yaml"], cwd=folder, env=env)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes, one run each")
    parser.add_argument("--only", action="append", choices=list(BENCHMARKS_BY_NAME), help="run only this benchmark (repeatable)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per command (median reported; default 3)")
    parser.add_argument("--out", type=Path, default=BENCHMARKS / "out", help="scratch folder (default benchmarks/out)")
    args = parser.parse_args(argv)
    ctx = Context(out=args.out.resolve(), quick=args.quick, runs=max(1, args.runs))
    ctx.out.mkdir(parents=True, exist_ok=True)
    header = machine()
    say("smsspec benchmarks" + (" (quick: small sizes, floors not judged)" if ctx.quick else ""))
    for line in header:
        say(f"  {line}")
    started = time.perf_counter()
    warm_up(ctx)
    rows: list[Row] = []
    for name in args.only or list(BENCHMARKS_BY_NAME):
        rows += BENCHMARKS_BY_NAME[name](ctx)
    elapsed = time.perf_counter() - started
    footer = f"all benchmarks took {elapsed / 60:.1f} min; load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    say()
    say(table(rows))
    for row in rows:
        for note in row.notes:
            say(f"  {row.benchmark}: {note}")
    say(footer)
    command = "python benchmarks/run.py" + (" --quick" if ctx.quick else "") + "".join(f" --only {n}" for n in args.only or [])
    (ctx.out / "results.md").write_text(
        "\n".join([f"`{command}`", "", *(f"- {line}" for line in header), "", table(rows), "", footer, ""]), encoding="utf-8"
    )
    (ctx.out / "results.json").write_text(
        json.dumps({"command": command, "machine": header, "rows": [asdict(r) for r in rows], "seconds": elapsed}, indent=2),
        encoding="utf-8",
    )
    if not ctx.quick and any(r.ok is False for r in rows):
        say("some floors are not met")


if __name__ == "__main__":
    main()
