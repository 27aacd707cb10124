"""The `coach` command: the group and its error handling. Every command lives in `coach/commands/`
and is registered here; heavy libraries are imported inside commands so `coach --help` is instant."""

from __future__ import annotations

import sys

import click

from coach import __version__


class _Group(click.Group):
    """Shows user-facing errors as one line and a non-zero exit, never a traceback."""

    def invoke(self, ctx: click.Context):
        from coach.errors import CoachError

        try:
            return super().invoke(ctx)
        except CoachError as exc:
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(2)
        except PermissionError as exc:
            # A last net under the specific messages: a folder or file the user cannot read (a data
            # folder made by another account, a chmod gone wrong) is still one sentence, not a traceback.
            from coach.process import printable

            where = printable(str(exc.filename)) if exc.filename else "a file coach needs"
            click.echo(f"Error: {where} cannot be opened (permission denied); fix its permissions, or point "
                       "COACH_DATA_DIR or COACH_CONFIG somewhere you can read and write.", err=True)
            ctx.exit(2)


@click.group(cls=_Group, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="coach")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """A private, offline interview coach for machine-learning roles.

    It transcribes a spoken answer on this machine with Whisper and measures its pace and
    pauses from the audio. Nothing leaves the machine.

    \b
    Settings: $COACH_CONFIG or the user config folder's coach/config.toml (see README).
    Data:     $COACH_DATA_DIR or the user data folder's coach/.
    """
    if ctx.invoked_subcommand is None:
        if not (sys.stdin.isatty() and sys.stdout.isatty()):
            click.echo(ctx.get_help())
            click.echo("\nThe practice session needs a terminal: run `coach` in one (or `coach practice`).")
            return
        from coach.commands.practice import practice_command

        ctx.invoke(practice_command)


from coach.commands import analyze, doctor, history, practice, questions, speak, stories  # noqa: E402

for _module in (practice, analyze, questions, doctor, history, stories, speak):
    _module.register(cli)


def main() -> None:
    cli(prog_name="coach")
