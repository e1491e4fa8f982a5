"""The command line: wires the stages together; the only place that prints or exits.

Exit codes: 0 fine; 1 problems found (or sends failed); 2 usage or configuration error.
Modules are imported inside commands so each command loads only what it uses.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, NoReturn

import click

from smsspec._version import __version__

if TYPE_CHECKING:
    from smsspec.report import Summary
    from smsspec.validate.check import CheckResult

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2
_COLOURS = {"error": "red", "warning": "yellow", "location": None, "ok": "green", "bold": None}


def use_colour(stream: Any = None) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (to anything but "") or TERM=dumb."""
    stream = stream or sys.stdout
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty is not None and isatty())


def styler(stream: Any = None) -> Callable[[str, str], str]:
    if not use_colour(stream):
        return lambda text, role: text

    def style(text: str, role: str) -> str:
        return click.style(text, fg=_COLOURS.get(role), bold=role in ("location", "bold"))

    return style


_stdout_gone = False


def echo(message: Any = "", file: Any = None, nl: bool = True, err: bool = False) -> bool:
    """``click.echo`` that survives a reader closing standard output (``smsspec ... | head -1``).

    The rest of the output is dropped (standard output is pointed at the null
    device, so nothing fails on the way out either) and the command goes on to
    end with its own exit code. Returns False once standard output is gone.
    """
    global _stdout_gone
    if err or file is not None:
        click.echo(message, file=file, nl=nl, err=err)
        return True
    if _stdout_gone:
        return False
    try:
        click.echo(message, nl=nl)
        return True
    except BrokenPipeError:
        _stdout_gone = True
        try:
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, sys.stdout.fileno())
            os.close(null)
        except (AttributeError, OSError, ValueError):  # not a real file (a test runner's buffer)
            pass
        return False


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """Say what went wrong on one line (a path or an answer in ``message`` is escaped) and exit."""
    from smsspec.terminal import printable

    echo(f"smsspec: {printable(message)}", err=True)
    sys.exit(code)


class Group(click.Group):
    """Turns every unexpected exception into one clear line instead of a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except KeyboardInterrupt:
            fail("interrupted", 130)
        except BrokenPipeError:
            sys.stderr.close()
            sys.exit(EXIT_OK)
        except Exception as exc:  # the last line of defence: a bug, reported without a traceback
            from smsspec.providers import ProviderError
            from smsspec.terminal import printable

            if isinstance(exc, ProviderError):  # a provider's own files are broken: a configuration error
                echo("smsspec: " + "\n".join(printable(line) for line in str(exc).splitlines()), err=True)
                sys.exit(EXIT_USAGE)
            if os.environ.get("SMSSPEC_DEBUG"):
                raise
            fail(f"internal error: {type(exc).__name__}: {exc} (set SMSSPEC_DEBUG=1 for details and please report it)")


CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.group(cls=Group, context_settings=CONTEXT)
@click.version_option(__version__, prog_name="smsspec")
def main() -> None:
    """Validate, render and send SMS message specs written in YAML.

    \b
    Examples:
      smsspec validate messages/
      smsspec render messages/welcome.sms.yaml --format curl
      smsspec segments "Hi Ann, your order has shipped"
    """
    # A run builds many objects that live until it ends (YAML nodes, messages, requests);
    # the default collector would scan them again every 700 allocations, for nothing.
    gc.set_threshold(100_000, 50, 100)


config_option = click.option("--config", "config_path", metavar="PATH", help="smsspec.yaml to use (default: found by walking up from each spec).")
paths_argument = click.argument("paths", nargs=-1, type=click.Path())


def run_checks(paths: Iterable[str], config_path: str | None, *, report_only: bool = False) -> CheckResult:
    """``report_only``: diagnostics and counts, no checked messages (large sets use every CPU)."""
    from smsspec.validate.check import UsageError, check_paths
    from smsspec.validate.parallel import check_for_report

    check = check_for_report if report_only else check_paths
    try:
        return check(list(paths), config_path)
    except UsageError as exc:
        fail(str(exc))


def summary_of(result: CheckResult) -> Summary:
    from smsspec.report import Summary

    return Summary(result.files, result.messages, result.diagnostics)


def exit_code_for(result: CheckResult, strict: bool) -> int:
    if any(d.rule.startswith("CONFIG-NOT-FOUND") for d in result.diagnostics):
        return EXIT_USAGE
    if result.errors or (strict and result.warnings):
        return EXIT_PROBLEMS
    return EXIT_OK


REPORT_FORMATS = ["text", "json", "github", "sarif"]


def default_format() -> str:
    """github inside GitHub Actions, text everywhere else."""
    return "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"


def spec_paths(paths: Iterable[str]) -> list[str]:
    """A named smsspec.yaml stands for its project: every spec below its folder."""
    from smsspec.config import CONFIG_NAME

    return [os.path.dirname(p) or "." if os.path.basename(p) == CONFIG_NAME and os.path.isfile(p) else p for p in paths]


@main.command(context_settings=CONTEXT)
@paths_argument
@config_option
@click.option("--format", "fmt", type=click.Choice(REPORT_FORMATS), default=None,
              help="Report format.  [default: text; github when GITHUB_ACTIONS=true]")
@click.option("-o", "--output", type=click.File("w", encoding="utf-8", lazy=True), metavar="FILE",
              help="Write the report to FILE instead of standard output.")
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@click.option("-q", "--quiet", is_flag=True, help="Report only what fails the run (errors; warnings too with --strict), without the summary line.")
@click.option("-v", "--verbose", is_flag=True, help="Also say which smsspec.yaml each spec uses, and how long the check took (on standard error).")
def validate(paths: tuple[str, ...], config_path: str | None, fmt: str | None, output: Any,
             strict: bool, quiet: bool, verbose: bool) -> None:
    """Check spec files (and folders of *.sms.yaml) against every rule.

    A named smsspec.yaml stands for every spec below its folder. Suppress a
    finding on one line with a trailing `# smsspec: disable=RULE-ID -- reason`
    comment (on a message's first line: for the whole message).

    \b
    Examples:
      smsspec validate                      # every spec below the current folder
      smsspec validate messages/ --strict
      smsspec validate a.sms.yaml --format json
      smsspec validate --format sarif -o smsspec.sarif
      smsspec validate -q messages/         # errors only, no summary
    """
    import time

    from smsspec.report import REPORTERS, Summary

    if quiet and verbose:
        fail("--quiet and --verbose cannot be used together")
    started = time.perf_counter()
    result = run_checks(spec_paths(paths), config_path, report_only=not verbose)
    elapsed = time.perf_counter() - started
    if verbose:
        _explain_run(spec_paths(paths), config_path, result, elapsed)
    diagnostics = result.diagnostics
    if quiet:
        diagnostics = [d for d in diagnostics if d.is_error or strict]
    summary = Summary(result.files, result.messages, diagnostics, totals=not quiet)
    report = REPORTERS[fmt or default_format()](summary, styler(output) if output is not None else styler())
    if report or output is not None or not quiet:
        echo(report, file=output)
    sys.exit(exit_code_for(result, strict))


def _explain_run(paths: list[str], config_path: str | None, result: CheckResult, elapsed: float) -> None:
    """The -v lines: which configuration each spec used, and the time taken."""
    from pathlib import Path

    from smsspec.config import find_config
    from smsspec.spec import display_path
    from smsspec.validate.check import find_spec_files

    def say(text: str) -> None:
        echo(text, err=True)

    say(f"smsspec {__version__}, Python {sys.version.split()[0]}")
    for spec in find_spec_files(paths or ["."]):
        found = Path(config_path) if config_path else find_config(spec)
        used = display_path(found) if found is not None else "none found"
        say(f"{display_path(spec)}: config {used}")
    ready = len(result.checked)
    say(f"checked {result.files} file{'s' if result.files != 1 else ''} in {elapsed:.3f} s; "
        f"{ready} message{'s' if ready != 1 else ''} ready to render and send")


@main.command(context_settings=CONTEXT)
@paths_argument
@config_option
@click.option("--message", "message_ids", multiple=True, metavar="ID", help="Only this message (repeatable).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "curl"]), default="text", show_default=True)
def render(paths: tuple[str, ...], config_path: str | None, message_ids: tuple[str, ...], fmt: str) -> None:
    """Show the exact requests each provider would receive (a dry run; secrets shown as ***).

    \b
    Examples:
      smsspec render examples/skycore.sms.yaml
      smsspec render messages/ --message welcome --format json > payloads.json
      smsspec render messages/ --format curl
    """
    from smsspec.render import render_requests
    from smsspec.render_output import FORMATTERS
    from smsspec.report import text_report

    result = run_checks(paths, config_path)
    if result.errors:
        echo(text_report(summary_of(result), styler(sys.stderr)), err=True)
        sys.exit(exit_code_for(result, False))
    if result.warnings:
        echo(text_report(summary_of(result), styler(sys.stderr)), err=True)
    selected = [c for c in result.checked if not message_ids or c.message.id in message_ids]
    if message_ids and not selected:
        fail(f"no message with id {', '.join(message_ids)} in the given specs")
    # A message whose recipients come from a file is rendered part by part, never held whole.
    requests = (request for checked in selected for part in checked.chunks() for request in render_requests(part))
    for chunk in FORMATTERS[fmt](requests):
        if not echo(chunk, nl=False):
            break  # the reader has gone (`| head`): render no further
    sys.exit(EXIT_OK)


@main.command(context_settings=CONTEXT)
@click.argument("text")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def segments(text: str, fmt: str) -> None:
    """Analyse TEXT: encoding (GSM-7 or UCS-2), units, segments, and what forces UCS-2.

    \b
    Examples:
      smsspec segments "Hello Jerry – Greetings from Marc!!"
      smsspec segments "Dear customer…" --format json
    """
    import json

    from smsspec.encoding import analyze, split_segments

    analysis = analyze(text)
    if fmt == "json":
        echo(json.dumps(analysis.to_json(), ensure_ascii=False))
        return
    echo(f"encoding:   {analysis.encoding}")
    echo(f"characters: {analysis.characters}")
    unit = "septets" if analysis.encoding == "GSM-7" else "UTF-16 code units"
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


@main.group(context_settings=CONTEXT, invoke_without_command=True)
@click.pass_context
def providers(ctx: click.Context) -> None:
    """List the providers smsspec can send through (`providers show ID` for one).

    \b
    Examples:
      smsspec providers
      smsspec providers show skycore
    """
    if ctx.invoked_subcommand is None:
        from smsspec import providers as registry

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
    from smsspec import providers as registry
    from smsspec.provider_docs import describe_provider
    from smsspec.validate.schema import did_you_mean

    provider = registry.get(provider_id)
    if provider is None:
        hint = did_you_mean(provider_id, registry.ids())
        fail(f"unknown provider {provider_id!r}" + (f"; did you mean {hint!r}?" if hint else f"; known: {', '.join(registry.ids())}"))
    echo(describe_provider(provider))


@main.group(context_settings=CONTEXT, invoke_without_command=True)
@click.pass_context
def rules(ctx: click.Context) -> None:
    """List every rule with its id and default severity (`rules explain ID` for one).

    \b
    Examples:
      smsspec rules
      smsspec rules explain SKYCORE-MASK-LENGTH
    """
    if ctx.invoked_subcommand is None:
        from smsspec.validate.catalog import all_rules

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
    from smsspec.validate.catalog import all_rules
    from smsspec.validate.schema import did_you_mean

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


@main.command(context_settings=CONTEXT)
@click.argument("which", type=click.Choice(["spec", "config"]))
def schema(which: str) -> None:
    """Print the JSON Schema of spec files or of smsspec.yaml, for editors.

    \b
    Examples:
      smsspec schema spec > .smsspec/spec.schema.json
      smsspec schema config
    """
    import json

    from smsspec.editor_schema import editor_schema

    echo(json.dumps(editor_schema(which), indent=2, ensure_ascii=False))


def _register_commands() -> None:
    """Commands that live in their own modules; each imports its heavy parts only when run."""
    from smsspec.cli_fix import fix
    from smsspec.cli_plan import plan
    from smsspec.cli_send import ledger, sandbox, send

    for command in (send, plan, sandbox, ledger, fix):
        main.add_command(command)


_register_commands()
