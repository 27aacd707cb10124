"""`coach practice`: the practice session in the terminal (the default command)."""

from __future__ import annotations

import sys

import click


@click.command("practice")
@click.option("--mute", is_flag=True, help="Show questions as text only; do not read them aloud.")
def practice_command(mute: bool) -> None:
    """Open the practice session (the default when `coach` runs with no command).

    Questions are read aloud, your answer is recorded and transcribed as you speak, and the
    feedback follows the moment you stop. No microphone? Type the answer or pick an audio file.
    """
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        # Textual would write escape codes into a pipe and wait for keys that never come.
        click.echo("Error: The practice session needs a terminal; run `coach practice` in one, or analyse a "
                   "recording with `coach analyze FILE`.", err=True)
        sys.exit(2)
    from coach.settings import load_settings
    from coach.ui.app import make_app

    make_app(load_settings(), speak=False if mute else None).run()


def register(cli: click.Group) -> None:
    cli.add_command(practice_command)
