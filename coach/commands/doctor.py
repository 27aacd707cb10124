"""`coach doctor`: every check of the set-up, one line each with its fix."""

from __future__ import annotations

import sys

import click

from coach.commands.common import count


@click.command("doctor")
def doctor_command() -> None:
    """Check the microphone, speaker, speech engine, models and data folder.

    Prints one line per check with the fix for anything missing; exits 0 only when all pass.
    """
    from coach.doctor import run_checks
    from coach.settings import load_settings_or_defaults

    # A broken config is reported as one failed check, and the rest run on the defaults: doctor
    # is where people go when something is wrong.
    settings, config_error = load_settings_or_defaults()
    results = run_checks(settings, config_error=config_error)
    for check in results:
        mark = click.style("ok  ", fg="green") if check.ok else click.style("FAIL", fg="red")
        line = f"{mark} {check.name}: {check.detail}"
        if not check.ok:
            line += f"\n     fix: {check.fix}"
        click.echo(line)
    failed = sum(not c.ok for c in results)
    click.echo(f"\n{len(results) - failed} of {count(len(results), 'check')} passed.")
    sys.exit(1 if failed else 0)


def register(cli: click.Group) -> None:
    cli.add_command(doctor_command)
