"""Benchmark 7: a message whose recipients come from a 1,000,000-row CSV file.

    python benchmarks/bench_recipients.py [--quick]

The file has a name, the number and two variables per row (31 MiB); the spec's
text uses the name and both variables. Timed: ``smsspec validate`` of the spec
and ``smsspec render --format json`` of it, its output written to a file.
"""

from __future__ import annotations

from pathlib import Path

from common import (
    Context,
    Measure,
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
from corpus import config_text

ROWS = 1_000_000
FLOOR_VALIDATE = 6.0
FLOOR_RENDER = 12.0
FLOOR_MB = 150
_NAMES = ("Ann", "Bob", "Chloé", "Dana", "Eli", "Maria", "John", "Noa", "Ravi", "Sara", "Tom", "Yuki")

SPEC = """version: 1
messages:
  - id: points
    account: skycore-demo
    from: "60856"
    campaign: loyalty2026
    text: "Hi {{ name }}, you have {{ points }} points. Spend them at {{ store }} before 31 Dec."
    to: {file: customers.csv, number: phone}
"""


def write_recipients(path: Path, rows: int) -> None:
    """Distinct UK mobile numbers, in 16 MiB writes."""
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write("name,phone,points,store\n")
        lines = []
        for r in range(rows):
            lines.append(f"{_NAMES[r % len(_NAMES)]},+447{400000000 + r * 37 % 99_000_000},{r % 5000},Store {r % 97}\n")
            if len(lines) == 100_000:
                out.write("".join(lines))
                lines.clear()
        out.write("".join(lines))


def prepare(ctx: Context, rows: int) -> Path:
    folder = ctx.folder(f"recipients-{rows}")
    (folder / "smsspec.yaml").write_text(config_text(), encoding="utf-8")
    (folder / "points.sms.yaml").write_text(SPEC, encoding="utf-8")
    csv = folder / "customers.csv"
    if not csv.exists() or csv.stat().st_mtime < Path(__file__).stat().st_mtime:
        write_recipients(csv, rows)
    return folder


def run(ctx: Context) -> list[Row]:
    rows = 50_000 if ctx.quick else ROWS
    runs = 1 if ctx.quick else ctx.runs
    say(f"\n[7] Recipients file: one message, {rows:,} rows of CSV (name, number, two variables)")
    folder = prepare(ctx, rows)
    say(f"  file: {(folder / 'customers.csv').stat().st_size / 2**20:.0f} MiB")
    validate = [tool("smsspec"), "validate", "points.sms.yaml"]
    render = [tool("smsspec"), "render", "points.sms.yaml", "--format", "json"]
    env = bench_env(ctx.out)
    found: dict[str, list[Measure]] = {"validate": [], "render": []}
    for _ in range(runs):  # taking turns
        found["validate"].append(measure(validate, cwd=folder, env=env))
        with open(folder / "payloads.json", "w", encoding="utf-8") as payloads:
            found["render"].append(measure(render, cwd=folder, env=env, stdout=payloads))
    out: list[Row] = []
    for name, floor in (("validate", FLOOR_VALIDATE), ("render", FLOOR_RENDER)):
        measures = found[name]
        wall = median_wall(measures)
        peak = max(m.max_rss_kb for m in measures) / 1024
        say(f"  {shown(validate if name == 'validate' else [*render, '>', 'payloads.json'])}: median {seconds(wall)} of {runs} ({spread(measures)}), "
            f"CPU {seconds(median_cpu(measures))}, peak {peak:.0f} MB (floor: <= {floor:.0f} s, <= {FLOOR_MB} MB)")
        out.append(Row(
            f"7. {name} a {rows:,}-row recipients file" + (" (--format json)" if name == "render" else ""),
            f"{seconds(wall)}, {peak:.0f} MB",
            "-",
            f"{rows / wall:,.0f} rows/s",
            f"<= {floor:.0f} s, <= {FLOOR_MB} MB",
            (wall <= floor and peak <= FLOOR_MB) if not ctx.quick else None,
        ))
    return out


if __name__ == "__main__":
    from run import main

    main(["--only", "recipients"])
