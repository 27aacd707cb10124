"""`coach speak TEXT [-o FILE]`: say a text with the interviewer voice, or write it as a WAV.

A quick check of a set-up (which engine speaks, does the speaker work) and the way the tests
hear the voice without a speaker.
"""

from __future__ import annotations

from pathlib import Path

import click


@click.command("speak")
@click.argument("text")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the speech to this WAV file instead of playing it.")
@click.option("--engine", type=click.Choice(["piper", "espeak-ng", "pyttsx3"]),
              help="Use this engine instead of voice.engine from the settings.")
def speak_command(text: str, output: Path | None, engine: str | None) -> None:
    """Say TEXT with the configured interviewer voice (or write it to a WAV file with -o).

    \b
    Examples:
      coach speak "Tell me about a time you disagreed with a teammate."
      coach speak "How did you measure it?" -o question.wav
    """
    from dataclasses import replace

    from coach.errors import CoachError
    from coach.process import plain_text, printable
    from coach.settings import load_settings
    from coach.speech.voice import speak, write_wav

    text = plain_text(text).strip()
    if not text:
        raise click.UsageError("TEXT is empty; give the words to say.")
    voice = load_settings().voice
    if engine:
        voice = replace(voice, engine=engine)
    if output is not None:
        if output.exists() and not output.is_file():
            raise CoachError(f"{printable(str(output))} is not a regular file; give a path for the WAV file.")
        spoke = write_wav(text, output, voice)  # atomic: an interrupted run leaves the old file whole
        click.echo(f"Wrote {printable(str(output))} ({spoke.reason}).", err=True)
        return
    spoke = speak(text, voice, device=load_settings().audio.output)
    click.echo(f"Spoken by {spoke.reason}.", err=True)


def register(cli: click.Group) -> None:
    """Add `coach speak` to the `coach` group."""
    cli.add_command(speak_command)
