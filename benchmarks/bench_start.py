"""Benchmark 2: one small spec, as a whole process: smsspec validate against check-jsonschema.

    python benchmarks/bench_start.py [--quick]
"""

from __future__ import annotations

import sys

from common import (
    SPEC_SCHEMA,
    Context,
    Row,
    bench_env,
    ensure_check_jsonschema,
    interleaved,
    median_cpu,
    median_wall,
    say,
    seconds,
    shown,
    spread,
    tool,
)
from corpus import config_text, spec_yaml

RUNS = 15
FLOOR = 0.5  # smsspec takes at most this fraction of check-jsonschema's time


def run(ctx: Context) -> list[Row]:
    runs = 5 if ctx.quick else max(RUNS, ctx.runs)
    say("\n[2] One-file start: validate one small spec (5 messages), the whole process")
    folder = ctx.folder("one-file")
    (folder / "smsspec.yaml").write_text(config_text(), encoding="utf-8")
    (folder / "one.sms.yaml").write_text(spec_yaml(0), encoding="utf-8")
    commands = {
        "smsspec": [tool("smsspec"), "validate", "one.sms.yaml"],
        "cj": [ensure_check_jsonschema(), "--schemafile", str(SPEC_SCHEMA), "one.sms.yaml"],
        "python": [sys.executable, "-c", "pass"],
    }
    for name, cmd in commands.items():
        say(f"  {name + ':':17} {shown(cmd)}")
    found = interleaved(commands, runs, warmup=True, cwd=folder, env=bench_env(ctx.out))
    ours, theirs, bare = (median_wall(found[n]) for n in ("smsspec", "cj", "python"))
    share = ours / theirs
    for name, label in (("smsspec", "smsspec"), ("cj", "check-jsonschema"), ("python", "python -c pass")):
        say(f"  {label:16} median {seconds(median_wall(found[name]))} of {runs} ({spread(found[name])}), CPU {seconds(median_cpu(found[name]))}")
    say(f"  smsspec takes {share:.2f} of check-jsonschema's time (floor: at most {FLOOR}); "
        f"above a bare interpreter: {seconds(ours - bare)} vs {seconds(theirs - bare)}")
    return [Row(
        "2. one-file start",
        seconds(ours),
        f"{seconds(theirs)} (check-jsonschema)",
        f"{share:.2f} of its time",
        f"<= {FLOOR}",
        share <= FLOOR if not ctx.quick else None,
        [f"python -c pass: {seconds(bare)}"],
    )]


if __name__ == "__main__":
    from run import main

    main(["--only", "start"])
