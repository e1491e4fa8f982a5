"""The ``providers`` group: list the providers, ``show`` one."""

from __future__ import annotations

import click

from smsspec.cli.options import (
    CONTEXT,
    echo,
    fail,
)
from smsspec.providers import registry
from smsspec.providers.docs import describe_provider
from smsspec.validate.schema import did_you_mean


@click.group(context_settings=CONTEXT, invoke_without_command=True)
@click.pass_context
def providers(ctx: click.Context) -> None:
    """List the providers smsspec can send through (`providers show ID` for one).

    \b
    Examples:
      smsspec providers
      smsspec providers show skycore
    """
    if ctx.invoked_subcommand is None:
        for provider in registry.registry().values():
            echo(f"{provider.id:<12} {provider.title}")


@providers.command("show", context_settings=CONTEXT)
@click.argument("provider_id")
def providers_show(provider_id: str) -> None:
    """Describe one provider: request, credentials, settings, fields, options and rules.

    \b
    Example:
      smsspec providers show skycore
    """
    provider = registry.get(provider_id)
    if provider is None:
        hint = did_you_mean(provider_id, registry.ids())
        fail(f"unknown provider {provider_id!r}" + (f"; did you mean {hint!r}?" if hint else f"; known: {', '.join(registry.ids())}"))
    echo(describe_provider(provider))
