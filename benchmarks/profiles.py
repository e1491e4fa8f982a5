"""Where the time goes: a profiler's view of each benchmark's work, in one process.

    python benchmarks/profiles.py validate [--files 500]
    python benchmarks/profiles.py render [--recipients 100000]
    python benchmarks/profiles.py start
    python benchmarks/profiles.py recipients [--recipients 200000]   # validate, then render --format json

validate and render run under cProfile and print the functions with the most
time of their own and the most time below them; start prints what
``python -X importtime`` says each import of ``smsspec validate`` costs.
The scratch files go to benchmarks/out/profile/.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import os
import pstats
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import BENCHMARKS, bench_env, say
from corpus import big_message_yaml, config_text, spec_yaml, write_corpus

OUT = BENCHMARKS / "out" / "profile"


def show(profile: cProfile.Profile, limit: int) -> None:
    for order in ("tottime", "cumulative"):
        text = io.StringIO()
        stats = pstats.Stats(profile, stream=text)
        stats.strip_dirs().sort_stats(order).print_stats(limit)
        say(f"--- by {order} ---")
        say("\n".join(line for line in text.getvalue().splitlines() if line.strip()))


def profile_validate(files: int, limit: int) -> None:
    from smsspec.validate.check import check_paths

    root = OUT / f"corpus-{files}"
    if not (root / "smsspec.yaml").exists():
        write_corpus(root, files)
    os.chdir(root)
    gc.set_threshold(100_000, 50, 100)  # as the CLI does
    profile = cProfile.Profile()
    profile.runcall(check_paths, ["."])
    show(profile, limit)


def profile_render(recipients: int, limit: int) -> None:
    from smsspec.render.output import json_chunks
    from smsspec.render.requests import render_requests
    from smsspec.validate.check import check_paths

    folder = OUT / f"render-{recipients}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "smsspec.yaml").write_text(config_text(), encoding="utf-8")
    (folder / "big.sms.yaml").write_text(big_message_yaml(recipients), encoding="utf-8")
    os.chdir(folder)
    gc.set_threshold(100_000, 50, 100)

    def work() -> int:
        result = check_paths(["big.sms.yaml"])
        requests = (r for checked in result.checked for r in render_requests(checked))
        return sum(len(chunk) for chunk in json_chunks(requests))

    profile = cProfile.Profile()
    profile.runcall(work)
    show(profile, limit)


def profile_recipients(rows: int, limit: int) -> None:
    """The recipients-file path in one process (SMSSPEC_JOBS=1): check, then render as JSON."""
    from bench_recipients import SPEC, write_recipients

    from smsspec.render.output import json_chunks
    from smsspec.render.requests import render_requests
    from smsspec.validate.check import check_paths

    folder = OUT / f"recipients-{rows}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "smsspec.yaml").write_text(config_text(), encoding="utf-8")
    (folder / "points.sms.yaml").write_text(SPEC, encoding="utf-8")
    if not (folder / "customers.csv").exists():
        write_recipients(folder / "customers.csv", rows)
    os.chdir(folder)
    os.environ["SMSSPEC_JOBS"] = "1"
    gc.set_threshold(100_000, 50, 100)
    profile = cProfile.Profile()
    result = profile.runcall(check_paths, ["points.sms.yaml"])
    say(f"=== validate ({rows:,} rows) ===")
    show(profile, limit)

    def work() -> int:
        requests = (r for checked in result.checked for r in render_requests(checked))
        return sum(len(chunk) for chunk in json_chunks(requests))

    profile = cProfile.Profile()
    profile.runcall(work)
    say(f"=== render --format json, after validate ({rows:,} rows) ===")
    show(profile, limit)


def profile_start(limit: int) -> None:
    folder = OUT / "one-file"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "smsspec.yaml").write_text(config_text(), encoding="utf-8")
    (folder / "one.sms.yaml").write_text(spec_yaml(0), encoding="utf-8")
    env = bench_env(OUT)
    command = [sys.executable, "-X", "importtime", "-m", "smsspec", "validate", "one.sms.yaml"]
    subprocess.run(command, cwd=folder, env=env, capture_output=True)  # cache the bytecode first
    done = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True)
    rows = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:"):
            continue
        own, total, name = line[len("import time:"):].split("|")
        if own.strip().isdigit():
            rows.append((int(total), int(own), name.rstrip()))
    say("imports of `smsspec validate one.sms.yaml`, most expensive first (microseconds: with what they import, own)")
    for total, own, name in sorted(rows, reverse=True)[:limit]:
        say(f"  {total:>8} {own:>8} {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["validate", "render", "start", "recipients"])
    parser.add_argument("--files", type=int, default=500)
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--limit", type=int, default=25)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    if args.what == "validate":
        profile_validate(args.files, args.limit)
    elif args.what == "render":
        profile_render(args.recipients, args.limit)
    elif args.what == "recipients":
        profile_recipients(args.recipients, args.limit)
    else:
        profile_start(args.limit)


if __name__ == "__main__":
    main()
