"""The ``segments`` command."""

from __future__ import annotations

import json

import click

from smsspec.cli.options import (
    CONTEXT,
    echo,
)
from smsspec.sms.encoding import analyze, split_segments


@click.command(context_settings=CONTEXT)
@click.argument("text")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def segments(text: str, fmt: str) -> None:
    """Analyse TEXT: encoding (GSM-7 or UCS-2), units, segments, and what forces UCS-2.

    \b
    Examples:
      smsspec segments "Hello Jerry – Greetings from Marc!!"
      smsspec segments "Dear customer…" --format json
    """
    analysis = analyze(text)
    if fmt == "json":
        echo(json.dumps(analysis.to_json(), ensure_ascii=False))
        return
    echo(f"encoding:   {analysis.encoding}")
    echo(f"characters: {analysis.characters}")
    unit = "septet" if analysis.encoding == "GSM-7" else "UTF-16 code unit"
    unit += "" if analysis.units == 1 else "s"
    echo(f"units:      {analysis.units} {unit}")
    echo(f"segments:   {analysis.segments}")
    for forcing in analysis.forcing:
        swap = f" -> GSM-7 look-alike {forcing.suggestion!r}" if forcing.suggestion else ""
        times = f" ({forcing.count} times)" if forcing.count > 1 else ""
        echo(f"  {forcing.char!r} U+{ord(forcing.char):04X} at character {forcing.index + 1}{times} forces UCS-2{swap}")
    parts = split_segments(text)
    if len(parts) > 1:
        for number, part in enumerate(parts, 1):
            echo(f"  segment {number}: {part!r}")
