"""The `coach` command. Heavy libraries are imported inside commands so `coach --help` is instant."""

from __future__ import annotations

import json
import sys
from pathlib import Path

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
        click.echo(ctx.get_help())
        click.echo(
            "\nThe practice session (questions asked aloud, live recording) is not built yet: "
            "record an answer with any recorder and run `coach analyze FILE`."
        )


def _settings():
    from coach.settings import load_settings

    return load_settings()


@cli.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--question", help="The question the answer responds to; shown in the report.")
@click.option("--target", "target_s", type=click.FloatRange(min=1), help="Target answer length in seconds.")
@click.option("--model", help="tiny.en (bundled default), base, a faster-whisper model name, or a model folder.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object to stdout instead of the report.")
def analyze(file: Path, question: str | None, target_s: float | None, model: str | None, as_json: bool) -> None:
    """Transcribe a recorded answer and measure its pace and pauses.

    FILE is any audio file (WAV, FLAC, OGG, MP3, M4A, ...), any sample rate or channel count.

    \b
    Examples:
      coach analyze answer.wav
      coach analyze answer.mp3 --question "Tell me about a conflict" --target 90
      coach analyze answer.wav --model base --json > answer.json
    """
    from coach.analysis.answer import analyse_file, transcriber_for

    settings = _settings()
    transcriber = transcriber_for(settings, model)
    with _progress() as on_progress:
        analysis = analyse_file(file, settings, transcriber=transcriber, question=question,
                                target_s=target_s, on_progress=on_progress)
    if as_json:
        click.echo(json.dumps(analysis.to_json(), ensure_ascii=False))
        return
    from rich.console import Console

    from coach.report import render

    Console().print(render(analysis))


class _progress:
    """A spinner and bar on stderr while a file is analysed, only when stderr is a terminal."""

    def __enter__(self):
        self._progress = None
        if not sys.stderr.isatty():
            return lambda stage, done: None
        from rich.console import Console
        from rich.progress import BarColumn, Progress, SpinnerColumn, TaskProgressColumn, TextColumn

        self._progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                                  TaskProgressColumn(), console=Console(stderr=True), transient=True)
        self._progress.start()
        task = self._progress.add_task("reading audio", total=1.0)

        def update(stage: str, done: float) -> None:
            self._progress.update(task, description=stage, completed=done)

        return update

    def __exit__(self, *exc_info) -> None:
        if self._progress is not None:
            self._progress.stop()


@cli.command()
def doctor() -> None:
    """Check the microphone, speaker, speech engine, models and data folder.

    Prints one line per check with the fix for anything missing; exits 0 only when all pass.
    """
    from coach.doctor import run_checks

    results = run_checks(_settings())
    for check in results:
        mark = click.style("ok  ", fg="green") if check.ok else click.style("FAIL", fg="red")
        line = f"{mark} {check.name}: {check.detail}"
        if not check.ok:
            line += f"\n     fix: {check.fix}"
        click.echo(line)
    failed = sum(not c.ok for c in results)
    click.echo(f"\n{len(results) - failed} of {len(results)} checks passed.")
    sys.exit(1 if failed else 0)


def main() -> None:
    cli(prog_name="coach")
