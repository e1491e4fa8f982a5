"""Benchmark 1: validate a corpus, against check-jsonschema's shape-only check of the same files.

    python benchmarks/bench_validate.py [--quick]

Two corpora of the same size: the project's own (corpus.py) and one drawn at
random with other shapes (corpus_independent.py), so the figure does not
depend on one file shape.
"""

from __future__ import annotations

from pathlib import Path

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
    version_of,
)
from corpus import write_corpus
from corpus_independent import write_independent

FILES = 2000
FLOOR = 15.0  # smsspec at least this many times faster


def corpus_for(ctx: Context, files: int, independent: bool = False) -> tuple[Path, list[str]]:
    """The corpus of ``files`` files (written once per scratch folder) and its files, relative to it."""
    root = ctx.out / (f"independent-{files}" if independent else f"corpus-{files}")
    marker = root / ".complete"
    if not marker.exists():
        say(f"  writing {files} spec files to {root} ...")
        (write_independent if independent else write_corpus)(root, files)
        marker.write_text("ok\n")
    names = sorted(str(p.relative_to(root)) for p in root.rglob("*.sms.yaml"))
    return root, names


def run(ctx: Context) -> list[Row]:
    return run_one(ctx, independent=False) + run_one(ctx, independent=True)


def run_one(ctx: Context, independent: bool) -> list[Row]:
    files = 200 if ctx.quick else FILES
    runs = 1 if ctx.quick else ctx.runs
    if independent:
        say(f"\n[1b] Corpus validate, independent corpus: {files} spec files drawn at random (corpus_independent.py)")
    else:
        say(f"\n[1] Corpus validate: {files} spec files, 5 messages each, 2 recipients per message, 5 providers")
    root, names = corpus_for(ctx, files, independent)
    cj = ensure_check_jsonschema()
    smsspec_cmd = [tool("smsspec"), "validate", "."]
    cj_cmd = [cj, "--schemafile", str(SPEC_SCHEMA), *names]
    say(f"  smsspec:          {shown(smsspec_cmd)}   (in {root})")
    say(f"  check-jsonschema: {shown(cj_cmd)}   ({version_of([cj])})")
    found = interleaved({"smsspec": smsspec_cmd, "cj": cj_cmd}, runs, cwd=root, env=bench_env(ctx.out))
    ours, theirs = median_wall(found["smsspec"]), median_wall(found["cj"])
    ratio = theirs / ours
    say(f"  smsspec          median {seconds(ours)} of {runs} ({spread(found['smsspec'])}), CPU {seconds(median_cpu(found['smsspec']))}")
    say(f"  check-jsonschema median {seconds(theirs)} of {runs} ({spread(found['cj'])}), CPU {seconds(median_cpu(found['cj']))}")
    say(f"  smsspec is {ratio:.1f}x faster (floor: {FLOOR:.0f}x); CPU time ratio {median_cpu(found['cj']) / median_cpu(found['smsspec']):.1f}x")
    return [Row(
        f"1{'b' if independent else ''}. validate {files} files" + (" (independent corpus)" if independent else ""),
        seconds(ours),
        f"{seconds(theirs)} (check-jsonschema)",
        f"{ratio:.1f}x faster",
        f">= {FLOOR:.0f}x faster",
        ratio >= FLOOR if not ctx.quick else None,
    )]


if __name__ == "__main__":
    from run import main

    main(["--only", "validate"])
