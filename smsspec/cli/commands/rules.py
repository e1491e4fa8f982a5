"""The ``rules`` group: list the rules, ``explain`` one."""

from __future__ import annotations

import click

from smsspec.cli.options import (
    CONTEXT,
    echo,
    fail,
)
from smsspec.validate.catalog import all_rules
from smsspec.validate.schema import did_you_mean


@click.group(context_settings=CONTEXT, invoke_without_command=True)
@click.pass_context
def rules(ctx: click.Context) -> None:
    """List every rule with its id and default severity (`rules explain ID` for one).

    \b
    Examples:
      smsspec rules
      smsspec rules explain SKYCORE-MASK-LENGTH
    """
    if ctx.invoked_subcommand is None:

        for rule in sorted(all_rules().values(), key=lambda r: r.id):
            scope = f" [{rule.provider}]" if rule.provider else ""
            echo(f"{rule.id:<28} {rule.severity.value:<8} {rule.summary}{scope}")


@rules.command("explain", context_settings=CONTEXT)
@click.argument("rule_id")
def rules_explain(rule_id: str) -> None:
    """Explain a rule: what it checks, an example that triggers it, and the fix.

    \b
    Example:
      smsspec rules explain TEXT-GSM-LOOKALIKE
    """
    catalog = all_rules()
    rule = catalog.get(rule_id.upper())
    if rule is None:
        hint = did_you_mean(rule_id.upper(), list(catalog))
        fail(f"unknown rule {rule_id!r}" + (f"; did you mean {hint!r}?" if hint else "; see `smsspec rules`"))
    echo(f"{rule.id} ({rule.severity.value}{', ' + rule.provider if rule.provider else ''})")
    echo(f"\n{rule.summary}")
    if rule.example:
        echo("\nExample that triggers it:\n" + "\n".join("    " + line for line in rule.example.splitlines()))
    echo(f"\nFix: {rule.fix}")
