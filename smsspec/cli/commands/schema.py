"""The ``schema`` command."""

from __future__ import annotations

import json

import click

from smsspec.cli.options import (
    CONTEXT,
    echo,
)
from smsspec.providers.editor_schema import editor_schema


@click.command(context_settings=CONTEXT)
@click.argument("which", type=click.Choice(["spec", "config"]))
def schema(which: str) -> None:
    """Print the JSON Schema of spec files or of smsspec.yaml, for editors.

    \b
    Examples:
      smsspec schema spec > .smsspec/spec.schema.json
      smsspec schema config
    """
    echo(json.dumps(editor_schema(which), indent=2, ensure_ascii=False))
