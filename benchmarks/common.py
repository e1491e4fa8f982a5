"""What the benchmarks share: running a command and measuring it, medians, the table."""

from __future__ import annotations

import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "benchmarks"
SPEC_SCHEMA = ROOT / "schemas" / "spec.schema.json"


@dataclass
class Context:
    """Options of one benchmark run."""

    out: Path  # scratch folder for corpora and outputs
    quick: bool = False
    runs: int = 3

    def folder(self, name: str) -> Path:
        path = self.out / name
        path.mkdir(parents=True, exist_ok=True)
        return path


@dataclass
class Measure:
    wall: float  # seconds
    cpu: float  # user + system seconds of the process and the processes it waited for
    max_rss_kb: int  # peak resident memory of the process or any it waited for
    returncode: int


@dataclass
class Row:
    """One line of the summary table."""

    benchmark: str
    smsspec: str
    reference: str
    ratio: str
    floor: str
    ok: bool | None
    notes: list[str] = field(default_factory=list)


def tool(name: str) -> str:
    """A console script of this Python's environment (not a shim that starts another program first)."""
    here = Path(sys.executable).parent / name
    if here.exists():
        return str(here)
    found = shutil.which(name)
    if found is None:
        raise SystemExit(f"benchmarks: `{name}` is not installed")
    return found


def bench_env(out: Path, **extra: str) -> dict[str, str]:
    """The environment every measured command runs in.

    Bytecode is cached (in the scratch folder, not next to the sources), as
    it is for anything installed with pip, and colour is off.
    """
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(out / "pycache")
    env["NO_COLOR"] = "1"
    env.update(extra)
    return env


def measure(
    cmd: Sequence[str],
    *,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    stdout: IO[Any] | int | None = subprocess.DEVNULL,
    ok_codes: Sequence[int] = (0,),
) -> Measure:
    """Run ``cmd`` once: wall time, CPU time and peak memory from wait4()."""
    started = time.perf_counter()
    process = subprocess.Popen(list(cmd), cwd=cwd, env=env, stdout=stdout, stderr=subprocess.PIPE)
    assert process.stderr is not None
    errors = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    process.stderr.close()
    if process.returncode not in ok_codes:
        shown = errors.decode("utf-8", "replace")[-2000:]
        raise SystemExit(f"benchmarks: `{' '.join(cmd)}` exited with {process.returncode}\n{shown}")
    return Measure(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, process.returncode)


def interleaved(commands: dict[str, Sequence[str]], runs: int, warmup: bool = False, **kwargs: Any) -> dict[str, list[Measure]]:
    """Run each command ``runs`` times, taking turns, so a busy moment of the machine hits all alike."""
    if warmup:
        for cmd in commands.values():
            measure(cmd, **kwargs)
    found: dict[str, list[Measure]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, cmd in commands.items():
            found[name].append(measure(cmd, **kwargs))
    return found


def median_wall(measures: Sequence[Measure]) -> float:
    return statistics.median(m.wall for m in measures)


def median_cpu(measures: Sequence[Measure]) -> float:
    return statistics.median(m.cpu for m in measures)


def spread(measures: Sequence[Measure]) -> str:
    walls = sorted(m.wall for m in measures)
    return f"{walls[0]:.2f}–{walls[-1]:.2f} s" if len(walls) > 1 else f"{walls[0]:.2f} s"


def seconds(value: float) -> str:
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def shown(cmd: Sequence[str]) -> str:
    """A command as the reader would type it: console scripts by name, long file lists cut short."""
    parts = [Path(part).name if i == 0 else part for i, part in enumerate(cmd)]
    if len(parts) > 8:
        parts = [*parts[:5], f"... ({len(parts) - 6} more)", parts[-1]]
    return " ".join(parts)


def say(text: str = "") -> None:
    print(text, flush=True)


def ensure_check_jsonschema() -> str:
    """check-jsonschema, installed with pip into this environment if it is missing."""
    try:
        return tool("check-jsonschema")
    except SystemExit:
        say("installing check-jsonschema with pip (the reference tool) ...")
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "check-jsonschema"], check=True)
        return tool("check-jsonschema")


def version_of(cmd: Sequence[str]) -> str:
    done = subprocess.run([*cmd, "--version"], capture_output=True, text=True)
    return (done.stdout or done.stderr).strip().splitlines()[0] if (done.stdout or done.stderr) else "?"


def machine() -> list[str]:
    """Where the figures come from: CPUs, model, Python, load."""
    lines = [f"CPUs available: {len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count()}"]
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        wanted = ("Architecture", "Model name", "CPU(s)", "Thread(s) per core", "Hypervisor vendor")
        lines += [" ".join(line.split()) for line in lscpu.splitlines() if line.split(":")[0].strip() in wanted]
    except OSError:
        lines.append(f"processor: {platform.processor() or platform.machine()}")
    lines.append(f"Python {platform.python_version()} ({platform.python_implementation()}), {platform.system()} {platform.release()}")
    lines.append(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return lines


def table(rows: Sequence[Row]) -> str:
    header = ("benchmark", "smsspec", "reference", "ratio", "floor", "")
    cells = [header] + [
        (r.benchmark, r.smsspec, r.reference, r.ratio, r.floor, "" if r.ok is None else ("met" if r.ok else "NOT MET"))
        for r in rows
    ]
    widths = [max(len(c[i]) for c in cells) for i in range(len(header))]

    def line(cols: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True)) + " |"

    out = [line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(c) for c in cells[1:]]
    return "\n".join(out)
